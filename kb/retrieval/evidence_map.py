"""The evidence map: passage counts at the crossing of two dimensions; empty cells are the gaps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kb.retrieval.translations import once_each
from kb.storage.keyword_rows import LexicalRow
from kb.tags.taxonomy import Taxonomy

DIMENSIONS = ("problem", "instrument", "outcome", "evidence", "country")


@dataclass(frozen=True)
class EvidenceMap:
    rows_dim: str
    cols_dim: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    cells: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    """(row, col) -> passage ids; every pair of `rows` x `cols` is present, gaps as ()."""

    def count(self, row: str, col: str) -> int:
        return len(self.cells[(row, col)])

    def gaps(self) -> list[tuple[str, str]]:
        return [key for key, ids in self.cells.items() if not ids]

    def to_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows_dim,
            "cols": self.cols_dim,
            "row_values": list(self.rows),
            "col_values": list(self.cols),
            "cells": [
                {"row": r, "col": c, "count": len(ids), "passages": list(ids)}
                for (r, c), ids in self.cells.items()
            ],
        }


def _values(row: LexicalRow, dim: str) -> list[str]:
    if dim == "country":  # a passage about two countries counts for each
        return list(row.countries)
    return list(row.tags.get(dim, ()))


def build_map(
    rows: Iterable[LexicalRow],
    rows_dim: str,
    cols_dim: str,
    taxonomy: Taxonomy,
    countries: Sequence[str] = (),
    langs: Sequence[str] = (),
    same: Mapping[str, str] | None = None,
) -> EvidenceMap:
    """Cross `rows_dim` with `cols_dim` over passages (optionally only from `countries`, only
    in `langs`). `same` maps passage ids to the key they share with their translations
    (`kb.retrieval.translations.passage_keys`): a cell counts a passage and its translation
    once."""
    for dim in (rows_dim, cols_dim):
        if dim not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dim!r}; choose from {', '.join(DIMENSIONS)}")
    if rows_dim == cols_dim:
        raise ValueError("rows and columns must be different dimensions")
    # Tables of contents, acronym and reference lists are evidence of nothing.
    chosen = [
        r
        for r in rows
        if r.is_body
        and (not countries or set(r.countries) & set(countries))
        and (not langs or r.lang in langs)
    ]

    def axis(dim: str) -> tuple[str, ...]:
        if dim == "country":
            present = sorted({c for r in chosen for c in r.countries})
            return tuple(countries) if countries else tuple(present)
        return tuple(taxonomy.tag_ids(dim))

    row_values, col_values = axis(rows_dim), axis(cols_dim)
    cells: dict[tuple[str, str], list[str]] = {(r, c): [] for r in row_values for c in col_values}
    for row in chosen:
        for r in _values(row, rows_dim):
            for c in _values(row, cols_dim):
                if (r, c) in cells:
                    cells[(r, c)].append(row.id)
    return EvidenceMap(
        rows_dim,
        cols_dim,
        row_values,
        col_values,
        {key: tuple(once_each(sorted(ids), same or {})) for key, ids in cells.items()},
    )
