"""Whatever a report says, an exported brief shows it as text: no markup, no broken file."""

from __future__ import annotations

import html
import re
import tempfile
import zipfile
from pathlib import Path

import docx
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pypdf import PdfReader

from kb.briefs.compose import (
    BriefDocument,
    Note,
    Paragraph,
    Quotation,
    Section,
    Source,
    Subheading,
    strip_control,
)
from kb.briefs.export_docx import to_docx
from kb.briefs.export_markdown import to_markdown
from kb.briefs.export_pdf import to_pdf
from tests.helpers.fuzz import fuzz

SNIPPETS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<!--", "-->", "**", "__",
    "*", "_", "[x](y)", "[x](javascript:alert(1))", "![i](http://e/x.png)", "<http://evil>",
    "[1]: http://evil", "|", "| a | b |\n|---|---|", "`", "```", "~~~", "~~x~~", "\n", "\n\n",
    "# ", "## ", "- ", "+ ", "1. ", "2) ", "> ", "    ", "\t", "---", "===", "***", "&amp;",
    "&#x3C;", "&lt;", "\\", "\\*", "\r", "\r\n", "\x00", "\x07", "\x0c", "\x1b[31m", "\x85",
    "\u2028", "\u202e", "\ufeff", "\ud800", "\ufffe", "%PDF-1.7", "{{x}}", "$x$", "ñandú",
    "«cita»", "😀", "中文",
]  # fmt: skip
LONG_WORD = st.text(alphabet="abcdefghijñó", min_size=120, max_size=500)
TEXT = st.lists(
    st.one_of(st.text(max_size=30), st.sampled_from(SNIPPETS), LONG_WORD), max_size=6
).map("".join)
BLOCK = st.one_of(
    TEXT.map(Paragraph),
    TEXT.map(Subheading),
    st.builds(Quotation, TEXT, st.integers(1, 9), TEXT),
    st.builds(Note, st.sampled_from(["Nota del autor", "Author's note"]), TEXT, st.none()),
    st.builds(Note, st.just("Nota del autor"), TEXT, st.integers(1, 9)),
)


@st.composite
def briefs(draw: st.DrawFn) -> BriefDocument:
    sections = tuple(
        Section(draw(TEXT), tuple(draw(st.lists(BLOCK, min_size=1, max_size=4))))
        for _ in range(draw(st.integers(1, 2)))
    )
    sources = tuple(
        Source(n, f"doc:{n}", draw(TEXT), draw(TEXT), draw(TEXT), "p. 3")
        for n in range(1, draw(st.integers(0, 3)) + 1)
    )
    missing = tuple(draw(st.lists(TEXT, max_size=1)))
    return BriefDocument(draw(TEXT), "es", sections, "Fuentes", sources, missing)


def flat(text: str) -> str:
    return " ".join(strip_control(text).split())


def texts_of(doc: BriefDocument) -> list[str]:
    """Every piece of text the brief carries, as a reader should find it in the export."""
    out = [doc.title, *doc.missing, *(s.line() for s in doc.sources)]
    for section in doc.sections:
        out.append(section.heading)
        for block in section.blocks:
            out.extend(
                [block.text, block.attribution] if isinstance(block, Quotation) else [block.text]
            )
    return [t for t in map(flat, out) if t]


def count(doc: BriefDocument, kind: type) -> int:
    return sum(isinstance(b, kind) for s in doc.sections for b in s.blocks)


def visible_text(rendered: str) -> str:
    return flat(html.unescape(re.sub(r"<[^>]*>", " ", rendered)))


@fuzz(150)
@given(briefs())
def test_markdown_keeps_report_text_literal(doc: BriefDocument) -> None:
    rendered = MarkdownIt("commonmark").render(to_markdown(doc))
    tags = re.findall(r"<(\w+)", rendered)
    # Only the structure the exporter itself writes.
    assert set(tags) <= {"h1", "h2", "h3", "p", "blockquote", "strong", "ol", "li", "br"}
    assert tags.count("h1") == 1 and tags.count("h2") == len(doc.sections) + 1
    assert tags.count("h3") == count(doc, Subheading)
    assert tags.count("blockquote") == count(doc, Quotation)
    assert tags.count("strong") == count(doc, Note)
    assert tags.count("li") == len(doc.sources)
    shown = visible_text(rendered)
    for text in texts_of(doc):
        assert text in shown


@fuzz(40)
@given(briefs())
def test_docx_keeps_report_text_literal(doc: BriefDocument) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = to_docx(doc, Path(folder) / "brief.docx")
        document = docx.Document(str(path))
        body = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    shown = flat("\n".join(p.text for p in document.paragraphs))
    for text in texts_of(doc):
        assert text in shown
    for active in ("w:hyperlink", "w:fldSimple", "w:instrText", "w:object", "<script"):
        assert active not in body


@fuzz(15)
@given(briefs())
def test_pdf_is_written_and_holds_no_active_content(doc: BriefDocument) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = to_pdf(doc, Path(folder) / "brief.pdf")
        raw = path.read_bytes()
        reader = PdfReader(str(path))
        assert len(reader.pages) >= 1
        root = reader.trailer["/Root"]
        assert "/AA" not in root and "/JavaScript" not in root.get("/Names", {})
        opening = root.get("/OpenAction")
        assert not isinstance(opening, dict) or opening.get("/S") != "/JavaScript"
        for page in reader.pages:
            assert "/Annots" not in page and "/AA" not in page
    for active in (b"/JavaScript", b"/JS ", b"/URI", b"/Launch", b"/EmbeddedFile"):
        assert active not in raw


def test_pdf_prints_markup_as_the_words_it_is(tmp_path: Path) -> None:
    markup = "<script>alert(1)</script> **negrita** [x](http://evil) `code` | a | b |"
    blocks = (Paragraph(markup), Quotation(markup, 1), Note("Nota del autor", markup, 1))
    doc = BriefDocument("Informe", "es", (Section("Hallazgos", blocks),), "Fuentes", ())
    text = flat(
        " ".join(p.extract_text() for p in PdfReader(str(to_pdf(doc, tmp_path / "b.pdf"))).pages)
    )
    assert text.count(markup) == 3


def test_a_very_long_title_still_exports_to_docx(tmp_path: Path) -> None:
    title = "Coordinación en clústeres: " + "lecciones de la región " * 20
    doc = BriefDocument(title, "es", (Section("Hallazgos", (Paragraph("Texto."),)),), "Fuentes", ())
    document = docx.Document(str(to_docx(doc, tmp_path / "largo.docx")))
    assert document.paragraphs[0].text == flat(title)  # the heading keeps all of it
    assert len(document.core_properties.title) <= 255
    assert document.core_properties.title.startswith("Coordinación en clústeres")
