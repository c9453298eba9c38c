from __future__ import annotations

from ingest.chunking import chunk_document, embedding_text
from kb.encoders import get_embedder
from kb.models import Document, DocumentMeta, Page, Section

META = DocumentMeta("informe", "Informe", "Chile", "Fuente", 2010, "es", "informe.md", "ab" * 32)

PARAGRAPH = (
    "¿Son prometedoras estas iniciativas? La coordinación entre agentes públicos y privados "
    "es difícil de lograr. ¡Nada de lo anterior es sencillo! Las políticas deben adaptarse a "
    "cada región… y a cada sector. "
)


def make_doc(text: str, sections: tuple[Section, ...] = ()) -> Document:
    half = len(text) // 2
    return Document(META, text, (Page(1, 0, half), Page(2, half, len(text))), sections)


def test_passages_are_exact_spans_of_the_document_with_pages() -> None:
    text = "\n\n".join(PARAGRAPH * 3 for _ in range(6))
    doc = make_doc(text)
    passages = chunk_document(doc, lambda s: len(s.split()), max_tokens=512, chunk_tokens=60)
    assert len(passages) > 3
    for p in passages:
        assert doc.text[p.start : p.end] == p.text
        assert p.page_start <= p.page_end
    assert passages[0].page_start == 1 and passages[-1].page_end == 2
    assert len({p.id for p in passages}) == len(passages)


def test_breaks_fall_at_sentence_ends_including_spanish_punctuation() -> None:
    doc = make_doc(PARAGRAPH * 12)
    passages = chunk_document(doc, lambda s: len(s.split()), max_tokens=512, chunk_tokens=40)
    endings = {p.text[-1] for p in passages[:-1]}
    assert endings <= {".", "?", "!", "…"}


def test_section_heading_travels_with_its_passages() -> None:
    text = "## Problemas\n\n" + PARAGRAPH * 4 + "\n\n## Recomendaciones\n\n" + PARAGRAPH * 4
    second = text.index("## Recomendaciones")
    doc = make_doc(text, (Section("Problemas", 0), Section("Recomendaciones", second)))
    passages = chunk_document(doc, lambda s: len(s.split()), max_tokens=512, chunk_tokens=50)
    assert passages[0].section == "Problemas"
    assert passages[-1].section == "Recomendaciones"
    assert all(p.end <= second or p.start >= second for p in passages)


def test_no_passage_exceeds_the_encoder_limit_in_its_own_tokens() -> None:
    embedder = get_embedder("e5-small")
    long_sentence = "palabra " * 2000  # no punctuation at all: must still be cut below the limit
    doc = make_doc(PARAGRAPH * 40 + "\n\n" + long_sentence)
    passages = chunk_document(doc, embedder.count_tokens, embedder.max_tokens, chunk_tokens=200)
    assert max(embedder.count_tokens(embedding_text(p)) for p in passages) <= embedder.max_tokens


def test_a_long_table_is_cut_between_rows_so_each_passage_keeps_its_rows_names() -> None:
    # A Markdown or HTML table is read as lines of cells joined by "; ".
    rows = [
        f"{country}; Agencia {i}; {1960 + i}; Presupuesto nacional; Exportación, inversión; Sí"
        for i, country in enumerate(["Irlanda", "Corea", "Nueva Zelandia", "España", "Chile"] * 3)
    ]
    text = (
        PARAGRAPH + "\n\n" + "\n".join(["País; Agencia; Año; Fondos; Funciones; Evaluada"] + rows)
    )
    doc = Document(META, text, (Page(1, 0, len(text)),), ())
    passages = chunk_document(doc, lambda s: len(s.split()), max_tokens=512, chunk_tokens=40)
    table = [p for p in passages if p.start > len(PARAGRAPH)]
    assert len(table) > 2
    for p in table:
        assert all(line in rows or line.startswith("País;") for line in p.text.splitlines())
