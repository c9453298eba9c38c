"""The second, blind annotation of a sample of the labelled tag set, and how agreement is
counted (`clusterkb eval --tags` prints it as the ceiling the tagger is read against)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.evaluation.tag_agreement import (
    AgreementSetError,
    agreement,
    compare_with_annotators,
    load_second_annotation,
)
from kb.evaluation.tags_unseen import load_unseen_set
from tests.conftest import REPO

EVAL = REPO / "corpus" / "eval"


def _labels(problem: tuple[str, ...] = (), evidence: tuple[str, ...] = ()) -> dict:
    return {
        "problem": frozenset(problem),
        "instrument": frozenset(),
        "outcome": frozenset(),
        "evidence": frozenset(evidence),
    }


def test_the_second_annotation_names_labelled_passages_in_every_language() -> None:
    entries = load_unseen_set(EVAL / "tags_unseen.yaml").entries
    second = load_second_annotation(EVAL / "tags_agreement.yaml", entries)
    langs = {e.lang for e in entries if e.id in second.labels}
    assert len(second.labels) >= 150
    assert langs == {"es", "en", "pt"}


def test_two_annotators_agree_well_enough_for_the_labels_to_be_a_yardstick() -> None:
    """If two careful readers disagreed as much as the tagger does, its figures would say
    nothing; this is what makes the floors a fair goal."""
    entries = load_unseen_set(EVAL / "tags_unseen.yaml").entries
    second = load_second_annotation(EVAL / "tags_agreement.yaml", entries)
    between = compare_with_annotators(entries, second, {})["annotator 2 vs 1"]
    assert between.passages == len(second.labels)
    assert between.overall.f1 >= 0.75
    assert min(c.f1 for c in between.facets.values()) >= 0.7


def test_agreement_counts_the_other_labelling_against_the_reference() -> None:
    reference = {"a": _labels(("coordination",), ("evaluated",)), "b": _labels()}
    other = {"a": _labels(("coordination", "role_clarity")), "b": _labels(), "c": _labels()}
    result = agreement(reference, other, {"a": "es", "b": "en"})
    assert result.passages == 2  # "c" is labelled once only
    assert (result.overall.tp, result.overall.fp, result.overall.fn) == (1, 1, 1)
    assert result.facets["evidence"].fn == 1 and result.facets["problem"].fp == 1
    assert set(result.langs) == {"es", "en"}
    assert agreement(reference, reference, {}).overall.f1 == 1.0


def test_a_second_label_for_an_unknown_passage_is_refused_by_name(tmp_path: Path) -> None:
    entries = load_unseen_set(EVAL / "tags_unseen.yaml").entries
    bad = tmp_path / "agreement.yaml"
    bad.write_text(
        "passages:\n  - id: no-such-passage\n    tags: {problem: [], instrument: [], "
        "outcome: [], evidence: []}\n"
    )
    with pytest.raises(AgreementSetError, match="no-such-passage"):
        load_second_annotation(bad, entries)
    known = entries[0].id
    bad.write_text(
        f"passages:\n  - id: {known}\n    tags: {{problem: [not_a_tag], instrument: [], "
        "outcome: [], evidence: []}\n"
    )
    with pytest.raises(AgreementSetError, match="not_a_tag"):
        load_second_annotation(bad, entries)


def test_a_file_that_is_not_a_mapping_is_refused_by_name(tmp_path: Path) -> None:
    entries = load_unseen_set(EVAL / "tags_unseen.yaml").entries
    bad = tmp_path / "agreement.yaml"
    bad.write_text("- just a list\n")
    with pytest.raises(AgreementSetError, match="agreement.yaml"):
        load_second_annotation(bad, entries)
