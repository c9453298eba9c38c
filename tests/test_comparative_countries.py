"""Countries of the passages of comparative reports (corpus/eval/comparative.yaml): fictional
reports that compare several countries, labelled by two annotators. Run with `-s` to see the
figures per round."""

from __future__ import annotations

import re
import tempfile
from functools import cache
from pathlib import Path

import pytest

from ingest.annotate import annotate
from ingest.chunking import cut_as_ingest
from ingest.loaders import load_document
from kb.config import Settings
from kb.encoders import get_embedder
from kb.files import read_yaml
from kb.models import Passage
from tests.docs_factory import report_pdf

EVAL = Path(__file__).resolve().parents[1] / "corpus" / "eval"
# The level reached, guarded against regressions (the rounds are told in comparative.yaml):
# round 1 0.866 (0.618 before the comparative rules), round 2 0.878 (0.824 before it was
# read, 0.693 before round 1), round 3 0.808 (0.727 before it was read, 0.596 before round 1),
# round 4 0.780 when first scored (0.570 before round 1), 0.820 once read; round 5 0.645 when
# first scored (0.636 before round 4 was read), 0.733 once read; round 6 0.652 when first
# scored (0.623 before round 4 was read), 0.681 once read; round 7 0.673 when first scored
# (0.683 before round 6 was read), 0.726 once read (0.667 and 0.706 as PDFs); round 8 0.624
# when first scored, 0.729 once read. A donor's national aid agency (KfW, GIZ, JICA, USAID)
# is its country's since round 8 was read: the annotators of rounds 4-8 read it so in 25
# passages, round 1's did not in 3 (round 1: 0.866 before, 0.853 after). Round 9 0.646 when
# first scored, 0.726 once read (0.539 and 0.592 as PDFs); its corrections moved rounds 1-8
# to 0.866, 0.898, 0.838, 0.840, 0.765, 0.716, 0.764, 0.744. Round 10 0.732 with the rules
# before round 9, 0.753 when first scored, 0.768 once read (0.655, 0.648, 0.661 as PDFs).
# Round 11 (three reports on one country each) 0.730 with the rules of the session before,
# 0.723 when first scored, 0.745 once read (0.703, 0.721, 0.721 as PDFs). Round 12 (four
# thematic reports: countries as examples, boxes, tables) 0.872 when first scored (0.812 as
# PDFs); a table is then cut between rows (the passages it changed in rounds 1-12 were labelled
# again, blind), a case goes on where "the government" follows it, a box's heading is no
# section for the passages after the box: 0.957 once read (0.873 as PDFs). Round 13 (two
# thematic reports, two comparisons) 0.817 when first scored (0.701 as PDFs), 0.848 once read
# (0.754): "German", a firm abroad named by a compound demonym, a nation's brand, prices on an
# exchange abroad, the region's biosafety and seed agencies. Round 14 (six short documents on
# one country each, three of them saved web pages) 0.553 when first scored (0.434 for its three
# Markdown notes as PDFs), 0.718 once read (0.604): a report's main country is also the one it
# names across twice as many sections as any other; 0.757 with surnames, a language's acronym
# and airlines (0.642 as PDFs). Its PDFs are too few to guard (53). Round 15 (six more short
# documents) 0.697 when first scored (0.657 with the rules before round 14's corrections),
# 0.727 once read: a title's place of two countries ("Guadalajara") is the one the body names.
# Round 16 (five long reports on one country each, with theory, firm cases, a box and an annex)
# 0.755 when first scored (0.691 as PDFs), 0.821 once read (0.757): a chapter's title makes
# its subsections theory; developers, clients, entrepreneurs and immigrants by nationality, a
# firm's seat and a table's column of origins say nothing of a country (rounds 1-15 +13).
# Round 17 (four more of that kind) 0.665 when first scored (0.653 with the rules before round
# 16's corrections), 0.767 once read (0.702 as PDFs): each passage settles its own places of
# two countries when a document's main country is counted ("Córdoba" beside "España").
# Round 18 (two comparisons, two thematic reports) 0.818 when first scored, as with the rules
# before round 16; 0.834 once read (0.754 as PDFs): a world region in a section titled on a
# country. Round 19 (three comparisons, one thematic report) 0.775 when first scored, as with
# the rules before round 16; 0.815 once read (0.756 as PDFs): the Portuguese "França".
# Round 20 (two comparisons against a home country, two thematic reports) 0.761 when first
# scored (0.713 as PDFs), 0.877 once read (0.813): every state, a lesson for one country in
# the chapter on another, a box titled in bold in a block quote (rounds 8 and 19 -2 each,
# rounds 1-19 +4 in all), the firm named after its nationality, Washington. Round 21 (one
# country's state, a comparison, two thematic reports) 0.829 when first scored (0.756 as PDFs;
# 0.802 with the rules from before round 20's corrections), 0.873 once read (0.774): "the
# government" right after another country is that country's, a passage opening on the rest of
# the case before it (rounds 1-19 +4). Round 22 (country notes, one country's policy
# history, two thematic reports) 0.888 when first scored (0.811 as PDFs), 0.901 once read
# (0.828): assemblers and wineries by nationality, a firm's plants abroad.
REACHED = {
    1: 0.89,
    2: 0.91,
    3: 0.90,
    4: 0.88,
    5: 0.80,
    6: 0.75,
    7: 0.81,
    8: 0.73,
    9: 0.77,
    10: 0.78,
    11: 0.79,
    12: 0.96,
    13: 0.86,
    14: 0.77,
    15: 0.72,
    16: 0.84,
    17: 0.77,
    18: 0.83,
    19: 0.80,
    20: 0.87,
    21: 0.87,
    22: 0.90,
    23: 0.85,
    24: 0.86,
    25: 0.87,
    26: 0.84,
    27: 0.81,
    28: 0.86,
}

pytestmark = pytest.mark.slow


# The same reports printed as PDFs (cover, headings in bold by size, running header, page
# numbers): the countries must survive PDF extraction, where headings are read from type
# sizes and weights. Subheadings printed in bold a little larger than the body are sections
# since round 6 was read (0.855, 0.819, 0.774, 0.775, 0.684, 0.580 before), and a box's bold
# title ("Recuadro 1. La experiencia de Australia") since round 15 was (+8 in rounds 2, 12, 13).
REACHED_AS_PDF = {
    1: 0.88,
    2: 0.85,
    3: 0.87,
    4: 0.85,
    5: 0.75,
    6: 0.70,
    7: 0.77,
    8: 0.66,
    9: 0.63,
    10: 0.68,
    11: 0.76,
    12: 0.90,
    13: 0.76,
    16: 0.76,
    17: 0.70,
    18: 0.75,
    19: 0.75,
    20: 0.81,
    21: 0.77,
    22: 0.82,
    23: 0.77,
    24: 0.81,
    25: 0.80,
    26: 0.81,
    27: 0.73,
    28: 0.81,
}
SAME_PASSAGE = 0.8
"""A PDF passage stands for a labelled one when it holds this share of its word triples."""


@cache
def _passages(name: str, as_pdf: bool = False) -> tuple[Passage, ...]:
    settings = Settings()
    embedder = get_embedder(settings.embedding_model, settings.threads)
    path = EVAL / "comparative" / name
    if as_pdf:
        printed = Path(tempfile.mkdtemp()) / f"{path.stem}.pdf"
        printed.write_bytes(report_pdf(path.read_text(encoding="utf-8")))
        path = printed
    document = load_document(path, settings)
    chunks = cut_as_ingest(document, embedder, settings)
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
    assert len(agreed) >= 60 and right >= REACHED[round_] * len(agreed)


def _triples(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


@pytest.mark.parametrize("round_", sorted(REACHED_AS_PDF))
def test_the_same_reports_as_pdfs_keep_their_countries(round_: int) -> None:
    right = scored = 0
    for entry in _labels():
        if entry["round"] != round_ or sorted(entry["countries"]) != sorted(entry["second"]):
            continue
        if not str(entry["file"]).endswith(".md"):
            continue  # a saved web page is not printed
        labelled = _holding(entry["quote"], _passages(entry["file"]))
        assert labelled is not None
        wanted = _triples(labelled.text)
        printed = _passages(entry["file"], as_pdf=True)
        best = max(printed, key=lambda p: len(wanted & _triples(p.text)))
        if len(wanted & _triples(best.text)) < SAME_PASSAGE * len(wanted):
            continue  # cut differently in the PDF: no label for it
        scored += 1
        right += set(best.countries) == set(entry["countries"])
    print(f"round {round_} as PDF: {right}/{scored} = {right / scored:.3f}")
    assert scored >= 80 and right >= REACHED_AS_PDF[round_] * scored
