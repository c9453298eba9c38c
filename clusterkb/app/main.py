"""The Streamlit script `clusterkb serve` runs (shipped inside the package)."""

from clusterkb.app.navigation import run

run()
