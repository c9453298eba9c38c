"""A second, blind annotation of the passage countries of corpus/eval/realdocs.yaml
(corpus/eval/realdocs_agreement.yaml): how often two careful readers give a whole passage
the same countries, the most the labels can show and what the passage-country floor is
read against."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kb.countries import normalise_country
from kb.evaluation.realdocs import Ratio
from kb.evaluation.realdocs_set import RealdocsSet
from kb.files import read_yaml

AGREEMENT_FILE = "realdocs_agreement.yaml"


class CountryAgreementError(ValueError):
    """The second annotation is malformed or names a passage the labelled set lacks."""


def _countries(values: object, where: str) -> frozenset[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise CountryAgreementError(f"{where}: countries must be a list of names ([] for none)")
    return frozenset(normalise_country(v) for v in values)


def load_second_countries(path: Path, labels: RealdocsSet) -> dict[str, frozenset[str]]:
    """Passage id -> the second annotator's countries for its whole passage."""
    data = read_yaml(Path(path), CountryAgreementError)
    if not isinstance(data, dict):
        raise CountryAgreementError(f"{Path(path).name}: expected a mapping with passages")
    labelled = {p.id for p in labels.passages if p.passage is not None}
    out: dict[str, frozenset[str]] = {}
    for raw in data.get("passages") or ():
        ident = str(raw.get("id", "?")) if isinstance(raw, dict) else "?"
        where = f"{Path(path).name}: entry {ident!r}"
        if ident not in labelled:
            raise CountryAgreementError(f"{where}: no whole-passage label with this id")
        if ident in out:
            raise CountryAgreementError(f"{where}: labelled twice")
        out[ident] = _countries(raw.get("countries"), where)
    return out


def country_agreement(labels: RealdocsSet, second: Mapping[str, frozenset[str]]) -> Ratio:
    """Whole passages of `labels` (one split) both annotators gave exactly the same countries."""
    both = [p for p in labels.passages if p.passage is not None and p.id in second]
    same = sum(
        frozenset(normalise_country(c) for c in p.passage.countries) == second[p.id]
        for p in both
        if p.passage is not None
    )
    return Ratio(same, len(both))
