"""When the keyword index merges its segments: rarely enough that an add stays cheap, often
enough that a query visits few segments and deleted passages do not pile up.

Segments are kept from oldest (largest) to newest; the newest two merge while the newest is
at least 1/FACTOR of the one before. Sizes then fall geometrically, so a store of n passages
has about log_FACTOR(n) segments and each passage is rewritten about that many times over
its life. A segment whose passages are mostly deleted is rewritten without them.
"""

from __future__ import annotations

from collections.abc import Sequence

FACTOR = 4


def merge_plan(live: Sequence[int], deleted: Sequence[int]) -> list[list[int]]:
    """Groups of segment positions to merge, each into one segment placed where its first
    member was. `live` and `deleted` count each segment's passages."""
    groups: list[list[int]] = [[i] for i in range(len(live))]
    sizes = list(live)
    while len(sizes) >= 2 and sizes[-1] * FACTOR >= sizes[-2]:
        last = groups.pop()
        groups[-1].extend(last)
        newest = sizes.pop()
        sizes[-1] += newest
    return [
        group
        for group in groups
        if len(group) > 1 or (deleted[group[0]] and deleted[group[0]] >= live[group[0]])
    ]
