"""The sentence that answers: sentence offsets, highlights on hits, the CLI's JSON and bold
text, and the level reached on the labelled set (corpus/eval/highlights.yaml)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterkb.app.text import marked_quote
from clusterkb.cli import app
from clusterkb.cli.highlights_eval import score_highlights
from clusterkb.cli.search import marked_text
from kb.config import get_settings
from kb.evaluation.highlights import HighlightLabel, locate, score_labels
from kb.retrieval.highlights import Highlight, highlight, split_sentences
from kb.retrieval.search import search
from kb.storage.knowledge import KnowledgeBase

REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"
runner = CliRunner()


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


# --- splitting ---------------------------------------------------------------------------


def test_offsets_give_each_sentence_exactly_as_written() -> None:
    text = "  La política comenzó en 2004.  Luego se amplió.\n\nFin del informe.  "
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == [
        "La política comenzó en 2004.",
        "Luego se amplió.",
        "Fin del informe.",
    ]
    assert all(text[a:b] == text[a:b].strip() for a, b in spans)


def test_abbreviations_and_decimals_do_not_end_a_sentence() -> None:
    text = (
        "El Dr. Pérez midió un alza de 3.5 puntos en EE. UU. y Chile (p. 12), etc. "
        "Sr. García lo confirmó. The report by Mr. Smith, e.g. on p. 4, agrees. "
        "O relatório cita o art. 21 da lei."
    )
    assert sentences(text) == [
        "El Dr. Pérez midió un alza de 3.5 puntos en EE. UU. y Chile (p. 12), etc. "
        "Sr. García lo confirmó.",
        "The report by Mr. Smith, e.g. on p. 4, agrees.",
        "O relatório cita o art. 21 da lei.",
    ]


def test_list_items_and_headings_are_sentences_of_their_own() -> None:
    text = "Problemas enfrentados\nLa síntesis enumera dos:\n1. Falta de fondos.\n2. Poco personal."
    assert sentences(text) == [
        "Problemas enfrentados",
        "La síntesis enumera dos:",
        "1. Falta de fondos.",
        "2. Poco personal.",
    ]


def test_questions_and_exclamations_end_sentences() -> None:
    text = "¿Funcionó el programa? No del todo. ¡Faltó evaluación! Así concluye."
    assert len(sentences(text)) == 4


# --- highlighting ------------------------------------------------------------------------

PASSAGE = (
    "Resultados\n\n"
    "El programa de apoyo a los clústeres comenzó en 2004 con diez grupos de empresas. "
    "La evaluación de impacto no encontró efectos sobre las exportaciones de las firmas. "
    "Los talleres de capacitación tuvieron buena asistencia."
)


def test_highlights_are_sentences_of_the_passage_at_their_offsets() -> None:
    found = highlight("¿Qué efecto tuvo sobre las exportaciones?", PASSAGE)
    assert 1 <= len(found) <= 2
    starts = {a for a, _ in split_sentences(PASSAGE)}
    for h in found:
        assert 0 <= h.start < h.end <= len(PASSAGE) and h.start in starts
        assert PASSAGE[h.start : h.end].endswith(".")
    assert "exportaciones" in PASSAGE[found[0].start : found[0].end]
    assert found == sorted(found, key=lambda h: -h.score)


def test_a_heading_is_never_the_highlight() -> None:
    found = highlight("resultados", PASSAGE)
    assert found and not PASSAGE[found[0].start : found[0].end].startswith("Resultados")


def test_search_hits_carry_highlights_and_can_go_without(fake_kb: KnowledgeBase) -> None:
    from ingest.pipeline import ingest_paths, untagged

    folder = fake_kb.settings.home.parent / "reports"
    folder.mkdir()
    (folder / "informe.md").write_text(f"---\ntitle: Informe\n---\n\n{PASSAGE}\n", "utf-8")
    ingest_paths(fake_kb, [folder], tagger=untagged)
    hits = search(fake_kb, "exportaciones de las firmas", k=1)
    assert hits and hits[0].highlights
    text = hits[0].passage.text
    top = hits[0].highlights[0]
    assert "exportaciones" in text[top.start : top.end]
    assert hits[0].to_dict()["highlights"][0] == {
        "start": top.start,
        "end": top.end,
        "score": round(top.score, 4),
    }
    assert search(fake_kb, "exportaciones de las firmas", k=1, highlights=False)[0].highlights == ()
    # `clusterkb search` prints the passage as written with the answering sentence in bold.
    shown = marked_text(hits[0])
    assert shown.plain == text
    assert [(s.start, s.end, str(s.style)) for s in shown.spans] == [
        (h.start, h.end, "bold") for h in hits[0].highlights
    ]


# --- the CLI -----------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CLUSTERKB_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "chile.md").write_text(
        "---\ntitle: Chile\ncountry: Chile\nlanguage: es\n---\n\n" + PASSAGE + "\n", "utf-8"
    )
    yield reports
    get_settings.cache_clear()


@pytest.mark.slow
def test_search_json_carries_highlights(home: Path) -> None:
    assert runner.invoke(app, ["ingest", str(home)]).exit_code == 0
    result = runner.invoke(app, ["search", "exportaciones de las firmas", "--k", "1", "--json"])
    assert result.exit_code == 0, result.output
    hit = json.loads(result.stdout)[0]
    assert hit["highlights"], hit
    top = hit["highlights"][0]
    assert set(top) == {"start", "end", "score"}
    assert "exportaciones" in hit["text"][top["start"] : top["end"]]


# --- the app card ------------------------------------------------------------------------


def test_card_marks_the_highlight_and_shows_markup_as_typed() -> None:
    text = "## Informe\n\nEl *plan* <b>falló</b>. Faltó coordinación entre agencias. Fin."
    start = text.index("Faltó")
    end = text.index("agencias.") + len("agencias.")
    shown = marked_quote(text, [(start, end)])
    assert "**Faltó coordinación entre agencias.**" in shown
    assert "\\#\\# Informe" in shown and "\\*plan\\*" in shown and "\\<b\\>" in shown
    assert shown.count("**") == 2


def test_a_cut_card_keeps_the_highlight_in_view() -> None:
    text = "Primera frase larga. " * 40 + "La respuesta está aquí."
    start = text.index("La respuesta")
    shown = marked_quote(text, [(start, len(text))], max_chars=200)
    assert "**La respuesta está aquí.**" in shown and shown.startswith("> …")


# --- the labelled set --------------------------------------------------------------------


def test_a_labelled_sentence_is_found_across_line_breaks_and_hyphens() -> None:
    raw = "La evaluación de impacto no en-\ncontró efectos."
    passage = "Antes. La evaluación de impacto no encontró efectos."
    stored = [("Otro texto.", "es"), (passage, "es")]
    # From its first letter to its last letter or digit.
    assert locate(raw, stored) == (1, 7, passage.index("efectos.") + len("efectos"))


def test_a_hit_is_an_overlap_of_the_top_highlight_with_the_labelled_sentence() -> None:
    label = HighlightLabel("q1", "dev", "es", "exportaciones", "x.md", sentence="Dos. ")
    text = "Uno. Dos. Tres."
    right = score_labels([label], lambda _: [(text, "es")], lambda q, t, lg: [Highlight(5, 9, 1)])
    wrong = score_labels([label], lambda _: [(text, "es")], lambda q, t, lg: [Highlight(0, 4, 1)])
    assert right.share("dev") == 1.0 and wrong.share("dev") == 0.0


# Measured on the test split with e5-small: 24 of 29 queries (0.828); the floor is 0.8.
REACHED = 0.8


@pytest.mark.slow
def test_highlights_hold_the_level_reached_on_the_test_split() -> None:
    if not REALDOCS.is_dir():
        pytest.skip(f"real documents folder not found: {REALDOCS}")
    report = score_highlights("test", REALDOCS)
    data = report.to_dict()["test"]
    assert isinstance(data, dict) and data["not_found"] == []
    assert data["realdocs"]["queries"] > 0 and data["corpus"]["queries"] > 0
    share = report.share("test")
    assert share is not None and share >= REACHED, f"top highlight is labelled: {share:.3f}"
