"""Tagging accuracy on the hand-labelled passages: P/R/F1 per facet and tag, and thresholds.

The labelled set itself (reading tags.yaml, finding each passage's text) is in `tag_set`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kb.encoders import Embedder
from kb.evaluation.tag_set import Labels, Loader, Resolved, Skipped, load_tag_set, resolve
from kb.models import FACETS
from kb.tags.tagger import Tagger, rule_tags, similarity_scores, similarity_tags
from kb.tags.taxonomy import Taxonomy, load_taxonomy

# Quality floors for the default encoder (tests/test_tag_accuracy.py enforces them).
FLOORS: dict[str, float] = {"problem": 0.8, "instrument": 0.8, "outcome": 0.7, "evidence": 0.7}
GRID_STEP = 0.005
CV_FOLDS = 5


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
    reference: Loader | None = None,
) -> TagEvalReport:
    """Score `Tagger(embedder)` as configured on the labelled passages at `path`; with
    `choose`, also search the similarity thresholds that would suit these passages best."""
    taxonomy = taxonomy or load_taxonomy()
    resolved, skipped = resolve(load_tag_set(path, taxonomy), load, reference)
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
