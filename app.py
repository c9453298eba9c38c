"""ClusterKB app entry point: navigation and the language switch only; pages live in `pages/`."""

import streamlit as st

from kb.ui.i18n import LANG_KEY, LANGS, t

PAGES = (
    ("pages/search.py", "nav_search", ":material/search:"),
    ("pages/compare.py", "nav_compare", ":material/compare_arrows:"),
    ("pages/evidence_map.py", "nav_map", ":material/grid_on:"),
    ("pages/brief.py", "nav_brief", ":material/description:"),
    ("pages/learning.py", "nav_learning", ":material/school:"),
    ("pages/library.py", "nav_library", ":material/local_library:"),
)

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
    [st.Page(path, title=t(title), icon=icon) for path, title, icon in PAGES],
    position="sidebar",
)
st.sidebar.caption(t("app_tagline"))
page.run()
