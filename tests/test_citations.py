"""Every place that cites a passage cites the same page: the printed one, with the PDF page
beside it where they differ, and none for Markdown and text sources."""

from __future__ import annotations

from dataclasses import replace

import pytest

from clusterkb.app.text import citation as card_citation
from kb.briefs.brief import add_item, new_brief
from kb.briefs.compose import compose
from kb.briefs.export_markdown import to_markdown
from kb.citations import pages_cited, source_line
from kb.learning.quotes import citation as quiz_citation
from kb.models import Passage
from kb.tags.taxonomy import load_taxonomy

PDF = Passage(
    id="informe:abcd1234:0007",
    doc_id="informe",
    index=7,
    text="Los programas de clústeres fortalecieron la red interinstitucional.",
    start=0,
    end=66,
    page_start=13,
    page_end=13,
    section="Resultados",
    title="Políticas de clústeres en Chile",
    country="Chile",
    year=2015,
    page_label_start="12",
    page_label_end="12",
)
MARKDOWN = replace(
    PDF, paged=False, page_start=1, page_end=1, page_label_start="", page_label_end=""
)


@pytest.mark.parametrize(
    ("changes", "es", "en"),
    [
        ({}, "p. 12 (p. 13 del PDF)", "p. 12 (PDF p. 13)"),
        ({"page_label_start": "13", "page_label_end": "13"}, "p. 13", "p. 13"),
        (
            {"page_end": 14, "page_label_end": "13"},
            "pp. 12–13 (pp. 13–14 del PDF)",
            "pp. 12–13 (PDF pp. 13–14)",
        ),
        ({"page_end": 14, "page_label_start": "13", "page_label_end": "14"}, "pp. 13–14", ""),
        ({"page_label_start": "", "page_label_end": ""}, "p. 13", "p. 13"),
        ({"page_label_start": "iv", "page_label_end": "iv"}, "p. iv (p. 13 del PDF)", ""),
        ({"ocr": True}, "p. 12 (p. 13 del PDF), texto reconocido por OCR", ""),
        ({"paged": False}, "", ""),
    ],
)
def test_pages_are_cited_by_their_printed_number(
    changes: dict[str, object], es: str, en: str
) -> None:
    passage = replace(PDF, **changes)  # type: ignore[arg-type]
    assert pages_cited(passage, "es") == es
    if en:
        assert pages_cited(passage, "en") == en


def test_a_markdown_source_is_cited_without_a_page_everywhere() -> None:
    lines = [
        source_line(MARKDOWN, "es"),
        card_citation(MARKDOWN, "en"),
        quiz_citation(MARKDOWN, "es"),
    ]
    assert lines[0] == "Políticas de clústeres en Chile — Chile (2015)"
    assert quiz_citation(MARKDOWN, "es") == "«Políticas de clústeres en Chile», Chile"
    assert not any("p." in line for line in lines)


def test_the_app_card_the_quiz_and_the_brief_cite_the_same_page() -> None:
    expected = pages_cited(PDF, "en")
    assert card_citation(PDF, "en").endswith(f", {expected}")
    assert quiz_citation(PDF, "en").endswith(f", {expected}")
    brief = add_item(new_brief("b", title="Chile", lang="en"), PDF.id)
    document = compose(brief, {PDF.id: PDF}, load_taxonomy(), "en")
    assert document.sources[0].line().endswith(expected)
    assert expected in to_markdown(document)


def test_a_brief_cites_a_markdown_source_without_a_page() -> None:
    brief = add_item(new_brief("b", title="Chile"), MARKDOWN.id)
    document = compose(brief, {MARKDOWN.id: MARKDOWN}, load_taxonomy())
    line = document.sources[0].line()
    assert line.startswith("Políticas de clústeres en Chile — Chile") and "p." not in line
