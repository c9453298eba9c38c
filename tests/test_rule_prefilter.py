"""The rules' substring prefilter only skips regexes that cannot match: the tags, and the words
each reason quotes, are the same with and without it."""

from __future__ import annotations

import re

import pytest

from kb.evaluation.tags_unseen import load_unseen_set, resolve_unseen
from kb.tags import tagger
from kb.tags.prefilter import leading_literals, lower_for_prefilter, may_match
from kb.tags.tagger import compiled_rules, rule_tags
from kb.tags.taxonomy import load_taxonomy
from tests.conftest import REPO

UNSEEN = REPO / "corpus" / "eval" / "tags_unseen.yaml"


def _texts() -> list[str]:
    """Bundled reports in pieces, every labelled span and paraphrase that resolves, and some
    shouting and odd letters."""
    texts = []
    for path in sorted((REPO / "corpus").glob("*.md")):
        body = path.read_text(encoding="utf-8")
        texts += [body[i : i + 900] for i in range(0, len(body), 700)]
    examples, _ = resolve_unseen(load_unseen_set(UNSEEN))
    texts += [ex.text for ex in examples]
    texts += [t.upper() for t in texts[:40]]
    texts += ["CONFERENCIAS SOBRE CLÚSTERS y ſeminarios de formación", "İNNOVACIÓN Kelvin"]
    return texts


def test_tags_and_reasons_are_the_same_without_the_prefilter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = _texts()
    with_filter = [rule_tags(t) for t in texts]
    monkeypatch.setattr(tagger, "lower_for_prefilter", lambda _text: None)
    without = [rule_tags(t) for t in texts]
    assert with_filter == without
    assert sum(bool(tags) for tags in with_filter) > len(texts) // 4  # the rules do fire


def test_most_regexes_get_a_prefilter() -> None:
    starts = [s for c in compiled_rules(load_taxonomy()) for p in c.patterns for s in p.starts]
    assert sum(s is not None for s in starts) > len(starts) // 2


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"(conferencias?|seminarios?)\s+sobre", ("conferencia", "seminario")),
        (r"\b(?<!no\s)Fondo\s+de", ("fondo",)),
        (r"[eé]xito", None),  # a character class first: no literal start
        (r"(\w+\s+)?acceso", None),  # an optional group first
        (r"(se|hay)\s+que", None),  # starts too short to be worth checking
    ],
)
def test_leading_literals(pattern: str, expected: tuple[str, ...] | None) -> None:
    assert leading_literals(re.compile(pattern, re.IGNORECASE)) == expected


def test_a_text_without_the_literals_is_skipped_and_case_does_not_matter() -> None:
    starts = leading_literals(re.compile(r"(conferencias?|seminarios?)\s+sobre", re.IGNORECASE))
    assert may_match(starts, lower_for_prefilter("Los SEMINARIOS sobre clústeres"))
    assert not may_match(starts, lower_for_prefilter("Talleres de formación"))
    assert may_match(None, "cualquier texto")
