"""Cut a document into passages that the encoder takes whole, at paragraph and sentence ends."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import TYPE_CHECKING

from langchain_text_splitters import RecursiveCharacterTextSplitter

from kb.models import ABOVE, CELLS, Document, Passage

if TYPE_CHECKING:
    from kb.config import Settings
    from kb.encoders.base import Embedder

# Strongest break first. A sentence end (also at a line end: PDF text breaks every line) comes
# before a bare line break, so a paragraph longer than a passage is cut between sentences, not
# at whichever line end fills the passage. Spanish sentences may end in ?, ! or … and quotes.
SEPARATORS = [
    "\n\n",
    ".\n",
    ". ",
    "?\n",
    "? ",
    "!\n",
    "! ",
    "… ",
    ".» ",
    '." ',
    ".” ",
    "; ",
    "\n",
    ": ",
    ", ",
    " ",
    "",
]
# A table's rows (Markdown and HTML tables are read as lines of cells joined by `CELLS`) are
# cut between rows first: a passage starting mid-row loses the row's first cell, its name.
TABLE_ROWS = 0.8
"""Share of a block's lines that hold cells for it to be read as a table."""
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
    """The langchain splitter whose cuts `split_spans` reproduces (kept as the reference)."""
    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        keep_separator="end",
        chunk_size=chunk_tokens,
        chunk_overlap=overlap_tokens,
        length_function=count_tokens,
        strip_whitespace=True,
    )


def page_breaks(document: Document) -> set[int]:
    """Starts of the pages that begin a new paragraph.

    A reader joins a page whose last sentence runs on into the next with a single space or
    line break instead of a blank line; such a page break bounds no passage, so the sentence
    stays whole and its passage cites both pages.
    """
    breaks = set()
    for previous, page in zip(document.pages, document.pages[1:], strict=False):
        gap = document.text[previous.end : page.start]
        if not gap or "\n\n" in gap or gap.strip():
            breaks.add(page.start)
    return breaks


def _segments(document: Document) -> list[tuple[int, int]]:
    """Spans between section starts and paragraph-starting pages; a heading with no body
    joins the next span.

    A passage crosses a page break only inside a running sentence; a heading carried over
    from the foot of a page is cited on the page of the text it introduces.
    """
    page_starts = page_breaks(document)
    starts = set(document.cut_starts) | page_starts
    if document.pages:
        starts.add(document.pages[0].start)
    cuts = sorted({0, *starts, len(document.text)})
    spans = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]
    headings = {s.start: s.heading for s in document.sections if s.cuts}
    merged: list[tuple[int, int]] = []
    pending: int | None = None
    for a, b in spans:
        start = a if pending is None else pending
        body = document.text[a:b].strip()
        lone_heading = a in headings and len(body) <= len(headings[a]) + 8
        if lone_heading and b in page_starts and _below_first_line(document.text, a, b):
            lone_heading = False  # a short section, not a bare heading: keep it on its page
        if lone_heading and (a, b) != spans[-1]:
            pending = start  # carry the heading into the next segment
            continue
        merged.append((start, b))
        pending = None
    return merged


def _below_first_line(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` holds anything but blanks after its first line."""
    newline = text.find("\n", start, end)
    return newline >= 0 and bool(text[newline:end].strip())


def _content_start(document: Document, start: int, end: int) -> int:
    """Offset of a passage's first line that is not a heading (its section is named there);
    for a passage of headings only, its last heading."""
    starts = document.cut_starts
    text = document.text
    pos = last = start
    line = text.rfind("\n", 0, start) + 1  # the passage may begin inside its first line
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            break
        first = bisect_left(starts, line)
        if first == len(starts) or starts[first] > pos:
            return pos  # no heading starts on this line (nor in the blank run before it)
        last = pos
        newline = text.find("\n", pos, end)
        if newline < 0:
            return pos
        pos = line = newline + 1
    return last


Span = tuple[int, int]


class _SpanSplitter:
    """`make_splitter(...).split_text`, returning where each piece lies instead of its text.

    Finding a piece's text again (`str.find`) is ambiguous wherever text repeats (dot leaders,
    rules of underscores, a repeated word): overlapping pieces were placed on top of each other
    and the rest of the text was left out of every passage. This follows langchain's
    recursive split and merge step by step on offsets, so the pieces are the same.
    """

    def __init__(self, text: str, count: Callable[[str], int], chunk: int, overlap: int) -> None:
        self.text, self.chunk, self.overlap = text, chunk, overlap
        self._count, self._counted = count, dict[Span, int]()
        self.separator_len = count("")  # langchain counts the (empty) joiner between pieces

    def count(self, a: int, b: int) -> int:
        """Tokens in text[a:b]; each piece is measured while cutting and again while merging."""
        size = self._counted.get((a, b))
        if size is None:
            size = self._counted[(a, b)] = self._count(self.text[a:b])
        return size

    def split(self, lo: int, hi: int, separators: list[str]) -> list[Span]:
        piece = self.text[lo:hi]
        if "\n" in separators[2:] and is_table(piece):
            separators = _rows_first(separators)
        separator, rest = separators[-1], []
        for i, candidate in enumerate(separators):
            if not candidate:
                separator = candidate
                break
            if candidate in piece:
                separator, rest = candidate, separators[i + 1 :]
                break
        chunks: list[Span] = []
        good: list[Span] = []
        for a, b in self._cut(lo, hi, separator):
            if self.count(a, b) < self.chunk:
                good.append((a, b))
                continue
            if good:
                chunks.extend(self._merge(good))
                good = []
            chunks.extend(self.split(a, b, rest) if rest else [(a, b)])
        if good:
            chunks.extend(self._merge(good))
        return chunks

    def _cut(self, lo: int, hi: int, separator: str) -> list[Span]:
        """Pieces ending with (and keeping) each separator, as langchain's keep_separator="end"."""
        if not separator:
            return [(i, i + 1) for i in range(lo, hi)]
        cuts: list[Span] = []
        start = lo
        found = self.text.find(separator, lo, hi)
        while found >= 0:
            cuts.append((start, found + len(separator)))
            start = found + len(separator)
            found = self.text.find(separator, start, hi)
        cuts.append((start, hi))
        return [(a, b) for a, b in cuts if b > a]

    def _join(self, current: list[Span]) -> Span | None:
        a, b = current[0][0], current[-1][1]
        while a < b and self.text[a].isspace():
            a += 1
        while b > a and self.text[b - 1].isspace():
            b -= 1
        return (a, b) if b > a else None

    def _merge(self, splits: list[Span]) -> list[Span]:
        docs: list[Span] = []
        current: list[Span] = []
        sizes: list[int] = []
        total = 0
        for a, b in splits:
            size = self.count(a, b)
            if current and total + size + self.separator_len > self.chunk:
                joined = self._join(current)
                if joined is not None:
                    docs.append(joined)
                # Keep the tail of the previous piece as overlap, as much as fits.
                while total > self.overlap or (
                    total + size + (self.separator_len if current else 0) > self.chunk and total > 0
                ):
                    total -= sizes[0] + (self.separator_len if len(current) > 1 else 0)
                    current, sizes = current[1:], sizes[1:]
            current.append((a, b))
            sizes.append(size)
            total += size + (self.separator_len if len(current) > 1 else 0)
        if current:
            joined = self._join(current)
            if joined is not None:
                docs.append(joined)
        return docs


def is_table(text: str) -> bool:
    """Whether `text` is a block of three or more lines, nearly all of them rows of cells."""
    lines = [line for line in text.splitlines() if line.strip()]
    rows = sum(1 for line in lines if CELLS in line)
    return len(lines) >= 3 and rows >= TABLE_ROWS * len(lines)


def _rows_first(separators: list[str]) -> list[str]:
    """`separators` with the line break moved up to the strongest after a blank line."""
    others = [s for s in separators if s not in ("\n\n", "\n")]
    return [*(["\n\n"] if "\n\n" in separators else []), "\n", *others]


def split_spans(
    text: str, count_tokens: Callable[[str], int], chunk_tokens: int, overlap_tokens: int
) -> list[Span]:
    """Where the pieces of `make_splitter(...).split_text(text)` lie in `text`, in order."""
    splitter = _SpanSplitter(text, count_tokens, chunk_tokens, overlap_tokens)
    return splitter.split(0, len(text), SEPARATORS)


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
    meta = document.meta
    passages: list[Passage] = []
    for seg_start, seg_end in _segments(document):
        segment = document.text[seg_start:seg_end]
        for lo, hi in split_spans(segment, count_tokens, budget, overlap):
            if not segment[lo:hi].strip():
                continue
            start, end = seg_start + lo, seg_start + hi
            piece = document.text[start:end]
            index = len(passages)
            content = _content_start(document, start, end)
            passages.append(
                Passage(
                    id=passage_id(meta.doc_id, meta.sha256, index),
                    doc_id=meta.doc_id,
                    index=index,
                    text=piece,
                    start=start,
                    end=end,
                    page_start=document.page_at(content),
                    page_end=document.page_at(max(start, end - 1)),
                    section=document.section_at(content),
                    above=ABOVE.join(document.headings_above(content)),
                    title=meta.title,
                    country=meta.country,
                    source=meta.source,
                    lang=meta.lang,
                    year=meta.year,
                )
            )
    return passages


def cut_as_ingest(document: Document, embedder: Embedder, settings: Settings) -> list[Passage]:
    """The passages an ingest cuts `document` into with this embedder and these settings (an
    evaluation that cut them otherwise would measure other passages)."""
    return chunk_document(
        document,
        embedder.count_tokens,
        embedder.max_tokens,
        settings.chunk_tokens,
        settings.chunk_overlap_tokens,
    )
