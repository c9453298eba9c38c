"""Out-of-fold scores of the tagger on unseen text: grouped cross-validation over `fold`.

For each fold, the learned tagger is fitted on the other folds only (its thresholds chosen
by an inner cross-validation over their documents) and scored on the held-out fold. Rules
were written before this set: they are scored as they are, but only on spans they were not
tuned on (`seen_by_rules` left out), and so is every combination that includes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kb.evaluation.tag_set import Labels
from kb.evaluation.tagging import Counts
from kb.evaluation.tags_unseen import LANGS, Example, Unresolved
from kb.models import BODY, FACETS
from kb.tags.learned import Stats, fit, labels_of, tag_keys
from kb.tags.tagger import rule_hits
from kb.tags.taxonomy import Taxonomy, load_taxonomy

KindOf = Callable[[str], str]
SYSTEMS = ("rules", "learned", "combined")


def label_matrix(examples: Sequence[Example], keys: Sequence[str]) -> np.ndarray:
    return labels_of([ex.entry.expected for ex in examples], keys)


@dataclass
class SystemScores:
    """One system's out-of-fold figures on the passages it may honestly be scored on."""

    name: str
    passages: int
    facets: dict[str, Counts]
    overall: Counts
    paraphrase: Counts
    langs: dict[str, dict[str, Counts]]
    """lang -> facet (and "all") -> counts."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "passages": self.passages,
            "facets": {f: c.to_dict() for f, c in self.facets.items()},
            "overall": self.overall.to_dict(),
            "paraphrase_recall": round(self.paraphrase.recall, 4),
            "langs": {
                lang: {f: c.to_dict() for f, c in per.items()} for lang, per in self.langs.items()
            },
        }


@dataclass
class OutOfFoldReport:
    encoder: str
    passages: int
    folds: int
    kinds_from: str
    systems: dict[str, SystemScores] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)
    predicted: dict[str, dict[str, Labels]] = field(default_factory=dict, repr=False)
    """System -> passage id -> its out-of-fold tags, on the passages the system is scored on
    (what `kb.evaluation.tag_agreement` compares with a second annotator)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "encoder": self.encoder,
            "passages": self.passages,
            "folds": self.folds,
            "kinds_from": self.kinds_from,
            "systems": {name: s.to_dict() for name, s in self.systems.items()},
            "unresolved": self.unresolved,
        }


def _counts(gold: np.ndarray, predicted: np.ndarray) -> Counts:
    tp = int((gold & predicted).sum())
    return Counts(tp, int(predicted.sum()) - tp, int(gold.sum()) - tp)


def score_system(
    name: str,
    examples: Sequence[Example],
    keys: Sequence[str],
    gold: np.ndarray,
    predicted: np.ndarray,
    rows: np.ndarray,
) -> SystemScores:
    facet_of = np.array([k.split(":")[0] for k in keys])
    g, p = gold[rows], predicted[rows]
    picked = [examples[int(i)] for i in np.flatnonzero(rows)]
    lang = np.array([ex.entry.lang for ex in picked])
    para = np.array([ex.entry.source == "paraphrase" for ex in picked])
    langs: dict[str, dict[str, Counts]] = {}
    for code in LANGS:
        mine = lang == code
        if mine.any():
            per = {f: _counts(g[mine][:, facet_of == f], p[mine][:, facet_of == f]) for f in FACETS}
            langs[code] = {**per, "all": _counts(g[mine], p[mine])}
    return SystemScores(
        name=name,
        passages=int(rows.sum()),
        facets={f: _counts(g[:, facet_of == f], p[:, facet_of == f]) for f in FACETS},
        overall=_counts(g, p),
        paraphrase=_counts(g[para], p[para]),
        langs=langs,
    )


def out_of_fold_learned(
    examples: Sequence[Example],
    vectors: np.ndarray,
    gold: np.ndarray,
    keys: Sequence[str],
    encoder: str,
    prior: Stats | None = None,
    ruled: np.ndarray | None = None,
) -> np.ndarray:
    """Each passage's learned tags from a model that never saw its fold; `ruled` (where the
    rules give each tag) lets the thresholds be chosen for rules and learned together, as
    `tags train` chooses them."""
    folds = np.array([ex.entry.fold for ex in examples])
    groups = np.array([ex.entry.group for ex in examples], dtype=object)
    refs = [ex.id for ex in examples]
    out = np.zeros_like(gold)
    for fold in sorted(set(folds.tolist())):
        train, test = folds != fold, folds == fold
        model = fit(
            encoder,
            keys,
            vectors[train],
            gold[train],
            groups[train].tolist(),
            [r for r, t in zip(refs, train, strict=True) if t],
            fingerprint="cv",
            prior=prior,
            ruled=None if ruled is None else ruled[train],
        )
        out[test] = model.scores(vectors[test]) >= model.thresholds[None, :]
    return out


def labels_by_id(
    examples: Sequence[Example], keys: Sequence[str], predicted: np.ndarray, rows: np.ndarray
) -> dict[str, Labels]:
    """The rows' predictions as labels, by passage id."""
    out: dict[str, Labels] = {}
    for i in np.flatnonzero(rows).tolist():
        on = [keys[j] for j in np.flatnonzero(predicted[i]).tolist()]
        out[examples[i].id] = {
            f: frozenset(k.split(":", 1)[1] for k in on if k.split(":", 1)[0] == f) for f in FACETS
        }
    return out


def evaluate_out_of_fold(
    examples: Sequence[Example],
    vectors: np.ndarray,
    encoder: str,
    unresolved: Sequence[Unresolved] = (),
    kind_of: KindOf | None = None,
    taxonomy: Taxonomy | None = None,
    prior: Stats | None = None,
) -> OutOfFoldReport:
    """Rules, learned and combined scored out-of-fold.

    `kind_of` classifies each text as ingest does (boilerplate gets no tags); without it the
    labelled kind is used. `prior`: examples in every training fold (the tag definitions).
    """
    taxonomy = taxonomy or load_taxonomy()
    keys = tag_keys(taxonomy)
    gold = label_matrix(examples, keys)
    kinds = [kind_of(ex.text) if kind_of else ex.entry.kind for ex in examples]
    body = np.array([k == BODY for k in kinds], dtype=bool)
    rules = rule_hits([ex.text for ex in examples], keys, taxonomy) & body[:, None]
    learned = (
        out_of_fold_learned(examples, vectors, gold, keys, encoder, prior, rules) & body[:, None]
    )
    unseen_by_rules = np.array([not ex.entry.seen_by_rules for ex in examples], dtype=bool)
    everyone = np.ones(len(examples), dtype=bool)
    report = OutOfFoldReport(
        encoder=encoder,
        passages=len(examples),
        folds=len({ex.entry.fold for ex in examples}),
        kinds_from="detected as at ingest" if kind_of else "labels",
        unresolved=[f"{u.id}: {u.ref}: {u.reason}" for u in unresolved],
    )
    for name, predicted, rows in (
        ("rules", rules, unseen_by_rules),
        ("learned", learned, everyone),
        ("combined", rules | learned, unseen_by_rules),
    ):
        report.systems[name] = score_system(name, examples, keys, gold, predicted, rows)
        report.predicted[name] = labels_by_id(examples, keys, predicted, rows)
    return report
