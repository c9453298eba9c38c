"""What the keyword index keeps of each passage: its filter fields and its stems.

Also reads the single-file index of earlier versions (rows plus every row's stems as token ids
into one vocabulary), so such an index is converted without re-stemming the store.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kb.models import BODY, FACETS, Passage
from kb.textnorm import stems

ROWS_FILE = "rows.json"
TOKENS_FILE = "tokens.npz"


@dataclass(frozen=True)
class LexicalRow:
    """What the lexical side knows of a passage: enough to filter without the store."""

    id: str
    doc_id: str
    countries: tuple[str, ...]
    lang: str
    tags: dict[str, list[str]] = field(default_factory=dict)
    kind: str = BODY

    @classmethod
    def of(cls, passage: Passage) -> LexicalRow:
        tags = {f: passage.tag_ids(f) for f in FACETS if passage.tag_ids(f)}
        return cls(passage.id, passage.doc_id, passage.countries, passage.lang, tags, passage.kind)

    @property
    def is_body(self) -> bool:
        return self.kind == BODY


def passage_tokens(passage: Passage) -> list[str]:
    """Title and section count as words of the passage: they say what it is about."""
    text = " ".join(part for part in (passage.title, passage.section, passage.text) if part)
    return stems(text, passage.lang) or ["_empty_"]


def tokenised(
    passages: Iterable[Passage], vocab: dict[str, int]
) -> Iterator[tuple[LexicalRow, array[int]]]:
    """Each passage's filter fields and stems as ids into `vocab` (which grows as needed)."""
    for p in passages:
        ids = array("I", [vocab.setdefault(t, len(vocab)) for t in passage_tokens(p)])
        yield LexicalRow.of(p), ids


def _fields(r: LexicalRow) -> list[object]:
    return [r.id, r.doc_id, list(r.countries), r.lang, r.tags, r.kind]


def row_line(row: LexicalRow) -> bytes:
    """The row as one JSON line (a segment's rows file holds one per passage)."""
    return json.dumps(_fields(row), ensure_ascii=False).encode("utf-8")


def row_from_line(line: bytes) -> LexicalRow:
    return _row(*json.loads(line))


def write_rows(rows: Iterable[LexicalRow], target: Path) -> None:
    """Save the rows as JSON lists, as the single-file index of earlier versions did."""
    data = [_fields(r) for r in rows]
    target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def read_rows(folder: Path) -> list[LexicalRow] | None:
    """The rows saved in the index folder `folder`, None when it has none."""
    rows_file = folder / ROWS_FILE
    if not rows_file.exists():
        return None
    return [_row(*fields) for fields in json.loads(rows_file.read_text(encoding="utf-8"))]


def _row(
    pid: str,
    doc_id: str,
    countries: str | list[str],
    lang: str,
    tags: dict[str, list[str]],
    kind: str = BODY,
) -> LexicalRow:
    # Indexes saved before passages had several countries hold one country string.
    found = (countries,) if isinstance(countries, str) else tuple(countries)
    return LexicalRow(pid, doc_id, tuple(c for c in found if c), lang, tags, kind)


def rows_and_tokens(folder: Path) -> tuple[list[LexicalRow], TokenTable] | None:
    """The rows and stems saved in the index folder `folder`, None if either is missing."""
    rows = read_rows(folder)
    table = TokenTable.load(folder / TOKENS_FILE, len(rows)) if rows else None
    return (rows, table) if rows and table is not None else None


@dataclass(frozen=True)
class TokenTable:
    """The stems of every row as ids into `words`, in one flat array (row i is
    `flat[offsets[i]:offsets[i + 1]]`)."""

    words: list[str]
    offsets: np.ndarray
    flat: np.ndarray

    @classmethod
    def of(cls, token_ids: list[array[int]], vocab: dict[str, int]) -> TokenTable:
        words = [""] * len(vocab)
        for word, i in vocab.items():
            words[i] = word
        lengths = np.fromiter((len(ids) for ids in token_ids), dtype=np.int64, count=len(token_ids))
        offsets = np.zeros(len(token_ids) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = np.empty(int(offsets[-1]), dtype=np.uint32)
        for i, ids in enumerate(token_ids):
            if len(ids):
                flat[offsets[i] : offsets[i + 1]] = np.frombuffer(ids, dtype=np.uint32)
        return cls(words, offsets, flat)

    def row(self, i: int) -> array[int]:
        return array("I", self.flat[self.offsets[i] : self.offsets[i + 1]].tobytes())

    def save(self, target: Path) -> None:
        # Stems never hold a newline: one UTF-8 blob keeps long words from padding every entry.
        words = np.frombuffer("\n".join(self.words).encode("utf-8"), dtype=np.uint8)
        with open(target, "wb") as fh:
            np.savez(fh, offsets=self.offsets, flat=self.flat, words=words)

    @classmethod
    def load(cls, source: Path, rows: int) -> TokenTable | None:
        """The table saved at `source`, or None when absent or not for `rows` rows."""
        if not source.exists():
            return None
        with np.load(source, allow_pickle=False) as data:
            offsets, flat = data["offsets"], data["flat"]
            words = data["words"].tobytes().decode("utf-8").split("\n")
        if len(offsets) != rows + 1 or int(offsets[-1]) != len(flat):
            return None
        if len(flat) and int(flat.max()) >= len(words):
            return None
        return cls(words, offsets, flat)
