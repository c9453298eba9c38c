"""Helpers of the Streamlit app: translations, cached resources, session state, safe rendering.

Like `kb/cli.py`, this package is a front end: it may call `ingest` (uploads, re-ingest).
The pages under `pages/` only wire widgets to these helpers and to `kb`/`ingest` functions.
"""
