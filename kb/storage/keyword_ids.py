"""Passage ids as sorted byte arrays, so the keyword index finds what changed without Python
sets over every id.

Each segment saves its ids sorted (UTF-8 bytes, fixed width, memory-mapped when read) with
their local positions. The ids an update wants are encoded once into such an array; one stable
sort of it together with the segments' sorted arrays (a merge of sorted runs) pairs every id
held and wanted, and what stays unpaired is new or gone. UTF-8 bytes sort as the strings do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def encoded(ids: Sequence[str]) -> np.ndarray:
    """`ids` as a fixed-width bytes array (UTF-8), in their order."""
    if not len(ids):
        return np.zeros(0, dtype="S1")
    try:
        return np.array(ids, dtype="S")
    except UnicodeEncodeError:  # ASCII is the fast path; other ids are encoded one by one
        return np.array([pid.encode("utf-8") for pid in ids], dtype="S")


def sorted_keys(ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(ids sorted as bytes, the position in `ids` of each)."""
    raw = encoded(ids)
    order = np.argsort(raw, kind="stable")
    return raw[order], order.astype(np.int32)


def wanted_keys(ids: Sequence[str]) -> np.ndarray:
    """`ids` encoded, sorted and without repeats (a sorted list costs no sort)."""
    raw = encoded(ids)
    if len(raw) > 1 and not bool((raw[1:] > raw[:-1]).all()):
        raw = np.unique(raw)
    return raw


def difference(
    wanted: np.ndarray, held: Sequence[tuple[np.ndarray, np.ndarray]]
) -> tuple[list[str], list[np.ndarray]]:
    """What to add and what to delete to hold exactly `wanted` (sorted unique keys).

    `held` gives, per segment, the sorted keys of its live passages and their local positions;
    an id is live in at most one segment. Returns the ids of `wanted` no segment holds (sorted)
    and, per segment, the local positions of its passages `wanted` lacks.
    """
    arrays = [wanted, *(keys for keys, _ in held)]
    sizes = np.array([len(a) for a in arrays], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    every = np.concatenate(arrays)
    # A stable sort of sorted runs is a merge; equal ids land side by side.
    order = np.argsort(every, kind="stable")
    ranked = every[order]
    same = ranked[1:] == ranked[:-1]
    paired = np.zeros(len(ranked), dtype=bool)
    paired[1:] |= same
    paired[:-1] |= same
    alone = np.sort(order[~paired])  # by source array, then by position in it
    source = np.searchsorted(starts, alone, side="right") - 1
    new = [key.decode("utf-8") for key in every[alone[source == 0]].tolist()]
    gone = []
    for k, (_, local) in enumerate(held, start=1):
        at = alone[source == k] - starts[k]
        gone.append(np.sort(np.asarray(local)[at]).astype(np.int64))
    return new, gone


def lookup(keys: np.ndarray, order: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The passages whose sorted `keys` (with local positions `order`) are among the keys
    `wanted`: their local positions and ids. Costs a binary search per wanted id."""
    if not len(keys) or not len(wanted):
        return np.zeros(0, dtype=np.int64), []
    at = np.searchsorted(keys, wanted)
    inside = at < len(keys)
    at, probe = at[inside], wanted[inside]
    hit = np.asarray(keys[at]) == probe
    found = [key.decode("utf-8") for key in probe[hit].tolist()]
    return np.asarray(order)[at[hit]].astype(np.int64), found
