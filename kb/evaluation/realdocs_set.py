"""The labelled set of real reports (corpus/eval/realdocs.yaml): metadata, countries, citations.

The set names the real reports by file sha256, page and character offsets, never by their
text (their licences forbid copying). This module reads no PDF: callers inject a page-text
reader, so the same labels serve ingestion checks, evaluation and tests.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SPLITS = ("dev", "test")
KINDS = ("body", "toc", "acronyms", "references", "front")
QUESTION_LANGS = ("es", "en")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

PageText = Callable[[str, int], str | None]
# Per record kind: key -> (type, presence); "nullable" keys must be written, null allowed.
Schema = dict[str, tuple[type, str]]
_DOC: Schema = {
    **{k: (str, "required") for k in ("id", "file", "sha256", "split", "title", "language")},
    **{k: (str, "optional") for k in ("publisher", "subtitle", "series", "note")},
    "pages": (int, "required"),
    "countries": (list, "required"),
    "year": (int, "nullable"),
}
_LINKED: Schema = {"id": (str, "required"), "doc": (str, "required")}
_LINKED |= {"file_sha256": (str, "required"), "page": (int, "required")}
_PASSAGE: Schema = {
    **_LINKED,
    "span": (list, "required"),
    "text_sha256": (str, "required"),
    "countries": (list, "required"),
    "implicit": (bool, "optional"),
    "kind": (str, "optional"),
    "note": (str, "optional"),
    "passage": (dict, "optional"),
}
_WHOLE: Schema = {
    "fingerprint": (str, "required"),
    "countries": (list, "required"),
    "implicit": (bool, "optional"),
    "note": (str, "optional"),
}
_QUESTION: Schema = {**_LINKED, **{k: (str, "required") for k in ("lang", "question", "answer")}}
_QUESTION["printed_page"] = (int, "nullable")


class RealdocsSetError(ValueError):
    """The label file is malformed (the message names the entry)."""


@dataclass(frozen=True)
class RealDocument:
    id: str
    file: str
    sha256: str
    split: str
    pages: int
    title: str
    language: str
    countries: tuple[str, ...]
    year: int | None = None
    publisher: str | None = None
    subtitle: str | None = None
    series: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class WholePassageLabel:
    """The countries of the whole stored passage that holds a labelled span, labelled by
    reading that passage as the app shows it; `fingerprint` (kb.evaluation.minhash) finds it
    again and tells when the chunker now cuts it differently."""

    fingerprint: str
    countries: tuple[str, ...]
    implicit: bool = False
    note: str | None = None


@dataclass(frozen=True)
class LabelledSpan:
    id: str
    doc: str
    split: str
    file_sha256: str
    page: int
    start: int
    end: int
    text_sha256: str
    countries: tuple[str, ...]
    implicit: bool = False
    kind: str = "body"
    note: str | None = None
    passage: WholePassageLabel | None = None


@dataclass(frozen=True)
class PageQuestion:
    id: str
    doc: str
    split: str
    lang: str
    question: str
    answer: str
    file_sha256: str
    page: int
    printed_page: int | None


@dataclass(frozen=True)
class RealdocsSet:
    documents: tuple[RealDocument, ...]
    passages: tuple[LabelledSpan, ...]
    questions: tuple[PageQuestion, ...]
    realdocs_dir: Path

    def in_split(self, split: str) -> RealdocsSet:
        """The documents, passages and questions of one split (dev or test)."""
        return RealdocsSet(
            tuple(d for d in self.documents if d.split == split),
            tuple(p for p in self.passages if p.split == split),
            tuple(q for q in self.questions if q.split == split),
            self.realdocs_dir,
        )

    def document(self, sha256: str) -> RealDocument | None:
        return next((d for d in self.documents if d.sha256 == sha256), None)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def resolve_span(entry: LabelledSpan, page_text: PageText) -> str | None:
    """The span's text if the injected reader still yields it unchanged, else None."""
    text = page_text(entry.file_sha256, entry.page)
    if text is None or entry.end > len(text):
        return None
    span = text[entry.start : entry.end]
    return span if text_sha256(span) == entry.text_sha256 else None


def load_realdocs_set(path: Path) -> RealdocsSet:
    """Read and validate the label file; raise RealdocsSetError naming the bad entry."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RealdocsSetError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise RealdocsSetError(f"{path}: expected a mapping at the top")
    docs = tuple(_document(e, w) for e, w in _entries(raw, "documents", _DOC))
    by_id = {d.id: d for d in docs}
    passages = tuple(_passage(e, w, by_id) for e, w in _entries(raw, "passages", _PASSAGE))
    questions = tuple(_question(e, w, by_id) for e, w in _entries(raw, "questions", _QUESTION))
    for what, ids in (
        ("documents", [d.id for d in docs] + [d.sha256 for d in docs]),
        ("passages", [p.id for p in passages]),
        ("questions", [q.id for q in questions]),
    ):
        if dups := sorted({i for i in ids if ids.count(i) > 1}):
            raise RealdocsSetError(f"{what}: duplicate {dups}")
    realdocs_dir = (Path(path).parent / str(raw.get("realdocs_dir", "."))).resolve()
    return RealdocsSet(docs, passages, questions, realdocs_dir)


def _entries(raw: Mapping[str, Any], key: str, schema: Schema) -> list[tuple[dict, str]]:
    """Each entry of a section, type-checked against its schema, with a name for errors."""
    items = raw.get(key)
    if not isinstance(items, list) or not items:
        raise RealdocsSetError(f"`{key}` must be a non-empty list")
    out = []
    for i, e in enumerate(items):
        where = f"{key}[{i}] {e.get('id', '?') if isinstance(e, Mapping) else ''}".rstrip()
        _check(e, schema, where)
        out.append((dict(e), where))
    return out


def _check(e: Any, schema: Schema, where: str) -> None:
    """Raise RealdocsSetError naming `where` unless `e` is a mapping that fits `schema`."""
    if not isinstance(e, Mapping):
        raise RealdocsSetError(f"{where}: expected a mapping")
    if unknown := sorted(set(e) - set(schema)):
        raise RealdocsSetError(f"{where}: unknown keys {unknown}")
    for k, (kind, presence) in schema.items():
        value = e.get(k)
        if value is None and (presence == "optional" or (presence == "nullable" and k in e)):
            continue
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise RealdocsSetError(f"{where}: `{k}` missing or not {kind.__name__}")
    for k in ("sha256", "file_sha256", "text_sha256"):
        if k in schema and not _SHA256.match(e[k]):
            raise RealdocsSetError(f"{where}: `{k}` is not a lowercase hex sha256")
    if "countries" in e and not all(isinstance(c, str) and c.strip() for c in e["countries"]):
        raise RealdocsSetError(f"{where}: `countries` must be a list of names")


def _choice(e: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str) -> str:
    value = e.get(key) or allowed[0]
    if value not in allowed:
        raise RealdocsSetError(f"{where}: `{key}` must be one of {allowed}")
    return str(value)


def _document(e: dict, where: str) -> RealDocument:
    _choice(e, "split", SPLITS, where)
    return RealDocument(**{**e, "countries": tuple(e["countries"])})


def _owner(e: dict, where: str, by_id: Mapping[str, RealDocument]) -> RealDocument:
    """The entry's document, after checking its file hash and page number against it."""
    doc = by_id.get(e["doc"])
    if doc is None:
        raise RealdocsSetError(f"{where}: unknown doc {e['doc']!r}")
    if e["file_sha256"] != doc.sha256:
        raise RealdocsSetError(f"{where}: file_sha256 is not the sha256 of doc {doc.id!r}")
    if not 1 <= e["page"] <= doc.pages:
        raise RealdocsSetError(f"{where}: page {e['page']} outside 1..{doc.pages}")
    return doc


def _passage(e: dict, where: str, by_id: Mapping[str, RealDocument]) -> LabelledSpan:
    doc = _owner(e, where, by_id)
    span = e.pop("span")
    if len(span) != 2 or not all(type(x) is int for x in span) or not 0 <= span[0] < span[1]:
        raise RealdocsSetError(f"{where}: span must be [start, end) with 0 <= start < end")
    kind = _choice(e, "kind", KINDS, where)
    fields = {**e, "countries": tuple(e["countries"]), "kind": kind, "split": doc.split}
    fields["implicit"] = bool(e.get("implicit"))
    if "passage" in e:
        fields["passage"] = _whole_passage(e["passage"], where)
    return LabelledSpan(**fields, start=span[0], end=span[1])


def _whole_passage(e: dict, where: str) -> WholePassageLabel:
    _check(e, _WHOLE, f"{where} passage")
    return WholePassageLabel(
        e["fingerprint"], tuple(e["countries"]), bool(e.get("implicit")), e.get("note")
    )


def _question(e: dict, where: str, by_id: Mapping[str, RealDocument]) -> PageQuestion:
    doc = _owner(e, where, by_id)
    _choice(e, "lang", QUESTION_LANGS, where)
    return PageQuestion(**e, split=doc.split)
