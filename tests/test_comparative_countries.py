"""Countries of the passages of comparative reports (corpus/eval/comparative.yaml): fictional
reports that compare several countries, labelled by two annotators. Run with `-s` to see the
figures per round."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from ingest.annotate import annotate
from ingest.chunking import chunk_document
from ingest.loaders import load_document
from kb.config import Settings
from kb.encoders import get_embedder
from kb.files import read_yaml
from kb.models import Passage

EVAL = Path(__file__).resolve().parents[1] / "corpus" / "eval"
# The level reached, guarded against regressions (the rounds are told in comparative.yaml):
# round 1 0.862 (0.618 before the comparative rules), round 2 0.868 (0.824 before it was
# read, 0.693 before round 1), round 3 0.778 (0.727 before it was read, 0.596 before round 1).
REACHED = {1: 0.85, 2: 0.85, 3: 0.75}

pytestmark = pytest.mark.slow


@cache
def _passages(name: str) -> tuple[Passage, ...]:
    settings = Settings()
    embedder = get_embedder(settings.embedding_model, settings.threads)
    document = load_document(EVAL / "comparative" / name, settings)
    chunks = chunk_document(
        document,
        embedder.count_tokens,
        embedder.max_tokens,
        settings.chunk_tokens,
        settings.chunk_overlap_tokens,
    )
    return tuple(annotate(document, chunks))


def _holding(quote: str, passages: tuple[Passage, ...]) -> Passage | None:
    """The passage that opens with the quote: where it sits earliest (the one before may
    hold it too, in its overlap)."""
    found = [(" ".join(p.text.split()).find(quote), p) for p in passages]
    found = [(at, p) for at, p in found if at >= 0]
    return min(found, key=lambda pair: pair[0])[1] if found else None


def _labels() -> list[dict[str, object]]:
    return list(read_yaml(EVAL / "comparative.yaml", ValueError)["passages"])


def test_every_labelled_passage_is_found_again() -> None:
    missing = [e["quote"] for e in _labels() if _holding(e["quote"], _passages(e["file"])) is None]
    assert missing == [], f"label these again (the chunker cuts them differently): {missing}"


@pytest.mark.parametrize("round_", sorted(REACHED))
def test_passages_of_comparative_reports_get_their_countries(round_: int) -> None:
    agreed = [
        e
        for e in _labels()
        if e["round"] == round_ and sorted(e["countries"]) == sorted(e["second"])
    ]
    right = 0
    for entry in agreed:
        passage = _holding(entry["quote"], _passages(entry["file"]))
        assert passage is not None
        right += set(passage.countries) == set(entry["countries"])
    print(f"round {round_}: {right}/{len(agreed)} = {right / len(agreed):.3f}")
    assert len(agreed) >= 90 and right >= REACHED[round_] * len(agreed)
