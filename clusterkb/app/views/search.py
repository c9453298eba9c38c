"""Buscar lecciones: a query, filters by tag, country and language, and cited result cards."""

import streamlit as st

from clusterkb.app.i18n import t
from clusterkb.app.widgets import (
    country_label,
    lang_multiselect,
    open_kb_or_stop,
    render_passage,
    tag_multiselect,
)
from kb.models import FACETS, SearchFilters
from kb.retrieval.compare import available_countries
from kb.retrieval.search import search

st.header(t("search_title"))
st.caption(t("search_intro"))
query = st.text_input(
    t("query"), key="search_query", placeholder=t("query_placeholder"), persist_state="session"
)
# The box comes first: a query can be typed while the server's start-up load still runs.
with st.spinner(t("kb_loading")):
    kb = open_kb_or_stop()
with st.expander(t("filters"), expanded=True):
    left, middle, right = st.columns(3)
    countries = left.multiselect(
        t("country"),
        available_countries(kb),
        format_func=country_label,
        key="search_countries",
        persist_state="session",
        placeholder=t("any"),
        select_all=False,  # its "Select all" is English-only
    )
    with middle:
        langs = lang_multiselect(kb, "search_langs")
    k = right.slider(t("how_many"), 1, 20, 8, key="search_k", persist_state="session")
    tags: dict[str, list[str]] = {}
    for facet, holder in zip(FACETS, st.columns(len(FACETS)), strict=True):
        with holder:
            tags[facet] = tag_multiselect(facet, f"search_{facet}")

if not query.strip():
    st.info(t("search_empty_query"))
    st.stop()

filters = SearchFilters(
    countries=tuple(countries),
    langs=tuple(langs),
    tags={facet: tuple(ids) for facet, ids in tags.items() if ids},
)

with st.spinner(t("searching")):
    hits = search(kb, query, k=k, filters=filters)
if not hits:
    st.warning(t("no_results"))
else:
    st.caption(t("results_count", n=len(hits)))
    for hit in hits:
        render_passage(hit.passage, "search", highlights=hit.highlights, query=query)
