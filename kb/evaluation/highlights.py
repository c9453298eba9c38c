"""How often the top highlight of a passage is the sentence a person marked as the answer
(corpus/eval/highlights.yaml).

Highlight quality alone is measured, not retrieval: each labelled sentence is scored in the
stored passage that holds it. This module reads no document: callers inject the passages of a
source and, for real reports, the raw page text the labels' offsets refer to.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.evaluation.realdocs_set import PageText, RealdocsSet, text_sha256
from kb.retrieval.highlights import Highlight

SPLITS = ("dev", "test")
LANGS = ("es", "en")
FLOOR = 0.8
"""Share of queries whose top highlight must be the labelled sentence."""

# (text, lang) of each passage the ingest chunker cuts from a source, in order.
PassageTexts = Sequence[tuple[str, str]]
Highlighter = Callable[[str, str, str], list[Highlight]]


class HighlightSetError(ValueError):
    """The label file is malformed (the message names the entry)."""


@dataclass(frozen=True)
class HighlightLabel:
    """A query and the sentence that answers it: written out (`sentence`) for the bundled
    corpus, or a page span of a real report (`file_sha256`, `page`, `start`, `end`)."""

    id: str
    split: str
    lang: str
    query: str
    source: str
    """The corpus file name, or the real report's document id."""
    sentence: str | None = None
    file_sha256: str = ""
    page: int = 0
    start: int = 0
    end: int = 0
    text_sha256: str = ""

    @property
    def is_real(self) -> bool:
        return self.sentence is None


def load_labels(path: Path, realdocs: RealdocsSet | None = None) -> list[HighlightLabel]:
    """The labels of `path`; real-report entries take their split from `realdocs` (they are
    left out when it is None). Raises HighlightSetError naming a bad entry."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise HighlightSetError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise HighlightSetError(f"{path}: expected a mapping at the top")
    splits = raw.get("corpus_documents") or {}
    labels = [_corpus_label(e, splits) for e in raw.get("corpus") or []]
    if realdocs is not None:
        docs = {d.id: d for d in realdocs.documents}
        labels += [_real_label(e, docs) for e in raw.get("realdocs") or []]
    ids = [label.id for label in labels]
    if dups := sorted({i for i in ids if ids.count(i) > 1}):
        raise HighlightSetError(f"{path}: duplicate ids {dups}")
    return labels


def _common(entry: Any) -> dict[str, str]:
    if not isinstance(entry, Mapping):
        raise HighlightSetError(f"expected a mapping, got {entry!r}")
    name = entry.get("id", "?")
    for key in ("id", "lang", "query"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise HighlightSetError(f"{name}: '{key}' must be a non-empty string")
    if entry["lang"] not in LANGS:
        raise HighlightSetError(f"{name}: lang must be one of {LANGS}")
    return {"id": entry["id"], "lang": entry["lang"], "query": entry["query"]}


def _corpus_label(entry: Any, splits: Mapping[str, str]) -> HighlightLabel:
    common = _common(entry)
    file, sentence = entry.get("file"), entry.get("sentence")
    if splits.get(file) not in SPLITS:
        raise HighlightSetError(f"{common['id']}: file {file!r} has no split in corpus_documents")
    if not isinstance(sentence, str) or not sentence.strip():
        raise HighlightSetError(f"{common['id']}: 'sentence' must be a non-empty string")
    return HighlightLabel(
        common["id"], splits[file], common["lang"], common["query"], file, sentence=sentence
    )


def _real_label(entry: Any, docs: Mapping[str, Any]) -> HighlightLabel:
    common = _common(entry)
    doc = docs.get(entry.get("doc"))
    span = entry.get("span")
    if doc is None:
        raise HighlightSetError(f"{common['id']}: unknown document {entry.get('doc')!r}")
    if entry.get("file_sha256") != doc.sha256:
        raise HighlightSetError(f"{common['id']}: file_sha256 is not document {doc.id}'s")
    if not (isinstance(span, list) and len(span) == 2 and 0 <= span[0] < span[1]):
        raise HighlightSetError(f"{common['id']}: span must be [start, end) with start < end")
    page = entry.get("page")
    if not isinstance(page, int) or page < 1:
        raise HighlightSetError(f"{common['id']}: page must be a positive integer")
    return HighlightLabel(
        common["id"],
        doc.split,
        common["lang"],
        common["query"],
        doc.id,
        file_sha256=doc.sha256,
        page=page,
        start=span[0],
        end=span[1],
        text_sha256=str(entry.get("text_sha256", "")),
    )


def labelled_text(label: HighlightLabel, page_text: PageText | None) -> str | None:
    """The answering sentence as labelled; None when a real page's text has changed."""
    if label.sentence is not None:
        return label.sentence
    text = page_text(label.file_sha256, label.page) if page_text else None
    if text is None or label.end > len(text):
        return None
    span = text[label.start : label.end]
    return span if text_sha256(span) == label.text_sha256 else None


def _key(text: str) -> tuple[str, list[int]]:
    """Letters and digits of `text`, folded, with the offset of each in `text`: raw page text
    and stored text differ in spaces, line breaks and hyphens at line ends, not in these."""
    chars, offsets = [], []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).casefold():
            if c.isalnum():
                chars.append(c)
                offsets.append(i)
    return "".join(chars), offsets


def locate(sentence: str, passages: PassageTexts) -> tuple[int, int, int] | None:
    """(passage index, start, end) of `sentence` in the first passage holding all of it."""
    wanted, _ = _key(sentence)
    if not wanted:
        return None
    for index, (text, _) in enumerate(passages):
        key, offsets = _key(text)
        at = key.find(wanted)
        if at >= 0:
            return index, offsets[at], offsets[at + len(wanted) - 1] + 1
    return None


@dataclass(frozen=True)
class Outcome:
    label: HighlightLabel
    hit: bool
    found: bool
    """False when the sentence is in no single passage (or its page text changed)."""
    expected: tuple[int, int] = (0, 0)
    got: tuple[int, int] | None = None
    passage: str = ""


@dataclass
class HighlightReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def scored(self, split: str | None = None, real: bool | None = None) -> list[Outcome]:
        return [
            o
            for o in self.outcomes
            if o.found
            and (split is None or o.label.split == split)
            and (real is None or o.label.is_real == real)
        ]

    def share(self, split: str | None = None, real: bool | None = None) -> float | None:
        scored = self.scored(split, real)
        return sum(o.hit for o in scored) / len(scored) if scored else None

    def to_dict(self, misses: bool = False) -> dict[str, object]:
        """Figures per split and source; the dev split's misses on request (never test's)."""
        out: dict[str, object] = {"floor": FLOOR}
        for split in sorted({o.label.split for o in self.outcomes}):
            part: dict[str, object] = {}
            for name, real in (("all", None), ("corpus", False), ("realdocs", True)):
                scored = self.scored(split, real)
                part[name] = {
                    "top_is_labelled": self.share(split, real),
                    "hits": sum(o.hit for o in scored),
                    "queries": len(scored),
                }
            part["not_found"] = [
                o.label.id for o in self.outcomes if o.label.split == split and not o.found
            ]
            if misses and split == "dev":
                part["misses"] = [_miss(o) for o in self.scored(split) if not o.hit]
            out[split] = part
        return out


def _miss(o: Outcome) -> dict[str, object]:
    return {"id": o.label.id, "query": o.label.query, "expected": o.expected, "got": o.got}


def score_labels(
    labels: Sequence[HighlightLabel],
    passages_of: Callable[[HighlightLabel], PassageTexts],
    highlighter: Highlighter,
    page_text: PageText | None = None,
) -> HighlightReport:
    """Each label's passage highlighted for its query; a hit when the top highlight's span
    overlaps the labelled sentence's span in that passage."""
    report = HighlightReport()
    for label in labels:
        sentence = labelled_text(label, page_text)
        passages = passages_of(label)
        place = locate(sentence, passages) if sentence is not None else None
        if place is None:
            report.outcomes.append(Outcome(label, hit=False, found=False))
            continue
        index, start, end = place
        text, lang = passages[index]
        found = highlighter(label.query, text, lang)
        top = (found[0].start, found[0].end) if found else None
        hit = top is not None and top[0] < end and start < top[1]
        report.outcomes.append(Outcome(label, hit, True, (start, end), top, text))
    return report
