"""kb/storage"""
