"""Reasons the library gives in English, said in the interface language.

Ingest refusals, the writer lock and tag reasons are plain English strings made by the library
(kept in job files and passage records, and read by the CLI). Each known form is matched here and
said again with its details (a size, a file type, the matched terms); a reason of no known form
is shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from clusterkb.app.i18n import ES, lang, translate
from ingest.errors import IngestError
from kb.briefs.brief import BriefError
from kb.storage.lock import WriterBusyError
from kb.workspace.roles import PermissionDenied

Rule = tuple[re.Pattern[str], str]

# (pattern over the whole reason, translation key); named groups fill the key's placeholders.
FILE_REASONS: tuple[Rule, ...] = tuple(
    (re.compile(pattern, re.DOTALL), key)
    for pattern, key in (
        (
            r"unsupported file type \(?(?P<kind>[^,;)]+)[^;]*; (?:supported: |use )(?P<allowed>.*)",
            "reason_unsupported",
        ),
        (r"file is (?P<size>\S+) MB, over the (?P<limit>\S+) MB limit.*", "reason_too_large"),
        (r"empty file", "reason_empty"),
        (r"file not found", "reason_not_found"),
        (r"permission denied", "reason_permission"),
        (r"cannot read (?:the )?file[:( ]+(?P<detail>.*?)\)?", "reason_unreadable"),
        (r"is a folder, not a file|not a regular file", "reason_not_a_file"),
        (r"not enough memory to read this file", "reason_memory"),
        (r"no text found in the file|no text to index after extraction", "reason_no_text"),
        (r"no text layer; (?P<detail>.*)", "reason_no_text_layer"),
        (r"not a PDF \(looks like (?P<kind>.*)\)", "reason_not_pdf"),
        (r"not a DOCX file.*", "reason_not_docx"),
        (r"corrupt(?: or unreadable)? DOCX.*", "reason_corrupt_docx"),
        (r"suspicious DOCX archive.*", "reason_zip_bomb"),
        (r"encrypted PDF.*", "reason_encrypted_pdf"),
        (r"corrupt or unreadable PDF.*", "reason_corrupt_pdf"),
        (r"PDF text is too large.*", "reason_pdf_too_long"),
        (r"PDF parsing timed out after (?P<seconds>\S+) s", "reason_pdf_timeout"),
        (r"PDF parser crashed or ran out of memory", "reason_memory"),
        (r"could not start the PDF parser.*", "reason_parser_start"),
        (r"passage \S+ is longer than the encoder limit", "reason_passage_too_long"),
        (r"not ingested", "reason_not_ingested"),
        (r"unexpected error.*", "reason_unexpected"),
    )
)
# Why OCR left a scanned PDF without text (the detail of "no text layer; ...").
OCR_REASONS: tuple[Rule, ...] = tuple(
    (re.compile(pattern, re.DOTALL), key)
    for pattern, key in (
        (r"OCR is not supported", "reason_ocr_not_scanned"),
        (r"OCR found no text", "reason_ocr_nothing"),
        (r"OCR did not finish.*", "reason_ocr_timeout"),
        (r"OCR crashed or ran out of memory", "reason_ocr_crashed"),
        (r"the scanned page images could not be decoded", "reason_ocr_undecodable"),
        (r".*install tesseract.*", "reason_ocr_missing"),
    )
)
TAG_REASONS: tuple[Rule, ...] = tuple(
    (re.compile(pattern, re.DOTALL), key)
    for pattern, key in (
        (r"matched: (?P<terms>.*)", "reason_tag_matched"),
        (r"similarity (?P<score>[\d.]+)", "reason_tag_similarity"),
        (
            r"learned (?P<score>[\d.]+) ≥ (?P<threshold>[\d.]+); closest labelled: (?P<near>.*)",
            "reason_tag_learned",
        ),
    )
)


def said(
    reason: str,
    rules: tuple[Rule, ...],
    language: str,
    nested: Callable[[str, str], str] | None = None,
) -> str:
    """`reason` in `language` by the first rule whose pattern matches all of it, else as
    written."""
    text = reason.strip()
    for pattern, key in rules:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = {name: value.strip() for name, value in match.groupdict().items()}
        if nested is not None and "detail" in values:
            values["detail"] = nested(values["detail"], language)
        return translate(key, language, **values)
    return reason


def ocr_reason(reason: str, language: str | None = None) -> str:
    return said(reason, OCR_REASONS, language or lang())


def file_reason(reason: str, language: str | None = None) -> str:
    """Why a file was refused or failed, e.g. "El archivo está vacío"."""
    if not reason:
        return ""
    return said(reason, FILE_REASONS, language or lang(), nested=ocr_reason)


def tag_reason(reason: str, language: str | None = None) -> str:
    """Why a tag was given: the matched terms, the similarity, the learned model's score."""
    return said(reason, TAG_REASONS, language or lang())


def error_reason(exc: BaseException, language: str | None = None) -> str:
    """An error for the page: the writer lock without its folder and process, an ingest error
    by its reason, anything else as its message."""
    if isinstance(exc, WriterBusyError):
        return translate("reason_busy", language or lang())
    if isinstance(exc, IngestError):
        return file_reason(exc.reason, language)
    if isinstance(exc, BriefError | PermissionDenied):
        return brief_reason(exc, language)
    return str(exc)


def brief_reason(exc: BaseException, language: str | None = None) -> str:
    """Why a brief could not be opened, saved or changed: a brief error by its code (with the
    name or owner it carries), a role that may not keep briefs, a disk error by its cause; an
    error of no known code as its message."""
    language = language or lang()
    if isinstance(exc, PermissionDenied):
        return translate("auth_denied", language)
    if isinstance(exc, BriefError):
        key = f"brief_error_{exc.code}"
        return translate(key, language, **exc.values) if key in ES else str(exc)
    if isinstance(exc, OSError):
        return translate("brief_error_disk", language, detail=exc.strerror or str(exc))
    return str(exc)
