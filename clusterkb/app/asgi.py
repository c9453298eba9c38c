"""The server `clusterkb serve` runs: Streamlit's, with the app's page addresses added.

`streamlit run` finds `app` below and serves `main.py` through it.
"""

from pathlib import Path

import streamlit as st

from clusterkb.app.deep_links import page_routes

app = st.App(Path(__file__).resolve().with_name("main.py"), routes=page_routes())
