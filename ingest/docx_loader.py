"""Reading DOCX files: zip-bomb checks, then paragraphs and tables in reading order."""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.errors import IngestError, display_name
from ingest.metadata import Extracted
from ingest.subheadings import reads_as_subheading
from ingest.textfiles import clean_text
from kb.models import Page, Section

MAX_ENTRIES = 2000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
# Tiny members can have absurd ratios (a run of spaces) without being able to hurt anyone.
_RATIO_CHECK_MIN_BYTES = 1024 * 1024
PARAGRAPH_SEPARATOR = "\n\n"
_APP_XML_MAX = 64 * 1024  # the properties are a few hundred bytes; never read a bomb

# Heading styles as Word and LibreOffice name them in English, Spanish and Portuguese.
_HEADING_STYLE = re.compile(
    r"^(heading|t[ií]tulo|encabezado|cabe[cç]alho|titre|[üu]berschrift)\s*(\d+)$", re.IGNORECASE
)
_TITLE_STYLE = re.compile(r"^(title|t[ií]tulo|titre|titel)$", re.IGNORECASE)


def zip_bomb_reason(archive: zipfile.ZipFile) -> str | None:
    """Which safety limit a DOCX archive breaks, or None when it looks like a normal file.

    The sizes come from the archive's directory; Python's zipfile never inflates a member
    beyond its declared size, so checking the declared sizes is enough.
    """
    members = archive.infolist()
    if len(members) > MAX_ENTRIES:
        return f"{len(members)} entries (limit {MAX_ENTRIES})"
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        return (
            f"{total / 1024 / 1024:.0f} MB uncompressed (limit {MAX_UNCOMPRESSED_BYTES >> 20} MB)"
        )
    for member in members:
        if member.file_size < _RATIO_CHECK_MIN_BYTES:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > MAX_COMPRESSION_RATIO:
            name = display_name(member.filename)
            return f"compression ratio {ratio:.0f}:1 in {name} (limit {MAX_COMPRESSION_RATIO}:1)"
    return None


def heading_level_style(style_name: str) -> int:
    """The level of a heading or title paragraph style ("Heading 2" → 2, "Título 1" → 1,
    "Title" → 1); 0 for any other style."""
    name = style_name.strip()
    if _TITLE_STYLE.match(name):
        return 1
    heading = _HEADING_STYLE.match(name)
    return int(heading.group(2)) if heading else 0


def _all_bold(paragraph: Any) -> bool:
    """Whether every run of a paragraph that holds text is bold, set on the run, its character
    style or the paragraph's style."""
    style_bold = paragraph.style is not None and paragraph.style.font.bold is True
    runs = [run for run in paragraph.runs if run.text.strip()]
    return bool(runs) and all(
        run.bold
        if run.bold is not None
        else ((run.style is not None and run.style.font.bold is True) or style_bold)
        for run in runs
    )


def _paragraphs(
    container: Any, seen_cells: set[Any], in_table: bool = False
) -> Iterator[tuple[str, str, bool]]:
    """(text, style name, whether it is a bold line outside a table) of every paragraph,
    table cells included, in reading order."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row.cells:
                    # A merged cell is returned once per grid column it spans. The XML
                    # elements themselves are kept: ids of dropped lxml proxies get reused.
                    if cell._tc in seen_cells:
                        continue
                    seen_cells.add(cell._tc)
                    yield from _paragraphs(cell, seen_cells, in_table=True)
        else:
            style = block.style.name if block.style is not None else ""
            yield block.text, style or "", not in_table and _all_bold(block)


def read_docx(data: bytes, path: Path) -> Extracted:
    """Text, heading sections (heading styles, and bold lines outside tables as subheadings
    under them) and properties (title, author, company, creation year) of a DOCX; raises
    `IngestError`."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            bomb = zip_bomb_reason(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise IngestError(path, f"corrupt DOCX: damaged ZIP archive ({exc})") from None
    if bomb:
        raise IngestError(path, f"suspicious DOCX archive (possible zip bomb): {bomb}")

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(_paragraphs(document, set()))
        properties = document.core_properties
        title = properties.title or ""
        created = properties.created
        names = (properties.author or "", _company(data))
    except Exception as exc:
        detail = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise IngestError(path, f"corrupt or unreadable DOCX: {detail}") from None

    parts: list[str] = []
    sections: list[Section] = []
    offset = 0
    styled = 0  # the level of the last heading set in a heading style
    for raw_text, style, bold in blocks:
        text = clean_text(raw_text).strip()
        if not text:
            continue
        if parts:
            offset += len(PARAGRAPH_SEPARATOR)
        level = heading_level_style(style)
        if level:
            styled = level
        elif bold and "\n" not in text and reads_as_subheading(text):
            level = styled + 1  # a bold line is a subheading under the last styled heading
        if level:
            sections.append(Section(heading=" ".join(text.split()), start=offset, level=level))
        parts.append(text)
        offset += len(text)
    body = PARAGRAPH_SEPARATOR.join(parts)
    return Extracted(
        text=body,
        pages=(Page(number=1, start=0, end=len(body)),),
        sections=tuple(sections),
        embedded_title=" ".join(clean_text(title).split()),
        created_year=created.year if created is not None else None,
        embedded_names=tuple(n for n in (" ".join(clean_text(n).split()) for n in names) if n),
    )


def _company(data: bytes) -> str:
    """The Company of the extended properties (docProps/app.xml), often the publisher."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("docProps/app.xml") as fh:
            xml = fh.read(_APP_XML_MAX).decode("utf-8", "replace")
    except Exception:  # the properties are optional: a damaged member only loses them
        return ""
    match = re.search(r"<(?:\w+:)?Company>([^<]{1,200})</(?:\w+:)?Company>", xml)
    return html.unescape(match.group(1)) if match else ""
