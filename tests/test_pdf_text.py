"""Clean text from PDFs: hyphenation, running headers and footers, printed page labels, and
sentences that run over a page break (made-up pages, and the real reports when present)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.constants import PageLabelStyle

from ingest.chunking import chunk_document
from ingest.loaders import load_document
from ingest.pdf import join_pages, read_pdf
from ingest.pdf_text import clean_pages
from kb.config import Settings
from kb.evaluation.realdocs_set import load_realdocs_set
from kb.evaluation.text_quality import broken_passages, page_label_hits
from kb.models import Document, DocumentMeta
from tests.docs_factory import pdf_bytes

REPO = Path(__file__).resolve().parents[1]
REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"
META = DocumentMeta("informe", "Informe", "Chile", "", 2020, "es", "informe.pdf", "ab" * 32)
BODY = [
    "La coordinación entre agentes públicos y privados es difícil de lograr en cada región.",
    "Las políticas deben adaptarse al territorio y a las capacidades de las empresas.",
    "El programa apoyó a los proveedores locales con fondos concursables y asistencia.",
]


def words(text: str) -> int:
    return len(text.split())


def page(*lines: str) -> str:
    return "\n".join(lines)


# ------------------------------------------------------------------ hyphenation


def test_line_end_hyphenation_is_joined_by_the_documents_own_words() -> None:
    pages = [
        page("Los pro-", "veedores locales crecieron.", "El Estado se pro -", "pone apoyarlos."),
        page("Otros pro -", "veedores mineros exportan.", "La alianza público-privada funciona."),
        page("Se firmó una alianza público-", "privada con los proveedores de la región."),
        page("El corredor Norte-", "Sur y la crisis del COVID-", "19 cambiaron los planes."),
    ]
    texts = clean_pages(pages).texts
    assert "Los proveedores locales" in texts[0] and "se propone apoyarlos" in texts[0]
    assert "Otros proveedores mineros" in texts[1]
    assert "alianza público-privada con" in texts[2]  # the document writes it with a hyphen
    assert "Norte-Sur" in texts[3] and "COVID-19" in texts[3]


def test_a_word_broken_over_a_page_break_is_completed_on_its_first_page() -> None:
    pages = [page("Trabajamos con los pro-"), page("veedores, que exportan.", *BODY)]
    cleaned = clean_pages(pages)
    assert cleaned.texts[0].endswith("los proveedores,")
    assert cleaned.texts[1].startswith("que exportan.")
    assert cleaned.continues[0]  # the sentence goes on: the pages are one paragraph there


# ------------------------------------------------------------------ headers and footers


def report(count: int, footer: str = "Página {n}", first_number: int = 1) -> list[str]:
    """`count` pages with a running title on top and a numbered footer below the body."""
    return [
        page(
            "Informe sobre clústeres productivos",
            f"Sección {index} sobre proveedores mineros de la provincia.",
            *BODY,
            footer.format(n=index + first_number),
        )
        for index in range(count)
    ]


def test_running_headers_footers_and_page_numbers_are_removed() -> None:
    cleaned = clean_pages(report(6))
    for index, text in enumerate(cleaned.texts):
        assert "Informe sobre clústeres" not in text and "Página" not in text
        assert f"Sección {index} sobre proveedores" in text  # a line seen once is content
        assert all(sentence in text for sentence in BODY)  # content seen on every page stays


def test_a_long_running_title_on_top_of_each_page_is_removed() -> None:
    title = "Clústeres de turismo y desarrollo territorial: Perú, México, Costa Rica y Colombia"
    pages = [page(title, *BODY, f"Sección {i} sobre proveedores.") for i in range(6)]
    for text in clean_pages(pages).texts[1:]:  # on the first page it may be the title itself
        assert title not in text
        assert all(sentence in text for sentence in BODY)  # as long, but inside the page


def test_page_offsets_stay_exact_after_cleaning() -> None:
    cleaned = clean_pages(report(5))
    text, pages = join_pages(cleaned.texts, labels=cleaned.labels, continues=cleaned.continues)
    assert [text[p.start : p.end] for p in pages] == list(cleaned.texts)
    assert [p.label for p in pages] == ["1", "2", "3", "4", "5"]


# ------------------------------------------------------------------ printed page labels


@pytest.mark.parametrize("footer", ["{n}", "- {n} -", "Página {n}", "p. {n}", "{n} | Informe"])
def test_printed_page_numbers_become_labels_where_the_numbering_agrees(footer: str) -> None:
    cover = page("Informe sobre clústeres productivos", "Ministerio de Producción", "2023")
    pages = [cover, page("Índice", "Introducción", "Proveedores")] + report(6, footer)
    cleaned = clean_pages(pages)
    # Numbering starts after the unnumbered cover and contents: page 3 prints "1".
    assert cleaned.labels == ("", "", "1", "2", "3", "4", "5", "6")
    assert cleaned.texts[0] == cover  # its title and year are not a header and a page number


def test_a_number_glued_to_a_running_header_is_the_page_number() -> None:
    pages = report(6, footer="Volver al índice{n}", first_number=3)
    cleaned = clean_pages(pages)
    assert cleaned.labels == ("3", "4", "5", "6", "7", "8")
    assert not any("Volver al índice" in text for text in cleaned.texts)


def test_numbers_that_do_not_follow_the_pages_are_not_labels() -> None:
    # Footnote numbers and figures at the foot of a page, in no relation to its position.
    numbers = [7, 3, 12, 5, 30, 2]
    pages = [page(*BODY, f"Gráfico {n}", str(n)) for n in numbers]
    cleaned = clean_pages(pages)
    assert cleaned.labels == ("",) * len(numbers)
    assert all("Gráfico" in text for text in cleaned.texts)


def test_roman_numbered_front_matter_then_arabic_numbers() -> None:
    front = [page(*BODY, numeral) for numeral in ("i", "ii", "iii")]
    pages = front + report(4, footer="{n}")
    assert clean_pages(pages).labels == ("i", "ii", "iii", "1", "2", "3", "4")


def test_page_labels_defined_by_the_pdf_are_used(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([[line] for line in BODY]))))
    writer.set_page_label(0, 0, style=PageLabelStyle.UPPERCASE_LETTER, prefix="Tapa ")
    writer.set_page_label(1, 2, style=PageLabelStyle.DECIMAL, start=10)
    buffer = io.BytesIO()
    writer.write(buffer)
    extracted = read_pdf(buffer.getvalue(), tmp_path / "etiquetas.pdf")
    assert [p.label for p in extracted.pages] == ["Tapa A", "10", "11"]


# ------------------------------------------------------------------ passages over page breaks


def test_a_sentence_running_over_a_page_break_stays_in_one_passage_citing_both_pages() -> None:
    first = page(*BODY, "La evaluación del programa mostró que las empresas beneficiarias")
    second = page("aumentaron sus ventas y su empleo formal.", *BODY)
    cleaned = clean_pages([first, second])
    text, pages = join_pages(cleaned.texts, continues=cleaned.continues)
    document = Document(META, text, pages)
    passages = chunk_document(document, words, max_tokens=512, chunk_tokens=40, overlap_tokens=0)
    sentence = "empresas beneficiarias aumentaron sus ventas"
    holding = [p for p in passages if sentence in p.text]
    assert len(holding) == 1
    assert (holding[0].page_start, holding[0].page_end) == (1, 2)
    assert all(p.text == text[p.start : p.end] for p in passages)
    assert not any(p.text[0].islower() for p in passages)


def test_a_sentence_resumed_after_a_page_without_text_runs_over_it() -> None:
    pages = [page(*BODY, "Las empresas que exportan"), "", page("crecieron más rápido.", *BODY)]
    cleaned = clean_pages(pages)
    assert cleaned.continues == (True, True, False)
    text, joined = join_pages(cleaned.texts, continues=cleaned.continues)
    assert "Las empresas que exportan  crecieron más rápido." in text
    assert [text[p.start : p.end] for p in joined] == list(cleaned.texts)


def test_footnotes_below_a_running_sentence_do_not_cut_it() -> None:
    first = page(
        *BODY,
        "Las cámaras empresarias3 acordaron con el gobierno provincial",
        "3\u2003Según las actas de la mesa sectorial de 2022.",
    )
    second = page("un plan de compras locales para la minería.", *BODY)
    text = " ".join(clean_pages([first, second]).texts)
    assert "gobierno provincial un plan de compras locales" in text
    assert "Según las actas de la mesa sectorial" in text


def test_a_word_broken_over_a_page_break_above_footnotes_is_completed() -> None:
    first = page(*BODY, "Las cámaras empresarias3 acordaron apoyar a los pro-", "3 Según actas.")
    second = page("veedores de la minería.", *BODY)
    cleaned = clean_pages([first, second])
    assert cleaned.texts[0].endswith("apoyar a los proveedores")
    assert cleaned.texts[1].startswith("de la minería.")


# ------------------------------------------------------------------ real reports


@pytest.mark.skipif(not REALDOCS.is_dir(), reason=f"real documents not found: {REALDOCS}")
def test_dev_reports_have_whole_words_and_their_printed_page_numbers() -> None:
    labelled = load_realdocs_set(REPO / "corpus" / "eval" / "realdocs.yaml").in_split("dev")
    asked = {q.file_sha256 for q in labelled.questions if q.printed_page is not None}
    chosen = [d for d in labelled.documents if d.file.endswith(".pdf") and d.sha256 in asked]
    assert chosen
    documents: dict[str, Document] = {}
    chunked = []
    for entry in chosen[:2]:  # parsing real reports takes seconds each
        document = load_document(labelled.realdocs_dir / entry.file, Settings())
        documents[entry.sha256] = document
        chunked.append((document, chunk_document(document, words, 512, 120, 20)))
    broken = broken_passages(chunked)
    assert not [(p.doc_id, p.index, why) for p, why in broken if "hyphen" in why]
    assert len(broken) <= 0.005 * sum(len(passages) for _, passages in chunked)
    hits = page_label_hits(labelled.questions, documents)
    assert hits and all(ok for _, _, ok in hits), [(q.id, label) for q, label, ok in hits if not ok]
