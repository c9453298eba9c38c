"""Saved web pages are read as documents; a file of a type not read is refused, by name and
with its reason, never skipped in silence."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.loaders import load_document
from ingest.pipeline import ingest_paths
from kb.config import Settings
from kb.retrieval.search import search
from kb.storage.knowledge import KnowledgeBase

REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <title>Clústeres en Perú | Portal de Competitividad</title>
  <style>.menu { color: red }</style>
  <script>var tracking = "no es texto";</script>
</head>
<body>
  <header><nav><a href="/">Inicio</a> <a href="/contacto">Contacto</a></nav></header>
  <main>
    <h1>La agenda de competitividad del Perú</h1>
    <p>El Consejo Nacional de Competitividad identificó <b>clústeres</b> regionales
       y propuso mesas público-privadas para coordinar su desarrollo.</p>
    <h2>Lecciones</h2>
    <ul><li>Priorizar pocos clústeres.</li><li>Medir los resultados desde el inicio.</li></ul>
  </main>
  <footer>© 2020 Portal de Competitividad. Todos los derechos reservados.</footer>
</body>
</html>"""


def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


def test_a_web_page_is_its_visible_text_with_headings_as_sections(tmp_path: Path) -> None:
    path = tmp_path / "peru.html"
    path.write_text(PAGE, encoding="utf-8")
    doc = load_document(path, settings(tmp_path))
    assert doc.meta.title == "La agenda de competitividad del Perú"
    assert doc.meta.lang == "es"  # from the text, not from the template's lang="en"
    assert not doc.meta.paged
    assert "identificó clústeres regionales y propuso mesas" in doc.text
    assert "Priorizar pocos clústeres.\nMedir los resultados" in doc.text
    for absent in ("<", "tracking", "color: red", "Inicio", "Contacto", "derechos"):
        assert absent not in doc.text, absent
    assert [s.heading for s in doc.sections] == [
        "La agenda de competitividad del Perú",
        "Lecciones",
    ]
    assert doc.section_at(doc.text.index("Priorizar")) == "Lecciones"


def test_a_page_without_a_heading_takes_its_title_element(tmp_path: Path) -> None:
    path = tmp_path / "nota.htm"
    html = "<html><head><title>Nota sobre clústeres</title></head><body><p>"
    path.write_text(html + "Texto breve sobre la política de clústeres en Chile.</p>")
    assert load_document(path, settings(tmp_path)).meta.title == "Nota sobre clústeres"


def test_a_web_page_named_on_the_command_line_is_ingested_and_searchable(
    fake_kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = tmp_path / "peru.html"
    path.write_text(PAGE, encoding="utf-8")
    report = ingest_paths(fake_kb, [path])
    assert not report.failed and report.added == [str(path.resolve())]
    hits = search(fake_kb, "mesas público-privadas Consejo Nacional de Competitividad", k=3)
    assert hits and hits[0].passage.doc_id == "peru"


def test_unsupported_files_named_on_the_command_line_are_refused_with_a_reason(
    fake_kb: KnowledgeBase, tmp_path: Path
) -> None:
    sheet = tmp_path / "datos.csv"
    sheet.write_text("país,clústeres\nChile,12\n", encoding="utf-8")
    image = tmp_path / "mapa.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    report = ingest_paths(fake_kb, [sheet, image])
    reasons = dict(report.failed)
    assert set(reasons) == {str(sheet), str(image)}
    assert "unsupported file type" in reasons[str(sheet)] and ".csv" in reasons[str(sheet)]
    assert "PNG image" in reasons[str(image)]
    assert ".html" in reasons[str(image)]  # the message lists what is read


def test_a_folder_still_skips_what_it_cannot_read(fake_kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "datos.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (folder / "peru.html").write_text(PAGE, encoding="utf-8")
    report = ingest_paths(fake_kb, [folder])
    assert not report.failed and len(report.added) == 1


@pytest.mark.skipif(not REALDOCS.is_dir(), reason=f"real documents not found: {REALDOCS}")
@pytest.mark.parametrize("path", sorted(REALDOCS.glob("*.html")), ids=lambda p: p.name)
def test_php_templates_read_without_their_code(path: Path, tmp_path: Path) -> None:
    try:
        doc = load_document(path, settings(tmp_path))
    except IngestError as exc:  # a template may hold no text at all: refused, with a reason
        assert exc.reason
        return
    assert "<?php" not in doc.text and "base_url" not in doc.text
    assert len(doc.pages) == 1 and not doc.meta.paged
