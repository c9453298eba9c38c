"""Cut a document into passages that the encoder takes whole, at paragraph and sentence ends."""

from __future__ import annotations

from collections.abc import Callable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from kb.models import Document, Passage

# Strongest break first; Spanish sentences may end in ?, ! or … and quotes before the space.
SEPARATORS = [
    "\n\n",
    "\n",
    ". ",
    "? ",
    "! ",
    "… ",
    ".» ",
    '." ',
    ".” ",
    "; ",
    ": ",
    ", ",
    " ",
    "",
]
# Room left for the title/section header that is embedded with each passage.
HEADER_TOKENS = 48


def embedding_text(passage: Passage) -> str:
    """What the encoder sees: document title and section give a short passage its context."""
    header = " — ".join(part for part in (passage.title, passage.section.lstrip("# ")) if part)
    return f"{header}\n{passage.text}" if header else passage.text


def passage_id(doc_id: str, sha256: str, index: int) -> str:
    """Deterministic id; the content hash keeps a new version's passages apart from the old."""
    return f"{doc_id}:{sha256[:8]}:{index:04d}"


def make_splitter(
    count_tokens: Callable[[str], int], chunk_tokens: int, overlap_tokens: int
) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        keep_separator="end",
        chunk_size=chunk_tokens,
        chunk_overlap=overlap_tokens,
        length_function=count_tokens,
        strip_whitespace=True,
    )


def _segments(document: Document) -> list[tuple[int, int]]:
    """Spans between section and page starts; a heading with no body joins the next span.

    Passages never straddle a page break, so every citation names one page.
    """
    starts = {s.start for s in document.sections} | {p.start for p in document.pages}
    cuts = sorted({0, *starts, len(document.text)})
    spans = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]
    headings = {s.start: s.heading for s in document.sections}
    merged: list[tuple[int, int]] = []
    pending: int | None = None
    for a, b in spans:
        start = a if pending is None else pending
        body = document.text[a:b].strip()
        lone_heading = a in headings and len(body) <= len(headings[a]) + 8
        if lone_heading and (a, b) != spans[-1]:
            pending = start  # carry the heading into the next segment
            continue
        merged.append((start, b))
        pending = None
    return merged


def _content_start(document: Document, start: int, end: int) -> int:
    """Offset of a passage's first line that is not a heading (its section is named there)."""
    starts = {s.start for s in document.sections}
    text = document.text
    pos = start
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos not in starts:
            return pos
        newline = text.find("\n", pos, end)
        if newline < 0:
            return pos
        pos = newline + 1
    return start


def chunk_document(
    document: Document,
    count_tokens: Callable[[str], int],
    max_tokens: int,
    chunk_tokens: int = 200,
    overlap_tokens: int = 30,
) -> list[Passage]:
    """Passages of at most `chunk_tokens` model tokens (below `max_tokens` with the header).

    Each passage's text is exactly `document.text[start:end]`.
    """
    budget = max(16, min(chunk_tokens, max_tokens - HEADER_TOKENS))
    overlap = min(overlap_tokens, budget // 4)
    splitter = make_splitter(count_tokens, budget, overlap)
    meta = document.meta
    passages: list[Passage] = []
    for seg_start, seg_end in _segments(document):
        segment = document.text[seg_start:seg_end]
        cursor = 0
        for piece in splitter.split_text(segment):
            # Overlap means a piece may begin before the previous one ended; search from just
            # past the previous start so repeated sentences map to the right occurrence.
            found = segment.find(piece, cursor)
            if found < 0:
                found = segment.find(piece)
            start = seg_start + found
            end = start + len(piece)
            cursor = found + 1
            index = len(passages)
            passages.append(
                Passage(
                    id=passage_id(meta.doc_id, meta.sha256, index),
                    doc_id=meta.doc_id,
                    index=index,
                    text=piece,
                    start=start,
                    end=end,
                    page_start=document.page_at(start),
                    page_end=document.page_at(max(start, end - 1)),
                    section=document.section_at(_content_start(document, start, end)),
                    title=meta.title,
                    country=meta.country,
                    source=meta.source,
                    lang=meta.lang,
                    year=meta.year,
                )
            )
    return passages
