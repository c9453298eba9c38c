"""The text of a file as the labelled sets' character offsets refer to it: each PDF page as
pypdf extracts it, tidied on its own (no cross-page cleaning); text files decoded, without
front matter, before Markdown is reduced to prose. Labels stay valid when the cleanup that
ingest applies improves."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.textfiles import clean_text, read_text, tidy_blank_lines
from kb.models import Document, DocumentMeta, Page

# The page cleanup the offsets were taken with; frozen here so that they stay valid.
_HYPHEN_BREAK = re.compile(r"([^\W\d_])-[ \t]*\n[ \t]*([^\W\d_]+)")
_PAGE_NUMBER_LINE = re.compile(
    r"(?:(?:p[áa]g(?:ina)?\.?|page|p\.)\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?"
    r"(?:\s*(?:/|de|of)\s*\d{1,4})?",
    re.IGNORECASE,
)


def reference_page(text: str) -> str:
    """One PDF page as the labels were read: hyphens joined, spaces and page numbers tidied."""
    text = clean_text(text)
    text = _HYPHEN_BREAK.sub(
        lambda m: m[1] + m[2] if m[2][0].islower() else f"{m[1]}-\n{m[2]}", text
    )
    text = re.sub(r" {2,}", " ", text)
    text = re.sub(r"(?m)^ +", "", text)
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    edges = {filled[0], filled[-1]} if filled else set()
    drop = {i for i in edges if _PAGE_NUMBER_LINE.fullmatch(lines[i].strip())}
    return tidy_blank_lines("\n".join(line for i, line in enumerate(lines) if i not in drop))


def load_reference(path: Path) -> Document:
    """`path` read for locating labelled spans (never for ingest)."""
    if path.suffix.lower() == ".pdf":
        from pypdf import PdfReader

        pages = [reference_page(page.extract_text()) for page in PdfReader(path).pages]
    else:
        pages = [read_text(path.read_bytes(), markdown=False).text]
    text, spans, start = "", [], 0
    for number, page in enumerate(pages, start=1):
        text += page + "\n\n"
        spans.append(Page(number, start, start + len(page)))
        start = len(text)
    meta = DocumentMeta(path.stem, path.stem, "", "", None, "", str(path), "")
    return Document(meta, text, tuple(spans))
