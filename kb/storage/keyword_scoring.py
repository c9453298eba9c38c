"""BM25 scores from token counts and index-wide statistics, computed when a query is scored.

The formulas and the order of floating-point operations are those of bm25s's default method
(Lucene IDF, k1 = 1.5, b = 0.75, float32 scores summed stem by stem), so an index built from
segments scores exactly as one bm25s index over the same passages did: the statistics are
integer counts, equal however the passages were split into segments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

K1 = 1.5
B = 0.75


@dataclass(frozen=True)
class Stats:
    """What BM25 needs to know about the whole index."""

    passages: int
    tokens: int
    """Sum of the lengths of all passages."""

    @property
    def average_length(self) -> np.float64:
        return np.float64(self.tokens) / self.passages


def idf(df: int, passages: int) -> np.float32:
    """Lucene's IDF of a stem in `df` of `passages` passages (bm25s keeps it in float32)."""
    return np.float32(math.log(1 + (passages - df + 0.5) / (df + 0.5)))


def length_norms(lengths: np.ndarray, stats: Stats) -> np.ndarray:
    """k1 · (1 − b + b · length / average length) per passage, in float64."""
    return K1 * ((1 - B) + B * np.asarray(lengths, dtype=np.float64) / stats.average_length)


def contributions(weight: np.float32, tfs: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """One stem's score in the passages holding it (`tfs` counts, `norms` their length norms)."""
    tf = np.asarray(tfs, dtype=np.float64)
    return (np.float64(weight) * (tf / (norms + tf))).astype(np.float32)


def document_frequency(postings: Sequence[tuple[np.ndarray, np.ndarray | None]]) -> int:
    """Live passages holding a stem, from its postings in each segment (with that segment's
    live mask, None when nothing in it is deleted)."""
    total = 0
    for docs, live in postings:
        total += len(docs) if live is None else int(np.count_nonzero(live[docs]))
    return total
