"""The app shell: navigation and the language switch; each view is a script in `views/`."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from clusterkb.app.i18n import LANG_KEY, LANGS, t

VIEWS = Path(__file__).resolve().with_name("views")
# (view script, title key, icon); the script's name is the page's URL path (e.g. /brief).
PAGES = (
    ("search.py", "nav_search", ":material/search:"),
    ("compare.py", "nav_compare", ":material/compare_arrows:"),
    ("evidence_map.py", "nav_map", ":material/grid_on:"),
    ("brief.py", "nav_brief", ":material/description:"),
    ("learning.py", "nav_learning", ":material/school:"),
    ("library.py", "nav_library", ":material/local_library:"),
)


def run() -> None:
    """Lay out the shell and run the page the URL names."""
    st.set_page_config(page_title="ClusterKB", page_icon=":material/hub:", layout="wide")
    st.sidebar.segmented_control(
        t("language_switch"),
        LANGS,
        format_func=lambda code: t(f"lang_switch_{code}"),
        key=LANG_KEY,
        default=LANGS[0],
        required=True,
        persist_state="session",
    )
    page = st.navigation(
        [st.Page(VIEWS / script, title=t(title), icon=icon) for script, title, icon in PAGES],
        position="sidebar",
    )
    st.sidebar.caption(t("app_tagline"))
    page.run()
