"""Reading PDFs: pypdf runs in a child process with a time and a memory limit.

A hostile or broken PDF can make a parser loop for ever or allocate without bound, so the
parsing happens in `python -m ingest.pdf_worker`, which reads the file's bytes on stdin and
writes the raw text of every page (and the outline) as JSON on stdout. This side starts it,
maps its failures to `IngestError` and cleans the text.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingest.errors import IngestError
from ingest.metadata import Extracted, parse_year
from ingest.pdf_worker import MEMORY_LIMIT_MB
from ingest.textfiles import clean_text, tidy_blank_lines
from kb.models import Page, Section

TIMEOUT_S = 120.0
TIMEOUT_S_PER_MB = 3.0  # big files get more time, proportionally
MIN_CHARS_PER_PAGE = 20  # fewer visible characters on average means a scan without text layer
PAGE_SEPARATOR = "\n\n"
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
    raw = run_worker(data, path, timeout_s=timeout_s, memory_mb=memory_mb)
    page_texts = [clean_pdf_text(str(text)) for text in raw["pages"]]
    if not has_text_layer(page_texts):
        raise IngestError(path, "no text layer; OCR is not supported")
    text, pages = join_pages(page_texts)
    return Extracted(
        text=text,
        pages=pages,
        sections=outline_sections(raw.get("outline") or [], pages),
        embedded_title=" ".join(clean_text(str(raw.get("title") or "")).split()),
        created_year=pdf_date_year(str(raw.get("created") or "")),
    )


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


_HYPHEN_BREAK = re.compile(r"([^\W\d_])-[ \t]*\n[ \t]*([^\W\d_]+)")
_PAGE_NUMBER_LINE = re.compile(
    r"(?:(?:p[áa]g(?:ina)?\.?|page|p\.)\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?"
    r"(?:\s*(?:/|de|of)\s*\d{1,4})?",
    re.IGNORECASE,
)


def clean_pdf_text(text: str) -> str:
    """Tidy one page: join hyphenated line ends, collapse spaces, drop page-number lines."""
    text = clean_text(text)
    text = _HYPHEN_BREAK.sub(_join_hyphenated, text)
    text = re.sub(r" {2,}", " ", text)
    text = re.sub(r"(?m)^ +", "", text)
    return tidy_blank_lines(_drop_page_number_lines(text))


def _join_hyphenated(match: re.Match[str]) -> str:
    # "desarro-\nllo" is one word; "Norte-\nSur" (capital after the break) is a real hyphen.
    head, tail = match.group(1), match.group(2)
    if tail[0].islower():
        return head + tail
    return f"{head}-\n{tail}"


def _drop_page_number_lines(text: str) -> str:
    """Remove a header/footer line that holds only a page number ("12", "- 12 -", "Página 3")."""
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    edges = {filled[0], filled[-1]} if filled else set()
    drop = {i for i in edges if _PAGE_NUMBER_LINE.fullmatch(lines[i].strip())}
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def has_text_layer(page_texts: Sequence[str]) -> bool:
    """True when the pages carry real text (on average at least a line's worth per page)."""
    visible = sum(len("".join(text.split())) for text in page_texts)
    return visible > 0 and visible >= MIN_CHARS_PER_PAGE * max(len(page_texts), 1)


def join_pages(page_texts: Sequence[str]) -> tuple[str, tuple[Page, ...]]:
    """The document text (pages joined by a blank line) and each page's span in it."""
    pages: list[Page] = []
    offset = 0
    for number, page_text in enumerate(page_texts, start=1):
        pages.append(Page(number=number, start=offset, end=offset + len(page_text)))
        offset += len(page_text) + len(PAGE_SEPARATOR)
    return PAGE_SEPARATOR.join(page_texts), tuple(pages)


def outline_sections(outline: Sequence[Any], pages: Sequence[Page]) -> tuple[Section, ...]:
    """Sections from bookmarks `[title, page_index]`: each starts where its page starts."""
    sections: list[Section] = []
    for item in outline:
        if not (isinstance(item, (list, tuple)) and len(item) == 2):
            continue
        title, index = " ".join(str(item[0]).split()), item[1]
        if title and isinstance(index, int) and 0 <= index < len(pages):
            sections.append(Section(heading=clean_text(title), start=pages[index].start))
    # Stable sort keeps bookmark order among sections that start on the same page.
    return tuple(sorted(sections, key=lambda s: s.start))
