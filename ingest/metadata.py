"""Document metadata: ids, titles, publishers, countries/agencies, years and languages,
each with where it came from.

A field comes from the first place that has it: front matter, the file's properties, the
cover page, the text of the first and last pages, or the file name. Country and agency names
are resolved by `kb.countries`, publishers by `ingest.publishers`, covers by `ingest.cover`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.cover import (
    COVER_PAGES,
    CoverPage,
    Line,
    cover_title,
    lines_from_pieces,
    lines_from_text,
    placeholder_title,
    plausible_year,
    printed_year,
)
from ingest.language import detect_lang, normalise_lang
from ingest.publishers import canonical_publisher, only_publisher, publisher_in
from ingest.textfiles import clean_text
from kb.countries import normalise_country
from kb.files import sha256_hex
from kb.models import DocumentMeta, Page, Section
from kb.textnorm import ascii_fold, name_key

SLUG_MAX = 80
# Where the publisher and the year are printed besides the cover: the next pages (credits,
# how to cite) and the last ones (colophon, back cover).
FRONT_PAGES = 3
BACK_PAGES = 3
UNPAGED_EDGE_CHARS = 3000
"""Without pages (Markdown, text, DOCX): how much of the start and the end counts instead."""
_LONG_PARAGRAPH_WORDS = 40
# A page with this many years followed by punctuation ("2019.", "(2020),") is a reference
# list: the agencies it cites did not publish the report.
_CITATION_YEAR = re.compile(r"\b(?:19|20)\d{2}[a-z]?\)?[.,:;]")
_REFERENCE_PAGE_YEARS = 6


@dataclass(frozen=True)
class Extracted:
    """What a format reader found in a file, before metadata is decided."""

    text: str
    pages: tuple[Page, ...]
    sections: tuple[Section, ...] = ()
    fields: dict[str, object] = field(default_factory=dict)
    """Front matter (or equivalent tags) of Markdown/text files, keys lower-cased."""
    embedded_title: str = ""
    """DOCX core-properties title or PDF /Title, as stored in the file."""
    first_heading: str = ""
    """First Markdown heading (a title of last resort before the file name)."""
    created_year: int | None = None
    """Creation year in the file's properties (PDF /CreationDate, DOCX created)."""
    embedded_names: tuple[str, ...] = ()
    """Who the file's properties say made it (author, company): a person or an organisation."""
    cover_pages: tuple[CoverPage, ...] = ()
    """Text pieces of the first pages with their printed font sizes (PDF only)."""


def slugify(stem: str) -> str:
    """A safe id from a file stem: lowercase ascii, non-alphanumerics → `_`, ≤ 80 chars."""
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_fold(stem)).strip("_")
    slug = slug[:SLUG_MAX].rstrip("_")
    return slug or "doc"


def parse_year(value: object) -> int | None:
    """A plausible year (1900–2100) from an int, a date or a string like "2023-08-14"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        year: int | None = value.year
    elif isinstance(value, int):
        year = value
    else:
        match = re.search(r"(?<!\d)(19\d{2}|20\d{2}|2100)(?!\d)", str(value or ""))
        year = int(match.group(1)) if match else None
    return year if year is not None and 1900 <= year <= 2100 else None


_FILE_EXTENSIONS = (
    "indd idml ai eps psd doc docx dot dotx odt rtf pdf ps qxd qxp xls xlsx ppt pptx pub txt tex"
)
_FILE_NAME_TITLE = re.compile(rf"\.({'|'.join(_FILE_EXTENSIONS.split())}|html?)$", re.IGNORECASE)


def looks_like_real_title(title: str, stem: str = "") -> bool:
    """False for empty, placeholder ("Untitled") or file-name-like titles ("informe_v3.indd",
    the file's own name `stem`, "Microsoft Word - x.docx")."""
    title = title.strip()
    if len(title) < 3 or placeholder_title(title) or only_publisher(title):
        return False
    if _FILE_NAME_TITLE.search(title) or re.match(r"microsoft \w+ - ", title, re.IGNORECASE):
        return False
    if stem and name_key(title) == name_key(stem):
        return False
    # Export tools fill the title with the working file name: "documento3_final_marzo".
    return " " in title or not ("_" in title or re.search(r"\d", title))


def title_from_stem(stem: str) -> str:
    """A readable title from a file stem: `_` → spaces, invisible characters dropped."""
    visible = "".join(ch for ch in stem if unicodedata.category(ch)[0] != "C")
    return " ".join(visible.replace("_", " ").split()) or "Untitled"


def _text_field(fields: dict[str, object], *keys: str) -> str:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, list):
            value = next((item for item in value if str(item).strip()), "")
        if value is not None and str(value).strip():
            # YAML escapes ("\0", "\ud800") can smuggle in what clean text never holds.
            return " ".join(clean_text(str(value)).split())
    return ""


def _page_texts(extracted: Extracted) -> list[str]:
    return [extracted.text[page.start : page.end] for page in extracted.pages]


def _cover_lines(extracted: Extracted, pages: Sequence[str]) -> list[list[Line]]:
    """The lines of the first pages, sized when the reader knew the sizes."""
    if len(pages) <= 1:
        # One flow of text: the cover is what comes before the first real paragraph.
        lines = []
        for line in lines_from_text(extracted.text):
            if len(line.text.split()) > _LONG_PARAGRAPH_WORDS:
                break
            lines.append(line)
        return [lines]
    out = []
    for index, text in enumerate(pages[:COVER_PAGES]):
        pieces = extracted.cover_pages[index] if index < len(extracted.cover_pages) else ()
        sized = lines_from_pieces(pieces) if pieces else []
        out.append(sized or lines_from_text(text))
    return out


def _printed_pages(pages: Sequence[str], cover: list[list[Line]]) -> list[str]:
    """The pages with the first ones as printed, from their sized pieces when the reader sent
    them: cleaning drops running headers and footers, where titles and publishers stand."""
    if len(pages) <= 1:
        return list(pages)
    printed = ["\n".join(line.text for line in lines) for lines in cover]
    return printed + list(pages[len(printed) :])


def _edge_text(extracted: Extracted, pages: Sequence[str]) -> str:
    """The pages after the cover and the last pages, reference lists left out."""
    if len(pages) <= 1:
        text = extracted.text
        return f"{text[:UNPAGED_EDGE_CHARS]}\n{text[-UNPAGED_EDGE_CHARS:]}"
    numbers = sorted(
        {*range(1, min(FRONT_PAGES, len(pages))), *range(len(pages))[-BACK_PAGES:]} - {0}
    )
    chosen = [pages[n] for n in numbers]
    return "\n".join(p for p in chosen if len(_CITATION_YEAR.findall(p)) < _REFERENCE_PAGE_YEARS)


def _first(*candidates: tuple[object, str]) -> tuple[Any, str]:
    """The first (value, origin) whose value is set; (None, '') when none is."""
    return next(((v, o) for v, o in candidates if v not in (None, "")), (None, ""))


_PLAIN_TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".text")


def decide_title(
    path: Path, extracted: Extracted, cover: list[list[Line]], pages: Sequence[str]
) -> tuple[str, str]:
    """The title and where it came from; `pages` as printed."""
    embedded = " ".join(extracted.embedded_title.split())
    real = embedded if looks_like_real_title(embedded, path.stem) else ""
    found = _first(
        (_text_field(extracted.fields, "title"), "front_matter"),
        (real, "file_properties"),
        (extracted.first_heading, "cover"),
    )
    # Plain text has no cover: its first lines are prose, and the file name says more.
    if not found[0] and path.suffix.lower() not in _PLAIN_TEXT_SUFFIXES:
        found = (cover_title(cover, pages, only_publisher), "cover")
    if not found[0]:
        found = (title_from_stem(path.stem), "file_name")
    return " ".join(str(found[0]).split()), found[1]


def decide_year(
    extracted: Extracted, cover: list[list[Line]], edges: str
) -> tuple[int | None, str]:
    """The publication year and where it came from; a printed year beats the file's date."""
    fields = extracted.fields
    value, origin = _first(
        (parse_year(fields.get("year")) or parse_year(fields.get("date")), "front_matter"),
        (printed_year(line.text for line in (cover[0] if cover else [])), "cover"),
        (printed_year(edges.split("\n")), "text"),
        (plausible_year(extracted.created_year), "file_properties"),
    )
    return (int(value), origin) if value is not None else (None, "")


def decide_publisher(extracted: Extracted, pages: Sequence[str], edges: str) -> tuple[str, str]:
    """The publisher (stored name when listed in publishers.yaml) and where it came from;
    `pages` as printed."""
    fields = extracted.fields
    given = _text_field(fields, "publisher", "agency", "organization", "organisation")
    names = [n for n in extracted.embedded_names if only_publisher(n)]
    cover = pages[0] if len(pages) > 1 else edges[:UNPAGED_EDGE_CHARS]
    value, origin = _first(
        (canonical_publisher(given) if given else "", "front_matter"),
        (publisher_in(_text_field(fields, "source")), "front_matter"),
        (publisher_in("\n".join(names)), "file_properties"),
        (publisher_in(cover), "cover"),
        (publisher_in(edges), "text"),
    )
    return str(value or ""), origin


def build_meta(path: Path, data: bytes, extracted: Extracted) -> DocumentMeta:
    """Decide a document's metadata from its file and what its reader found (pure)."""
    fields = extracted.fields
    cleaned = _page_texts(extracted)
    cover = _cover_lines(extracted, cleaned)
    pages = _printed_pages(cleaned, cover)
    edges = _edge_text(extracted, pages)
    title, title_from = decide_title(path, extracted, cover, pages)
    year, year_from = decide_year(extracted, cover, edges)
    publisher, publisher_from = decide_publisher(extracted, pages, edges)
    country = normalise_country(_text_field(fields, "country", "agency"))
    lang = normalise_lang(fields.get("language") or fields.get("lang"))
    lang_from = "front_matter" if lang else "text"
    lang = lang or detect_lang(extracted.text)
    origins = (
        ("title", title_from),
        ("year", year_from),
        ("publisher", publisher_from),
        ("country", "front_matter" if country else ""),
        ("lang", lang_from if lang != "und" else ""),
    )
    return DocumentMeta(
        doc_id=slugify(path.stem),
        title=title,
        country=country,
        source=_text_field(fields, "source"),
        year=year,
        lang=lang,
        path=str(path),
        sha256=sha256_hex(data),
        publisher=publisher,
        provenance=tuple((name, origin) for name, origin in origins if origin),
    )
