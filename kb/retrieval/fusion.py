"""Reciprocal rank fusion: merge ranked lists without comparing their raw scores."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[str]],
    k: int = 60,
    weights: Mapping[str, float] | None = None,
) -> list[tuple[str, float]]:
    """Fused (id, score) list, best first; ties broken by id so the result is deterministic.

    Each list contributes `weight / (k + rank)` for every id it ranks (rank from 1).
    """
    parts: dict[str, list[float]] = {}
    for name, ranked in rankings.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        for rank, item in enumerate(dict.fromkeys(ranked), start=1):
            parts.setdefault(item, []).append(weight / (k + rank))
    # fsum: the total must not depend on the order the rankers were given in.
    scores = {item: math.fsum(values) for item, values in parts.items()}
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
