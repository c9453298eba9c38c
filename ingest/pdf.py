"""Reading PDFs: pypdf runs in a child process with a time and a memory limit.

A hostile or broken PDF can make a parser loop for ever or allocate without bound, so the
parsing happens in `python -m ingest.pdf`, which reads the file's bytes on stdin and writes
the raw text of every page (and the outline) as JSON on stdout. The parent only cleans text.
"""

from __future__ import annotations

import contextlib
import io
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
from ingest.textfiles import clean_text, tidy_blank_lines
from kb.models import Page, Section

TIMEOUT_S = 120.0
TIMEOUT_S_PER_MB = 3.0  # big files get more time, proportionally
MEMORY_LIMIT_MB = 2048
MIN_CHARS_PER_PAGE = 20  # fewer visible characters on average means a scan without text layer
MAX_TEXT_CHARS = 30_000_000  # far beyond any report; stops a crafted file flooding the parent
MAX_OUTLINE_ITEMS = 2000
PAGE_SEPARATOR = "\n\n"
# How far outside the visible box text may start and still count as visible (points):
# descenders, bleed and slightly misplaced frames.
BOX_TOLERANCE = 12.0

_EXIT_OUT_OF_MEMORY = 3
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


# --------------------------------------------------------------------------- parent side


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
    command = [sys.executable, "-m", "ingest.pdf", str(memory_mb)]
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


# --------------------------------------------------------------------------- child side


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


def visible_page_text(page: Any) -> str:
    """Text of one page, keeping only text placed inside its visible box.

    Files exported from design tools can carry other pages' text outside the page area;
    plain extraction would cite it on every page. When nothing lies outside, pypdf's own
    output is returned unchanged (identical spacing and line breaks).
    """
    try:
        collector = _VisibleTextCollector(page)
    except Exception:  # no usable page box: nothing to compare positions with
        return str(page.extract_text())
    full = page.extract_text(
        visitor_operand_before=collector.before,
        visitor_operand_after=collector.after,
        visitor_text=collector.text,
    )
    return collector.visible_text() if collector.has_hidden_text() else str(full)


def _outline_items(reader: Any) -> list[list[Any]]:
    """Bookmarks as `[title, page_index]`, depth first, in reading order."""
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
                items.append([str(node.title or ""), index])
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
    """Parse PDF bytes (in the child): raw page texts, outline, title and creation date."""
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
    failures: list[BaseException] = []
    total = 0
    for page in pages:
        try:
            text = visible_page_text(page)
        except Exception as exc:  # one damaged page should not cost the whole report
            failures.append(exc)
            text = ""
        total += len(text)
        if total > MAX_TEXT_CHARS:
            return {"error": f"PDF text is too large (over {MAX_TEXT_CHARS:,} characters)"}
        texts.append(text)
    if len(failures) == len(pages):
        return {"error": f"corrupt or unreadable PDF: {_short(failures[0])}"}

    title, created = "", ""
    try:
        info = reader.metadata
        if info is not None:
            title = str(info.get("/Title") or "")
            created = str(info.get("/CreationDate") or "")
    except Exception:
        pass  # metadata is optional
    return {"pages": texts, "outline": _outline_items(reader), "title": title, "created": created}


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
