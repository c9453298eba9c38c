"""The evidence map as a Plotly heatmap: counts in blue, gaps in their own colour, clickable."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go

from kb.retrieval.evidence_map import EvidenceMap

GAP_COLOUR = "#f2c4c4"
# Light to mid blue: the dark digits stay readable on every cell, selected or not.
SCALE = [[0.0, "#e3eefa"], [1.0, "#4f8fd0"]]
INK = "#1f1f1f"
GAP_MARK = "∅"


def plain(label: str) -> str:
    """A label Plotly shows as text: its pseudo-HTML (`<b>`, `<a href>`) is escaped away."""
    return html.escape(label, quote=False)


def heatmap(
    emap: EvidenceMap,
    row_label: Callable[[str], str],
    col_label: Callable[[str], str],
    hover: str,
    gap_hover: str,
) -> go.Figure:
    """Heatmap of passage counts; every cell also carries a (nearly invisible) selectable point.

    Plotly cannot select heatmap cells, so a scatter trace on the cell centres takes the
    clicks; its `customdata` holds the (row id, col id) of the cell.
    """
    xs = [plain(col_label(c)) for c in emap.cols]
    ys = [plain(row_label(r)) for r in emap.rows]
    counts = [[emap.count(r, c) or None for c in emap.cols] for r in emap.rows]
    gaps = [[1 if not emap.count(r, c) else None for c in emap.cols] for r in emap.rows]
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(
            x=xs,
            y=ys,
            z=gaps,
            colorscale=[[0, GAP_COLOUR], [1, GAP_COLOUR]],
            showscale=False,
            hoverinfo="skip",
            xgap=2,
            ygap=2,
        )
    )
    fig.add_trace(
        go.Heatmap(x=xs, y=ys, z=counts, colorscale=SCALE, hoverinfo="skip", xgap=2, ygap=2)
    )
    points = [(r, c) for r in emap.rows for c in emap.cols]
    texts = [str(emap.count(r, c)) if emap.count(r, c) else GAP_MARK for r, c in points]
    fig.add_trace(
        go.Scatter(
            x=[plain(col_label(c)) for _, c in points],
            y=[plain(row_label(r)) for r, _ in points],
            mode="markers+text",
            text=texts,
            textfont={"color": INK},
            customdata=[[r, c] for r, c in points],
            marker={"size": 26, "symbol": "square", "color": "#000000", "opacity": 0},
            selected={"marker": {"opacity": 0.25}},
            unselected={"marker": {"opacity": 0}, "textfont": {"color": INK}},
            hovertemplate=[
                (hover if emap.count(r, c) else gap_hover) + "<extra></extra>" for r, c in points
            ],
            showlegend=False,
        )
    )
    fig.update_layout(
        height=max(320, 48 * len(ys) + 160),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={"side": "top", "tickangle": -30, "type": "category"},
        yaxis={"autorange": "reversed", "type": "category"},
    )
    return fig


def selected_cell(selection: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """The (row id, col id) of the first selected point of a chart selection, if any."""
    if not selection:
        return None
    points = selection.get("selection", {}).get("points", []) or []
    for point in points:
        data = point.get("customdata")
        if isinstance(data, list | tuple) and len(data) == 2:
            return str(data[0]), str(data[1])
    return None
