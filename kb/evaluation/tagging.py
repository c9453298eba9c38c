"""Tagging accuracy on hand-labelled passages (corpus/eval/tags.yaml): P/R/F1 and thresholds.

The label file names passages, never quotes them: a bundled report by document id and an
anchor inside the paragraph, a real report by file, page, character span and sha256 (their
licences forbid copying). Texts are read at run time; missing files are skipped and reported.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kb.encoders import Embedder
from kb.models import FACETS, Document
from kb.tags.tagger import Tagger, rule_tags, similarity_scores, similarity_tags
from kb.tags.taxonomy import Taxonomy, load_taxonomy

Loader = Callable[[Path], Document]
Labels = dict[str, frozenset[str]]

# Quality floors for the default encoder (tests/test_tag_accuracy.py enforces them).
FLOORS: dict[str, float] = {"problem": 0.8, "instrument": 0.8, "outcome": 0.7, "evidence": 0.7}
GRID_STEP = 0.005
CV_FOLDS = 5
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


@dataclass(frozen=True)
class Counts:
    """True/false positives and false negatives; empty denominators count as perfect."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True)
class ThresholdChoice:
    """The best similarity threshold of a facet (None: similarity does not improve rules)."""

    facet: str
    threshold: float | None
    rules_f1: float
    best_f1: float
    cv_f1: float
    """Micro-F1 when each fold is tagged with the threshold chosen on the other folds."""


@dataclass(frozen=True)
class PassageError:
    id: str
    ref: str
    facet: str
    missed: tuple[str, ...]
    extra: tuple[str, ...]


@dataclass
class TagEvalReport:
    backend: str
    thresholds: dict[str, float | None]
    sources: dict[str, int]
    skipped: list[Skipped] = field(default_factory=list)
    facets: dict[str, Counts] = field(default_factory=dict)
    per_tag: dict[str, dict[str, Counts]] = field(default_factory=dict)
    errors: list[PassageError] = field(default_factory=list)
    choice: dict[str, ThresholdChoice] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "thresholds": self.thresholds,
            "passages": sum(self.sources.values()),
            "sources": self.sources,
            "skipped": [vars(s) for s in self.skipped],
            "facets": {f: c.to_dict() for f, c in self.facets.items()},
            "tags": {
                f: {t: {**c.to_dict(), "support": c.support} for t, c in tags.items()}
                for f, tags in self.per_tag.items()
            },
            "chosen_thresholds": {
                f: {
                    "threshold": c.threshold,
                    "rules_f1": round(c.rules_f1, 4),
                    "best_f1": round(c.best_f1, 4),
                    "cv_f1": round(c.cv_f1, 4),
                }
                for f, c in self.choice.items()
            },
            "errors": [
                {**vars(e), "missed": list(e.missed), "extra": list(e.extra)} for e in self.errors
            ],
        }


# ------------------------------------------------------------------ the label file


def _entry(raw: dict[str, Any], taxonomy: Taxonomy) -> LabelledPassage:
    where = f"entry {raw.get('id', '?')!r}"
    tags = raw.get("tags") or {}
    missing = [f for f in FACETS if f not in tags]
    if missing:
        # An absent facet would silently count as "no tag applies": demand it explicitly.
        raise TagSetError(f"{where}: no label for {', '.join(missing)} (use [] for none)")
    expected: Labels = {}
    for facet in FACETS:
        values = frozenset(str(v) for v in tags[facet] or ())
        unknown = values - set(taxonomy.tag_ids(facet))
        if unknown:
            raise TagSetError(f"{where}: unknown {facet} tag(s) {', '.join(sorted(unknown))}")
        expected[facet] = values
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
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
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
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


def resolve(tag_set: TagSet, load: Loader) -> tuple[list[Resolved], list[Skipped]]:
    """Each entry with its text, and the entries that could not be read (with why).

    `load` is the extractor the offsets refer to (`ingest.loaders.load_document`); it is
    passed in by the front end so that kb does not depend on ingest.
    """
    cache: dict[Path, Document] = {}

    def read(path: Path) -> Document:
        if path not in cache:  # one parse per file: PDFs take seconds
            cache[path] = load(path)
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


# ------------------------------------------------------------------ scoring


def count(gold: frozenset[str], predicted: frozenset[str]) -> Counts:
    return Counts(len(gold & predicted), len(predicted - gold), len(gold - predicted))


def facet_counts(gold: Sequence[Labels], predicted: Sequence[Labels], facet: str) -> Counts:
    """Micro counts of one facet over all passages."""
    total = Counts()
    for g, p in zip(gold, predicted, strict=True):
        total += count(g[facet], p[facet])
    return total


def tag_counts(gold: Sequence[Labels], predicted: Sequence[Labels], facet: str, tag: str) -> Counts:
    total = Counts()
    for g, p in zip(gold, predicted, strict=True):
        total += count(g[facet] & {tag}, p[facet] & {tag})
    return total


def _labels(tags: Sequence[Any]) -> Labels:
    return {f: frozenset(t.tag_id for t in tags if t.facet == f) for f in FACETS}


def _union(a: Labels, b: Labels) -> Labels:
    return {f: a[f] | b[f] for f in FACETS}


def _f1_at(
    gold: Sequence[Labels],
    rules: Sequence[Labels],
    by_threshold: dict[float, list[Labels]],
    facet: str,
    rows: Sequence[int],
) -> dict[float | None, float]:
    """Micro-F1 of `facet` on `rows` for rules alone (None) and for each threshold."""
    g = [gold[i] for i in rows]
    out: dict[float | None, float] = {None: facet_counts(g, [rules[i] for i in rows], facet).f1}
    for t, sim in by_threshold.items():
        out[t] = facet_counts(g, [_union(rules[i], sim[i]) for i in rows], facet).f1
    return out


def _pick(scores: dict[float | None, float]) -> float | None:
    best = max(scores.values())
    if scores[None] >= best:
        return None  # similarity only adds noise (or nothing): keep rules alone
    return max(t for t, f1 in scores.items() if t is not None and f1 == best)


def choose_thresholds(
    resolved: Sequence[Resolved],
    embedder: Embedder,
    vectors: np.ndarray | None = None,
    taxonomy: Taxonomy | None = None,
) -> dict[str, ThresholdChoice]:
    """Per facet, the similarity threshold maximising micro-F1 of rules + similarity."""
    taxonomy = taxonomy or load_taxonomy()
    texts = [r.text for r in resolved]
    if vectors is None:
        vectors = embedder.embed_passages(texts)
    gold = [r.entry.expected for r in resolved]
    rules = [_labels(rule_tags(t, taxonomy)) for t in texts]
    folds = [list(range(k, len(resolved), CV_FOLDS)) for k in range(CV_FOLDS)]
    out: dict[str, ThresholdChoice] = {}
    for facet in FACETS:
        by_threshold = {
            t: [_labels(s) for s in similarity_tags(vectors, embedder, {facet: t}, taxonomy)]
            for t in _grid(vectors, embedder, taxonomy, facet)
        }
        everyone = range(len(resolved))
        scores = _f1_at(gold, rules, by_threshold, facet, everyone)
        chosen = _pick(scores)
        # Cross-validation: how well does a threshold chosen on other passages carry over?
        held_out = []
        for fold in folds:
            train = [i for i in everyone if i not in fold]
            t = _pick(_f1_at(gold, rules, by_threshold, facet, train))
            pick = by_threshold[t] if t is not None else [_empty() for _ in everyone]
            held_out += [(gold[i], _union(rules[i], pick[i])) for i in fold]
        cv = facet_counts([g for g, _ in held_out], [p for _, p in held_out], facet).f1
        out[facet] = ThresholdChoice(facet, chosen, scores[None], max(scores.values()), cv)
    return out


def _empty() -> Labels:
    return {f: frozenset() for f in FACETS}


def _grid(vectors: np.ndarray, embedder: Embedder, taxonomy: Taxonomy, facet: str) -> list[float]:
    """Thresholds every GRID_STEP across the similarities seen for this facet's tags."""
    tags, sims = similarity_scores(vectors, embedder, taxonomy)
    cols = [j for j, t in enumerate(tags) if t.facet == facet]
    if not cols or sims.size == 0:
        return []
    values = sims[:, cols]
    lo = np.floor(values.min() / GRID_STEP) * GRID_STEP
    hi = np.ceil(values.max() / GRID_STEP) * GRID_STEP
    return [round(float(x), 3) for x in np.arange(lo, hi + GRID_STEP / 2, GRID_STEP)]


def evaluate_tagger(
    resolved: Sequence[Resolved], tagger: Tagger, vectors: np.ndarray | None = None
) -> tuple[dict[str, Counts], dict[str, dict[str, Counts]], list[PassageError]]:
    """Micro counts per facet, counts per tag, and each passage's misses and extras."""
    gold = [r.entry.expected for r in resolved]
    predicted = [
        _labels(tagger.tag_text(r.text, None if vectors is None else vectors[i]))
        for i, r in enumerate(resolved)
    ]
    facets = {f: facet_counts(gold, predicted, f) for f in FACETS}
    per_tag = {
        f: {t: tag_counts(gold, predicted, f, t) for t in tagger.taxonomy.tag_ids(f)}
        for f in FACETS
    }
    errors = [
        PassageError(
            r.entry.id, r.entry.ref, f, tuple(sorted(g[f] - p[f])), tuple(sorted(p[f] - g[f]))
        )
        for r, g, p in zip(resolved, gold, predicted, strict=True)
        for f in FACETS
        if g[f] != p[f]
    ]
    return facets, per_tag, errors


def run_tag_eval(
    embedder: Embedder,
    path: Path,
    load: Loader,
    taxonomy: Taxonomy | None = None,
    choose: bool = True,
) -> TagEvalReport:
    """Score `Tagger(embedder)` as configured on the labelled passages at `path`; with
    `choose`, also search the similarity thresholds that would suit these passages best."""
    taxonomy = taxonomy or load_taxonomy()
    resolved, skipped = resolve(load_tag_set(path, taxonomy), load)
    tagger = Tagger(embedder, taxonomy)
    similarity_on = any(t is not None for t in tagger.thresholds.values())
    # Encoding is the slow part: only when the tagger or the search needs vectors.
    vectors = (
        embedder.embed_passages([r.text for r in resolved])
        if resolved and (choose or similarity_on)
        else None
    )
    facets, per_tag, errors = evaluate_tagger(resolved, tagger, vectors)
    choice = {} if vectors is None else choose_thresholds(resolved, embedder, vectors, taxonomy)
    return TagEvalReport(
        backend=embedder.name,
        thresholds={f: tagger.thresholds.get(f) for f in FACETS},
        sources=dict(sorted(Counter(r.entry.source for r in resolved).items())),
        skipped=skipped,
        facets=facets,
        per_tag=per_tag,
        errors=errors,
        choice=choice,
    )


# ------------------------------------------------------------------ printing


def _pct(value: float) -> str:
    return f"{value:.3f}"


def print_tag_report(report: TagEvalReport, console: Console, errors: bool = False) -> None:
    """The report as tables: per facet, per tag, chosen thresholds; errors on request."""
    n = sum(report.sources.values())
    origin = ", ".join(f"{k} {v}" for k, v in report.sources.items())
    table = Table(title=f"Tagging on {n} labelled passages ({origin}) with {report.backend}")
    for col in ("facet", "threshold", "expected", "TP", "FP", "FN", "P", "R", "F1", "floor"):
        table.add_column(col, justify="left" if col == "facet" else "right")
    for facet, c in report.facets.items():
        floor = FLOORS.get(facet)
        mark = "" if floor is None else f"{floor:.2f} " + ("ok" if c.f1 >= floor else "MISSED")
        limit = report.thresholds.get(facet)
        table.add_row(
            facet,
            "rules only" if limit is None else f"{limit:.3f}",
            str(c.support),
            str(c.tp),
            str(c.fp),
            str(c.fn),
            _pct(c.precision),
            _pct(c.recall),
            _pct(c.f1),
            mark,
        )
    console.print(table)

    tags = Table(title="Per tag")
    for col in ("facet", "tag", "expected", "predicted", "P", "R", "F1"):
        tags.add_column(col, justify="left" if col in ("facet", "tag") else "right")
    for facet, per in report.per_tag.items():
        for tag_id, c in per.items():
            tags.add_row(facet, tag_id, str(c.support), str(c.tp + c.fp), *_scores_or_dash(c))
    console.print(tags)

    if report.choice:
        chosen = Table(title="Similarity thresholds chosen on these passages (grid search)")
        for col in ("facet", "threshold", "F1 rules only", "F1 with it", f"F1 {CV_FOLDS}-fold"):
            chosen.add_column(col, justify="left" if col == "facet" else "right")
        for facet, ch in report.choice.items():
            chosen.add_row(
                facet,
                "none (rules only)" if ch.threshold is None else f"{ch.threshold:.3f}",
                _pct(ch.rules_f1),
                _pct(ch.best_f1),
                _pct(ch.cv_f1),
            )
        console.print(chosen)
    if report.skipped:
        console.print(f"[yellow]{len(report.skipped)} labelled passage(s) skipped:[/yellow]")
        for s in report.skipped:
            console.print(f"  {escape(s.id)}: {escape(s.ref)}: {escape(s.reason)}")
    if errors:
        console.print("[bold]Passages whose tags differ from the labels:[/bold]")
        for e in report.errors:
            console.print(
                f"  {escape(e.id)} [{e.facet}] missed {', '.join(e.missed) or '-'}; "
                f"extra {', '.join(e.extra) or '-'}"
            )


def _scores_or_dash(c: Counts) -> tuple[str, str, str]:
    if c.support == 0 and c.fp == 0:
        return "–", "–", "–"  # neither labelled nor predicted: nothing to score
    return _pct(c.precision), _pct(c.recall), _pct(c.f1)
