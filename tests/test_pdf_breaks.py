"""Words and sentences broken by a PDF's layout are read whole: soft and Unicode hyphens,
hyphens lost or followed by page furniture, ligatures, letter-spaced headings, two columns,
in Spanish, English and Portuguese (made-up PDFs built with fpdf2 and read as ingest reads
them), and what the broken-word measure counts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from fpdf import FPDF

from ingest.chunking import chunk_document
from ingest.pdf import read_pdf
from kb.evaluation.text_quality import broken_passages, broken_word, document_words
from kb.models import Document, DocumentMeta, Page

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
needs_font = pytest.mark.skipif(not FONT.is_file(), reason=f"font not found: {FONT}")
META = DocumentMeta("informe", "Informe", "Chile", "", 2020, "es", "informe.pdf", "ab" * 32)
HEADER = "Informe sobre desarrollo de proveedores"
BODY = (
    "Los proveedores locales crecieron con el programa de desarrollo.",
    "La inversión extranjera y la definición del flujo de fondos importan.",
    "The development of suppliers matters; o desenvolvimento dos fornecedores também.",
)


def words(text: str) -> int:
    return len(text.split())


def pdf(pages: Sequence[Sequence[str]], *, columns: Sequence[Sequence[str]] = ()) -> bytes:
    """Pages with a running header and a printed page number around the given lines; each
    of `columns` (left, right) is drawn column after column on a page of its own."""
    doc = FPDF(format="A4")
    if FONT.is_file():
        doc.add_font("body", fname=str(FONT))
    font = "body" if FONT.is_file() else "helvetica"
    for number, lines in enumerate(pages, start=1):
        doc.add_page()
        doc.set_font(font, size=10)
        doc.text(x=20, y=15, text=HEADER)
        for row, line in enumerate(lines):
            doc.text(x=20, y=30 + 7 * row, text=line)
        doc.text(x=100, y=285, text=str(number))
    if columns:
        doc.add_page()
        doc.set_font(font, size=10)
        for x, lines in zip((15, 110), columns, strict=True):
            for row, line in enumerate(lines):
                doc.text(x=x, y=30 + 7 * row, text=line)
    return bytes(doc.output())


def read(data: bytes, tmp_path: Path) -> str:
    return read_pdf(data, tmp_path / "informe.pdf").text


def as_document(text: str, page_texts: Sequence[str]) -> Document:
    pages, start = [], 0
    for number, page_text in enumerate(page_texts, start=1):
        start = text.index(page_text, start)
        pages.append(Page(number, start, start + len(page_text)))
    return Document(META, text, tuple(pages))


# ------------------------------------------------------------------ hyphens of every kind


@needs_font
def test_soft_and_unicode_hyphens_at_line_ends_join_the_word(tmp_path: Path) -> None:
    pages = [
        [*BODY, "Los pro\u00ad", "veedores mineros exportan.", "El Estado se pro\u2010", "pone."],
        [*BODY, "Otros pro\u2011", "veedores y el desenvol\u00ad", "vimento dos fornecedores."],
        [*BODY, "The devel\u00ad", "opment of suppliers is slow."],
    ]
    text = read(pdf(pages), tmp_path)
    assert "Los proveedores mineros" in text and "se propone" in text
    assert "Otros proveedores" in text and "desenvolvimento dos" in text
    assert "The development of suppliers" in text
    assert "\u00ad" not in text and "\u2010" not in text and "\u2011" not in text


@needs_font
@pytest.mark.parametrize("hyphen", ["-", "- ", "\u00ad", "\u2010"])
def test_a_word_hyphenated_above_the_footer_is_completed_from_the_next_page(
    tmp_path: Path, hyphen: str
) -> None:
    pages = [[*BODY, f"Trabajamos con los pro{hyphen}"], ["veedores, que exportan.", *BODY]]
    pages += [list(BODY)] * 2  # the header and the page numbers repeat: they are furniture
    text = read(pdf(pages), tmp_path)
    assert "Trabajamos con los proveedores, que exportan." in text
    assert HEADER not in text


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Los pro-", "veedores locales crecieron."], "Los proveedores locales"),
        (["The devel-", "opment of suppliers."], "The development of suppliers"),
        (["O desenvol-", "vimento dos fornecedores."], "O desenvolvimento dos"),
        (["La in -", "versión extranjera."], "La inversión extranjera"),
    ],
)
def test_line_end_hyphenation_in_spanish_english_and_portuguese(
    tmp_path: Path, lines: list[str], expected: str
) -> None:
    assert expected in read(pdf([[*BODY, *lines]]), tmp_path)


def test_a_word_whose_hyphen_the_pdf_lost_is_joined_but_two_words_are_not(
    tmp_path: Path,
) -> None:
    pages = [
        [*BODY, "Trabajamos con los pro", "veedores de la región y para", "los bancos."],
        [*BODY, "Así lo muestra la inver"],
        ["sión extranjera de la región.", *BODY],
    ]
    text = read(pdf(pages), tmp_path)
    assert "los proveedores de la región" in text
    assert "y para los bancos" in text  # two words seen on their own stay two words
    assert "la inversión extranjera" in text


# ------------------------------------------------------------------ glyphs and layout


@needs_font
def test_ligatures_become_letters(tmp_path: Path) -> None:
    lines = ["La de\ufb01nición del \ufb02ujo y la e\ufb01ciencia.", "A su\ufb03cient o\ufb00er."]
    text = read(pdf([[*BODY, *lines]]), tmp_path)
    assert "La definición del flujo y la eficiencia." in text and "A sufficient offer." in text


def spaced_heading(heading: str) -> bytes:
    """A page whose heading is drawn letter by letter, as letter-spaced titles are."""
    doc = FPDF(format="A4")
    doc.add_page()
    doc.set_font("helvetica", size=14)
    x = 20.0
    for word in heading.split():
        for letter in word:
            doc.text(x=x, y=30, text=letter)
            x += 6
        x += 8
    doc.set_font("helvetica", size=10)
    for row, line in enumerate(BODY):
        doc.text(x=20, y=45 + 7 * row, text=line)
    return bytes(doc.output())


def test_a_letter_spaced_heading_reads_as_the_documents_words(tmp_path: Path) -> None:
    text = read(spaced_heading("DESARROLLO DE PROVEEDORES"), tmp_path)
    assert text.startswith("DESARROLLO DE PROVEEDORES\n")


def test_letters_that_make_no_words_of_the_document_are_left_spaced(tmp_path: Path) -> None:
    text = read(spaced_heading("QZXW"), tmp_path)
    assert text.startswith("Q Z X W\n")


@pytest.mark.parametrize("left_lines", [1, 3])  # one line: both columns share a baseline
def test_a_word_hyphenated_at_the_foot_of_a_column_is_joined(
    tmp_path: Path, left_lines: int
) -> None:
    left = ["La primera columna trata de los fondos."] * (left_lines - 1)
    left.append("La primera columna trata de las in-")
    right = ["versiones extranjeras en la región.", "Las inversiones crecen aquí."]
    text = read(pdf([list(BODY)], columns=[left, right]), tmp_path)
    assert "de las inversiones extranjeras en la región." in text


# ------------------------------------------------------------------ passages


def test_passages_of_a_report_with_broken_layout_read_whole(tmp_path: Path) -> None:
    pages = [
        [*BODY, "Los pro-", "veedores locales y las empresas que exportan"],
        ["crecieron más rápido que el resto.", *BODY, "The devel-"],
        ["opment of suppliers matters.", *BODY],
    ]
    extracted = read_pdf(pdf(pages), tmp_path / "informe.pdf")
    document = Document(META, extracted.text, extracted.pages)
    passages = chunk_document(document, words, max_tokens=512, chunk_tokens=30, overlap_tokens=0)
    assert passages and broken_passages([(document, passages)]) == []
    assert any("exportan crecieron más rápido" in p.text for p in passages)


# ------------------------------------------------------------------ the broken-word measure


def first_passage_of_page(page_texts: Sequence[str]) -> str | None:
    """Why the passage opening the second page reads as broken (None: it reads whole)."""
    text = "\n\n".join(page_texts)
    document = as_document(text, page_texts)
    passages = chunk_document(document, words, 512, 400, 0)
    second = next(p for p in passages if p.start == document.pages[1].start)
    return broken_word(second, document, document_words(text))


@pytest.mark.parametrize(
    "opening",
    [
        "a) Los proveedores locales.",
        "iv. Los proveedores locales.",
        "www.proveedores.org reúne a los proveedores.",
        "iPhone y otros equipos de los proveedores.",
    ],
)
def test_a_page_opening_with_a_list_item_or_an_address_is_not_a_broken_passage(
    opening: str,
) -> None:
    assert first_passage_of_page(["Los proveedores crecieron.", opening]) is None


def test_a_page_opening_inside_a_sentence_is_a_broken_passage() -> None:
    reason = first_passage_of_page(["Los proveedores crecieron.", "veedores que exportan."])
    assert reason is not None and "fragment" in reason


@pytest.mark.parametrize("hyphen", ["-", "\u2010", "\u2011"])
def test_a_word_left_cut_by_any_hyphen_is_counted_as_broken(hyphen: str) -> None:
    text = f"Los proveedores crecieron. Otros pro{hyphen} veedores exportan."
    document = as_document(text, [text])
    passages = chunk_document(document, words, 512, 400, 0)
    reason = broken_word(passages[0], document, document_words(text))
    assert reason is not None and "hyphen" in reason
