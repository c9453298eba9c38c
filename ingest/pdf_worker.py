"""The PDF parser's child process: pypdf under a memory limit, bytes in, JSON out.

Run as `python -m ingest.pdf_worker MEMORY_MB` by `ingest.pdf`: it reads the file's bytes on
stdin and writes the raw text of every page (and the page labels, outline, title and
creation date) as JSON on stdout, or `{"error": reason}`. Exit status 3 means it ran out of
memory.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Sequence
from typing import Any

from ingest.subheadings import reads_as_subheading
from ingest.textfiles import clean_text

MEMORY_LIMIT_MB = 2048
MAX_TEXT_CHARS = 30_000_000  # far beyond any report; stops a crafted file flooding the parent
MAX_OUTLINE_ITEMS = 2000
COVER_PAGES = 3  # pages sent with font sizes: the cover, the title page and one more
MAX_COVER_PIECES = 2000
MAX_LABEL_CHARS = 40
# Headings are told by their printed size: at least this many times the body text's (report
# templates set section titles at 14-20 pt over a 10-11 pt body; call-outs at 12 pt stay out).
HEADING_RATIO = 1.35
SAME_SIZE = 0.5  # points: pieces this close in size belong to one heading
MIN_HEADING_LETTERS = 3
MAX_HEADING_CHARS = 160
MAX_HEADINGS_PER_PAGE = 12
# Fonts whose names say they are bold: subheadings are often set in bold at the body's size
# ("Políticas (2). Programa Nacional de Desarrollo de Proveedores").
BOLD_NAMES = ("bold", "black", "heavy", "demi")
# How far outside the visible box text may start and still count as visible (points):
# descenders, bleed and slightly misplaced frames.
BOX_TOLERANCE = 12.0

Piece = tuple[str, float, bool]
"""A visible text piece: its text, printed size and whether its font is bold."""

_EXIT_OUT_OF_MEMORY = 3
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _mult(m: Sequence[float], n: Sequence[float]) -> tuple[float, ...]:
    """Product of two PDF matrices [a b c d e f] (row-vector convention, as in the spec)."""
    return (
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    )


class _VisibleTextCollector:
    """Collects text pieces of one page and whether each starts inside the visible box.

    pypdf restarts coordinates inside form XObjects, so the transform of every form being
    drawn is tracked: its /Matrix times the CTM at the `Do` that draws it.
    """

    def __init__(self, page: Any):
        box = page.cropbox
        self.left = min(float(box.left), float(box.right)) - BOX_TOLERANCE
        self.right = max(float(box.left), float(box.right)) + BOX_TOLERANCE
        self.bottom = min(float(box.bottom), float(box.top)) - BOX_TOLERANCE
        self.top = max(float(box.bottom), float(box.top)) + BOX_TOLERANCE
        self.pieces: list[tuple[str, bool]] = []
        self.sizes: list[float] = []
        self.bold: list[bool] = []
        # (transform to page space, resources, entered): a form counts as entered once its
        # first operator runs; text flushed by the `Do` itself still belongs to the parent.
        self.forms: list[tuple[tuple[float, ...], Any, bool]] = []
        self.page_resources = _resolve(page.get("/Resources"))

    def _outer(self) -> tuple[tuple[float, ...], Any]:
        for transform, resources, entered in reversed(self.forms):
            if entered:
                return transform, resources
        return _IDENTITY, self.page_resources

    def before(self, operator: bytes, operands: Any, cm: Any, tm: Any) -> None:
        if self.forms and not self.forms[-1][2]:
            transform, resources, _ = self.forms[-1]
            self.forms[-1] = (transform, resources, True)
        if operator == b"Do":
            parent, resources = self._outer()
            matrix, form_resources = _form_matrix(resources, operands)
            transform = _mult(_mult(matrix, [float(v) for v in cm]), parent)
            self.forms.append((transform, form_resources or resources, False))

    def after(self, operator: bytes, operands: Any, cm: Any, tm: Any) -> None:
        if operator == b"Do" and self.forms:
            self.forms.pop()

    def text(self, text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if not text:
            return
        transform, _ = self._outer()
        x0, y0 = float(tm[4]), float(tm[5])
        x1 = x0 * cm[0] + y0 * cm[2] + cm[4]
        y1 = x0 * cm[1] + y0 * cm[3] + cm[5]
        x = x1 * transform[0] + y1 * transform[2] + transform[4]
        y = x1 * transform[1] + y1 * transform[3] + transform[5]
        inside = self.left <= x <= self.right and self.bottom <= y <= self.top
        self.pieces.append((text, inside))
        # Printed size: the font size through the text matrix, the CTM and the form transforms.
        m = _mult(_mult([float(v) for v in tm], [float(v) for v in cm]), transform)
        self.sizes.append(float(size) * abs(m[0] * m[3] - m[1] * m[2]) ** 0.5)
        self.bold.append(is_bold(font))

    def visible_text(self) -> str:
        kept: list[str] = []
        for text, inside in self.pieces:
            if inside or not text.strip():
                kept.append(text)
            elif kept and not kept[-1][-1:].isspace():
                # A dropped piece may have carried the line break between two kept ones.
                kept.append("\n")
        return "".join(kept)

    def has_hidden_text(self) -> bool:
        return any(not inside and text.strip() for text, inside in self.pieces)


def is_bold(font: Any) -> bool:
    """Whether a font's name says it is bold ("ABCDEF+Arial-BoldMT", "Lato-Black")."""
    try:
        name = str(font.get("/BaseFont", "")).lower() if font is not None else ""
    except Exception:
        return False
    return any(word in name for word in BOLD_NAMES)


def _resolve(obj: Any) -> Any:
    return obj.get_object() if hasattr(obj, "get_object") else obj


def _form_matrix(resources: Any, operands: Any) -> tuple[Sequence[float], Any]:
    """The /Matrix and /Resources of the XObject a `Do` draws (identity when unknown)."""
    try:
        xobject = _resolve(_resolve(resources["/XObject"])[operands[0]])
        matrix = [float(v) for v in xobject.get("/Matrix", _IDENTITY)]
        return (matrix if len(matrix) == 6 else _IDENTITY), _resolve(xobject.get("/Resources"))
    except Exception:
        return _IDENTITY, None


def read_page(page: Any) -> tuple[str, list[Piece]]:
    """Text of one page, keeping only text placed inside its visible box, and the visible
    pieces with their printed font size and weight (none when the page has no usable box).

    Files exported from design tools can carry other pages' text outside the page area;
    plain extraction would cite it on every page. When nothing lies outside, pypdf's own
    output is returned unchanged (identical spacing and line breaks).
    """
    try:
        collector = _VisibleTextCollector(page)
    except Exception:  # no usable page box: nothing to compare positions with
        return str(page.extract_text()), []
    full = page.extract_text(
        visitor_operand_before=collector.before,
        visitor_operand_after=collector.after,
        visitor_text=collector.text,
    )
    pieces = zip(collector.pieces, collector.sizes, collector.bold, strict=True)
    sized = [(text, size, bold) for (text, inside), size, bold in pieces if inside]
    return (collector.visible_text() if collector.has_hidden_text() else str(full)), sized


def body_size(pages: Sequence[Sequence[Piece]]) -> float:
    """The printed size of most of a document's characters: its body text (0 when unknown)."""
    chars: dict[float, int] = {}
    for pieces in pages:
        for text, size, _ in pieces:
            chars[round(size, 1)] = chars.get(round(size, 1), 0) + len(text.strip())
    return max(chars, key=lambda size: chars[size]) if chars else 0.0


def heading_lines(pieces: Sequence[Piece], body: float) -> list[list[Any]]:
    """A page's headings as `[text, printed size]`: runs of pieces printed at least
    `HEADING_RATIO` times the body size (a heading set on two lines is one run; blank pieces
    do not break a run)."""
    headings: list[list[Any]] = []
    run: list[str] = []
    run_size = 0.0
    for text, size, _ in [*pieces, ("end", 0.0, False)]:
        if not text.strip():
            continue
        if run and abs(size - run_size) < SAME_SIZE:
            run.append(text)
            continue
        heading = " ".join(" ".join(run).split())
        if run and sum(ch.isalpha() for ch in heading) >= MIN_HEADING_LETTERS:
            headings.append([heading[:MAX_HEADING_CHARS], round(run_size, 1)])
        big = body > 0 and size >= body * HEADING_RATIO
        run, run_size = ([text], size) if big else ([], 0.0)
    return headings[:MAX_HEADINGS_PER_PAGE]


def subheading_lines(pieces: Sequence[Piece], body: float) -> list[list[Any]]:
    """A page's candidate subheadings as `[text, printed size]`: runs of bold pieces at the
    body's size or up to `HEADING_RATIO` times it, one size to a run (blank pieces do not break
    a run). Whether a run fills its line is checked against the page's text
    (`ingest.pdf.bold_subheadings`)."""
    found: list[list[Any]] = []
    run: list[str] = []
    run_size = 0.0
    for text, size, bold in [*pieces, ("end", 0.0, False)]:
        if not text.strip():
            continue
        sub = bold and body > 0 and body - SAME_SIZE <= size < body * HEADING_RATIO
        if sub and (not run or abs(size - run_size) < SAME_SIZE):
            run.append(text)
            run_size = size
            continue
        line = " ".join(" ".join(run).split())
        if run and reads_as_subheading(line):  # a body set in bold makes one run too long
            found.append([line, round(run_size, 1)])
        run, run_size = ([text], size) if sub else ([], 0.0)
    return found[:MAX_HEADINGS_PER_PAGE]


def cover_pieces(page: Any) -> list[list[Any]]:
    """[text, printed font size] of the visible text pieces of a page, in reading order
    (the title of a cover is told by its size)."""
    try:
        collector = _VisibleTextCollector(page)
        page.extract_text(
            visitor_operand_before=collector.before,
            visitor_operand_after=collector.after,
            visitor_text=collector.text,
        )
    except Exception:
        return []  # the sizes are optional: the page's text is still read
    pieces = zip(collector.pieces, collector.sizes, strict=True)
    sized = [[text, round(size, 1)] for (text, inside), size in pieces if inside]
    return sized[:MAX_COVER_PIECES]


def _outline_items(reader: Any) -> list[list[Any]]:
    """Bookmarks as `[title, page_index, depth]` (0 at the top), depth first, in reading
    order."""
    items: list[list[Any]] = []

    def walk(nodes: Any, depth: int) -> None:
        for node in nodes:
            if len(items) >= MAX_OUTLINE_ITEMS or depth > 16:
                return
            if isinstance(node, list):
                walk(node, depth + 1)
                continue
            try:
                index = reader.get_destination_page_number(node)
                items.append([str(node.title or ""), index, depth])
            except Exception:
                continue

    try:
        walk(reader.outline, 0)
    except Exception:
        return items  # a broken outline is not worth failing the document for
    return items


def _short(exc: BaseException) -> str:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return clean_text(detail)[:160]


def extract_raw(data: bytes) -> dict[str, Any]:
    """Parse PDF bytes (in the child): raw page texts, page labels, outline, title, date."""
    from pypdf import PasswordType, PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except Exception as exc:
                return {"error": f"encrypted PDF (cannot decrypt: {_short(exc)})"}
            if unlocked == PasswordType.NOT_DECRYPTED:
                return {"error": "encrypted PDF (password required)"}
        pages = list(reader.pages)
    except Exception as exc:
        return {"error": f"corrupt or unreadable PDF: {_short(exc)}"}
    if not pages:
        return {"error": "corrupt or unreadable PDF: it has no pages"}

    texts: list[str] = []
    sized: list[list[Piece]] = []
    failures: list[BaseException] = []
    total = 0
    for page in pages:
        try:
            text, pieces = read_page(page)
        except Exception as exc:  # one damaged page should not cost the whole report
            failures.append(exc)
            text, pieces = "", []
        sized.append(pieces)
        total += len(text)
        if total > MAX_TEXT_CHARS:
            return {"error": f"PDF text is too large (over {MAX_TEXT_CHARS:,} characters)"}
        texts.append(text)
    if len(failures) == len(pages):
        return {"error": f"corrupt or unreadable PDF: {_short(failures[0])}"}

    body = body_size(sized)
    title, author, created = "", "", ""
    try:
        info = reader.metadata
        if info is not None:
            title = str(info.get("/Title") or "")
            author = str(info.get("/Author") or "")
            # Files re-saved by some tools keep only the modification date.
            created = str(info.get("/CreationDate") or info.get("/ModDate") or "")
    except Exception:
        pass  # metadata is optional
    return {
        "pages": texts,
        "labels": _page_labels(reader, len(pages)),
        "outline": _outline_items(reader),
        "title": title,
        "author": author,
        "created": created,
        "cover": [cover_pieces(page) for page in pages[:COVER_PAGES]],
        # The cover's large type is the title, not a section.
        "headings": [[]] + [heading_lines(pieces, body) for pieces in sized[1:]],
        "subheadings": [[]] + [subheading_lines(pieces, body) for pieces in sized[1:]],
    }


def _page_labels(reader: Any, count: int) -> list[str] | None:
    """The page labels the PDF defines (/PageLabels), or None: without them pypdf would
    number the pages 1, 2, 3… itself, which says nothing about what is printed."""
    try:
        if "/PageLabels" not in reader.trailer["/Root"]:
            return None
        labels = [clean_text(str(label)).strip()[:MAX_LABEL_CHARS] for label in reader.page_labels]
    except Exception:
        return None  # broken labels are not worth failing the document for
    return labels if len(labels) == count else None


def _limit_memory(megabytes: int) -> None:
    try:
        import resource
    except ImportError:  # not available on Windows; the time limit still applies
        return
    limit = megabytes * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):  # e.g. a lower hard limit already set
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker_main(argv: Sequence[str]) -> int:
    """Child entry point: PDF bytes on stdin, JSON on stdout."""
    import logging

    logging.disable(logging.WARNING)  # pypdf warns about every oddity; nobody reads them here
    memory_mb = int(argv[0]) if argv else MEMORY_LIMIT_MB
    try:
        _limit_memory(memory_mb)
        answer = extract_raw(sys.stdin.buffer.read())
        payload = json.dumps(answer).encode("ascii")
    except MemoryError:
        return _EXIT_OUT_OF_MEMORY
    sys.stdout.buffer.write(payload)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
