"""A brief shaped like a policy brief: key messages that are exact sentences, each passage
quoted once (its chosen sentences, checked against the store), a lessons table by the
passages' own countries, three pages at most, Word's own styles, and old files still open."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import docx
import pytest
from markdown_it import MarkdownIt
from pypdf import PdfReader

from ingest.pipeline import ingest_paths
from kb.briefs.brief import (
    FORMAT_VERSION,
    Brief,
    BriefError,
    add_item,
    move_key_message,
    new_brief,
    remove_item,
    set_key_message,
    set_spans,
)
from kb.briefs.compose import BriefDocument, KeyPoint, Quotation, Table, compose
from kb.briefs.draft import draft_brief
from kb.briefs.export import compose_brief, export_bytes
from kb.briefs.export_markdown import to_markdown
from kb.briefs.quotes import ELLIPSIS, fold, leave_out, quotation, sentences, whole
from kb.briefs.store import load_brief
from kb.config import Settings
from kb.models import Passage, SearchFilters, Tag
from kb.storage.knowledge import KnowledgeBase
from kb.storage.vectors import PassageStore
from kb.tags.tagger import Tagger
from kb.tags.taxonomy import load_taxonomy
from tests.conftest import REPO, HashingEmbedder

QUESTION = "¿Cómo mejorar la coordinación público-privada en políticas de clústers?"


@pytest.fixture(scope="module")
def corpus_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The bundled corpus with the hashing encoder (built once per module)."""
    home = tmp_path_factory.mktemp("briefkb")
    settings = Settings(home=home / "kbhome", corpus_dir=REPO / "corpus")
    embedder = HashingEmbedder()
    kb = KnowledgeBase(
        settings=settings, embedder=embedder, store=PassageStore(settings, embedder.name, 64)
    )
    report = ingest_paths(kb, [REPO / "corpus"], tagger=Tagger(embedder))
    assert not report.failed
    return kb


@pytest.fixture(scope="module")
def drafted(corpus_kb: KnowledgeBase) -> tuple[Brief, BriefDocument]:
    brief = draft_brief(corpus_kb, QUESTION, k=8)
    return brief, compose_brief(corpus_kb, brief, "es")


def blocks(doc: BriefDocument) -> list[object]:
    return [b for section in doc.sections for b in section.blocks]


def test_draft_quotes_each_passage_once_exactly_as_stored(
    corpus_kb: KnowledgeBase, drafted: tuple[Brief, BriefDocument]
) -> None:
    brief, doc = drafted
    assert len(brief.items) == 8
    stored = {p.id: p for p in corpus_kb.passages(brief.passage_ids)}
    quotes = [b for b in blocks(doc) if isinstance(b, Quotation)]
    counts = Counter(q.passage_id for q in quotes)
    assert set(counts.values()) == {1} and set(counts) <= set(brief.passage_ids)
    # A passage left unquoted is one whose key message was all it quoted: cited at the top.
    keys = {m.passage_id for m in brief.key_messages}
    assert set(brief.passage_ids) - set(counts) <= keys
    assert len(counts) >= len(brief.passage_ids) - len(keys)
    for q in quotes:
        text = stored[q.passage_id].text
        assert q.spans and all(0 <= a < b <= len(text) for a, b in q.spans)
        # The quotation is the stored text at the kept offsets, nothing added but '[…]'.
        assert q.text == quotation(text, q.spans)
        for part in q.text.split(f" {ELLIPSIS} "):
            assert part in fold(text)
        assert q.citation == brief.passage_ids.index(q.passage_id) + 1
    # Drafted items quote their answering sentences, not whole passages.
    trimmed = [q for q in quotes if len(q.text) < len(fold(stored[q.passage_id].text))]
    assert len(trimmed) >= len(quotes) / 2
    # The offsets are in the brief file itself.
    saved = json.loads(json.dumps(brief.to_dict()))
    assert saved["version"] == FORMAT_VERSION
    assert all(item["spans"] for item in saved["items"])


def test_key_messages_are_exact_sentences_of_distinct_passages(
    corpus_kb: KnowledgeBase, drafted: tuple[Brief, BriefDocument]
) -> None:
    brief, doc = drafted
    points = [b for b in doc.sections[0].blocks if isinstance(b, KeyPoint)]
    assert 3 <= len(points) <= 5
    assert len({p.passage_id for p in points}) == len(points)
    stored = {p.id: p for p in corpus_kb.passages([p.passage_id for p in points])}
    for point in points:
        text = stored[point.passage_id].text
        assert (point.start, point.end) in sentences(text)
        assert point.text == fold(text[point.start : point.end])
        assert point.citation == brief.passage_ids.index(point.passage_id) + 1
    # Spread: the messages do not all come from one place.
    assert len({p.attribution for p in points}) >= 2


def test_markdown_sections_come_in_policy_brief_order(
    drafted: tuple[Brief, BriefDocument],
) -> None:
    _, doc = drafted
    md = to_markdown(doc)
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Mensajes clave",
        "## Contexto",
        "## Lecciones por país",
        "## Recomendaciones",
        "## Solidez de la evidencia y vacíos",
        "## Fuentes",
    ]
    assert md.index("## Mensajes clave") < md.index("> ")
    assert "| País u organismo |" in md
    # Each passage is quoted once: one block quote per quotation, none twice.
    quotes = [b for b in blocks(doc) if isinstance(b, Quotation)]
    assert sum(line.startswith("> ") for line in md.splitlines()) == len(quotes)


def tag(facet: str, tag_id: str) -> Tag:
    return Tag(facet, tag_id, "rule", "test")


HOSTILE = (
    "## Lectura de la evidencia\n\nLa evaluación mostró **mejoras** en <b>ventas</b> de las "
    "firmas.\n- no es una lista\n1. tampoco\nLa coordinación con [enlace](http://x) falló."
)


def passage(pid: str, text: str, country: str, countries: tuple[str, ...], *tags: Tag) -> Passage:
    return Passage(
        id=pid,
        doc_id=f"doc-{pid}",
        index=0,
        text=text,
        start=0,
        end=len(text),
        page_start=4,
        page_end=4,
        section="",
        title=f"Informe {pid}",
        country=country,
        countries=countries,
        source=f"Fuente {pid} (2010)",
        lang="es",
        tags=tags,
    )


PASSAGES = {
    "mix": passage(
        "mix",
        "En Chile y Argentina faltó coordinación entre agencias públicas y privados. Fin.",
        "General",
        ("Chile", "Argentina"),
        tag("problem", "coordination"),
        tag("evidence", "unverified"),
    ),
    "hostile": passage("hostile", HOSTILE, "Brazil", ("Brazil",), tag("evidence", "evaluated")),
    "rec": passage(
        "rec",
        "Se recomienda crear mesas público-privadas con metas claras y un presupuesto propio.",
        "General",
        (),
        tag("evidence", "recommendation"),
    ),
}


def test_lessons_table_credits_the_passage_countries_not_its_document() -> None:
    brief = new_brief("t", question="coordinación")
    for pid in PASSAGES:
        brief = add_item(brief, pid)
    doc = compose(brief, PASSAGES, load_taxonomy(), "es")
    table = next(b for b in blocks(doc) if isinstance(b, Table))
    rows = {row[0]: row for row in table.rows}
    assert set(rows) == {"Chile", "Argentina", "Brasil"}
    assert rows["Chile"][1] == "Falta de coordinación" and rows["Chile"][-1] == "[1]"
    assert "Resultado sin verificar [1]" in rows["Argentina"][4]
    # The recommendation is quoted under recommendations, once, beside nothing else.
    section = {s.heading: s for s in doc.sections}["Recomendaciones"]
    assert [b.passage_id for b in section.blocks if isinstance(b, Quotation)] == ["rec"]


def test_markdown_of_passage_text_stays_text() -> None:
    brief = add_item(new_brief("t"), "hostile")
    md = to_markdown(compose(brief, PASSAGES, load_taxonomy(), "es"))
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<h2>Lectura de la evidencia" not in html and "## Lectura de la evidencia" in html
    assert "<strong>mejoras</strong>" not in html and "**mejoras**" in html
    assert "<b>" not in html and 'href="http://x"' not in html
    assert "<li>no es una lista" not in html and "<li>tampoco" not in html
    assert "<h2>Mensajes clave</h2>" in html and "<blockquote>" in html


def test_chosen_sentences_are_quoted_with_an_ellipsis_between() -> None:
    text = PASSAGES["hostile"].text
    spans = sentences(text)
    first, last = spans[1], spans[-1]
    brief = set_spans(add_item(new_brief("t"), "hostile"), "hostile", [last, first])
    doc = compose(brief, PASSAGES, load_taxonomy(), "es")
    quote = next(b for b in blocks(doc) if isinstance(b, Quotation))
    assert quote.spans == (first, last)
    assert quote.text == f"{fold(text[slice(*first)])} {ELLIPSIS} {fold(text[slice(*last)])}"


def test_a_key_message_is_not_quoted_again_further_down(
    drafted: tuple[Brief, BriefDocument],
) -> None:
    brief, doc = drafted
    points = [b for b in doc.sections[0].blocks if isinstance(b, KeyPoint)]
    quotes = {b.passage_id: b for b in blocks(doc) if isinstance(b, Quotation)}
    assert points
    for point in points:
        quote = quotes.get(point.passage_id)
        if quote is not None:  # what is left of its passage: never the key sentence itself
            assert point.text not in quote.text
            assert all(b <= point.start or point.end <= a for a, b in quote.spans)


def test_a_key_message_inside_a_quotation_leaves_an_ellipsis() -> None:
    text = PASSAGES["hostile"].text
    spans = sentences(text)
    middle = spans[2]
    brief = set_spans(add_item(new_brief("t"), "hostile"), "hostile", spans[1:])
    brief = set_key_message(brief, "hostile", middle)
    doc = compose(brief, PASSAGES, load_taxonomy(), "es")
    [point] = [b for b in doc.sections[0].blocks if isinstance(b, KeyPoint)]
    [quote] = [b for b in blocks(doc) if isinstance(b, Quotation)]
    assert point.text == fold(text[slice(*middle)])
    before, after = quote.text.split(f" {ELLIPSIS} ")
    assert before == fold(text[slice(*spans[1])])
    assert after.startswith(fold(text[slice(*spans[3])]))
    assert point.text not in quote.text
    # A passage whose key message is all it quotes is cited by number only.
    only = set_key_message(set_spans(brief, "hostile", [middle]), "hostile", middle)
    doc = compose(only, PASSAGES, load_taxonomy(), "es")
    assert not [b for b in blocks(doc) if isinstance(b, Quotation)]
    assert any(isinstance(b, Table) and "[1]" in b.rows[0][-1] for b in blocks(doc))


def test_key_messages_are_edited_reordered_and_leave_with_their_passage() -> None:
    brief = new_brief("t")
    for pid in PASSAGES:
        brief = add_item(brief, pid)
    a, b = sentences(PASSAGES["mix"].text)[0], sentences(PASSAGES["rec"].text)[0]
    brief = set_key_message(set_key_message(brief, "mix", a), "rec", b)
    brief = set_key_message(brief, "mix", sentences(PASSAGES["mix"].text)[1])  # replaces
    assert [m.passage_id for m in brief.key_messages] == ["mix", "rec"]
    brief = move_key_message(brief, "rec", 1)
    assert [m.passage_id for m in brief.key_messages] == ["rec", "mix"]
    assert Brief.from_dict(json.loads(json.dumps(brief.to_dict()))) == brief
    assert [m.passage_id for m in remove_item(brief, "rec").key_messages] == ["mix"]
    with pytest.raises(BriefError):
        set_key_message(brief, "not-there", a)
    with pytest.raises(BriefError):
        set_spans(brief, "mix", [(5, 2)])


def test_a_version_1_brief_file_opens_and_quotes_whole_passages(
    corpus_kb: KnowledgeBase, tmp_path: Path
) -> None:
    ids = [p.id for p in corpus_kb.passages(sorted(corpus_kb.visible_ids()))[:3]]
    old = {
        "version": 1,
        "name": "viejo",
        "title": "Informe anterior",
        "purpose": "Coordinación",
        "items": [
            {"passage_id": pid, "note": "nota" if i == 0 else ""} for i, pid in enumerate(ids)
        ],
        "lang": "es",
        "created": "2024-01-01T00:00:00+00:00",
        "updated": "2024-01-01T00:00:00+00:00",
    }
    folder = tmp_path / "briefs"
    folder.mkdir()
    (folder / "viejo.json").write_text(json.dumps(old), encoding="utf-8")
    brief = load_brief("viejo", folder)
    assert brief.passage_ids == ids and brief.items[0].note == "nota"
    assert all(item.spans is None for item in brief.items) and brief.key_messages == []
    doc = compose_brief(corpus_kb, brief, "es")
    stored = {p.id: p for p in corpus_kb.passages(ids)}
    keys = {b.passage_id: b for b in doc.sections[0].blocks if isinstance(b, KeyPoint)}
    for q in (b for b in blocks(doc) if isinstance(b, Quotation)):
        text = stored[q.passage_id].text  # whole, until the author picks (but its key message)
        key = keys.get(q.passage_id)
        assert q.spans == (
            leave_out(text, whole(text), (key.start, key.end)) if key else whole(text)
        )
    assert any(isinstance(b, KeyPoint) for b in doc.sections[0].blocks)


def test_eight_passages_fit_three_pdf_pages(drafted: tuple[Brief, BriefDocument]) -> None:
    _, doc = drafted
    assert len(doc.sources) == 8
    pages = PdfReader(io.BytesIO(export_bytes(doc, "pdf"))).pages
    assert len(pages) <= 3
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Mensajes clave" in text and "Lecciones por país" in text


ENGLISH = "How can public-private coordination in cluster policies be improved?"


def pdf_pages(doc: BriefDocument) -> int:
    return len(PdfReader(io.BytesIO(export_bytes(doc, "pdf"))).pages)


def test_an_english_brief_of_eight_passages_fits_three_pdf_pages(
    corpus_kb: KnowledgeBase,
) -> None:
    english = SearchFilters(langs=("en",))
    brief = draft_brief(corpus_kb, ENGLISH, k=8, lang="en", filters=english)
    assert len(brief.items) == 8
    doc = compose_brief(corpus_kb, brief, "en")
    assert len(doc.sources) == 8 and doc.sections[0].heading == "Key messages"
    assert pdf_pages(doc) <= 3
    # Quoted whole, the same eight passages run longer, and still fit.
    whole_brief = brief
    for pid in brief.passage_ids:
        whole_brief = set_spans(whole_brief, pid, None)
    whole_doc = compose_brief(corpus_kb, whole_brief, "en")
    quoted = sum(len(b.text) for b in blocks(whole_doc) if isinstance(b, Quotation))
    assert quoted > sum(len(b.text) for b in blocks(doc) if isinstance(b, Quotation))
    assert pdf_pages(doc) <= pdf_pages(whole_doc) <= 3


def test_docx_uses_word_headings_list_quote_table_and_superscript(
    drafted: tuple[Brief, BriefDocument],
) -> None:
    _, doc = drafted
    document = docx.Document(io.BytesIO(export_bytes(doc, "docx")))
    styles = Counter(p.style.name for p in document.paragraphs)
    assert styles["Title"] == 1 and styles["Heading 1"] == 6
    quotes = [b for b in blocks(doc) if isinstance(b, Quotation)]
    assert 3 <= styles["List Bullet"] <= 5 and styles["Quote"] == len(quotes) >= 4
    [table] = document.tables
    assert table.style.name == "Table Grid"
    assert table.rows[0].cells[0].text == "País u organismo" and len(table.rows) >= 2
    quote = next(p for p in document.paragraphs if p.style.name == "Quote")
    assert any(r.font.superscript and r.text.startswith("[") for r in quote.runs)
