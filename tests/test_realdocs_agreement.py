"""The second, blind annotation of the real reports' passage countries: it covers every
labelled passage, the two readers agree well above the floor, and bad entries are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.evaluation.realdocs import Ratio
from kb.evaluation.realdocs_agreement import (
    CountryAgreementError,
    country_agreement,
    load_second_countries,
)
from kb.evaluation.realdocs_set import SPLITS, load_realdocs_set
from tests.conftest import REPO

EVAL = REPO / "corpus" / "eval"


@pytest.fixture(scope="module")
def labels():  # type: ignore[no-untyped-def]
    return load_realdocs_set(EVAL / "realdocs.yaml")


def test_every_whole_passage_label_has_a_second_reading(labels) -> None:  # type: ignore[no-untyped-def]
    second = load_second_countries(EVAL / "realdocs_agreement.yaml", labels)
    assert set(second) == {p.id for p in labels.passages if p.passage is not None}


@pytest.mark.parametrize("split", SPLITS)
def test_two_readers_agree_above_the_floor(labels, split: str) -> None:  # type: ignore[no-untyped-def]
    """The passage-country floor (0.9) is within a careful reader's reach on both halves, so
    the code's shortfall is its own, not the labels'."""
    second = load_second_countries(EVAL / "realdocs_agreement.yaml", labels)
    ratio = country_agreement(labels.in_split(split), second)
    assert ratio.total >= 80
    assert ratio.value is not None and ratio.value >= 0.95


def test_spellings_count_as_the_same_country(labels, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A reader may write "Brasil" or "EE. UU.": names are compared as the app files them."""
    spelled = {"Brazil": "Brasil", "United States": "EE. UU.", "Mexico": "México"}
    passage = next(
        p for p in labels.passages if p.passage and spelled.keys() & set(p.passage.countries)
    )
    written = [spelled.get(c, c) for c in passage.passage.countries]  # type: ignore[union-attr]
    assert written != list(passage.passage.countries)  # type: ignore[union-attr]
    file = tmp_path / "agreement.yaml"
    file.write_text(f"passages:\n  - id: {passage.id}\n    countries: [{', '.join(written)}]\n")
    one = labels.in_split(passage.split)
    assert country_agreement(one, load_second_countries(file, labels)) == Ratio(1, 1)
    file.write_text(f"passages:\n  - id: {passage.id}\n    countries: [Chile]\n")
    assert country_agreement(one, load_second_countries(file, labels)) == Ratio(0, 1)


def test_a_bad_entry_is_refused_by_name(labels, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "agreement.yaml"
    bad.write_text("passages:\n  - id: no-such-passage\n    countries: []\n")
    with pytest.raises(CountryAgreementError, match="no-such-passage"):
        load_second_countries(bad, labels)
    known = next(p.id for p in labels.passages if p.passage is not None)
    bad.write_text(f"passages:\n  - id: {known}\n    countries: Argentina\n")
    with pytest.raises(CountryAgreementError, match=known):
        load_second_countries(bad, labels)
