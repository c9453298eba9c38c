"""Briefs: what a person gets when they collect passages, reorder them and export the brief."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from markdown_it import MarkdownIt
from pypdf import PdfReader
from typer.testing import CliRunner

from ingest.pipeline import ingest_paths
from kb.briefs.brief import (
    BriefError,
    add_item,
    move_item,
    new_brief,
    remove_item,
    set_note,
)
from kb.briefs.compose import BriefDocument, Quotation, compose
from kb.briefs.draft import brief_gaps, draft_brief, fetch_passages
from kb.briefs.export_docx import to_docx
from kb.briefs.export_markdown import to_markdown
from kb.briefs.export_pdf import to_pdf
from kb.briefs.store import brief_path, delete, find, list_briefs, load_brief, save_brief
from kb.models import Passage, SearchFilters, Tag
from kb.storage.knowledge import KnowledgeBase
from kb.tags.tagger import Tagger
from kb.tags.taxonomy import load_taxonomy

ACCENTED = (
    "La falta de coordinación entre agencias públicas retrasó los programas. "
    "¿Cómo? «Con mesas público-privadas» – dijo – y otra vez — en la campaña de la "
    "niñez y la pingüinera de Chiloé."
)
MARKUP = "<script>alert(1)</script> **bold** [x](http://evil)\n- not a list\n# not a heading"
CONTROL = "El programa llegó a dos mil beneficiarios\x07 sin evaluación de impacto."
LONG = "Antecedentes del programa argentino: " + "x" * 400 + " fin."


def tag(facet: str, tag_id: str) -> Tag:
    return Tag(facet, tag_id, "rule", "test")


def passage(pid: str, text: str, country: str, pages: tuple[int, int], *tags: Tag) -> Passage:
    return Passage(
        id=pid,
        doc_id=f"doc-{country.lower()}",
        index=0,
        text=text,
        start=0,
        end=len(text),
        page_start=pages[0],
        page_end=pages[1],
        section="",
        title=f"Informe {country}",
        country=country,
        source=f"Agencia de {country} (2010), Informe {country}, Santiago.",
        lang="es",
        year=2010,
        tags=tags,
    )


PASSAGES = {
    "cl-1": passage(
        "cl-1",
        ACCENTED,
        "Chile",
        (2, 2),
        tag("problem", "coordination"),
        tag("outcome", "productivity"),
        tag("evidence", "unverified"),
    ),
    "br-1": passage(
        "br-1",
        MARKUP,
        "Brasil",
        (5, 5),
        tag("instrument", "network_incentives"),
        tag("problem", "coordination"),
        tag("evidence", "recommendation"),
    ),
    "sv-1": passage(
        "sv-1",
        CONTROL,
        "El Salvador",
        (3, 4),
        tag("outcome", "sme_development"),
        tag("evidence", "not_achieved"),
    ),
    "ar-1": passage("ar-1", LONG, "Argentina", (1, 1)),
}
CLEAN = {pid: p.text.replace("\x07", "") for pid, p in PASSAGES.items()}


def sample_brief():  # type: ignore[no-untyped-def]
    brief = new_brief("prueba", "Coordinación en clústeres: «lecciones»", "¿Cómo coordinar?")
    for pid in ["cl-1", "br-1", "sv-1", "ar-1", "gone-1"]:
        brief = add_item(brief, pid)
    brief = set_note(brief, "br-1", "Usar con cuidado: <b>solo</b> un caso")
    return set_note(brief, "gone-1", "Nota sobre un pasaje borrado")


@pytest.fixture
def doc() -> BriefDocument:
    gaps = [("coordination", "sme_development")]
    return compose(sample_brief(), PASSAGES, load_taxonomy(), "es", gaps)


def flat(text: str) -> str:
    return " ".join(text.split())


# --- composing ---------------------------------------------------------------------------


def test_sections_come_in_order_and_a_passage_keeps_one_number(doc: BriefDocument) -> None:
    headings = [s.heading for s in doc.sections] + [doc.sources_heading]
    assert headings == [
        "Mensajes clave",
        "Contexto",
        "Lecciones por país",
        "Recomendaciones",
        "Solidez de la evidencia y vacíos",
        "Fuentes",
    ]
    numbers: dict[str, list[int]] = {}
    for section in doc.sections:
        for block in section.blocks:
            if isinstance(block, Quotation):
                numbers.setdefault(block.text, []).append(block.citation)
    assert all(len(n) == 1 for n in numbers.values())  # each passage quoted once
    # Every quotation is the passage's own text (whole: no sentences chosen), nothing else.
    assert set(numbers) == {flat(p.text) for p in PASSAGES.values()}
    assert [s.passage_id for s in doc.sources] == ["cl-1", "br-1", "sv-1", "ar-1"]


def test_missing_passage_is_listed_not_fatal(doc: BriefDocument) -> None:
    assert any("gone-1" in line for line in doc.missing)
    md = to_markdown(doc)
    assert "gone\\-1" in md or "gone-1" in md
    assert "Nota sobre un pasaje borrado" in md


def test_problem_instrument_evidence_and_gaps_use_taxonomy_labels(doc: BriefDocument) -> None:
    md = to_markdown(doc)
    assert "| Chile | Falta de coordinación | — | Productividad |" in md
    assert "| Incentivos para redes |" in md
    assert "problema Falta de coordinación × resultado Desarrollo de pymes" in md
    assert "Resultado sin verificar: \\[1\\]." in md and "Objetivo no logrado: \\[3\\]." in md
    assert "**Nota del autor** [2]: Usar con cuidado: \\<b\\>solo\\</b\\> un caso" in md


def test_english_headings_on_request() -> None:
    doc = compose(sample_brief(), PASSAGES, load_taxonomy(), "en", [])
    md = to_markdown(doc)
    assert "## Recommendations" in md and "## Sources" in md
    assert "| Lack of coordination |" in md and "Author's note" in md


# --- Markdown ----------------------------------------------------------------------------


def test_markdown_quotes_every_passage_with_its_citation(doc: BriefDocument) -> None:
    md = to_markdown(doc)
    assert f"> {ACCENTED} [1]" in md
    assert f"> {CLEAN['sv-1']} [3]" in md
    assert "\x07" not in md
    assert "1. Informe Chile — Chile. Agencia de Chile (2010), Informe Chile, Santiago. p. 2" in md
    assert "3. Informe El Salvador — El Salvador." in md and "pp. 3–4" in md


def test_markdown_cannot_be_injected_by_document_text(doc: BriefDocument) -> None:
    md = to_markdown(doc)
    assert "\\<script\\>alert(1)\\</script\\>" in md and "\\*\\*bold\\*\\*" in md
    html = MarkdownIt("commonmark").render(md)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<strong>bold</strong>" not in html and "**bold**" in html
    assert 'href="http://evil"' not in html and "[x](http://evil)" in html
    assert "<h1>not a heading" not in html and "# not a heading" in html
    assert "<li>not a list" not in html
    # Still a real structure around the escaped text.
    assert "<h2>Lecciones por país" in html and "<blockquote>" in html


# --- DOCX --------------------------------------------------------------------------------


def test_docx_has_headings_quotes_superscript_citations_and_sources(
    doc: BriefDocument, tmp_path: Path
) -> None:
    path = to_docx(doc, tmp_path / "brief.docx")
    document = docx.Document(str(path))
    paragraphs = document.paragraphs
    texts = [p.text for p in paragraphs]
    assert document.core_properties.title == "Coordinación en clústeres: «lecciones»"
    h1 = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    assert h1[0] == "Mensajes clave" and h1[-1] == "Fuentes" and len(h1) == 6
    assert "Chile" in [p.text for p in paragraphs if p.style.name == "Heading 2"]
    for pid, clean in CLEAN.items():
        quotes = [p for p in paragraphs if p.style.name == "Quote" and flat(clean) in p.text]
        assert len(quotes) == 1, pid
    first = next(p for p in paragraphs if p.style.name == "Quote" and ACCENTED in p.text)
    assert any(r.text == "[1]" and r.font.superscript for r in first.runs)
    assert any(flat(MARKUP) in t for t in texts)  # literal, not formatting
    assert any(t.startswith("[3] Informe El Salvador — El Salvador.") for t in texts)
    assert any("pp. 3–4" in t for t in texts)
    assert not any("\x07" in t for t in texts)


# --- PDF ---------------------------------------------------------------------------------


def test_pdf_keeps_accents_quotes_and_citations(doc: BriefDocument, tmp_path: Path) -> None:
    path = to_pdf(doc, tmp_path / "brief.pdf")
    text = flat("\n".join(page.extract_text() for page in PdfReader(str(path)).pages))
    for word in ("coordinación", "¿Cómo", "ñ", "«Con mesas público-privadas»", "Chiloé"):
        assert word in text
    assert "Mensajes clave" in text and "Fuentes" in text
    assert flat(CLEAN["sv-1"]) in text
    assert "<script>alert(1)</script> **bold** [x](http://evil)" in text
    assert "[3] Informe El Salvador — El Salvador." in text and "pp. 3–4" in text
    assert "[1]" in text and "\x07" not in text
    assert "xxxxxxxxxx" in text and "fin." in text  # the long word wrapped instead of failing


# --- storage -----------------------------------------------------------------------------


def test_storage_round_trip_keeps_order_notes_and_edits(tmp_path: Path) -> None:
    folder = tmp_path / "briefs"
    brief = new_brief("Coordinación Chile", purpose="¿Qué falló?", lang="en")
    for pid in ("a", "b", "c"):
        brief = add_item(brief, pid)
    save_brief(brief, folder)

    reopened = load_brief("Coordinación Chile", folder)
    reopened = move_item(reopened, "c", 1)
    reopened = set_note(reopened, "b", "clave «sí»")
    reopened = remove_item(reopened, "a")
    save_brief(reopened, folder)

    again = load_brief("coordinacion-chile", folder)
    assert again.passage_ids == ["c", "b"]
    assert again.items[1].note == "clave «sí»"
    assert (again.purpose, again.lang, again.title) == ("¿Qué falló?", "en", "Coordinación Chile")
    assert [b.name for b in list_briefs(folder)] == ["Coordinación Chile"]
    assert not list(folder.glob("*.tmp"))
    delete(find("Coordinación Chile", folder).id, folder)
    assert list_briefs(folder) == []


def test_unknown_brief_passage_and_position_are_clear_errors(tmp_path: Path) -> None:
    brief = add_item(new_brief("x"), "a")
    with pytest.raises(BriefError, match="no brief named"):
        load_brief("nope", tmp_path)
    with pytest.raises(BriefError, match="not in brief"):
        remove_item(brief, "zzz")
    with pytest.raises(BriefError, match="position"):
        move_item(brief, "a", 5)
    with pytest.raises(BriefError):
        new_brief("../..")
    assert add_item(brief, "a").passage_ids == ["a"]  # adding twice keeps one entry


def test_hostile_brief_name_stays_inside_the_briefs_folder(tmp_path: Path) -> None:
    folder = tmp_path / "home" / "briefs"
    saved = save_brief(new_brief("../../etc/x"), folder)
    path = brief_path(saved.name, folder)
    assert path.parent == folder and path.exists()
    files = [p.name for p in tmp_path.rglob("*") if p.is_file() and p.name != ".briefs.lock"]
    assert files == [path.name]
    assert load_brief("../../etc/x", folder).name == "../../etc/x"


# --- against a knowledge base -------------------------------------------------------------

CHILE = """---
title: "Chile: programas territoriales"
country: Chile
source: "Informe de prueba, Santiago, 2010"
year: 2010
language: es
---
# Chile

La falta de coordinación entre las instituciones públicas que financian los programas
retrasó la ejecución de los proyectos territoriales.
"""

BRAZIL = """---
title: "Brasil: arranjos produtivos locais"
country: Brasil
source: "Relatório de teste, 2004"
year: 2004
language: es
---
# Brasil

La política de aglomeraciones productivas locales empezó en 2004 con un grupo de trabajo
permanente del ministerio de industria. Sus objetivos fueron múltiples y poco claros.
"""


@pytest.fixture
def small_kb(fake_kb: KnowledgeBase, tmp_path: Path, write) -> KnowledgeBase:  # type: ignore[no-untyped-def]
    write(tmp_path / "docs" / "chile.md", CHILE)
    write(tmp_path / "docs" / "brasil.md", BRAZIL)
    report = ingest_paths(fake_kb, [tmp_path / "docs"], tagger=Tagger(fake_kb.embedder))
    assert len(report.added) == 2 and not report.failed
    return fake_kb


def test_draft_brief_cites_the_best_passages(small_kb: KnowledgeBase, tmp_path: Path) -> None:
    brief = draft_brief(small_kb, "coordinación entre instituciones públicas", k=2)
    assert brief.items and brief.lang == "es"
    passages = fetch_passages(small_kb, brief)
    assert passages[brief.passage_ids[0]].country == "Chile"
    only_brazil = draft_brief(small_kb, "objetivos", filters=SearchFilters(countries=("Brazil",)))
    assert {p.country for p in fetch_passages(small_kb, only_brazil).values()} == {"Brazil"}

    gaps = brief_gaps(small_kb, list(passages.values()))
    md = to_markdown(compose(brief, passages, load_taxonomy(), "es", gaps))
    assert "retrasó la ejecución" in md and "Chile: programas territoriales" in md
    assert "Informe de prueba, Santiago, 2010" in md


def test_cli_drafts_edits_and_exports(
    small_kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import clusterkb.cli.briefs as cli_brief
    from clusterkb.cli import app
    from kb.config import get_settings

    monkeypatch.setenv("CLUSTERKB_HOME", str(small_kb.settings.home))
    get_settings.cache_clear()
    monkeypatch.setattr(cli_brief, "open_kb_or_exit", lambda: small_kb)
    runner = CliRunner()
    try:
        result = runner.invoke(app, ["brief", "draft", "coordinación", "--name", "coord"])
        assert result.exit_code == 0, result.output
        assert "clusterkb brief export coord" in result.output
        shown = json.loads(runner.invoke(app, ["brief", "show", "coord", "--json"]).stdout)
        first = shown["items"][0]["passage_id"]
        assert runner.invoke(app, ["brief", "note", "coord", first, "mi nota"]).exit_code == 0
        for fmt in ("md", "docx", "pdf"):
            out = tmp_path / f"coord.{fmt}"
            result = runner.invoke(
                app, ["brief", "export", "coord", "--format", fmt, "-o", str(out)]
            )
            assert result.exit_code == 0 and out.stat().st_size > 0, result.output
            assert "Wrote" in result.output
        assert "mi nota" in (tmp_path / "coord.md").read_text(encoding="utf-8")
        missing = runner.invoke(app, ["brief", "show", "nope"])
        assert missing.exit_code == 2 and "no brief named" in missing.stderr
        bad = runner.invoke(app, ["brief", "add", "coord", "not-a-passage"])
        assert bad.exit_code == 2 and "unknown passage" in bad.stderr
    finally:
        get_settings.cache_clear()
