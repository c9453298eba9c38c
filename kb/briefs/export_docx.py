"""A composed brief as a Word document in Word's own styles: Title and Heading 1/2, List
Bullet key messages, Quote paragraphs, a Table Grid table, superscript citation numbers.

python-docx cannot write footnotes, so citations are superscript numbers that point to the
numbered sources section at the end, as endnotes would.
"""

from __future__ import annotations

from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.shared import Pt
from docx.text.paragraph import Paragraph as DocxParagraph

from kb.briefs.compose import (
    Block,
    BriefDocument,
    KeyPoint,
    Note,
    Paragraph,
    Quotation,
    Subheading,
    Table,
    strip_control,
)

PROPERTY_MAX = 255
TABLE_STYLE = "Table Grid"
TABLE_FONT = Pt(9)


def _line(text: str) -> str:
    return " ".join(strip_control(text).split())


def _property(text: str) -> str:
    """A document property: Word limits them to 255 characters (the heading keeps it all)."""
    line = _line(text)
    return line if len(line) <= PROPERTY_MAX else line[: PROPERTY_MAX - 1].rstrip() + "…"


def _cite(paragraph: DocxParagraph, number: int) -> None:
    paragraph.add_run(f"[{number}]").font.superscript = True


def _block(document: DocxDocument, block: Block) -> None:
    if isinstance(block, Subheading):
        document.add_heading(_line(block.text), level=2)
    elif isinstance(block, Quotation):
        para = document.add_paragraph(style="Quote")
        para.add_run(_line(block.text) + " ")
        _cite(para, block.citation)
        if block.attribution:
            para.add_run(f" — {_line(block.attribution)}")
    elif isinstance(block, KeyPoint):
        para = document.add_paragraph(style="List Bullet")
        para.add_run(f"“{_line(block.text)}” ")
        _cite(para, block.citation)
        if block.attribution:
            para.add_run(f" — {_line(block.attribution)}")
    elif isinstance(block, Table):
        _table(document, block)
    elif isinstance(block, Note):
        para = document.add_paragraph()
        para.add_run(_line(block.label)).bold = True
        if block.citation is not None:
            _cite(para, block.citation)
        para.add_run(": " + strip_control(block.text.strip()))
    else:
        assert isinstance(block, Paragraph)
        document.add_paragraph(strip_control(block.text.strip()))


def _table(document: DocxDocument, block: Table) -> None:
    table = document.add_table(rows=1 + len(block.rows), cols=len(block.header))
    table.style = document.styles[TABLE_STYLE]
    for r, cells in enumerate((block.header, *block.rows)):
        for cell, text in zip(table.rows[r].cells, cells, strict=True):
            run = cell.paragraphs[0].add_run(_line(text))
            run.font.size = TABLE_FONT
            run.bold = r == 0
    document.add_paragraph()


def to_docx(doc: BriefDocument, path: Path) -> Path:
    """Write the brief to `path` as DOCX and return the path."""
    document = docx.Document()
    document.core_properties.title = _property(doc.title)
    document.core_properties.language = doc.lang
    document.add_heading(_line(doc.title), level=0)
    for block in doc.intro:
        _block(document, block)
    for section in doc.sections:
        document.add_heading(_line(section.heading), level=1)
        for block in section.blocks:
            _block(document, block)
    document.add_heading(_line(doc.sources_heading), level=1)
    for source in doc.sources:
        # Explicit numbers: they must match the citations, whatever Word does with list styles.
        para = document.add_paragraph(f"[{source.number}] {_line(source.line())}")
        para.paragraph_format.left_indent = Pt(24)
        para.paragraph_format.first_line_indent = Pt(-24)
    for line in doc.missing:
        document.add_paragraph(_line(line))
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path
