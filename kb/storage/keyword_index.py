"""BM25 over stemmed Spanish, English and Portuguese words, saved beside the vector store.

The index is a list of immutable segments (`keyword_segment`), each holding the token counts of
some passages, plus the passages deleted from each (tombstones). BM25 statistics (passages,
average length, passages per stem) are counts summed over the segments when a query is scored,
so adding a report writes one small segment and a new list, and scores stay those of an index
built over the same passages in one go. Segments merge now and then (`keyword_merging`).

On disk: a folder of segment folders and tombstone files, and `segments.json`, the list of what
is current. Writing is crash-safe: new files go beside the current ones under new names, then
the list is replaced in one rename (the commit), then files it no longer names are deleted. A
reader maps every file the list names as it opens it, so a later delete does not pull them away;
one that raced a commit while opening retries.

Indexes saved by earlier versions (one bm25s folder) are read and converted at the next write.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TypeVar

import numpy as np

from kb.files import fsync_folder
from kb.models import Passage, SearchFilters
from kb.storage.keyword_ids import difference, lookup, wanted_keys
from kb.storage.keyword_merging import merge_plan
from kb.storage.keyword_rows import ROWS_FILE, LexicalRow, rows_and_tokens, tokenised
from kb.storage.keyword_scoring import (
    Stats,
    best_positions,
    contributions,
    document_frequency,
    idf,
    length_norms,
)
from kb.storage.keyword_segment import (
    Segment,
    has_keys,
    merged,
    read_deleted,
    read_segment,
    segment_of,
    write_deleted,
    write_keys,
    write_segment,
)
from kb.textnorm import query_stems

T = TypeVar("T")
LOAD_ATTEMPTS = 5
HEAD_FILE = "segments.json"
FORMAT = 2
BUILD_CHUNK = 50_000
"""Passages stemmed into one segment at a time by a full build (bounds its memory)."""

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Part:
    """A segment as the index sees it: with the local positions of its deleted passages."""

    segment: Segment
    deleted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    deleted_file: str | None = None
    """The tombstone file in the segment's folder holding exactly `deleted`, once written."""

    @property
    def live(self) -> int:
        return len(self.segment) - len(self.deleted)

    def live_mask(self) -> np.ndarray | None:
        """Which local passages are not deleted; None when none is."""
        if not len(self.deleted):
            return None
        mask = np.ones(len(self.segment), dtype=bool)
        mask[self.deleted] = False
        return mask

    @property
    def live_tokens(self) -> int:
        lengths = np.asarray(self.segment.lengths)
        return self.segment.tokens - int(lengths[self.deleted].astype(np.int64).sum())

    def live_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """The sorted ids of the live passages (as bytes) and their local positions."""
        keys, order = self.segment.keys
        mask = self.live_mask()
        if mask is None:
            return keys, order
        alive = mask[order]
        return np.asarray(keys)[alive], np.asarray(order)[alive]


class LexicalIndex:
    """The keyword index: its segments, their statistics, and the filterable fields of rows."""

    def __init__(
        self,
        parts: Sequence[Part] = (),
        allowed: np.ndarray | None = None,
        *,
        legacy: bool = False,
    ) -> None:
        self.parts = tuple(p for p in parts if p.live > 0)
        self.legacy = legacy
        """Read from an index saved by an earlier version (the next write converts it)."""
        sizes = [len(p.segment) for p in self.parts]
        self._offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._allowed = allowed
        """Global positions a search may return (None: every live one); see `restricted`."""
        # Per-segment sums: nothing here reads every passage, so an update stays cheap.
        self.stats = Stats(sum(p.live for p in self.parts), sum(p.live_tokens for p in self.parts))
        self._masks_: list[np.ndarray | None] | None = None
        self._live_: np.ndarray | None = None
        self._all_ids: list[str] | None = None
        self._sorted: list[int] | None = None
        self._norms: list[np.ndarray] | None = None
        self._columns: dict[str, np.ndarray] | None = None
        self._df: dict[str, int] = {}
        """Live passages holding each stem queried so far (the index never changes)."""

    @property
    def _masks(self) -> list[np.ndarray | None]:
        if self._masks_ is None:
            self._masks_ = [p.live_mask() for p in self.parts]
        return self._masks_

    @property
    def _live(self) -> np.ndarray:
        """Which global positions are not deleted."""
        if self._live_ is None:
            sizes = [len(p.segment) for p in self.parts]
            self._live_ = (
                np.concatenate(
                    [
                        np.ones(n, bool) if m is None else m
                        for n, m in zip(sizes, self._masks, strict=True)
                    ]
                )
                if self.parts
                else np.zeros(0, dtype=bool)
            )
        return self._live_

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def build(cls, passages: Iterable[Passage]) -> LexicalIndex:
        """Index `passages` into one segment (a full rebuild). They may stream from the store:
        they are stemmed a chunk at a time, so a large store is never held in memory at once."""
        segments = list(_segments(passages))
        if len(segments) > 1:
            segments = [merged([(s, np.zeros(0, dtype=np.int64)) for s in segments])]
        return cls([Part(s) for s in segments])

    @classmethod
    def updated(
        cls,
        saved_at: Path,
        ids: Iterable[str],
        fetch: Callable[[list[str]], Iterable[Passage]],
    ) -> LexicalIndex:
        """The index over `ids`: the one saved at `saved_at` with passages no longer in `ids`
        deleted and those new to it fetched, stemmed and added as a segment.

        The cost is that of the new passages (and of listing the saved ids), not of the store.
        Without a usable saved index, everything is fetched.
        """
        wanted = ids if isinstance(ids, list) else list(ids)
        saved = cls.load(saved_at)
        if saved is None:
            if saved_at.exists():
                log.warning("keyword index unreadable: rebuilding it from the stored passages")
            return cls.build(fetch(sorted(set(wanted))))
        if saved.legacy:
            log.warning("keyword index saved by an earlier version: converting it to segments")
        return saved.synced(wanted, fetch)

    def synced(
        self, ids: Sequence[str], fetch: Callable[[list[str]], Iterable[Passage]]
    ) -> LexicalIndex:
        """This index over exactly `ids`, fetching only the passages it does not hold.

        The ids are compared as sorted byte arrays (each segment saves its own), so no id the
        index holds is decoded and no Python object is made per passage.
        """
        new, gone = difference(wanted_keys(ids), [p.live_keys() for p in self.parts])
        return self._without(gone)._plus(fetch(new))._compacted()

    def with_passages(self, passages: Iterable[Passage]) -> LexicalIndex:
        """The index with the rows and stems of those of `passages` it holds replaced by
        theirs (tag and metadata edits); passages it does not hold are ignored."""
        given = {p.id: p for p in passages}
        probe = wanted_keys(list(given))
        gone, held = [], []
        for part in self.parts:
            local, found = lookup(*part.segment.keys, probe)
            live = ~np.isin(local, part.deleted)
            gone.append(np.sort(local[live]))
            held += [pid for pid, keep in zip(found, live.tolist(), strict=True) if keep]
        if not held:
            return LexicalIndex(self.parts)
        fresh = [given[pid] for pid in sorted(held)]
        return self._without(gone)._plus(fresh)._compacted()

    def _without(self, gone: Sequence[np.ndarray]) -> LexicalIndex:
        """The index with the passages at local positions `gone[k]` of part k deleted."""
        parts = []
        for part, local in zip(self.parts, gone, strict=True):
            if not len(local):
                parts.append(part)
                continue
            deleted = np.union1d(part.deleted, local).astype(np.int64)
            parts.append(Part(part.segment, deleted))
        return LexicalIndex(parts)

    def _plus(self, passages: Iterable[Passage]) -> LexicalIndex:
        added = [Part(s) for s in _segments(passages)]
        return LexicalIndex([*self.parts, *added]) if added else self

    def _compacted(self) -> LexicalIndex:
        """The index with the segments `merge_plan` picks merged."""
        groups = merge_plan([p.live for p in self.parts], [len(p.deleted) for p in self.parts])
        if not groups:
            return self
        replaced: dict[int, Part] = {}
        dropped: set[int] = set()
        for group in groups:
            members = [self.parts[i] for i in group]
            replaced[group[0]] = Part(merged([(p.segment, p.deleted) for p in members]))
            dropped.update(group[1:])
        parts = [replaced.get(i, p) for i, p in enumerate(self.parts) if i not in dropped]
        return LexicalIndex(parts)

    # -- what the index holds ---------------------------------------------------------------

    def _ids_by_position(self) -> list[str]:
        if self._all_ids is None:
            self._all_ids = list(chain.from_iterable(p.segment.ids for p in self.parts))
        return self._all_ids

    def _order(self) -> list[int]:
        """Global positions of the live passages, by passage id."""
        if self._sorted is None:
            ids = self._ids_by_position()
            self._sorted = sorted(np.flatnonzero(self._live).tolist(), key=ids.__getitem__)
        return self._sorted

    @property
    def ids(self) -> list[str]:
        """Ids of the passages the index holds, sorted."""
        keys = [keys for keys, _ in (p.live_keys() for p in self.parts)]
        if not keys:
            return []
        every = np.sort(np.concatenate(keys), kind="stable")
        return [key.decode("utf-8") for key in every.tolist()]

    @property
    def rows(self) -> list[LexicalRow]:
        """Filter fields of the passages the index holds, sorted by passage id."""
        rows = self._rows_by_position()
        return [rows[i] for i in self._order()]

    def _rows_by_position(self) -> list[LexicalRow]:
        return [row for p in self.parts for row in p.segment.rows]

    def __len__(self) -> int:
        return self.stats.passages

    def restricted(self, visible: frozenset[str] | set[str]) -> LexicalIndex:
        """The same index whose searches return only passages in `visible` (the committed ones).

        Between a document's commit and the index update at the end of an ingest, or after a
        crash in that window, the index may still hold passages the manifest no longer lists.
        """
        ids = self._ids_by_position()
        allowed = np.fromiter((pid in visible for pid in ids), dtype=bool, count=len(ids))
        allowed &= self._live
        view = LexicalIndex(
            self.parts, None if allowed.sum() == len(self) else allowed, legacy=self.legacy
        )
        view._all_ids, view._norms = self._all_ids, self._norms
        view._sorted, view._columns = self._sorted, self._columns
        view._masks_, view._live_, view._df = self._masks_, self._live_, self._df
        return view

    # -- searching ---------------------------------------------------------------------------

    def mask(self, filters: SearchFilters) -> np.ndarray | None:
        """Boolean mask over global positions for `filters` (None when nothing is filtered)."""
        if filters.is_empty():
            return None
        rows = self._rows_by_position()
        keep = np.ones(len(rows), dtype=bool)
        if filters.countries:
            wanted_countries = set(filters.countries)
            keep &= np.array([bool(wanted_countries.intersection(r.countries)) for r in rows])
        columns = self._filter_columns(rows)
        for name, wanted in (("lang", filters.langs), ("doc_id", filters.doc_ids)):
            if wanted:
                keep &= np.isin(columns[name], list(wanted))
        for facet, values in filters.tags.items():
            if values:
                wanted_tags = set(values)
                keep &= np.array(
                    [bool(wanted_tags.intersection(r.tags.get(facet, ()))) for r in rows],
                    dtype=bool,
                )
        return keep

    def _filter_columns(self, rows: list[LexicalRow]) -> dict[str, np.ndarray]:
        if self._columns is None:
            self._columns = {
                "lang": np.array([r.lang for r in rows], dtype=object),
                "doc_id": np.array([r.doc_id for r in rows], dtype=object),
            }
        return self._columns

    def scores(self, stems: Sequence[str]) -> np.ndarray | None:
        """BM25 score of every global position for the query `stems` (tombstoned positions
        score too: callers mask them); None when no stem is in any segment."""
        found = False
        scores = np.zeros(int(self._offsets[-1]), dtype=np.float32)
        for stem in dict.fromkeys(stems):
            terms = [p.segment.term(stem) for p in self.parts]
            if all(t is None for t in terms):
                continue
            found = True
            df = self._df.get(stem)
            if df is None:
                df = self._df[stem] = document_frequency(
                    [
                        (p.segment.postings(t)[0], m)
                        for p, t, m in zip(self.parts, terms, self._masks, strict=True)
                        if t is not None
                    ]
                )
            if df == 0:
                continue  # only deleted passages hold it: it weighs nothing, as in a rebuild
            weight = idf(df, self.stats.passages)
            for k, t in enumerate(terms):
                if t is None:
                    continue
                docs, tfs = self.parts[k].segment.postings(t)
                docs = np.asarray(docs)
                norms = self._length_norms(k)
                at = docs if k == 0 else self._offsets[k] + docs  # the first starts at 0
                scores[at] += contributions(weight, tfs, norms[docs])
        return scores if found else None

    def _length_norms(self, k: int) -> np.ndarray:
        if self._norms is None:
            self._norms = [length_norms(p.segment.lengths, self.stats) for p in self.parts]
        return self._norms[k]

    def search(self, query: str, n: int, filters: SearchFilters) -> list[tuple[str, float]]:
        """Best `n` passage ids for `query` by BM25 among those passing `filters`."""
        if not self.parts or n <= 0:
            return []
        scores = self.scores(query_stems(query))
        if scores is None:
            return []
        keep = self._allowed
        if keep is None and self.stats.passages < len(scores):
            keep = self._live
        wanted = self.mask(filters)
        if wanted is not None:
            keep = wanted if keep is None else keep & wanted
        if keep is not None:
            scores[~keep] = np.float32(0.0)
        # Every passage tied with the last one kept competes by id, so the cut does not
        # depend on how passages happen to be spread over segments.
        tied = best_positions(scores, n)
        ids = self._ids_at(tied)
        order = sorted(range(len(tied)), key=lambda j: (-scores[tied[j]], ids[j]))[:n]
        return [(ids[j], float(scores[tied[j]])) for j in order]

    def _ids_at(self, positions: np.ndarray) -> list[str]:
        """Ids of the passages at global `positions` (decodes only the segments they lie in)."""
        if self._all_ids is not None:
            return [self._all_ids[i] for i in positions.tolist()]
        part_of = np.searchsorted(self._offsets, positions, side="right") - 1
        local = positions - self._offsets[part_of]
        return [
            self.parts[k].segment.ids[i]
            for k, i in zip(part_of.tolist(), local.tolist(), strict=True)
        ]

    # -- disk --------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write what is new of the index into `path`, then switch `path` to it in one rename.

        Segments already in `path` are kept as they are; afterwards, files the new list does not
        name (an earlier version's index, segments merged away, leftovers of a crash) go.
        """
        path.mkdir(parents=True, exist_ok=True)
        entries = []
        for part in self.parts:
            segment = part.segment
            if not _lies_in(segment, path):
                name = f"seg-{secrets.token_hex(6)}"
                tmp = path / f"{name}.tmp"
                write_segment(segment, tmp)
                fsync_folder(tmp)
                os.replace(tmp, path / name)
                segment.saved = (path, name)
                part.deleted_file = None
            name = segment.saved[1]  # type: ignore[index]
            if not has_keys(path / name):  # written before segments saved their sorted ids
                write_keys(segment, path / name)
                fsync_folder(path / name)
            if len(part.deleted) and not (
                part.deleted_file and (path / part.deleted_file).exists()
            ):
                part.deleted_file = f"del-{name}-{secrets.token_hex(4)}.npy"
                write_deleted(part.deleted, path / part.deleted_file)
            entries.append(
                {
                    "name": name,
                    "passages": len(segment),
                    "deleted": part.deleted_file if len(part.deleted) else None,
                }
            )
        head = json.dumps({"format": FORMAT, "segments": entries}, indent=1).encode("utf-8")
        tmp_head = path / f"{HEAD_FILE}.tmp"
        with open(tmp_head, "wb") as fh:
            fh.write(head)
            fh.flush()
            os.fsync(fh.fileno())
        fsync_folder(path)
        os.replace(tmp_head, path / HEAD_FILE)  # the commit
        fsync_folder(path)
        named = {str(e["name"]) for e in entries} | {
            str(e["deleted"]) for e in entries if e["deleted"]
        }
        _delete_unnamed(path, named)

    @classmethod
    def load(cls, path: Path) -> LexicalIndex | None:
        """The saved index, or None when there is none (or only a damaged one).

        Never writes: readers run beside the writer.
        """
        head = path / HEAD_FILE
        for _ in range(LOAD_ATTEMPTS):
            before = _identity(head)
            if before is None:
                return _load_legacy(path)
            try:
                index: LexicalIndex | None = _read_head(path)
            except (OSError, ValueError, KeyError, TypeError, EOFError):
                index = None  # replaced while being read (retried), or damaged
            if before == _identity(head):
                return index
        return None


def _segments(passages: Iterable[Passage]) -> Iterator[Segment]:
    """Segments of at most BUILD_CHUNK passages each, in the order of `passages`."""
    vocab: dict[str, int] = {}
    chunk = []
    for entry in tokenised(passages, vocab):
        chunk.append(entry)
        if len(chunk) >= BUILD_CHUNK:
            yield segment_of(chunk, vocab)
            chunk = []
    if chunk:
        yield segment_of(chunk, vocab)


def _lies_in(segment: Segment, path: Path) -> bool:
    if segment.saved is None:
        return False
    folder, name = segment.saved
    return folder.resolve() == path.resolve() and (path / name).is_dir()


def _read_head(path: Path) -> LexicalIndex:
    head = json.loads((path / HEAD_FILE).read_text(encoding="utf-8"))
    if head.get("format") != FORMAT:
        raise ValueError(f"keyword index format {head.get('format')} is not {FORMAT}")
    parts = []
    for entry in head["segments"]:
        segment = read_segment(path, entry["name"])
        if len(segment) != entry["passages"]:
            raise ValueError("keyword index segment and list disagree")
        deleted_file = entry.get("deleted")
        deleted = read_deleted(path / deleted_file) if deleted_file else np.zeros(0, dtype=np.int64)
        parts.append(Part(segment, deleted, deleted_file))
    return LexicalIndex(parts)


def _delete_unnamed(path: Path, named: set[str]) -> None:
    """Delete what `path` holds besides the list and the files it names."""
    for child in path.iterdir():
        if child.name == HEAD_FILE or child.name in named:
            continue
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
    for sibling in (_old(path), path.with_name(path.name + ".tmp")):  # an earlier version's swap
        shutil.rmtree(sibling, ignore_errors=True)


def _identity(path: Path) -> tuple[int, int, int] | None:
    """Which file `path` names right now: every save replaces the list with a new file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def stamp(path: Path) -> tuple[int, int, int] | None:
    """Identity of the index saved at `path` (changes with every save), None when absent."""
    found = _identity(path / HEAD_FILE)
    if found is not None:
        return found
    rows_file = path / ROWS_FILE
    if not rows_file.exists():
        rows_file = _old(path) / ROWS_FILE
    return _identity(rows_file)


# -- the index of earlier versions: one bm25s folder, swapped whole --------------------------


def _old(path: Path) -> Path:
    return path.with_name(path.name + ".old")


def _dir_identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return (info.st_dev, info.st_ino)


def _read_saved(path: Path, read: Callable[[Path], T | None]) -> T | None:
    """`read` on the folder of the earlier version's index saved at `path` (its `.old` copy
    when a crash interrupted that version's swap); None when there is none or it is damaged."""
    for _ in range(LOAD_ATTEMPTS):
        source = path if (path / ROWS_FILE).exists() else _old(path)
        before = _dir_identity(source)
        if before is None:
            return None
        try:
            value = read(source)
        except (OSError, ValueError, KeyError, EOFError):
            value = None
        if before == _dir_identity(source):
            return value
    return None


def _load_legacy(path: Path) -> LexicalIndex | None:
    """An earlier version's index, as one segment built from its saved stems (no store
    access); None when it saved no stems (the next write rebuilds from the store)."""
    saved = _read_saved(path, rows_and_tokens)
    if saved is None:
        return None
    rows, table = saved
    vocab = {word: i for i, word in enumerate(table.words)}
    entries = [(row, table.row(i)) for i, row in enumerate(rows)]
    log.warning(
        "keyword index saved by an earlier version: read as is; the next `clusterkb ingest` "
        "converts it to segments"
    )
    return LexicalIndex([Part(segment_of(entries, vocab))], legacy=True)
