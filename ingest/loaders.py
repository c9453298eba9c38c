"""Turn files into `Document`s: find the files, check them, and dispatch by real type."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from ingest.docx_loader import read_docx
from ingest.errors import IngestError
from ingest.filetypes import UnsupportedType, check_declared_type, describe, detect_kind
from ingest.html_reader import read_html
from ingest.metadata import Extracted, build_meta
from ingest.pdf import read_pdf
from ingest.textfiles import read_text
from kb.config import Settings, get_settings
from kb.models import Document, Page

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".pdf", ".md", ".markdown", ".txt", ".docx"})
"""Report formats: what folders are searched for and the upload form takes."""
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
READABLE_SUFFIXES: frozenset[str] = SUPPORTED_SUFFIXES | HTML_SUFFIXES
"""Everything `load_document` reads: the report formats and saved web pages."""
_MB = 1024 * 1024


def load_document(path: Path, settings: Settings | None = None) -> Document:
    """Read one file into a Document (text, pages, sections, metadata). Raises IngestError."""
    settings = settings or get_settings()
    path = Path(path)
    try:
        data = read_checked(path, settings.max_file_mb)
        if path.suffix.lower() not in READABLE_SUFFIXES:
            raise IngestError(path, unsupported_reason(path, data))
        extracted = extract(path, data, pdf_timeout_s=settings.pdf_timeout_s)
        # Markdown, text and web pages have no pages, nor has a DOCX read as one flow of text:
        # their passages are cited without a page.
        paged = detect_kind(data) == "pdf" or len(extracted.pages) > 1
        meta = replace(build_meta(path, data, extracted), paged=paged)
    except IngestError:
        raise
    except UnsupportedType as exc:
        raise IngestError(path, str(exc)) from None
    except MemoryError:
        raise IngestError(path, "not enough memory to read this file") from None
    except Exception as exc:  # the promise is: nothing but IngestError leaves this function
        detail = " ".join(str(exc).split())[:160]
        raise IngestError(path, f"unexpected error ({type(exc).__name__}: {detail})") from exc
    return Document(
        meta=meta, text=extracted.text, pages=extracted.pages, sections=extracted.sections
    )


def read_checked(path: Path, max_file_mb: float) -> bytes:
    """The bytes of a regular, non-empty file within the size limit; raises `IngestError`."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise IngestError(path, "file not found") from None
    except PermissionError:
        raise IngestError(path, "permission denied") from None
    except OSError as exc:
        raise IngestError(path, f"cannot read file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise IngestError(path, "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        # FIFOs and devices can block for ever or never end.
        raise IngestError(path, "not a regular file")
    limit = int(max_file_mb * _MB)
    if info.st_size == 0:
        raise IngestError(path, "empty file")
    if info.st_size > limit:
        raise IngestError(path, size_reason(info.st_size, max_file_mb))
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # the file may have grown since stat()
    except PermissionError:
        raise IngestError(path, "permission denied") from None
    except OSError as exc:
        raise IngestError(path, f"cannot read file ({exc.strerror or exc})") from None
    if not data:
        raise IngestError(path, "empty file")
    if len(data) > limit:
        raise IngestError(path, size_reason(len(data), max_file_mb))
    return data


def unsupported_reason(path: Path, data: bytes) -> str:
    """The message for a file whose type is not read (named on the command line)."""
    name = path.suffix.lower() or "no extension"
    known = ", ".join(sorted(READABLE_SUFFIXES))
    return f"unsupported file type ({name}, {describe(data)}); supported: {known}"


def size_reason(size_bytes: int, max_file_mb: float) -> str:
    """The message for a file over the size limit."""
    return (
        f"file is {_mb(size_bytes / _MB)} MB, over the {_mb(max_file_mb)} MB limit "
        "(CLUSTERKB_MAX_FILE_MB)"
    )


def _mb(value: float) -> str:
    if value >= 10:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.1f}".removesuffix(".0")
    return f"{value:.2g}"


def extract(path: Path, data: bytes, *, pdf_timeout_s: float | None = None) -> Extracted:
    """Text, pages and sections of a file, by what its bytes are (not by its name).

    `pdf_timeout_s` bounds the PDF parser (None: its default, which grows with the file).
    """
    mismatch = check_declared_type(path.suffix, data)
    if mismatch:
        raise IngestError(path, mismatch)
    kind = detect_kind(data)
    if kind == "pdf":
        return read_pdf(data, path, timeout_s=pdf_timeout_s)
    if kind == "docx":
        extracted = read_docx(data, path)
    elif path.suffix.lower() in HTML_SUFFIXES:
        extracted = read_html(data)
    else:
        content = read_text(data, markdown=path.suffix.lower() in MARKDOWN_SUFFIXES)
        first_heading = content.sections[0].heading if content.sections else ""
        extracted = Extracted(
            text=content.text,
            pages=(Page(number=1, start=0, end=len(content.text)),),
            sections=content.sections,
            fields=content.fields,
            first_heading=first_heading,
        )
    if not extracted.text.strip():
        raise IngestError(path, "no text found in the file")
    return extracted


def iter_files(paths: Iterable[Path]) -> list[Path]:
    """Expand files and folders (recursive) to the sorted list of files to load.

    Folders give their report files and web pages, skipping hidden files/dirs and corpus/eval.
    A named file is always kept, whatever its type and even when it does not exist, so that
    loading it tells the user why it is refused ("file not found", "unsupported file type").
    """
    found: set[Path] = set()
    for given in paths:
        given = Path(given)
        if given.is_dir():
            found.update(_walk(given))
        else:
            found.add(given)
    return sorted(found, key=str)


def _walk(root: Path) -> Iterable[Path]:
    # os.walk does not follow symlinked folders, so a link loop cannot trap us.
    for folder, dirnames, filenames in os.walk(root):
        base = Path(folder)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not _is_eval_dir(base / d)
        )
        for name in filenames:
            # "~$x.docx" are Office lock files, not documents.
            if name.startswith((".", "~$")):
                continue
            candidate = base / name
            if candidate.suffix.lower() in READABLE_SUFFIXES and candidate.is_file():
                yield candidate


def _is_eval_dir(folder: Path) -> bool:
    """The labelled query set lives in corpus/eval: it is test data, not a report."""
    return folder.name == "eval" and folder.resolve().parent.name == "corpus"
