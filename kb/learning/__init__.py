"""kb/learning"""
