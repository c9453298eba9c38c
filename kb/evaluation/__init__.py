"""kb/evaluation"""
