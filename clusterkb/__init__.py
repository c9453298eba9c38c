"""clusterkb"""
