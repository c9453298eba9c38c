"""A passage's fingerprint: MinHash over its word shingles.

A label given to a whole passage must find that passage again after a re-ingest, and notice
when the chunker has cut it differently, without the label file holding the passage's text
(the reports' licences forbid copying it). Two fingerprints agree on about the share of
shingles the two texts have in common (their Jaccard similarity).
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import blake2b

HASHES = 32
SHINGLE = 3


def fingerprint(words: Sequence[str]) -> str:
    """`HASHES` minima of salted shingle hashes, as hex ("" for a text without words)."""
    if not words:
        return ""
    n = min(SHINGLE, len(words))
    shingles = [" ".join(words[i : i + n]).encode() for i in range(len(words) - n + 1)]
    salts = [seed.to_bytes(4, "big") for seed in range(HASHES)]
    return " ".join(
        min(blake2b(s, digest_size=4, salt=salt).hexdigest() for s in shingles) for salt in salts
    )


def similarity(a: str, b: str) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets (0 when either is empty)."""
    left, right = a.split(), b.split()
    if not left or len(left) != len(right):
        return 0.0
    return sum(x == y for x, y in zip(left, right, strict=True)) / len(left)
