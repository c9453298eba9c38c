"""Human tag corrections: an append-only log, anchored to content so it outlives re-ingest.

A correction names the document by content hash (and id) and the passage by its text, never
by passage id alone: passage ids change when a file is re-chunked, and tags are re-derived on
every ingest, so corrections are re-applied after tagging each time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from kb.files import append_json_line, read_json_lines, sha256_text
from kb.models import FACETS, Passage, Tag
from kb.textnorm import fold
from kb.workspace.roles import local_user

ANCHOR_CHARS = 120


@dataclass(frozen=True)
class Correction:
    time: str
    user: str
    doc_id: str
    doc_sha256: str
    passage_id: str
    text_sha256: str
    anchor: str
    """A stretch from the middle of the passage, to find it again after re-chunking."""
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    note: str = ""


@dataclass
class Applied:
    passages: list[Passage]
    unmatched: list[Correction] = field(default_factory=list)


def parse_change(value: str) -> tuple[str, str]:
    """'problem:coordination' -> ('problem', 'coordination'), with a clear error otherwise."""
    facet, sep, tag_id = value.partition(":")
    if not sep or facet not in FACETS or not tag_id:
        raise ValueError(f"{value!r} is not FACET:TAG (facets: {', '.join(FACETS)})")
    return facet, tag_id


def text_hash(text: str) -> str:
    """Hash of the folded text with runs of space made one, as a correction names its passage."""
    return sha256_text(" ".join(fold(text).split()))


def anchor_of(text: str) -> str:
    """A normalised stretch from the middle of `text`: likely to survive a shifted chunk edge."""
    flat = " ".join(fold(text).split())
    if len(flat) <= ANCHOR_CHARS:
        return flat
    mid = len(flat) // 2
    return flat[mid - ANCHOR_CHARS // 2 : mid + ANCHOR_CHARS // 2]


def make_correction(
    passage: Passage,
    doc_sha256: str,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    note: str = "",
    user: str | None = None,
) -> Correction:
    for change in (*add, *remove):
        parse_change(change)
    return Correction(
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        user=user or local_user(),
        doc_id=passage.doc_id,
        doc_sha256=doc_sha256,
        passage_id=passage.id,
        text_sha256=text_hash(passage.text),
        anchor=anchor_of(passage.text),
        add=tuple(add),
        remove=tuple(remove),
        note=note,
    )


def append_correction(path: Path, correction: Correction) -> None:
    """Append one line and flush it to disk; earlier lines are never rewritten."""
    append_json_line(path, asdict(correction))


def load_corrections(path: Path) -> list[Correction]:
    """Every correction in the log, oldest first (a torn last line from a crash is ignored)."""
    out = []
    for raw in read_json_lines(path):
        raw["add"] = tuple(raw.get("add", ()))
        raw["remove"] = tuple(raw.get("remove", ()))
        out.append(Correction(**raw))
    return out


def _find(correction: Correction, passages: Sequence[Passage]) -> Passage | None:
    for p in passages:
        if text_hash(p.text) == correction.text_sha256:
            return p
    for p in passages:
        if correction.anchor and correction.anchor in " ".join(fold(p.text).split()):
            return p
    return None


def _apply_one(passage: Passage, correction: Correction) -> Passage:
    tags = {(t.facet, t.tag_id): t for t in passage.tags}
    reason = f"{correction.user}, {correction.time[:10]}" + (
        f": {correction.note}" if correction.note else ""
    )
    for change in correction.remove:
        tags.pop(parse_change(change), None)
    for change in correction.add:
        facet, tag_id = parse_change(change)
        tags[(facet, tag_id)] = Tag(facet, tag_id, "human", reason, 1.0)
    order = {f: i for i, f in enumerate(FACETS)}
    return replace(
        passage, tags=tuple(sorted(tags.values(), key=lambda t: (order[t.facet], t.tag_id)))
    )


def relevant(corrections: Iterable[Correction], doc_id: str, doc_sha256: str) -> list[Correction]:
    return [c for c in corrections if c.doc_sha256 == doc_sha256 or c.doc_id == doc_id]


def apply_corrections(passages: Sequence[Passage], corrections: Iterable[Correction]) -> Applied:
    """Passages with the corrections applied in log order; corrections whose text is gone
    are returned as unmatched, never silently dropped."""
    current = {p.id: p for p in passages}
    unmatched: list[Correction] = []
    for correction in corrections:
        target = _find(correction, list(current.values()))
        if target is None:
            unmatched.append(correction)
            continue
        current[target.id] = _apply_one(target, correction)
    return Applied([current[p.id] for p in passages], unmatched)
