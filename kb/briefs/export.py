"""A brief composed against the knowledge base and exported as Markdown, DOCX or PDF bytes."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from kb.briefs.brief import Brief, set_key_messages, slug
from kb.briefs.compose import BriefDocument, compose
from kb.briefs.draft import brief_gaps, fetch_passages
from kb.briefs.export_docx import to_docx
from kb.briefs.export_markdown import to_markdown
from kb.briefs.export_pdf import to_pdf
from kb.briefs.quotes import choose_key_messages
from kb.tags.taxonomy import load_taxonomy

if TYPE_CHECKING:
    from kb.storage.knowledge import KnowledgeBase

# format -> media type of the exported file
FORMATS: dict[str, str] = {
    "md": "text/markdown",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def compose_brief(kb: KnowledgeBase, brief: Brief, lang: str) -> BriefDocument:
    """The brief as a policy brief, headings in `lang`, with its evidence gaps; a brief without
    key messages gets them chosen from its quoted sentences (not saved)."""
    taxonomy = load_taxonomy()
    passages = fetch_passages(kb, brief)
    gaps = brief_gaps(kb, list(passages.values()), taxonomy)
    if not brief.key_messages:  # a brief from before key messages, or none kept: choose some
        brief = set_key_messages(brief, choose_key_messages(brief, passages))
    return compose(brief, passages, taxonomy, lang, gaps)


def export_bytes(doc: BriefDocument, fmt: str) -> bytes:
    """The composed brief as a Markdown, DOCX or PDF file's bytes."""
    if fmt == "md":
        return to_markdown(doc).encode("utf-8")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    # The DOCX and PDF writers write files: let them write a temporary one.
    with tempfile.TemporaryDirectory(prefix="clusterkb-export-") as folder:
        path = Path(folder) / f"brief.{fmt}"
        (to_docx if fmt == "docx" else to_pdf)(doc, path)
        return path.read_bytes()


def file_name(brief: Brief, fmt: str) -> str:
    """A safe file name from the brief's title (or name)."""
    for candidate in (brief.title, brief.name):
        try:
            return f"{slug(candidate)}.{fmt}"
        except ValueError:
            continue
    return f"brief.{fmt}"
