"""Reading PDFs: pypdf runs in a child process with a time and a memory limit.

A hostile or broken PDF can make a parser loop for ever or allocate without bound, so the
parsing happens in `python -m ingest.pdf_worker`, which reads the file's bytes on stdin and
writes the raw text of every page (and the outline) as JSON on stdout. This side starts it,
maps its failures to `IngestError` and cleans the text (`ingest.pdf_text`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingest.cover import cover_pages_from_json
from ingest.errors import IngestError
from ingest.metadata import Extracted, parse_year
from ingest.ocr import NOTHING_READ, recognise_blank_pages
from ingest.pdf_text import clean_pages
from ingest.pdf_worker import MEMORY_LIMIT_MB
from ingest.textfiles import clean_text, tidy_blank_lines
from kb.models import Page, Section

TIMEOUT_S = 120.0
TIMEOUT_S_PER_MB = 3.0  # big files get more time, proportionally
MIN_CHARS_PER_PAGE = 20  # fewer visible characters on average means a scan without text layer
PAGE_SEPARATOR = "\n\n"
RUN_ON_SEPARATOR = " "  # between pages where a sentence runs over the page break
WORKER_MODULE = "ingest.pdf_worker"


def read_pdf(
    data: bytes,
    path: Path,
    *,
    timeout_s: float | None = None,
    memory_mb: int = MEMORY_LIMIT_MB,
) -> Extracted:
    """Pages, outline sections and embedded metadata of a PDF; raises `IngestError`."""
    if timeout_s is None:
        timeout_s = TIMEOUT_S + TIMEOUT_S_PER_MB * len(data) / 1_000_000
    deadline = time.monotonic() + timeout_s  # parsing and OCR together
    raw = run_worker(data, path, timeout_s=timeout_s, memory_mb=memory_mb)
    page_texts = [clean_pdf_text(str(text)) for text in raw["pages"]]
    scans = recognise_blank_pages(data, page_texts, deadline=deadline, memory_mb=memory_mb)
    for index, scanned_text in scans.texts.items():
        page_texts[index] = clean_pdf_text(scanned_text)
    if not has_text_layer(page_texts):
        raise IngestError(path, f"no text layer; {scans.problem or NOTHING_READ}")
    cleaned = clean_pages(page_texts, pdf_labels(raw.get("labels"), len(page_texts)))
    ocr = [index in scans.texts for index in range(len(page_texts))]
    text, pages = join_pages(
        cleaned.texts, labels=cleaned.labels, continues=cleaned.continues, ocr=ocr
    )
    author = " ".join(clean_text(str(raw.get("author") or "")).split())
    sections = pdf_sections(raw.get("outline") or [], raw.get("headings") or [], pages, text)
    return Extracted(
        text=text,
        pages=pages,
        sections=with_subheadings(
            sections, bold_subheadings(raw.get("subheadings") or [], pages, text, sections)
        ),
        embedded_title=" ".join(clean_text(str(raw.get("title") or "")).split()),
        created_year=pdf_date_year(str(raw.get("created") or "")),
        embedded_names=(author,) if author else (),
        cover_pages=cover_pages_from_json(raw.get("cover")),
    )


def pdf_labels(value: Any, count: int) -> list[str] | None:
    """The worker's page labels when it sent one string per page, else None."""
    if isinstance(value, list) and len(value) == count and all(isinstance(v, str) for v in value):
        return value
    return None


def run_worker(data: bytes, path: Path, *, timeout_s: float, memory_mb: int) -> dict[str, Any]:
    """Run the PDF parser in a child process and return its JSON answer."""
    package_root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ)
    # The child must import this package even when it is not installed (tests, checkouts).
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", WORKER_MODULE, str(memory_mb)]
    try:
        # stderr is discarded: a crafted file can make a parser log without end.
        done = subprocess.run(
            command,
            input=data,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=timeout_s,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise IngestError(path, f"PDF parsing timed out after {_seconds(timeout_s)} s") from None
    except OSError as exc:
        raise IngestError(path, f"could not start the PDF parser: {exc.strerror or exc}") from None
    try:
        answer = json.loads(done.stdout) if done.returncode == 0 else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise IngestError(path, "PDF parser crashed or ran out of memory")
    if "error" in answer:
        raise IngestError(path, str(answer["error"]))
    return answer


def pdf_date_year(value: str) -> int | None:
    """Year of a PDF date string such as "D:20231128115027-03'00'"."""
    match = re.match(r"\s*(?:D:)?\s*(\d{4})", value)
    return parse_year(int(match.group(1))) if match else None


def _seconds(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:g}"


def clean_pdf_text(text: str) -> str:
    """Tidy one page: characters, spaces and blank lines (the rest needs the whole document:
    `ingest.pdf_text.clean_pages`)."""
    # A soft hyphen at a line end only ever marks a word broken for layout. Where the word
    # does not go on in the next line (a footer, the page's end), it becomes a hyphen for
    # `clean_pages` to complete the word once the footer is gone.
    text = re.sub("\u00ad[ \t]*\n[ \t]*(?=[^\\W\\d_])", _soft_break, text)
    text = clean_text(re.sub("\u00ad[ \t]*(?=\n|$)", "-", text))
    text = re.sub(r" {2,}", " ", text)
    text = re.sub(r"(?m)^ +", "", text)
    return tidy_blank_lines(text)


def _soft_break(match: re.Match[str]) -> str:
    following = match.string[match.end()]
    return "" if following.islower() else "-\n"


def has_text_layer(page_texts: Sequence[str]) -> bool:
    """True when the pages carry real text (on average at least a line's worth per page)."""
    visible = sum(len("".join(text.split())) for text in page_texts)
    return visible > 0 and visible >= MIN_CHARS_PER_PAGE * max(len(page_texts), 1)


def join_pages(
    page_texts: Sequence[str],
    *,
    labels: Sequence[str] = (),
    continues: Sequence[bool] = (),
    ocr: Sequence[bool] = (),
) -> tuple[str, tuple[Page, ...]]:
    """The document text and each page's span in it, printed label and OCR mark.

    Pages are joined by a blank line, except a page whose last sentence runs on into the next
    (`continues`): a space joins those, so the sentence reads as one paragraph.
    """
    pages: list[Page] = []
    parts: list[str] = []
    offset = 0
    for index, page_text in enumerate(page_texts):
        if index:
            separator = RUN_ON_SEPARATOR if _at(continues, index - 1, False) else PAGE_SEPARATOR
            parts.append(separator)
            offset += len(separator)
        end = offset + len(page_text)
        label, scanned = _at(labels, index, ""), _at(ocr, index, False)
        pages.append(Page(number=index + 1, start=offset, end=end, label=label, ocr=scanned))
        parts.append(page_text)
        offset = end
    return "".join(parts), tuple(pages)


def _at(values: Sequence[Any], index: int, default: Any) -> Any:
    return values[index] if index < len(values) else default


_ANCHOR_ID = re.compile(r"_[a-z0-9]{5,}")


def outline_sections(
    outline: Sequence[Any], pages: Sequence[Page], text: str = ""
) -> tuple[Section, ...]:
    """Sections from bookmarks `[title, page_index]`, each starting at its heading's line on
    its page, else where that page's first paragraph begins."""
    sections: list[Section] = []
    for item in outline:
        if not (isinstance(item, (list, tuple)) and len(item) in (2, 3)):
            continue
        title, index = " ".join(str(item[0]).split()), item[1]
        depth = item[2] if len(item) == 3 and isinstance(item[2], int) else -1
        if title and isinstance(index, int) and 0 <= index < len(pages):
            start = section_start(text, pages, index, title)
            # A bookmark named by an anchor id ("_jahyx98qwjcx") still marks where a section
            # starts, but its name means nothing to a reader.
            heading = "" if _ANCHOR_ID.fullmatch(title) else clean_text(title)
            sections.append(Section(heading=heading, start=start, level=depth + 1))
    # Stable sort keeps bookmark order among sections that start on the same page.
    return tuple(sorted(sections, key=lambda s: s.start))


def pdf_sections(
    outline: Sequence[Any], headings: Sequence[Any], pages: Sequence[Page], text: str
) -> tuple[Section, ...]:
    """The bookmarks' sections when any bookmark has a name; else the headings told by their
    printed size (reports exported from online editors bookmark every heading under an
    anchor id such as "_jahyx98qwjcx", which names nothing)."""
    bookmarked = outline_sections(outline, pages, text)
    if any(s.heading for s in bookmarked):
        return bookmarked
    return heading_sections(headings, pages, text) or bookmarked


SAME_LEVEL = 0.6
"""Heading sizes this close (points) are one level: a rounding of the same type size."""


def heading_sections(
    headings: Sequence[Any], pages: Sequence[Page], text: str
) -> tuple[Section, ...]:
    """A section at the line where each heading (`headings[i]`: page i's, in reading order,
    each `[text, printed size]`) begins on its page; a heading not found at the start of a line
    is left out. The larger the type, the higher the level (1 for the largest)."""
    found_headings: list[tuple[str, int, float]] = []
    for page, names in zip(pages, headings, strict=False):
        position = page.start
        for entry in names if isinstance(names, list) else ():
            name, size = (entry[0], entry[1]) if isinstance(entry, list) and entry else (entry, 0)
            found = _heading_line(text, str(name), position, page.end)
            if found:
                heading = " ".join(clean_text(str(name)).split())
                found_headings.append((heading, found.start(), float(size or 0)))
                position = found.end()
    levels = _size_levels([size for _, _, size in found_headings])
    return tuple(
        Section(heading=heading, start=start, level=levels.get(size, 0))
        for heading, start, size in found_headings
    )


def bold_subheadings(
    subheadings: Sequence[Any], pages: Sequence[Page], text: str, sections: Sequence[Section]
) -> tuple[Section, ...]:
    """Sections at the bold subheadings (`subheadings[i]`: page i's candidates, in reading
    order, each `[text, printed size]`, read as subheadings by `ingest.subheadings`) that fill
    a line of their page on their own, the larger above the smaller; not where a section
    already starts, nor before the first one (a title page's authors and series)."""
    starts = {s.start for s in sections}
    first = min(starts, default=0)
    found: list[tuple[str, int, float]] = []
    for page, names in zip(pages, subheadings, strict=False):
        position = page.start
        for entry in names if isinstance(names, list) else ():
            name, size = (entry[0], entry[1]) if isinstance(entry, list) and entry else (entry, 0)
            heading = " ".join(clean_text(str(name)).split())
            line = _heading_line(text, heading, position, page.end)
            if not line:
                continue
            line_end = text.find("\n", line.end(), page.end)
            rest = text[line.end() : page.end if line_end < 0 else line_end]
            position = line.end()
            if line.start() in starts or line.start() < first or re.search(r"\w", rest):
                continue  # a section's own heading, the title page, or bold lead words
            found.append((heading, line.start(), float(size or 0)))
    levels = _size_levels([size for _, _, size in found])
    return tuple(
        Section(heading=heading, start=start, level=levels.get(size, 0))
        for heading, start, size in found
    )


def with_subheadings(
    sections: Sequence[Section], subheadings: Sequence[Section]
) -> tuple[Section, ...]:
    """The sections and, nested under the deepest of them, the bold subheadings: a passage
    is cut where one starts and cited with it."""
    if not subheadings:
        return tuple(sections)
    deepest = max((s.level for s in sections), default=0)
    nested = [
        Section(
            s.heading, s.start, deepest + s.level if s.level and (deepest or not sections) else 0
        )
        for s in subheadings
    ]
    return tuple(sorted([*sections, *nested], key=lambda s: s.start))


def _size_levels(sizes: Sequence[float]) -> dict[float, int]:
    """Level of each printed heading size: 1 for the largest, sizes within `SAME_LEVEL`
    points of a larger one sharing its level; none when sizes are unknown."""
    levels: dict[float, int] = {}
    level, previous = 0, 0.0
    for size in sorted({s for s in sizes if s > 0}, reverse=True):
        if not level or previous - size > SAME_LEVEL:
            level += 1
            previous = size
        levels[size] = level
    return levels


def section_start(text: str, pages: Sequence[Page], index: int, title: str) -> int:
    """Where a bookmarked section begins on its page: the line that starts with its title;
    failing that, never inside a sentence run on from the previous page."""
    page = pages[index]
    found = _heading_line(text, title, page.start, page.end)
    if found:
        return found.start()
    run_on = index > 0 and text[pages[index - 1].end : page.start] == RUN_ON_SEPARATOR
    newline = text.find("\n", page.start, page.end) if run_on else -1
    return newline + 1 if newline >= 0 else page.start


def _heading_line(text: str, title: str, start: int, end: int) -> re.Match[str] | None:
    """The first line of `text[start:end]` that begins with `title`'s words (any case, any
    punctuation or line break between them, and before them: "¿Y la Argentina?"), or None."""
    words = re.findall(r"\w+", title)
    if not words:
        return None
    pattern = re.compile(r"(?m)^[ \t]*[^\w\n]*" + r"\W+".join(map(re.escape, words)), re.IGNORECASE)
    return pattern.search(text, start, end)
