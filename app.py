"""Streamlit entry for a checkout (`streamlit run app.py`): the same app `clusterkb serve` runs."""

from clusterkb.app.navigation import run

run()
