"""One immutable piece of the keyword index: the token counts of some passages.

A segment holds, for each stem it contains, the passages that contain it and how often
(term-major postings, like a compressed sparse column matrix), plus each passage's length and
filter fields. It stores counts only, never BM25 scores: scores depend on statistics over the
whole index (passages, average length, passages per stem), which change with every added or
removed passage, so they are applied when a query is scored. Adding passages is then writing
a small new segment, and the old ones stay as they are.

Stems are kept sorted in every segment, so merging segments is a linear pass over their
postings (a stem's id in the merged vocabulary keeps the order it had in each part).
"""

from __future__ import annotations

import mmap
import os
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from kb.storage.keyword_ids import sorted_keys
from kb.storage.keyword_rows import LexicalRow, row_from_line, row_line

T = TypeVar("T")

IDS_FILE = "ids.txt"
ROWS_FILE = "rows.jsonl"
WORDS_FILE = "words.txt"
ARRAYS = ("indptr", "docs", "tfs", "lengths")
"""The numeric parts of a segment, one .npy file each (memory-mapped when read)."""
KEYS = ("keys", "order")
"""The segment's ids sorted as bytes and their local positions (`keyword_ids`); segments
written before these existed get them at the next save."""


class Lazy(Generic[T]):
    """A value computed on first use (rows and stems are only parsed when a search needs them)."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make: Callable[[], T] | None = make
        self._value: T | None = None

    @classmethod
    def of(cls, value: T) -> Lazy[T]:
        lazy = cls(lambda: value)
        lazy._value, lazy._make = value, None
        return lazy

    def get(self) -> T:
        if self._make is not None:
            self._value = self._make()
            self._make = None
        return self._value  # type: ignore[return-value]


@dataclass(eq=False)
class Segment:
    """Token counts of some passages; local passage i is `ids[i]`, stem t is `words[t]`."""

    ids_: Lazy[list[str]]
    lines: Lazy[list[bytes]]
    """Each passage's filter fields as one JSON line (merges copy lines without parsing)."""
    words_: Lazy[list[str]]
    indptr: np.ndarray
    """Postings of stem t are `docs[indptr[t]:indptr[t + 1]]` (ascending) and `tfs[...]`."""
    docs: np.ndarray
    tfs: np.ndarray
    lengths: np.ndarray
    """Tokens per passage (its BM25 document length)."""
    saved: tuple[Path, str] | None = None
    """(index folder, name) where this segment lies on disk, once written or read there."""
    keys_: Lazy[tuple[np.ndarray, np.ndarray]] | None = None
    """`keyword_ids.sorted_keys` of the ids (computed from them when not given)."""
    _rows: Lazy[list[LexicalRow]] = field(init=False)
    _tokens: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._rows = Lazy(lambda: [row_from_line(line) for line in self.lines.get()])
        if self.keys_ is None:
            self.keys_ = Lazy(lambda: sorted_keys(self.ids))

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def ids(self) -> list[str]:
        return self.ids_.get()

    @property
    def keys(self) -> tuple[np.ndarray, np.ndarray]:
        """(the ids sorted as bytes, the local position of each)."""
        return self.keys_.get()  # type: ignore[union-attr]

    @property
    def tokens(self) -> int:
        """Sum of the lengths of its passages."""
        if self._tokens is None:
            self._tokens = int(np.asarray(self.lengths, dtype=np.int64).sum())
        return self._tokens

    @property
    def words(self) -> list[str]:
        return self.words_.get()

    @property
    def rows(self) -> list[LexicalRow]:
        return self._rows.get()

    def term(self, word: str) -> int | None:
        """Local id of `word`, None when no passage of this segment has it."""
        words = self.words
        at = _bisect(words, word)
        return at if at < len(words) and words[at] == word else None

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = int(self.indptr[term]), int(self.indptr[term + 1])
        return self.docs[start:end], self.tfs[start:end]


def _bisect(words: list[str], word: str) -> int:
    lo, hi = 0, len(words)
    while lo < hi:
        mid = (lo + hi) // 2
        if words[mid] < word:
            lo = mid + 1
        else:
            hi = mid
    return lo


def segment_of(entries: Sequence[tuple[LexicalRow, array[int]]], vocab: dict[str, int]) -> Segment:
    """The segment of `entries` (filter fields and stem ids into `vocab`), in their order."""
    n = len(entries)
    lengths = np.fromiter((len(ids) for _, ids in entries), dtype=np.int64, count=n)
    flat = np.empty(int(lengths.sum()), dtype=np.int64)
    at = 0
    for _, ids in entries:
        flat[at : at + len(ids)] = np.frombuffer(ids, dtype=np.uint32)
        at += len(ids)
    by_id = [""] * len(vocab)
    for word, i in vocab.items():
        by_id[i] = word
    used = np.unique(flat)
    words = sorted(by_id[i] for i in used.tolist())
    rank = np.zeros(len(vocab), dtype=np.int64)
    rank[np.fromiter((vocab[w] for w in words), dtype=np.int64, count=len(words))] = np.arange(
        len(words)
    )
    return segment_of_tokens(
        [row.id for row, _ in entries],
        [row_line(row) for row, _ in entries],
        rank[flat],
        lengths,
        words,
    )


def segment_of_tokens(
    ids: list[str], lines: list[bytes], tokens: np.ndarray, lengths: np.ndarray, words: list[str]
) -> Segment:
    """The segment of passages `ids` whose stems, passage after passage, are `tokens`: positions
    in the sorted `words` (`lengths[i]` of them for passage i). Words no passage uses are left out.
    """
    n = len(ids)
    tokens = np.asarray(tokens, dtype=np.int64)
    present = np.bincount(tokens, minlength=len(words)) > 0
    if not present.all():
        tokens = (np.cumsum(present) - 1)[tokens]
        words = [w for w, keep in zip(words, present.tolist(), strict=True) if keep]
    doc_of = np.repeat(np.arange(n, dtype=np.int64), lengths)
    keys, counts = np.unique(tokens * max(n, 1) + doc_of, return_counts=True)
    terms, docs = np.divmod(keys, max(n, 1))
    indptr = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, minlength=len(words)), out=indptr[1:])
    return Segment(
        ids_=Lazy.of(ids),
        lines=Lazy.of(lines),
        words_=Lazy.of(words),
        indptr=indptr,
        docs=docs.astype(np.int32),
        tfs=_counts(counts),
        lengths=np.asarray(lengths).astype(np.int32),
    )


def _counts(values: np.ndarray) -> np.ndarray:
    """Term counts in the narrowest type that holds them exactly."""
    return values.astype(np.uint16 if values.size == 0 or values.max() < 2**16 else np.uint32)


def merged(parts: Sequence[tuple[Segment, np.ndarray]]) -> Segment:
    """One segment holding the passages of `parts` that are not deleted, in part order.

    Each part is (segment, its deleted local positions). Linear in the postings: no sort.
    """
    words = sorted(set().union(*(seg.words for seg, _ in parts)))
    where = {word: i for i, word in enumerate(words)}
    kept: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    totals = np.zeros(len(words), dtype=np.int64)
    ids: list[str] = []
    lines: list[bytes] = []
    lengths: list[np.ndarray] = []
    offset = 0
    for seg, deleted in parts:
        live = np.ones(len(seg), dtype=bool)
        live[deleted] = False
        renumber = np.cumsum(live) - 1 + offset
        offset += int(live.sum())
        seg_lines = seg.lines.get()
        ids.extend(pid for pid, keep in zip(seg.ids, live.tolist(), strict=True) if keep)
        lines.extend(line for line, keep in zip(seg_lines, live.tolist(), strict=True) if keep)
        lengths.append(np.asarray(seg.lengths)[live])
        remap = np.fromiter((where[w] for w in seg.words), dtype=np.int64, count=len(seg.words))
        terms = np.repeat(remap, np.diff(np.asarray(seg.indptr)))
        docs = np.asarray(seg.docs)
        keep_posting = live[docs]
        terms = terms[keep_posting]
        kept.append((terms, renumber[docs[keep_posting]], np.asarray(seg.tfs)[keep_posting]))
        totals += np.bincount(terms, minlength=len(words))
    indptr = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(totals, out=indptr[1:])
    size = int(indptr[-1])
    out_docs = np.empty(size, dtype=np.int32)
    out_tfs = np.empty(size, dtype=np.uint32)
    cursor = indptr[:-1].copy()
    for terms, docs, tfs in kept:
        # Postings of one stem are contiguous and in passage order within a part: each goes
        # after what earlier parts put under the same stem.
        counts = np.bincount(terms, minlength=len(words))
        starts = np.zeros(len(words), dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        at = cursor[terms] + (np.arange(len(terms), dtype=np.int64) - starts[terms])
        out_docs[at] = docs
        out_tfs[at] = tfs
        cursor += counts
    used = np.flatnonzero(totals)
    if len(used) < len(words):  # stems only deleted passages had
        words = [words[i] for i in used.tolist()]
        indptr = np.concatenate([[0], np.cumsum(totals[used])]).astype(np.int64)
    return Segment(
        ids_=Lazy.of(ids),
        lines=Lazy.of(lines),
        words_=Lazy.of(words),
        indptr=indptr,
        docs=out_docs,
        tfs=_counts(out_tfs),
        lengths=np.concatenate(lengths).astype(np.int32) if lengths else np.zeros(0, np.int32),
    )


def write_segment(segment: Segment, folder: Path) -> None:
    """Write `segment`'s files into the new folder `folder`, each synced to disk."""
    folder.mkdir(parents=True)
    _write(folder / IDS_FILE, "\n".join(segment.ids).encode("utf-8"))
    _write(folder / ROWS_FILE, b"\n".join(segment.lines.get()))
    # Stems never hold a newline (they are words).
    _write(folder / WORDS_FILE, "\n".join(segment.words).encode("utf-8"))
    for name in ARRAYS:
        _write_array(folder / f"{name}.npy", np.asarray(getattr(segment, name)))
    write_keys(segment, folder)


def write_keys(segment: Segment, folder: Path) -> None:
    """Write the segment's sorted ids into `folder` (each file complete before it is named, so
    a reader of an older segment finds them whole or not at all)."""
    for name, values in zip(KEYS, segment.keys, strict=True):
        tmp = folder / f"{name}.npy.tmp"
        _write_array(tmp, np.asarray(values))
        os.replace(tmp, folder / f"{name}.npy")


def has_keys(folder: Path) -> bool:
    return all((folder / f"{name}.npy").exists() for name in KEYS)


def _write_array(path: Path, values: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, values)
        fh.flush()
        os.fsync(fh.fileno())


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def read_segment(folder: Path, name: str) -> Segment:
    """The segment written at `folder / name`, its arrays memory-mapped.

    Every file is opened (mapped) here, so a writer that later deletes the folder after a
    merge does not pull it from under this reader; rows and stems are parsed on first use.
    """
    where = folder / name
    ids_blob = _mapped(where / IDS_FILE)
    rows_blob = _mapped(where / ROWS_FILE)
    words_blob = _mapped(where / WORDS_FILE)
    arrays = {n: np.load(where / f"{n}.npy", mmap_mode="r", allow_pickle=False) for n in ARRAYS}
    if len(arrays["docs"]) != int(arrays["indptr"][-1]):
        raise ValueError(f"keyword index segment {name} is inconsistent")
    keys: Lazy[tuple[np.ndarray, np.ndarray]] | None = None
    if has_keys(where):
        found = [np.load(where / f"{n}.npy", mmap_mode="r", allow_pickle=False) for n in KEYS]
        if not len(found[0]) == len(found[1]) == len(arrays["lengths"]):
            raise ValueError(f"keyword index segment {name} is inconsistent")
        keys = Lazy.of((found[0], found[1]))
    passages = len(arrays["lengths"])
    if (bytes(ids_blob).count(b"\n") + 1 if len(ids_blob) else 0) != passages:
        raise ValueError(f"keyword index segment {name} is inconsistent")

    def ids() -> list[str]:
        # Decoded on first use: an update finds what changed from the sorted keys alone.
        decoded = _split(ids_blob)
        if len(decoded) != passages:
            raise ValueError(f"keyword index segment {name} is inconsistent")
        return decoded

    return Segment(
        ids_=Lazy(ids),
        lines=Lazy(lambda: bytes(rows_blob).split(b"\n") if len(rows_blob) else []),
        words_=Lazy(lambda: _split(words_blob)),
        saved=(folder, name),
        keys_=keys,
        **arrays,
    )


def _split(blob: bytes | mmap.mmap) -> list[str]:
    return bytes(blob).decode("utf-8").split("\n") if len(blob) else []


def _mapped(path: Path) -> bytes | mmap.mmap:
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return b""
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


def read_deleted(path: Path) -> np.ndarray:
    deleted = np.load(path, allow_pickle=False)
    return np.asarray(deleted, dtype=np.int64)


def write_deleted(deleted: np.ndarray, path: Path) -> None:
    with open(path, "wb") as fh:
        np.save(fh, np.asarray(deleted, dtype=np.int32))
        fh.flush()
        os.fsync(fh.fileno())
