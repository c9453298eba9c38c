"""Decide what a file really is from its first bytes, not from its name."""

from __future__ import annotations

import io
import zipfile
from typing import Literal

Kind = Literal["pdf", "docx", "text"]

# Signatures of common files people drop into a folder by mistake, so the message can say
# what the file looks like instead of a bare "unsupported".
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"BM", "a BMP image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office file (.doc/.xls); save it as .docx"),
    (b"{\\rtf", "an RTF document; save it as .docx"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ", "a Windows program"),
    (b"%!PS", "a PostScript file"),
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Byte-order marks of UTF-16/32: such text legitimately contains NUL bytes.
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")
# PDF readers accept a header anywhere in the first KiB (some files carry junk before it).
_PDF_HEADER_WINDOW = 1024


class UnsupportedType(ValueError):
    """The bytes are not a PDF, a DOCX or text; the message says what they look like."""


def looks_like_pdf(data: bytes) -> bool:
    """True when the PDF header `%PDF-` is at (or near) the start."""
    return b"%PDF-" in data[:_PDF_HEADER_WINDOW]


def looks_like_zip(data: bytes) -> bool:
    """True when the bytes start like a ZIP archive."""
    return data.startswith(_ZIP_MAGIC)


def zip_names(data: bytes) -> list[str] | None:
    """Member names of a ZIP archive, or None when the archive cannot be read (damaged)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return None


def zip_has_word_document(data: bytes) -> bool:
    """True when `data` is a readable ZIP holding `word/document.xml` (the body of a DOCX)."""
    return "word/document.xml" in (zip_names(data) or [])


def describe(data: bytes) -> str:
    """A short guess of what the bytes are ("a PNG image", "a ZIP archive", "binary data")."""
    if looks_like_pdf(data):
        return "a PDF"
    if looks_like_zip(data):
        return "a DOCX document" if zip_has_word_document(data) else "a ZIP archive"
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            return what
    if is_binary(data):
        return "binary data"
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    return "text"


def is_binary(data: bytes) -> bool:
    """True for bytes with NULs that are not UTF-16/32 text (text never holds NUL)."""
    return not data.startswith(_WIDE_BOMS) and b"\x00" in data[:65536]


def detect_kind(data: bytes) -> Kind:
    """The kind of a file from its bytes; raises `UnsupportedType` for anything else."""
    if looks_like_pdf(data):
        return "pdf"
    if looks_like_zip(data):
        names = zip_names(data)
        if names is None:
            raise UnsupportedType("damaged ZIP archive (a truncated or corrupt DOCX?)")
        if "word/document.xml" in names:
            return "docx"
        raise UnsupportedType("unsupported file type (a ZIP archive, not a DOCX document)")
    for magic, what in _SIGNATURES:
        # "BM" and "MZ" are also ordinary text openings; trust them only with binary content.
        if data.startswith(magic) and (len(magic) > 2 or is_binary(data)):
            raise UnsupportedType(f"unsupported file type ({what})")
    if is_binary(data):
        raise UnsupportedType("unsupported file type (binary data)")
    return "text"


def check_declared_type(suffix: str, data: bytes) -> str | None:
    """A reason when a `.pdf`/`.docx` name contradicts the bytes, else None.

    A report saved as `.pdf` that is really an HTML error page or a ZIP is a broken download,
    not a document: say so instead of ingesting the wrong thing.
    """
    suffix = suffix.lower()
    if suffix == ".pdf" and not looks_like_pdf(data):
        return f"not a PDF (looks like {describe(data)})"
    if suffix == ".docx":
        if not looks_like_zip(data):
            return f"not a DOCX file: not a ZIP archive (looks like {describe(data)})"
        names = zip_names(data)
        if names is None:
            return "corrupt DOCX: damaged ZIP archive"
        if "word/document.xml" not in names:
            return "not a DOCX file: a ZIP archive without word/document.xml"
    return None
