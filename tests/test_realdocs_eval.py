"""`clusterkb eval --realdocs`: the scoring on made-up reports, and the floors on the real ones
(read at run time from ../shared/realdocs, never copied)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from clusterkb.cli import app
from clusterkb.cli.realdocs_eval import print_realdocs_report
from kb.config import get_settings
from kb.evaluation.minhash import fingerprint
from kb.evaluation.realdocs import (
    FLOORS,
    IngestedDocument,
    Ratio,
    SplitReport,
    best_passage,
    document_countries,
    score_split,
    title_matches,
    word_sequence,
)
from kb.evaluation.realdocs_set import (
    LabelledSpan,
    PageQuestion,
    RealdocsSet,
    RealDocument,
    WholePassageLabel,
    text_sha256,
)
from kb.models import Passage

REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"
SHA_DOC, SHA_OTHER = "d" * 64, "e" * 64

# Raw page text as a PDF reader gives it: a word hyphenated at a line end, with a space.
PAGE = (
    "Introducción general al estudio.\n"
    "El programa de desarrollo de pro -\nveedores mineros nació en San Juan y se extendió "
    "a Catamarca y Salta.\nCon los años el esquema se difundió: Chile adoptó uno parecido con "
    "apoyo de CORFO y de las grandes mineras del norte del país."
)


def passage(pid: str, text: str, **fields: object) -> Passage:
    base: dict[str, object] = {"doc_id": "mine", "index": 0, "start": 0, "end": len(text)}
    base |= {"page_start": 1, "page_end": 1, "section": ""}
    return Passage(id=pid, text=text, **(base | fields))  # type: ignore[arg-type]


def real_doc(doc_id: str = "mine", sha: str = SHA_DOC, **fields: object) -> RealDocument:
    base: dict[str, object] = {"file": f"{doc_id}.pdf", "split": "dev", "pages": 40}
    base |= {"title": "Desarrollo de proveedores para el sector minero", "language": "es"}
    base |= {"countries": ("Argentina",), "subtitle": "Desafíos institucionales"}
    return RealDocument(id=doc_id, sha256=sha, **(base | fields))  # type: ignore[arg-type]


def span(start: int, end: int, countries: Sequence[str], sid: str = "s1") -> LabelledSpan:
    return LabelledSpan(
        id=sid,
        doc="mine",
        split="dev",
        file_sha256=SHA_DOC,
        page=1,
        start=start,
        end=end,
        text_sha256=text_sha256(PAGE[start:end]),
        countries=tuple(countries),
    )


def question(page: int, printed: int | None, qid: str = "q1") -> PageQuestion:
    return PageQuestion(qid, "mine", "dev", "es", "¿Dónde nació el programa?", "San Juan",
                        SHA_DOC, page, printed)  # fmt: skip


def page_text(sha: str, page: int) -> str | None:
    return PAGE if (sha, page) == (SHA_DOC, 1) else None


def no_search(query: str) -> list[Passage]:
    return []


def never_broken(passage: Passage) -> bool:
    return False


def labelled(
    spans: Sequence[LabelledSpan] = (),
    questions: Sequence[PageQuestion] = (),
    docs: Sequence[RealDocument] = (),
) -> RealdocsSet:
    return RealdocsSet(tuple(docs) or (real_doc(),), tuple(spans), tuple(questions), Path("."))


# ----------------------------------------------------------------------------- passages


def test_a_span_across_two_passages_is_scored_on_the_one_holding_most_of_it() -> None:
    cut = PAGE.index("Con los años")
    # The cleaned passages joined the hyphenated word; the span starts in the first and
    # runs well into the second.
    first = passage(
        "p1", PAGE[:cut].replace("pro -\nveedores", "proveedores"), countries=("Argentina",)
    )
    second = passage("p2", PAGE[cut:], countries=("Chile",))
    s = span(PAGE.index("San Juan"), len(PAGE), ["Chile"])
    assert best_passage(PAGE[s.start : s.end], [first, second]) == second
    doc = IngestedDocument(SHA_DOC, "mine", "x", (first, second))
    report = score_split(labelled([s]), [doc], page_text, no_search, never_broken)
    assert report.passage_countries == Ratio(1, 1)
    assert report.spans_found == 1 and report.spans_not_found == 0


def test_a_hyphenated_span_matches_the_passage_that_joined_the_word() -> None:
    whole = passage("p1", PAGE.replace("pro -\nveedores", "proveedores"), countries=("Argentina",))
    s = span(PAGE.index("El programa"), PAGE.index("Con los años"), ["Argentina"])
    report = score_split(
        labelled([s]),
        [IngestedDocument(SHA_DOC, "mine", "x", (whole,))],
        page_text,
        no_search,
        never_broken,
    )
    assert report.passage_countries == Ratio(1, 1)


def test_wrong_countries_and_lost_text_both_count_against_passage_accuracy() -> None:
    chile_only = passage("p1", PAGE, countries=("Chile",))
    unrelated = passage("p2", "Un texto que no tiene nada en común con la página etiquetada.")
    spans = [
        span(PAGE.index("El programa"), PAGE.index("Con los años"), ["Argentina"], "right-text"),
        span(0, len(PAGE), ["Argentina", "Chile"], "both"),
    ]
    held = [IngestedDocument(SHA_DOC, "mine", "x", (chile_only,))]
    report = score_split(labelled(spans), held, page_text, no_search, never_broken)
    assert report.passage_countries == Ratio(0, 2)
    assert {m.id for m in report.misses if m.metric == "passage_countries"} == {
        "right-text",
        "both",
    }

    lost = [IngestedDocument(SHA_DOC, "mine", "x", (unrelated,))]
    report = score_split(labelled(spans), lost, page_text, no_search, never_broken)
    assert report.passage_countries == Ratio(0, 2) and report.spans_not_found == 2


def test_a_span_whose_page_text_changed_is_counted_apart() -> None:
    stale = LabelledSpan("s1", "mine", "dev", SHA_DOC, 1, 0, 20, "0" * 64, ("Argentina",))
    held = [IngestedDocument(SHA_DOC, "mine", "x", (passage("p1", PAGE),))]
    report = score_split(labelled([stale]), held, page_text, no_search, never_broken)
    assert report.spans_unreadable == 1 and report.passage_countries == Ratio(0, 1)


def test_a_passage_naming_its_neighbours_countries_is_scored_on_its_whole_label() -> None:
    # The span speaks of Argentina only; the passage holding it also speaks of Chile, and a
    # reader labelling the whole passage says so: right by the passage, wrong by the span.
    whole = passage("p1", PAGE, countries=("Argentina", "Chile"))
    label = WholePassageLabel(fingerprint(word_sequence(PAGE)), ("Argentina", "Chile"))
    s = span(PAGE.index("El programa"), PAGE.index("Con los años"), ["Argentina"])
    s = LabelledSpan(**{**s.__dict__, "passage": label})
    held = [IngestedDocument(SHA_DOC, "mine", "x", (whole,))]
    report = score_split(labelled([s]), held, page_text, no_search, never_broken)
    assert report.passage_countries == Ratio(1, 1)
    assert report.span_countries == Ratio(0, 1)


def test_a_label_given_to_a_passage_cut_differently_is_not_applied() -> None:
    cut = PAGE.index("Con los años")
    shorter = passage("p1", PAGE[:cut], countries=("Argentina",))
    label = WholePassageLabel(fingerprint(word_sequence(PAGE[cut:] + " otra cosa")), ("Chile",))
    s = span(PAGE.index("El programa"), cut, ["Argentina"])
    s = LabelledSpan(**{**s.__dict__, "passage": label})
    held = [IngestedDocument(SHA_DOC, "mine", "x", (shorter,))]
    report = score_split(labelled([s]), held, page_text, no_search, never_broken)
    assert report.passage_countries == Ratio(0, 1) and report.passages_recut == 1
    assert "label it again" in next(m.got for m in report.misses if m.metric == "passage_countries")


# ----------------------------------------------------------------------------- documents


@pytest.mark.parametrize(
    ("shown", "ok"),
    [
        ("Desarrollo de proveedores para el sector minero", True),
        ("DESARROLLO DE PROVEEDORES\n para el  SECTOR MINERO.", True),
        ("Desarrollo de proveedores para el sector minero: desafíos institucionales", True),
        ("Desarrollo de proveedores para el sector minero Desafios institucionales", True),
        ("Desarollo de proveedores para el sector minero", True),  # a letter off
        ("fundar desarrollo proveedores mineria es", False),  # the file name
        ("Desarrollo de proveedores", False),
        ("", False),
    ],
)
def test_title_accuracy_forgives_case_accents_spacing_and_the_subtitle(
    shown: str, ok: bool
) -> None:
    label = real_doc()
    assert title_matches(shown, label.title, label.subtitle) is ok


def test_document_countries_leave_out_countries_named_in_passing() -> None:
    texts = [("Argentina",)] * 30 + [("Chile",)] * 4 + [("Brazil",)] * 1 + [()] * 5
    body = [passage(f"b{i}", "t", countries=c) for i, c in enumerate(texts)]
    refs = [passage(f"r{i}", "t", countries=("Peru",), kind="references") for i in range(5)]
    assert document_countries(body + refs) == {"Argentina", "Chile"}


def test_a_document_not_ingested_is_named_with_its_reason_and_scored_wrong() -> None:
    docs = (real_doc(), real_doc("scan", SHA_OTHER, title="Un escaneo"))
    held = [IngestedDocument(SHA_DOC, "mine", "Desarrollo de proveedores para el sector minero",
                             (passage("p1", PAGE, countries=("Argentina",)),))]  # fmt: skip
    report = score_split(
        labelled(docs=docs), held, page_text, no_search, never_broken, {SHA_OTHER: "no text layer"}
    )
    assert report.refused == [("scan", "no text layer")]
    assert report.title == Ratio(1, 2) and report.doc_countries == Ratio(1, 2)


# ----------------------------------------------------------------------------- pages


def _page_at_3(questions: Sequence[PageQuestion], hits: Sequence[Passage]) -> Ratio:
    held = [IngestedDocument(SHA_DOC, "mine", "x", tuple(hits))]

    def search(query: str) -> list[Passage]:
        return list(hits)

    return score_split(
        labelled(questions=questions), held, page_text, search, never_broken
    ).page_at_3


def test_page_at_3_uses_the_printed_page_when_the_page_prints_one() -> None:
    # PDF page 14 prints "12": a citation must carry the printed number.
    printed = passage("p1", "t", page_start=14, page_end=15, page_label_start="12",
                      page_label_end="13")  # fmt: skip
    unlabelled = passage("p1", "t", page_start=14, page_end=14)
    assert _page_at_3([question(14, 12)], [printed]) == Ratio(1, 1)
    assert _page_at_3([question(14, 12)], [unlabelled]) == Ratio(0, 1)
    assert _page_at_3([question(15, 13)], [printed]) == Ratio(1, 1)  # a passage spans both
    only_start = passage("p1", "t", page_start=14, page_end=15, page_label_start="12")
    assert _page_at_3([question(14, 12)], [only_start]) == Ratio(1, 1)


def test_page_at_3_uses_the_pdf_page_when_the_page_prints_none() -> None:
    cover = passage("p1", "t", page_start=1, page_end=2)
    assert _page_at_3([question(2, None)], [cover]) == Ratio(1, 1)
    assert _page_at_3([question(3, None)], [cover]) == Ratio(0, 1)


def test_page_at_3_only_counts_the_right_document_in_the_first_three_hits() -> None:
    right = passage("p9", "t", page_start=5, page_end=5, page_label_start="5", page_label_end="5")
    elsewhere = [passage(f"p{i}", "t", page_start=1, page_end=1) for i in range(3)]
    assert _page_at_3([question(5, 5)], [*elsewhere, right]) == Ratio(0, 1)
    assert _page_at_3([question(5, 5)], [*elsewhere[:2], right]) == Ratio(1, 1)
    other_doc = passage("o1", "t", doc_id="other", page_start=5, page_end=5,
                        page_label_start="5", page_label_end="5")  # fmt: skip
    assert _page_at_3([question(5, 5)], [other_doc]) == Ratio(0, 1)


# ----------------------------------------------------------------------------- report


def test_broken_word_share_and_floors_in_the_printed_table() -> None:
    texts = ["limpio"] * 97 + ["pro -\nveedores"] * 3
    held = [IngestedDocument(SHA_DOC, "mine", real_doc().title,
                             tuple(passage(f"p{i}", t) for i, t in enumerate(texts)))]  # fmt: skip
    report = score_split(labelled(), held, page_text, no_search, lambda p: "-\n" in p.text)
    assert report.broken_words == Ratio(3, 100)
    assert report.below_floor() == ["passage_countries", "page_at_3", "broken_words"]
    console = Console(record=True, width=200)
    print_realdocs_report(report, console)
    lines = console.export_text().splitlines()
    broken = next(line for line in lines if "broken words" in line)
    assert "3.00%" in broken and "BELOW FLOOR" in broken
    title = next(line for line in lines if line.strip("│ ").startswith("title"))
    assert "1.000" in title and "BELOW FLOOR" not in title


def test_misses_of_the_frozen_test_split_are_never_listed() -> None:
    result = CliRunner().invoke(app, ["eval", "--realdocs", "--split", "test", "--misses"])
    assert result.exit_code == 2
    assert "frozen" in result.output
    report = SplitReport("test", misses=[])
    assert "misses" not in report.to_dict(misses=False)


# ----------------------------------------------------------------------------- floors


@pytest.fixture(scope="module")
def test_split(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The test split scored once: its reports ingested into one temporary knowledge base."""
    if not REALDOCS.is_dir():
        pytest.skip(f"real documents folder not found: {REALDOCS}")
    mp = pytest.MonkeyPatch()
    mp.setenv("CLUSTERKB_HOME", str(tmp_path_factory.mktemp("realdocs-home")))
    get_settings.cache_clear()
    try:
        args = ["eval", "--realdocs", "--split", "test", "--realdocs-dir", str(REALDOCS), "--json"]
        result = CliRunner().invoke(app, args)
    finally:
        mp.undo()
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.stdout)["splits"]["test"]
    return report


@pytest.mark.slow
def test_every_test_report_is_in_the_knowledge_base(test_split: dict[str, object]) -> None:
    assert test_split["refused"] == []


# The level reached on the frozen test split, guarded against regressions. Where it is short
# of the release floor (FLOORS, printed by `clusterkb eval --realdocs`), the guard sits just
# under the figure measured: passage countries 0.868 against the whole passages' labels
# (floor 0.9; 0.623 against the stricter labels of the spans inside them; 0.858 and 0.613
# before the region's development banks, guarantee funds and regulators were listed as
# national agencies, one passage of 106 either way).
REACHED: dict[str, tuple[str, float]] = {
    "title": (">=", 0.9),
    "page_at_3": (">=", 0.9),
    "passage_countries": (">=", 0.85),
    "broken_words": ("<=", 0.005),
}


@pytest.mark.slow
@pytest.mark.parametrize("metric", [m for m, _, _ in FLOORS])
def test_real_reports_hold_the_level_reached(test_split: dict[str, object], metric: str) -> None:
    op, level = REACHED[metric]
    figure = test_split[metric]["value"]  # type: ignore[index]
    assert figure is not None, f"nothing to measure for {metric}"
    assert figure >= level if op == ">=" else figure <= level, f"{metric} = {figure:.4f}"
