"""kb/tags"""
