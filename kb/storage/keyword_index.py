"""BM25 over stemmed Spanish and English words (bm25s), saved beside the vector store.

The index is derived data: it is rebuilt from the store's passages whenever they change and
written atomically, so a reader sees either the old index or the new one, never half of each.
Only the writer renames: a reader that finds the index mid-swap reads the previous copy, and
one that raced a swap while reading retries, so it never pairs one version's rows with
another version's scores.
"""

from __future__ import annotations

import os
import shutil
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import bm25s
import numpy as np
from bm25s.tokenization import Tokenized

from kb.models import Passage, SearchFilters
from kb.storage.keyword_rows import (
    ROWS_FILE,
    TOKENS_FILE,
    LexicalRow,
    TokenTable,
    read_rows,
    rows_and_tokens,
    tokenised,
    write_rows,
)
from kb.textnorm import query_stems

T = TypeVar("T")
LOAD_ATTEMPTS = 5


class LexicalIndex:
    """A BM25 retriever plus the filterable fields of each of its rows."""

    def __init__(
        self,
        retriever: bm25s.BM25 | None,
        rows: list[LexicalRow],
        allowed: np.ndarray | None = None,
        tokens: TokenTable | Path | None = None,
    ) -> None:
        self.retriever = retriever
        self.rows = rows
        self._allowed = allowed
        """Rows a search may return (None: all); see `restricted`."""
        self._tokens = tokens
        """Each row's stems, or the saved file holding them (searches never need them)."""
        self._columns = {
            "lang": np.array([r.lang for r in rows], dtype=object),
            "doc_id": np.array([r.doc_id for r in rows], dtype=object),
        }

    @classmethod
    def build(cls, passages: Iterable[Passage]) -> LexicalIndex:
        """Index `passages`, which may stream from the store: only each one's token ids and
        filter fields are kept (4 bytes a token), so a rebuild over a large store does not
        hold every passage's text in memory at once."""
        vocab: dict[str, int] = {}
        return cls._from_rows(tokenised(passages, vocab), vocab)

    @classmethod
    def updated(
        cls,
        saved_at: Path,
        ids: Iterable[str],
        fetch: Callable[[list[str]], Iterable[Passage]],
    ) -> LexicalIndex:
        """The index over `ids`, reusing the stems and filter fields the index saved at
        `saved_at` holds; only passages new to it are fetched and stemmed.

        Adding one report to a large store then costs BM25 statistics, not re-reading and
        re-stemming every passage. Without a usable saved index, everything is fetched. Words
        of removed passages stay in the vocabulary (scoring nothing) until a full `build`.
        """
        wanted = sorted(set(ids))
        saved = _load_rows_and_tokens(saved_at)
        if saved is None:
            return cls.build(fetch(wanted))
        rows, table = saved
        vocab = {word: i for i, word in enumerate(table.words)}
        position = {row.id: i for i, row in enumerate(rows)}
        kept = [
            (rows[position[pid]], table.row(position[pid])) for pid in wanted if pid in position
        ]
        new = [pid for pid in wanted if pid not in position]
        return cls._from_rows([*kept, *tokenised(fetch(new), vocab)], vocab)

    @classmethod
    def _from_rows(
        cls, entries: Iterable[tuple[LexicalRow, array[int]]], vocab: dict[str, int]
    ) -> LexicalIndex:
        ordered = sorted(entries, key=lambda entry: entry[0].id)
        if not ordered:
            return cls(None, [])
        rows = [row for row, _ in ordered]
        token_ids = [ids for _, ids in ordered]
        del ordered
        retriever = bm25s.BM25()
        retriever.index(Tokenized(ids=token_ids, vocab=dict(vocab)), show_progress=False)
        return cls(retriever, rows, tokens=TokenTable.of(token_ids, vocab))

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def restricted(self, visible: frozenset[str] | set[str]) -> LexicalIndex:
        """The same index whose searches return only passages in `visible` (the committed ones).

        Between a document's commit and the index rebuild at the end of an ingest, or after a
        crash in that window, the index may still hold passages the manifest no longer lists.
        """
        allowed = np.array([r.id in visible for r in self.rows], dtype=bool)
        if allowed.all():
            if self._allowed is None:
                return self
            return LexicalIndex(self.retriever, self.rows, tokens=self._tokens)
        return LexicalIndex(self.retriever, self.rows, allowed, tokens=self._tokens)

    def mask(self, filters: SearchFilters) -> np.ndarray | None:
        """Boolean row mask for `filters` (None when nothing is filtered)."""
        if filters.is_empty():
            return None
        keep = np.ones(len(self.rows), dtype=bool)
        if filters.countries:
            wanted_countries = set(filters.countries)
            keep &= np.array([bool(wanted_countries.intersection(r.countries)) for r in self.rows])
        for name, wanted in (
            ("lang", filters.langs),
            ("doc_id", filters.doc_ids),
        ):
            if wanted:
                keep &= np.isin(self._columns[name], list(wanted))
        for facet, values in filters.tags.items():
            if values:
                wanted_tags = set(values)
                keep &= np.array(
                    [bool(wanted_tags.intersection(r.tags.get(facet, ()))) for r in self.rows],
                    dtype=bool,
                )
        return keep

    def search(self, query: str, n: int, filters: SearchFilters) -> list[tuple[str, float]]:
        """Best `n` passage ids for `query` by BM25 among those passing `filters`."""
        if self.retriever is None or n <= 0:
            return []
        token_ids = self.retriever.get_tokens_ids(query_stems(query))
        if not token_ids:
            return []
        scores = np.asarray(self.retriever.get_scores(token_ids), dtype=np.float32)
        keep = self.mask(filters)
        if self._allowed is not None:
            keep = self._allowed if keep is None else keep & self._allowed
        if keep is not None:
            scores = np.where(keep, scores, 0.0)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        order = sorted(top.tolist(), key=lambda i: (-scores[i], self.rows[i].id))
        return [(self.rows[i].id, float(scores[i])) for i in order if scores[i] > 0]

    def with_passages(self, passages: Iterable[Passage]) -> LexicalIndex:
        """The same BM25 scores with the filterable fields of `passages` refreshed (tag edits)."""
        fresh = {p.id: LexicalRow.of(p) for p in passages}
        rows = [fresh.get(r.id, r) for r in self.rows]
        return LexicalIndex(self.retriever, rows, tokens=self._tokens)

    def save(self, path: Path) -> None:
        """Write the index to `path` atomically (build beside it, then swap)."""
        tmp = path.with_name(path.name + ".tmp")
        old = _old(path)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.retriever is not None:
            self.retriever.save(str(tmp), show_progress=False)
        write_rows(self.rows, tmp / ROWS_FILE)
        self._save_tokens(tmp / TOKENS_FILE)
        _fsync_dir(tmp)
        if path.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
        # Else a crash interrupted the last swap: `old` is what readers see until the next line.
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)

    def _save_tokens(self, target: Path) -> None:
        """Keep the stems beside the index (a later update reuses them); skipped if unknown."""
        table = self._tokens
        if isinstance(table, Path):
            table = TokenTable.load(table, len(self.rows))
        if table is not None:
            table.save(target)

    @classmethod
    def load(cls, path: Path) -> LexicalIndex | None:
        """The saved index, or None when there is none (or only a half-written one).

        Never renames anything: readers run beside the writer, and a reader's rename could
        collide with the writer's swap.
        """
        return _read_saved(path, cls._load_from)

    @classmethod
    def _load_from(cls, path: Path) -> LexicalIndex | None:
        rows = read_rows(path)
        if rows is None:
            return None
        if not rows:
            return cls(None, [])
        retriever = bm25s.BM25.load(str(path), show_progress=False)
        if int(retriever.scores.get("num_docs", -1)) != len(rows):
            raise ValueError("keyword index rows and scores disagree")
        return cls(retriever, rows, tokens=path / TOKENS_FILE)


def _old(path: Path) -> Path:
    return path.with_name(path.name + ".old")


def _dir_identity(path: Path) -> tuple[int, int] | None:
    """Which folder `path` names right now: each save swaps in a new one."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return (info.st_dev, info.st_ino)


def stamp(path: Path) -> tuple[int, int, int] | None:
    """Identity of the index saved at `path` (changes with every save), None when absent."""
    rows_file = path / ROWS_FILE
    if not rows_file.exists():
        rows_file = _old(path) / ROWS_FILE
    try:
        info = rows_file.stat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def _fsync_dir(path: Path) -> None:
    for child in path.iterdir():
        with open(child, "rb") as fh:
            os.fsync(fh.fileno())


def _read_saved(path: Path, read: Callable[[Path], T | None]) -> T | None:
    """`read` on the folder of the index saved at `path`, again if a writer swapped it
    meanwhile; None when there is none (or only a half-written or damaged one)."""
    for _ in range(LOAD_ATTEMPTS):
        # `path` is missing only between the two renames of `save` (or after a crash there).
        source = path if path.exists() else _old(path)
        before = _dir_identity(source)
        if before is None:
            if path.exists():
                continue  # swapped in the meantime
            return None
        try:
            value = read(source)
        except (OSError, ValueError, KeyError, EOFError):
            value = None  # swapped out while being read, or damaged (`check` says so)
        if before == _dir_identity(source):
            return value
    return None


def _load_rows_and_tokens(path: Path) -> tuple[list[LexicalRow], TokenTable] | None:
    """The rows and stems of the index saved at `path`, or None if either is missing."""
    return _read_saved(path, rows_and_tokens)
