"""A composed brief as PDF, set in the bundled DejaVu fonts so Spanish text renders offline.

Text goes in through fpdf2's plain-text calls only (never its markdown or HTML modes), so
nothing a report says can become formatting.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

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

FONTS = Path(__file__).with_name("fonts")
FAMILY = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
BODY = 10.5
LINE = 5.5
QUOTE_INDENT = 8.0
TABLE_FONT = 8.5
SOURCES_FONT = 9.0
TABLE_LINE = 4.2
TABLE_WIDTHS = (15, 19, 21, 19, 17, 9)
"""Relative widths of the lessons table's columns (country, problems, instruments, outcomes,
evidence, sources)."""


def _text(text: str) -> str:
    # DejaVu has no tab glyph; a tab is just space in running text.
    return strip_control(text).replace("\t", " ").strip()


def _line(text: str) -> str:
    return " ".join(strip_control(text).split())


class _BriefPDF:
    """Holds the page state while blocks are written one after another."""

    def __init__(self, doc: BriefDocument) -> None:
        self.pdf = FPDF(format="A4")
        for style, name in FONT_FILES.items():
            self.pdf.add_font(FAMILY, style, str(FONTS / name))
        self.pdf.set_title(_line(doc.title))
        self.pdf.set_lang(doc.lang)
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()
        self.margin = self.pdf.l_margin

    def font(self, style: str = "", size: float = BODY) -> None:
        self.pdf.set_font(FAMILY, style, size)

    def heading(self, text: str, size: float, level: int) -> None:
        self.pdf.ln(3 if level else 1)
        self.pdf.start_section(_line(text) or "-", level=level)  # PDF outline entry
        self.font("B", size)
        self.pdf.multi_cell(
            0, size * 0.55, _line(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.pdf.ln(1.5)

    def paragraph(self, text: str, size: float = BODY) -> None:
        self.font(size=size)
        line = LINE * size / BODY
        self.pdf.multi_cell(0, line, _text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(1.5)

    def citation(self, number: int) -> None:
        self.font()
        self.pdf.char_vpos = "SUP"
        self.pdf.write(LINE, f"[{number}]")
        self.pdf.char_vpos = "LINE"

    def quotation(self, block: Quotation) -> None:
        self.pdf.set_left_margin(self.margin + QUOTE_INDENT)
        self.pdf.set_x(self.margin + QUOTE_INDENT)
        self.font("I")
        self.pdf.write(LINE, _line(block.text) + " ")
        self.cited_end(block.citation, block.attribution, gap=2)

    def cited_end(self, citation: int, attribution: str, gap: float) -> None:
        """Close an indented quotation: its citation number, whom it speaks for, the margin."""
        self.citation(citation)
        if attribution:
            self.font()
            self.pdf.write(LINE, f" — {_line(attribution)}")
        self.pdf.ln(LINE)
        self.pdf.set_left_margin(self.margin)
        self.pdf.set_x(self.margin)
        self.pdf.ln(gap)

    def key_point(self, block: KeyPoint) -> None:
        self.font()
        self.pdf.set_x(self.margin)
        self.pdf.write(LINE, "•  ")
        self.pdf.set_left_margin(self.margin + QUOTE_INDENT / 2)
        self.pdf.write(LINE, f"“{_line(block.text)}” ")
        self.cited_end(block.citation, block.attribution, gap=1)

    def table(self, block: Table) -> None:
        self.font(size=TABLE_FONT)
        widths = TABLE_WIDTHS if len(block.header) == len(TABLE_WIDTHS) else None
        with self.pdf.table(
            col_widths=widths,
            line_height=TABLE_LINE,
            text_align="LEFT",
            first_row_as_headings=True,
            headings_style=FontFace(emphasis="BOLD"),
        ) as table:
            for cells in (block.header, *block.rows):
                row = table.row()
                for text in cells:
                    row.cell(_line(text))
        self.pdf.ln(2)

    def note(self, block: Note) -> None:
        self.font("B")
        self.pdf.write(LINE, _line(block.label))
        if block.citation is not None:
            self.citation(block.citation)
        self.font()
        self.pdf.write(LINE, ": " + _text(block.text))
        self.pdf.ln(LINE)
        self.pdf.ln(1.5)

    def block(self, block: Block) -> None:
        if isinstance(block, Subheading):
            self.heading(block.text, 11.5, level=1)
        elif isinstance(block, Quotation):
            self.quotation(block)
        elif isinstance(block, KeyPoint):
            self.key_point(block)
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, Note):
            self.note(block)
        else:
            assert isinstance(block, Paragraph)
            self.paragraph(block.text)


def to_pdf(doc: BriefDocument, path: Path) -> Path:
    """Write the brief to `path` as PDF and return the path."""
    out = _BriefPDF(doc)
    out.font("B", 17)
    out.pdf.multi_cell(0, 9, _line(doc.title), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for block in doc.intro:
        out.block(block)
    for section in doc.sections:
        out.heading(section.heading, 14, level=0)
        for block in section.blocks:
            out.block(block)
    out.heading(doc.sources_heading, 14, level=0)
    for source in doc.sources:
        out.paragraph(f"[{source.number}] {_line(source.line())}", SOURCES_FONT)
    for line in doc.missing:
        out.paragraph(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.pdf.output(str(path))
    return path
