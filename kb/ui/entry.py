"""Every page runs inside `app.py`'s navigation (language switch, titles, layout)."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def require_app_shell() -> None:
    """Rerun through `app.py` when Streamlit ran this page on its own.

    Because the pages live in a folder named `pages/`, a fresh server answers a deep link
    (e.g. /compare) the old multipage way, running the page file without `app.py`, until some
    session has called `st.navigation`. Clearing that flag and rerunning sends this session
    through `app.py`, which runs the same page by its URL path.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
