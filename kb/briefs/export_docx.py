"""A composed brief as a Word document: real headings, quote paragraphs, superscript citations."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.shared import Pt
from docx.text.paragraph import Paragraph as DocxParagraph

from kb.briefs.compose import (
    Block,
    BriefDocument,
    Note,
    Paragraph,
    Quotation,
    Subheading,
    strip_control,
)

PROPERTY_MAX = 255


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
        para.add_run(strip_control(block.text.strip()) + " ")
        _cite(para, block.citation)
        if block.attribution:
            para.add_run(f" — {_line(block.attribution)}").italic = False
    elif isinstance(block, Note):
        para = document.add_paragraph()
        para.add_run(_line(block.label)).bold = True
        if block.citation is not None:
            _cite(para, block.citation)
        para.add_run(": " + strip_control(block.text.strip()))
    else:
        assert isinstance(block, Paragraph)
        document.add_paragraph(strip_control(block.text.strip()))


def to_docx(doc: BriefDocument, path: Path) -> Path:
    """Write the brief to `path` as DOCX and return the path."""
    document = docx.Document()
    document.core_properties.title = _property(doc.title)
    document.core_properties.language = doc.lang
    document.add_heading(_line(doc.title), level=0)
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
