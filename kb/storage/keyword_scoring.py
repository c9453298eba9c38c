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
    # weight · tf / (norm + tf), in place: the same operations in the same order, fewer copies
    part = norms + tf
    np.divide(tf, part, out=part)
    part *= np.float64(weight)
    return part.astype(np.float32)


def document_frequency(postings: Sequence[tuple[np.ndarray, np.ndarray | None]]) -> int:
    """Live passages holding a stem, from its postings in each segment (with that segment's
    live mask, None when nothing in it is deleted)."""
    total = 0
    for docs, live in postings:
        total += len(docs) if live is None else int(np.count_nonzero(live[docs]))
    return total


def best_positions(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions scoring at least the `n`-th best positive score (all positive ones when fewer
    are), ascending.

    A few passes over `scores` find a floor that at least `n` positions reach; only those
    are partitioned, rather than every passage of the index.
    """
    smallest = np.nextafter(np.float32(0), np.float32(1))
    top = scores.max(initial=np.float32(0))
    if top <= 0 or n <= 0:
        return np.zeros(0, dtype=np.int64)
    floor = smallest
    for share in (4, 16, 64, 256):
        if np.count_nonzero(scores >= top / np.float32(share)) >= n:
            floor = max(top / np.float32(share), smallest)
            break
    candidates = np.flatnonzero(scores >= floor)
    values = scores[candidates]
    cut = values.min() if len(values) <= n else np.partition(values, len(values) - n)[-n]
    return candidates[values >= max(cut, smallest)]
