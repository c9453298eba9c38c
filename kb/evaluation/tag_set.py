"""The hand-labelled passages of corpus/eval/tags.yaml: reading the file and finding each text.

The label file names passages, never quotes them: a bundled report by document id and an
anchor inside the paragraph, a real report by file, page, character span and sha256 (their
licences forbid copying). Texts are read at run time; missing files are skipped and reported.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.files import read_yaml, sha256_text
from kb.models import FACETS, Document
from kb.tags.taxonomy import Taxonomy, load_taxonomy

Loader = Callable[[Path], Document]
Labels = dict[str, frozenset[str]]

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


class TagSetError(ValueError):
    """The label file is malformed (the message names the entry)."""


@dataclass(frozen=True)
class LabelledPassage:
    id: str
    expected: Labels
    doc: str = ""
    anchor: str = ""
    file: str = ""
    page: int = 0
    span: tuple[int, int] = (0, 0)
    sha256: str = ""

    @property
    def source(self) -> str:
        return "corpus" if self.doc else "realdocs"

    @property
    def ref(self) -> str:
        if self.doc:
            return f"{self.doc} «{self.anchor}»"
        return f"{self.file} p.{self.page} [{self.span[0]}:{self.span[1]})"


@dataclass(frozen=True)
class TagSet:
    entries: tuple[LabelledPassage, ...]
    corpus_dir: Path
    realdocs_dir: Path


@dataclass(frozen=True)
class Resolved:
    entry: LabelledPassage
    text: str


@dataclass(frozen=True)
class Skipped:
    id: str
    ref: str
    reason: str


def read_labels(raw: dict[str, Any], where: str, taxonomy: Taxonomy) -> Labels:
    """The four facets' labels of a labelled entry; every facet must be given, every tag known."""
    tags = raw.get("tags") or {}
    missing = [f for f in FACETS if f not in tags]
    if missing:
        # An absent facet would silently count as "no tag applies": demand it explicitly.
        raise TagSetError(f"{where}: no label for {', '.join(missing)} (use [] for none)")
    labels: Labels = {}
    for facet in FACETS:
        values = frozenset(str(v) for v in tags[facet] or ())
        unknown = values - set(taxonomy.tag_ids(facet))
        if unknown:
            raise TagSetError(f"{where}: unknown {facet} tag(s) {', '.join(sorted(unknown))}")
        labels[facet] = values
    return labels


def _entry(raw: dict[str, Any], taxonomy: Taxonomy) -> LabelledPassage:
    where = f"entry {raw.get('id', '?')!r}"
    expected = read_labels(raw, where, taxonomy)
    if bool(raw.get("doc")) == bool(raw.get("file")):
        raise TagSetError(f"{where}: give either doc + anchor or file + page + span + sha256")
    if raw.get("doc"):
        return LabelledPassage(
            str(raw["id"]), expected, doc=str(raw["doc"]), anchor=str(raw["anchor"])
        )
    start, end = (int(x) for x in raw["span"])
    return LabelledPassage(
        str(raw["id"]),
        expected,
        file=str(raw["file"]),
        page=int(raw["page"]),
        span=(start, end),
        sha256=str(raw["sha256"]),
    )


def load_tag_set(path: Path, taxonomy: Taxonomy | None = None) -> TagSet:
    """Read and validate the label file; folders in it are relative to the file."""
    taxonomy = taxonomy or load_taxonomy()
    data = read_yaml(Path(path), TagSetError)
    try:
        entries = tuple(_entry(raw, taxonomy) for raw in data["passages"])
    except (KeyError, TypeError) as exc:
        raise TagSetError(f"{path}: malformed entry ({exc})") from exc
    dupes = [i for i, n in Counter(e.id for e in entries).items() if n > 1]
    if dupes:
        raise TagSetError(f"{path}: duplicate id(s) {', '.join(dupes)}")
    base = Path(path).parent
    return TagSet(
        entries,
        (base / data.get("corpus_dir", "..")).resolve(),
        (base / data.get("realdocs_dir", "../../../shared/realdocs")).resolve(),
    )


def _page_text(doc: Document, number: int) -> str | None:
    for page in doc.pages:
        if page.number == number:
            return doc.text[page.start : page.end]
    return None


def span_hash(text: str) -> str:
    """The sha256 of a passage text, as the label file records it."""
    return sha256_text(text)


def span_entry(
    path: Path, page: int, start_text: str, end_text: str, load: Loader
) -> dict[str, Any]:
    """The reference of a real-report passage, from its first and last words (no text kept)."""
    text = _page_text(load(Path(path)), page)
    if text is None or text.count(start_text) != 1:
        raise TagSetError(f"{start_text!r} is not found exactly once on page {page}")
    start = text.index(start_text)
    end = text.find(end_text, start)
    if end < 0:
        raise TagSetError(f"{end_text!r} does not follow {start_text!r} on page {page}")
    end += len(end_text)
    return {
        "file": Path(path).name,
        "page": page,
        "span": [start, end],
        "sha256": span_hash(text[start:end]),
    }


def _corpus_file(folder: Path, doc_id: str) -> Path | None:
    found = sorted(p for p in folder.glob(f"{doc_id}.*") if p.suffix in (".md", ".txt"))
    return found[0] if found else None


def _resolve_one(entry: LabelledPassage, tag_set: TagSet, read: Loader) -> str:
    """The passage text; raises LookupError with the reason it cannot be had."""
    if entry.doc:
        path = _corpus_file(tag_set.corpus_dir, entry.doc)
        if path is None:
            raise LookupError("file not found")
        paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(read(path).text)]
        hits = [p for p in paragraphs if entry.anchor in p]
        if len(hits) != 1:
            raise LookupError(f"anchor found in {len(hits)} paragraphs")
        return hits[0]
    path = tag_set.realdocs_dir / entry.file
    if not path.is_file():
        raise LookupError("file not found")
    page = _page_text(read(path), entry.page)
    if page is None:
        raise LookupError(f"no page {entry.page}")
    text = page[entry.span[0] : entry.span[1]]
    if span_hash(text) != entry.sha256:
        raise LookupError("text changed (sha256 differs): re-check the span")
    return text


def resolve(
    tag_set: TagSet, load: Loader, reference: Loader | None = None
) -> tuple[list[Resolved], list[Skipped]]:
    """Each entry with its text, and the entries that could not be read (with why).

    `load` reads the bundled corpus (anchors are found in its text); `reference` reads the
    real reports as their offsets were taken (default: `load`). Both are passed in by the
    front end so that kb does not depend on ingest.
    """
    cache: dict[Path, Document] = {}

    def read(path: Path) -> Document:
        if path not in cache:  # one parse per file: PDFs take seconds
            is_real = tag_set.realdocs_dir in path.parents
            cache[path] = (reference or load)(path) if is_real else load(path)
        return cache[path]

    resolved: list[Resolved] = []
    skipped: list[Skipped] = []
    for entry in tag_set.entries:
        try:
            resolved.append(Resolved(entry, _resolve_one(entry, tag_set, read)))
        except LookupError as exc:
            skipped.append(Skipped(entry.id, entry.ref, str(exc)))
        except Exception as exc:  # the loader's IngestError: an unreadable file is reported
            skipped.append(Skipped(entry.id, entry.ref, f"cannot read: {exc}"))
    return resolved, skipped
