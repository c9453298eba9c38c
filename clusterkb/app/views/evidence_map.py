"""Mapa de evidencia: passages at the crossing of two dimensions; empty cells are the gaps."""

import streamlit as st

from clusterkb.app.evidence_chart import heatmap, selected_cell
from clusterkb.app.i18n import lang, t
from clusterkb.app.resources import get_taxonomy
from clusterkb.app.widgets import country_label, lang_multiselect, open_kb_or_stop, render_passage
from kb.retrieval.evidence_map import build_map
from kb.retrieval.translations import passage_keys

ROW_DIMS = ("problem", "instrument", "country")
COL_DIMS = ("outcome", "instrument", "country", "evidence")

st.header(t("map_title"))
st.caption(t("map_intro"))
with st.spinner(t("kb_loading")):  # only while the server's start-up load is still running
    kb = open_kb_or_stop()
taxonomy = get_taxonomy()


def dim_label(dim: str) -> str:
    return t("dim_country") if dim == "country" else taxonomy.facet_label(dim, lang())


def value_label(dim: str, value: str) -> str:
    return country_label(value) if dim == "country" else taxonomy.label(dim, value, lang())


def pick_cell(chart_key: str) -> None:
    """Chart callback: a clicked cell becomes the choice of the two selectboxes below."""
    cell = selected_cell(st.session_state.get(chart_key))
    if cell is not None:
        st.session_state["map_row"], st.session_state["map_col"] = cell


rows = kb.lexical.rows
if not rows:
    st.info(t("kb_empty"))
    st.stop()

left, middle, right, langs_holder = st.columns(4)
with left:
    rows_dim = st.selectbox(
        t("map_rows"), ROW_DIMS, format_func=dim_label, key="map_rows", persist_state="session"
    )
col_dims = [d for d in COL_DIMS if d != rows_dim]
if st.session_state.get("map_cols") not in col_dims:
    st.session_state["map_cols"] = col_dims[0]
with middle:
    cols_dim = st.selectbox(
        t("map_cols"), col_dims, format_func=dim_label, key="map_cols", persist_state="session"
    )
with right:
    countries = st.multiselect(
        t("country"),
        sorted({c for r in rows for c in r.countries}),
        format_func=country_label,
        key="map_countries",
        persist_state="session",
        placeholder=t("any"),
        select_all=False,  # its "Select all" is English-only
    )

with langs_holder:
    langs = lang_multiselect(kb, "map_langs")

# A passage and its translation count once.
emap = build_map(
    rows, rows_dim, cols_dim, taxonomy, countries, langs, passage_keys(kb.manifest.docs)
)
figure = heatmap(
    emap,
    lambda r: value_label(rows_dim, r),
    lambda c: value_label(cols_dim, c),
    t("map_hover"),
    t("map_hover_gap"),
)
chart_key = f"map_chart_{rows_dim}_{cols_dim}_{'|'.join(countries)}_{'|'.join(langs)}"
st.plotly_chart(
    figure,
    key=chart_key,
    on_select=lambda: pick_cell(chart_key),
    selection_mode="points",
    config={"displaylogo": False},
)

st.caption(t("map_legend"))

st.subheader(t("map_cell"))
if st.session_state.get("map_row") not in emap.rows:
    st.session_state["map_row"] = None
if st.session_state.get("map_col") not in emap.cols:
    st.session_state["map_col"] = None
pick_row, pick_col = st.columns(2)
with pick_row:
    row = st.selectbox(
        dim_label(rows_dim),
        emap.rows,
        index=None,
        format_func=lambda r: value_label(rows_dim, r),
        key="map_row",
        placeholder=t("choose"),
    )
with pick_col:
    col = st.selectbox(
        dim_label(cols_dim),
        emap.cols,
        index=None,
        format_func=lambda c: value_label(cols_dim, c),
        key="map_col",
        placeholder=t("choose"),
    )
if row is None or col is None:
    st.info(t("map_pick"))
else:
    ids = emap.cells[(row, col)]
    if not ids:
        st.warning(t("cell_gap"))
    else:
        st.caption(t("cell_count", n=len(ids)))
        for passage in kb.passages(list(ids)):
            render_passage(passage, "map", max_chars=700)

st.subheader(t("no_evidence"))
gaps = emap.gaps()
st.caption(t("gaps_count", n=len(gaps), total=len(emap.cells)))
if gaps:
    st.dataframe(
        [
            {
                dim_label(rows_dim): value_label(rows_dim, r),
                dim_label(cols_dim): value_label(cols_dim, c),
            }
            for r, c in gaps
        ],
        hide_index=True,
        width="stretch",
    )
