"""How far two careful annotators agree on the tags (corpus/eval/tags_agreement.yaml).

A second annotator labelled a random sample of the passages of tags_unseen.yaml again, by the
same rules and blind to the first labels. Their agreement (micro-F1 of one against the other;
F1 is symmetric) is the ceiling a tagger's figures are read against: a tagger that agrees with
the first annotator as often as the second does is as good as the labels can show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.evaluation.tag_set import Labels, TagSetError, read_labels
from kb.evaluation.tagging import Counts
from kb.evaluation.tags_unseen import UnseenPassage
from kb.files import read_yaml
from kb.models import FACETS
from kb.tags.taxonomy import Taxonomy, load_taxonomy


class AgreementSetError(ValueError):
    """The second annotation is malformed or names a passage the labelled set lacks."""


@dataclass(frozen=True)
class SecondAnnotation:
    sample: str
    """How the passages were drawn (from the file's header field)."""
    labels: dict[str, Labels]
    """Labelled passage id -> the second annotator's labels."""


def load_second_annotation(
    path: Path, entries: Sequence[UnseenPassage], taxonomy: Taxonomy | None = None
) -> SecondAnnotation:
    """Read the second annotation; every id must be a passage of the labelled set."""
    taxonomy = taxonomy or load_taxonomy()
    data = read_yaml(Path(path), AgreementSetError)
    if not isinstance(data, dict):
        raise AgreementSetError(f"{Path(path).name}: expected a mapping with passages")
    known = {e.id for e in entries}
    labels: dict[str, Labels] = {}
    for raw in data.get("passages") or ():
        ident = str(raw.get("id", "?")) if isinstance(raw, dict) else "?"
        where = f"{path.name}: entry {ident!r}"
        if not isinstance(raw, dict):
            raise AgreementSetError(f"{where}: expected id and tags")
        if ident not in known:
            raise AgreementSetError(f"{where}: no such passage in the labelled set")
        if ident in labels:
            raise AgreementSetError(f"{where}: labelled twice")
        try:
            labels[ident] = read_labels(raw, where, taxonomy)
        except TagSetError as exc:
            raise AgreementSetError(str(exc)) from exc
    if not labels:
        raise AgreementSetError(f"{path.name}: no passages")
    return SecondAnnotation(str(data.get("sample", "")), labels)


@dataclass(frozen=True)
class Agreement:
    """One labelling scored against another on the same passages."""

    passages: int
    facets: dict[str, Counts]
    overall: Counts
    langs: dict[str, Counts]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passages": self.passages,
            "facets": {f: c.to_dict() for f, c in self.facets.items()},
            "overall": self.overall.to_dict(),
            "langs": {code: c.to_dict() for code, c in self.langs.items()},
        }


def _counts(reference: Labels, other: Labels, facet: str) -> Counts:
    a, b = reference.get(facet, frozenset()), other.get(facet, frozenset())
    return Counts(len(a & b), len(b - a), len(a - b))


def agreement(
    reference: Mapping[str, Labels], other: Mapping[str, Labels], langs: Mapping[str, str]
) -> Agreement:
    """`other` scored against `reference` on the passages both label."""
    shared = sorted(set(reference) & set(other))
    facets = {
        f: sum((_counts(reference[i], other[i], f) for i in shared), Counts()) for f in FACETS
    }
    per_lang: dict[str, Counts] = {}
    for ident in shared:
        both = sum((_counts(reference[ident], other[ident], f) for f in FACETS), Counts())
        code = langs.get(ident, "?")
        per_lang[code] = per_lang.get(code, Counts()) + both
    return Agreement(
        passages=len(shared),
        facets=facets,
        overall=sum(facets.values(), Counts()),
        langs=dict(sorted(per_lang.items())),
    )


def compare_with_annotators(
    entries: Sequence[UnseenPassage],
    second: SecondAnnotation,
    predicted: Mapping[str, Mapping[str, Labels]],
) -> dict[str, Agreement]:
    """The second annotator against the first (the labelled set's), and each tagger's
    out-of-fold tags (`predicted`, by system) against each annotator, on the sampled passages
    that system is scored on."""
    first = {e.id: e.expected for e in entries if e.id in second.labels}
    langs = {e.id: e.lang for e in entries}
    out = {"annotator 2 vs 1": agreement(first, second.labels, langs)}
    for name, tags in predicted.items():
        mine = {i: labels for i, labels in tags.items() if i in first}
        out[f"{name} vs 1"] = agreement({i: first[i] for i in mine}, mine, langs)
        out[f"{name} vs 2"] = agreement({i: second.labels[i] for i in mine}, mine, langs)
    return out
