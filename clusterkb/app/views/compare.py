"""Comparar países: one column per country with its best passages and its tag profile."""

import streamlit as st

from clusterkb.app.i18n import lang, t
from clusterkb.app.resources import get_taxonomy
from clusterkb.app.text import md_line
from clusterkb.app.widgets import (
    country_label,
    lang_multiselect,
    open_kb_or_stop,
    render_passage,
)
from kb.countries import compare_default
from kb.models import FACETS
from kb.retrieval.compare import available_countries, compare

DEFAULT_COUNTRIES = compare_default()
PROFILE_TOP = 5
# Narrowest a country's column gets: the longest words of a report still fit on one line.
# (A comment, not a docstring: Streamlit would print a bare string in a page script.)
COLUMN_MIN_REM = 14
# Columns wrap into rows (four side by side on a wide screen, two by two at 1024 px) instead of
# shrinking until words break in the middle; a word breaks only if it is wider than a column.
GRID_CSS = f"""<style>
.st-key-compare_grid [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap; }}
.st-key-compare_grid [data-testid="stColumn"] {{
  flex: 1 1 {COLUMN_MIN_REM}rem !important;
  min-width: {COLUMN_MIN_REM}rem !important;
}}
.st-key-compare_grid [data-testid="stColumn"] * {{
  overflow-wrap: break-word;
  word-break: normal;
  hyphens: manual;
}}
</style>"""

st.header(t("compare_title"))
st.caption(t("compare_intro"))

# A question just searched for is the natural one to compare countries on.
st.session_state.setdefault("compare_query", st.session_state.get("search_query", ""))
query = st.text_input(
    t("query"), key="compare_query", placeholder=t("compare_placeholder"), persist_state="session"
)
# The box comes first: a query can be typed while the server's start-up load still runs.
with st.spinner(t("kb_loading")):
    kb = open_kb_or_stop()
taxonomy = get_taxonomy()
known = available_countries(kb)
options = known + [c for c in DEFAULT_COUNTRIES if c not in known]
chosen = st.multiselect(
    t("countries"),
    options,
    default=list(DEFAULT_COUNTRIES),
    format_func=country_label,
    key="compare_countries",
    persist_state="session",
    placeholder=t("choose"),
    select_all=False,  # its "Select all" is English-only
)

langs = lang_multiselect(kb, "compare_langs")
k = st.slider(t("passages_per_country"), 1, 5, 2, key="compare_k", persist_state="session")

if not query.strip():
    st.info(t("compare_empty_query"))
    st.stop()
if not chosen:
    st.info(t("compare_no_countries"))
    st.stop()

with st.spinner(t("searching")):
    comparison = compare(kb, query, chosen, k=k, langs=langs)
st.html(GRID_CSS)
grid = st.container(key="compare_grid")
holders = grid.columns(len(comparison.columns))
for column, holder in zip(comparison.columns, holders, strict=True):
    with holder:
        st.subheader(md_line(country_label(column.country)))
        if not column.found:
            st.warning(t("country_no_passage"))
            continue
        for hit in column.hits:
            render_passage(
                hit.passage,
                f"compare_{column.country}",
                max_chars=450,
                show_source=False,
                highlights=hit.highlights,
            )
        st.markdown(f"**{t('profile')}**")
        for facet in FACETS:
            counts = column.profile.get(facet, ())[:PROFILE_TOP]
            if not counts:
                continue
            st.caption(md_line(taxonomy.facet_label(facet, lang())))
            for count in counts:
                st.markdown(
                    f"- {md_line(taxonomy.label(facet, count.tag_id, lang()))} ({count.count})"
                )
