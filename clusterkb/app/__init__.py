"""The Streamlit app: `navigation.py` (the shell), `views/` (one script per page), UI helpers.

A front end like the CLI: views only wire widgets to `kb` and `ingest` functions.
"""
