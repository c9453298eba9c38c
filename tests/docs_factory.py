"""Small documents built on the fly for the loader tests (PDF, DOCX, ZIP, text)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import docx
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

ES_TEXT = (
    "Los clústeres son alianzas entre el sector público y el sector privado para mejorar "
    "la competitividad de las empresas de una región. La cooperación entre proveedores, "
    "universidades y gobiernos locales es la base de estos programas de desarrollo productivo."
)
EN_TEXT = (
    "Clusters are partnerships between the public and the private sector that aim to raise "
    "the competitiveness of firms in a region. Cooperation between suppliers, universities "
    "and local governments is the basis of these productive development programmes."
)


def pdf_bytes(
    pages: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    bookmarks: Sequence[str] = (),
    hidden: dict[int, str] | None = None,
    heading_size: float | Sequence[float] = 0,
) -> bytes:
    """A PDF with one list of lines per page; `hidden[i]` is drawn far outside page i; with
    `heading_size`, each page's first line is set at that size (a heading; one size per page
    when a list)."""
    pdf = FPDF(format="A4")
    if title is not None:
        pdf.set_title(title)
    for index, lines in enumerate(pages):
        pdf.add_page()
        pdf.set_font("helvetica", size=11)
        if index < len(bookmarks):
            pdf.start_section(bookmarks[index])
        size = heading_size if isinstance(heading_size, (int, float)) else heading_size[index]
        for number, line in enumerate(lines):
            pdf.set_font("helvetica", size=size if size and not number else 11)
            pdf.text(x=20, y=30 + 8 * number, text=line)
        if hidden and index in hidden:
            # Beyond the right edge of an A4 page (210 mm): present in the file, never seen.
            pdf.text(x=400, y=40, text=hidden[index])
    return bytes(pdf.output())


def write_pdf(path: Path, pages: Sequence[Sequence[str]], **options: object) -> Path:
    path.write_bytes(pdf_bytes(pages, **options))  # type: ignore[arg-type]
    return path


def blank_pdf(path: Path, pages: int = 2) -> Path:
    """A PDF with drawings but no text at all, like a scan."""
    pdf = FPDF(format="A4")
    for _ in range(pages):
        pdf.add_page()
        pdf.rect(x=20, y=20, w=150, h=200, style="F")
    path.write_bytes(bytes(pdf.output()))
    return path


def encrypted_pdf(path: Path, user_password: str, pages: Sequence[Sequence[str]]) -> Path:
    """A copy of a generated PDF encrypted with `user_password` (RC4, no extra packages)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(pages))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def write_docx(
    path: Path,
    blocks: Sequence[tuple[str, str]],
    *,
    core_title: str = "",
    table: Sequence[Sequence[str]] = (),
) -> Path:
    """A DOCX from (kind, text) blocks; kind is "title", "h1", "h2" or "p"; table at the end."""
    document = docx.Document()
    for kind, text in blocks:
        if kind == "title":
            document.add_heading(text, level=0)
        elif kind.startswith("h"):
            document.add_heading(text, level=int(kind[1:]))
        else:
            document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    document.core_properties.title = core_title
    document.save(str(path))
    return path


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_bomb_docx(path: Path, inflated_mb: int = 40) -> Path:
    """A DOCX-shaped archive whose second member inflates from a few KB to `inflated_mb` MB."""
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<w:document/>")
        with archive.open("word/media/padding.bin", "w") as member:
            for _ in range(inflated_mb):
                member.write(chunk)
    return path


_LATIN1 = str.maketrans({"—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "..."})


class _Report(FPDF):
    running = ""

    def header(self) -> None:
        if self.page_no() > 1:  # the cover has none
            self.set_font("helvetica", size=7)
            self.cell(0, 6, self.running, align="R", new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("helvetica", size=8)
        self.cell(0, 6, str(self.page_no()), align="C")


def report_pdf(markdown: str) -> bytes:
    """A Markdown report printed as a plain PDF, as a word processor exports one: its title
    alone on a cover, headings larger by level (no bookmarks), the title as a running header,
    page numbers below; text outside Latin-1 is approximated."""
    blocks = [b.strip() for b in markdown.translate(_LATIN1).split("\n\n") if b.strip()]
    blocks = [b.encode("latin-1", "replace").decode("latin-1") for b in blocks]
    pdf = _Report(format="A4")
    pdf.set_margins(22, 18, 22)
    pdf.running = blocks[0].lstrip("# ")[:90]
    pdf.add_page()
    for number, block in enumerate(blocks):
        level = len(block) - len(block.lstrip("#"))
        if level and "\n" not in block:
            size = {1: 20, 2: 15, 3: 13}.get(level, 12)
            if number == 1:
                pdf.add_page()  # the body starts after the cover
            pdf.ln(3)
            pdf.set_font("helvetica", style="B", size=size)
            pdf.multi_cell(0, size * 0.5, block.lstrip("# "), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            continue
        if number == 1:
            pdf.add_page()
        pdf.set_font("helvetica", size=10)
        for line in block.replace("*", "").splitlines():
            pdf.multi_cell(0, 5, line.strip(), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)
    return bytes(pdf.output())
