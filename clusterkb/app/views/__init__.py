"""clusterkb/app/views"""
