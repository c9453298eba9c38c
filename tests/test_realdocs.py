"""Real reports with real problems (read at run time from ../shared/realdocs, never copied)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from ingest.errors import IngestError
from ingest.loaders import load_document
from ingest.pdf_worker import extract_raw
from kb.config import Settings
from kb.models import Document

REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"
ROBUSTNESS = REALDOCS / "robustness"
SETTINGS = Settings()

pytestmark = pytest.mark.skipif(
    not REALDOCS.is_dir(), reason=f"real documents folder not found: {REALDOCS}"
)

# Page counts as published with the files (see realdocs/README.md).
EXPECTED_PAGES = {
    "fundar_bioeconomia_biocluster_rosario_es.pdf": 52,
    "fundar_desarrollo_proveedores_mineria_es.pdf": 46,
    "fundar_renaissance_industrial_policy_en.pdf": 16,
    "fundar_luces_sombras_politica_industrial_es.pdf": 40,
}
OVERFLOW = "PROBLEM_illustrator_overflow_fundar_pdp_es.pdf"
LARGE = "PROBLEM_large_122pages_fundar_estado_esencial_es.pdf"

_cache: dict[Path, Document] = {}


def loaded(path: Path) -> Document:
    """Each real file is parsed once per test run (PDF parsing takes seconds)."""
    if path not in _cache:
        _cache[path] = load_document(path, SETTINGS)
    return _cache[path]


def page_texts(doc: Document) -> list[str]:
    return [doc.text[p.start : p.end] for p in doc.pages]


def lang_from_name(path: Path) -> str:
    return path.stem.rsplit("_", 1)[-1]


REPORTS = sorted(REALDOCS.glob("*.pdf"))


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_reports_load_with_pages_and_language(path: Path) -> None:
    doc = loaded(path)
    expected = EXPECTED_PAGES.get(path.name, len(PdfReader(path).pages))
    assert [p.number for p in doc.pages] == list(range(1, expected + 1))
    assert doc.meta.lang == lang_from_name(path)
    assert doc.meta.year is not None and 2020 <= doc.meta.year <= 2025
    assert sum(1 for text in page_texts(doc) if len(text) > 200) > len(doc.pages) // 2
    assert doc.sections, "these reports have bookmarks"


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_ordinary_pdfs_lose_no_text(path: Path) -> None:
    # Without text off the page, the visible-text reader must read every page exactly like
    # plain pypdf extraction (cleaning of headers and hyphens comes after, for all PDFs).
    raw = extract_raw(path.read_bytes())
    assert raw["pages"] == [page.extract_text() for page in PdfReader(path).pages]


def test_text_placed_off_page_is_cited_once() -> None:
    doc = loaded(ROBUSTNESS / OVERFLOW)
    pages = [" ".join(text.split()) for text in page_texts(doc)]
    assert len(pages) == 39
    sentences = {
        sentence
        for page in pages
        for sentence in re.split(r"(?<=[.;:])\s", page)
        if len(sentence) >= 80
    }
    assert len(sentences) > 300
    worst = max(sum(sentence in page for page in pages) for sentence in sentences)
    assert worst <= 2
    # The whole document shrinks about tenfold once each page only holds its own text.
    assert len(doc.text) < 200_000
    assert doc.meta.lang == "es"


def test_122_page_report() -> None:
    doc = loaded(ROBUSTNESS / LARGE)
    assert len(doc.pages) == 122 and doc.pages[-1].number == 122
    assert doc.meta.lang == "es"


def test_password_protected_pdf_is_refused() -> None:
    path = ROBUSTNESS / "PROBLEM_encrypted_libreoffice_password.pdf"
    with pytest.raises(IngestError) as caught:
        load_document(path, SETTINGS)
    assert caught.value.reason.startswith("encrypted")
    assert path.name in str(caught.value)


def test_scanned_pdf_without_tesseract_names_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # With Tesseract the report is read (tests/test_ocr.py); without it the user learns why not.
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(IngestError, match="no text layer; install tesseract-ocr with"):
        load_document(ROBUSTNESS / "PROBLEM_image_only_fundar_comunicado_es.pdf", SETTINGS)


def test_scraped_markdown_page() -> None:
    doc = loaded(REALDOCS / "undp_paraguay_hilando_cadenas_clusters_textiles_es.md")
    assert doc.meta.lang == "es"
    assert doc.meta.country == "Paraguay" and doc.meta.year == 2023
    assert doc.meta.title.startswith("Hilando Cadenas")
    assert "[[country:" not in doc.text


@pytest.mark.parametrize("path", sorted(REALDOCS.glob("*.html")), ids=lambda p: p.name)
def test_html_templates_are_read_as_literal_text(path: Path) -> None:
    doc = loaded(path)
    # PHP view templates: read as web pages, their code never reaches the text.
    assert "<?" not in doc.text and "<div" not in doc.text and len(doc.pages) == 1
    assert doc.meta.lang in {"pt", "es", "en", "it", "fr", "de", "und"}
