"""kb/briefs"""
