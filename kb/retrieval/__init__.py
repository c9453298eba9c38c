"""kb/retrieval"""
