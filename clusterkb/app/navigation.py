"""The app shell: navigation and the language switch; each view is a script in `views/`."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from clusterkb.app.auth import sign_in_gate
from clusterkb.app.i18n import LANG_KEY, LANGS, t
from clusterkb.app.jobs_panel import render as jobs_panel

VIEWS = Path(__file__).resolve().with_name("views")
# A file shipped with the app: a Material icon as page icon makes the browser fetch it from an
# external font server on every page load.
FAVICON = Path(__file__).resolve().with_name("favicon.svg")
# (view script, title key, icon, action the page needs); the script's name is the page's URL
# path (e.g. /brief). A page the signed-in role may not use is not registered at all, so its
# URL runs nothing.
PAGES = (
    ("search.py", "nav_search", ":material/search:", "search"),
    ("compare.py", "nav_compare", ":material/compare_arrows:", "search"),
    ("evidence_map.py", "nav_map", ":material/grid_on:", "search"),
    ("brief.py", "nav_brief", ":material/description:", "brief.own"),
    ("learning.py", "nav_learning", ":material/school:", "search"),
    ("library.py", "nav_library", ":material/local_library:", "upload"),
)


def denied() -> None:
    st.warning(t("auth_page_denied"))


def run() -> None:
    """Lay out the shell and run the page the URL names."""
    st.set_page_config(page_title="ClusterKB", page_icon=str(FAVICON), layout="wide")
    st.sidebar.segmented_control(
        t("language_switch"),
        LANGS,
        format_func=lambda code: t(f"lang_switch_{code}"),
        key=LANG_KEY,
        default=LANGS[0],
        required=True,
        persist_state="session",
    )
    actor = sign_in_gate([Path(script).stem for script, *_ in PAGES])
    pages = [
        st.Page(VIEWS / script, title=t(title), icon=icon)
        if actor.may(action)
        # Not listed, and its address says so instead of running the page.
        else st.Page(denied, title=t(title), url_path=Path(script).stem, visibility="hidden")
        for script, title, icon, action in PAGES
    ]
    page = st.navigation(pages, position="sidebar")
    st.sidebar.caption(t("app_tagline"))
    jobs_panel()  # running ingests, on every page
    page.run()
