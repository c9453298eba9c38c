"""The learned tagger: one ridge classifier per tag on encoder vectors, per-tag thresholds
chosen by grouped cross-validation on the training data only, and the labelled passages kept
as a bank of vectors so that each tag can name the examples it is closest to.

Ridge rather than logistic regression: one linear solve fits every tag at once, and the
solve's sufficient statistics (XᵀX, XᵀY) are kept in the model, so that `tags train` can add
the analysts' corrections to a shipped model without the labelled texts at hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from kb.tags.taxonomy import Taxonomy

LAMBDA = 1.0
"""Ridge penalty (chosen by grouped cross-validation on the labelled set, see README)."""
MIN_POSITIVES = 3
"""A tag with fewer labelled passages in the training data stays off: nothing to learn from."""
MIN_HELD_OUT_F1 = 0.4
"""A tag whose best held-out F1 (inner cross-validation) stays below this stays off: without
the gate, rare tags take a very low threshold and tag nearly everything."""
NEIGHBOURS = 2


@dataclass(frozen=True)
class Stats:
    """The ridge's sufficient statistics, with a bias column last."""

    xtx: np.ndarray
    xty: np.ndarray
    positives: np.ndarray
    """Labelled passages per tag (weighted), to know which tags have enough to learn from."""

    def __add__(self, other: Stats) -> Stats:
        return Stats(self.xtx + other.xtx, self.xty + other.xty, self.positives + other.positives)


@dataclass(frozen=True)
class TagModel:
    """A fitted learned tagger for one encoder; `keys` are "facet:tag"."""

    encoder: str
    keys: tuple[str, ...]
    weights: np.ndarray
    thresholds: np.ndarray
    """Per tag; +inf for tags that stay off."""
    stats: Stats
    bank: np.ndarray
    """Unit vectors of the labelled passages (and corrected passages)."""
    bank_labels: np.ndarray
    bank_refs: tuple[str, ...]
    """Who each bank row is: a labelled passage id or a corrected passage id."""
    fingerprint: str
    lam: float = LAMBDA

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """(passages × tags) ridge scores; about 1 means "looks like the passages of this tag"."""
        if len(vectors) == 0:
            return np.zeros((0, len(self.keys)), dtype=np.float32)
        return np.asarray(with_bias(vectors) @ self.weights, dtype=np.float32)

    def predict(self, vectors: np.ndarray) -> list[list[tuple[str, float]]]:
        """For each vector, the tags over their threshold with their score."""
        scores = self.scores(vectors)
        # One pass over the hits of the whole batch (row-major: each row's tags in key order).
        rows, cols = np.nonzero(scores >= self.thresholds[None, :])
        out: list[list[tuple[str, float]]] = [[] for _ in range(len(scores))]
        for i, j, score in zip(
            rows.tolist(), cols.tolist(), scores[rows, cols].tolist(), strict=True
        ):
            out[i].append((self.keys[j], score))
        return out

    @cached_property
    def _bank64(self) -> np.ndarray:
        return np.asarray(self.bank, dtype=np.float64)

    @cached_property
    def _rows(self) -> dict[str, np.ndarray]:
        """The bank rows of each tag, by key (looked up once per tag given)."""
        return {k: np.flatnonzero(self.bank_labels[:, j]) for j, k in enumerate(self.keys)}

    def bank_similarities(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine of each vector with every labelled passage in the bank (one product for a
        batch: cheaper than one per tag given).

        Summed in float64 and rounded to float32, as the scores are: a float32 product sums in
        another order for one row than for many, enough to swap two nearly equal neighbours,
        so a passage's reason would depend on which passages share its batch."""
        product = np.asarray(vectors, dtype=np.float64) @ self._bank64.T
        return np.asarray(product, dtype=np.float32)

    def neighbours(
        self, similarities: np.ndarray, key: str, k: int = NEIGHBOURS
    ) -> list[tuple[str, float]]:
        """The labelled passages of tag `key` closest to a vector, from its row of
        `bank_similarities`, with their cosine."""
        rows = self._rows[key]
        if len(rows) == 0:
            return []
        sims = similarities[rows]
        best = np.argsort(-sims)[:k]
        return [(self.bank_refs[rows[i]], float(sims[i])) for i in best]


def tag_keys(taxonomy: Taxonomy) -> list[str]:
    """The model's columns: "facet:tag" for every tag of the taxonomy, in its order."""
    return [f"{t.facet}:{t.id}" for t in taxonomy.all_tags()]


def labels_of(tag_sets: Sequence[Mapping[str, frozenset[str]]], keys: Sequence[str]) -> np.ndarray:
    """(passages × keys) of each passage's tags by facet; tags outside `keys` are left out."""
    index = {k: j for j, k in enumerate(keys)}
    out = np.zeros((len(tag_sets), len(keys)), dtype=bool)
    for i, labels in enumerate(tag_sets):
        for facet, tags in labels.items():
            for tag in tags:
                if f"{facet}:{tag}" in index:
                    out[i, index[f"{facet}:{tag}"]] = True
    return out


def with_bias(vectors: np.ndarray) -> np.ndarray:
    x = np.asarray(vectors, dtype=np.float64)
    return np.hstack([x, np.ones((len(x), 1))])


def statistics(vectors: np.ndarray, labels: np.ndarray, weight: float = 1.0) -> Stats:
    x = with_bias(vectors)
    y = np.asarray(labels, dtype=np.float64)
    return Stats(weight * (x.T @ x), weight * (x.T @ y), weight * y.sum(axis=0))


def solve(stats: Stats, lam: float = LAMBDA) -> np.ndarray:
    penalty = lam * np.eye(stats.xtx.shape[0])
    penalty[-1, -1] = 0.0  # the bias is not shrunk
    return np.linalg.solve(stats.xtx + penalty, stats.xty)


def _best_threshold(scores: np.ndarray, gold: np.ndarray, ruled: np.ndarray | None = None) -> float:
    """The score cut with the best F1 on these (held-out) scores; +inf when that F1 is under
    `MIN_HELD_OUT_F1`.

    With `ruled` (where the rules give the tag), the cut is chosen for what is used, the rules
    or the learned tagger: only passages the rules leave are counted, the rules' own hits are
    added to both sides of F1, and the tag stays off where no cut beats the rules alone."""
    positives = int(gold.sum())
    if positives == 0:
        return float("inf")
    ruled = np.zeros(len(gold), dtype=bool) if ruled is None else np.asarray(ruled, dtype=bool)
    base_tp, base_predicted = int((gold & ruled).sum()), int(ruled.sum())
    left = np.flatnonzero(~ruled)
    if len(left) == 0:
        return float("inf")
    order = left[np.argsort(-scores[left])]
    tp = base_tp + np.cumsum(gold[order])
    predicted = base_predicted + np.arange(1, len(order) + 1)
    f1 = 2 * tp / (predicted + positives)
    best = int(np.argmax(f1))
    if f1[best] < MIN_HELD_OUT_F1 or f1[best] <= 2 * base_tp / (base_predicted + positives):
        return float("inf")
    # Halfway to the next lower score: a little slack for unseen text.
    cut = scores[order[best]]
    below = scores[order[best + 1]] if best + 1 < len(order) else cut - 0.1
    return float((cut + below) / 2)


def held_out_scores(
    vectors: np.ndarray,
    labels: np.ndarray,
    groups: Sequence[object],
    lam: float = LAMBDA,
    prior: Stats | None = None,
) -> np.ndarray:
    """Each row's scores from a model fitted without its group (grouped cross-validation);
    `prior` examples are in every fit and never scored."""
    groups_arr = np.asarray(groups, dtype=object)
    out = np.zeros(labels.shape, dtype=np.float64)
    for group in dict.fromkeys(groups_arr.tolist()):
        test = groups_arr == group
        stats = statistics(vectors[~test], labels[~test])
        weights = solve(stats + prior if prior is not None else stats, lam)
        out[test] = with_bias(vectors[test]) @ weights
    return out


def choose_thresholds(
    vectors: np.ndarray,
    labels: np.ndarray,
    groups: Sequence[object],
    lam: float = LAMBDA,
    prior: Stats | None = None,
    ruled: np.ndarray | None = None,
) -> np.ndarray:
    """Per-tag thresholds from held-out scores of an inner grouped cross-validation; `ruled`
    (passages × tags, where the rules give each tag) makes each the best cut for the rules
    and the learned tagger together (`_best_threshold`)."""
    scores = held_out_scores(vectors, labels, groups, lam, prior)
    out = np.full(labels.shape[1], np.inf)
    for j in range(labels.shape[1]):
        if labels[:, j].sum() >= MIN_POSITIVES:
            hits = None if ruled is None else ruled[:, j]
            out[j] = _best_threshold(scores[:, j], labels[:, j].astype(bool), hits)
    return out


def fit(
    encoder: str,
    keys: Sequence[str],
    vectors: np.ndarray,
    labels: np.ndarray,
    groups: Sequence[object],
    refs: Sequence[str],
    fingerprint: str,
    lam: float = LAMBDA,
    prior: Stats | None = None,
    ruled: np.ndarray | None = None,
) -> TagModel:
    """Fit on labelled vectors; `groups` (documents) keep the threshold search honest.
    `prior`: examples that are always learnt from and never scored (the tag definitions).
    `ruled`: where the rules give each tag on these passages (thresholds for both together)."""
    stats = statistics(vectors, labels)
    if prior is not None:
        stats = stats + prior
    # Only passages with a tag can be a tag's nearest example: the others need no place.
    tagged = np.asarray(labels, dtype=bool).any(axis=1)
    return TagModel(
        encoder=encoder,
        keys=tuple(keys),
        weights=solve(stats, lam),
        thresholds=choose_thresholds(vectors, labels, groups, lam, prior, ruled),
        stats=stats,
        bank=np.asarray(vectors, dtype=np.float16)[tagged],
        bank_labels=np.asarray(labels, dtype=bool)[tagged],
        bank_refs=tuple(refs[int(i)] for i in np.flatnonzero(tagged)),
        fingerprint=fingerprint,
        lam=lam,
    )


CORRECTION_WEIGHT = 8.0
"""A corrected passage counts as this many labelled ones: the analyst has the last word."""


def with_examples(
    model: TagModel,
    vectors: np.ndarray,
    labels: np.ndarray,
    refs: Sequence[str],
    fingerprint: str,
    weight: float = CORRECTION_WEIGHT,
) -> TagModel:
    """The model refitted with more examples (corrections); thresholds stay as chosen by
    cross-validation, except that a tag that was off and that the examples add gets half the
    score of those examples (at least the median threshold). Only the examples' own tags:
    every tag has positives from its definitions, so counting those would switch on every tag
    after any correction."""
    if len(vectors) == 0:
        return replace(model, fingerprint=fingerprint)
    stats = model.stats + statistics(vectors, labels, weight)
    weights = solve(stats, model.lam)
    thresholds = model.thresholds.copy()
    learnable = np.isfinite(thresholds)
    fallback = float(np.median(thresholds[learnable])) if learnable.any() else 0.5
    marked = np.asarray(labels, dtype=bool)
    newly = ~learnable & marked.any(axis=0)
    # A tag learnt from corrections alone fires where a passage looks at least half as much
    # like the corrected passages as they do themselves (never below the median threshold).
    own = with_bias(vectors) @ weights
    for j in np.flatnonzero(newly):
        thresholds[j] = max(fallback, 0.5 * float(own[marked[:, j], j].mean()))
    return replace(
        model,
        weights=weights,
        thresholds=thresholds,
        stats=stats,
        bank=np.vstack([model.bank, np.asarray(vectors, dtype=np.float16)]),
        bank_labels=np.vstack([model.bank_labels, np.asarray(labels, dtype=bool)]),
        bank_refs=(*model.bank_refs, *refs),
        fingerprint=fingerprint,
    )
