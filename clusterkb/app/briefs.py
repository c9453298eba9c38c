"""The session brief composed against the knowledge base, and exported as bytes for download."""

from __future__ import annotations

import tempfile
from pathlib import Path

from kb.briefs.brief import Brief, brief_gaps, fetch_passages, slug
from kb.briefs.compose import BriefDocument, compose
from kb.briefs.export_docx import to_docx
from kb.briefs.export_markdown import to_markdown
from kb.briefs.export_pdf import to_pdf
from kb.storage.knowledge import KnowledgeBase
from kb.tags.taxonomy import load_taxonomy

FORMATS: dict[str, str] = {
    "md": "text/markdown",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def compose_brief(kb: KnowledgeBase, brief: Brief, lang: str) -> BriefDocument:
    """The brief as sections of cited quotations, headings in `lang`, with its evidence gaps."""
    taxonomy = load_taxonomy()
    passages = fetch_passages(kb, brief)
    gaps = brief_gaps(kb, list(passages.values()), taxonomy)
    return compose(brief, passages, taxonomy, lang, gaps)


def export_bytes(doc: BriefDocument, fmt: str) -> bytes:
    """The composed brief as a Markdown, DOCX or PDF file's bytes."""
    if fmt == "md":
        return to_markdown(doc).encode("utf-8")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    with tempfile.TemporaryDirectory(prefix="clusterkb-export-") as folder:
        path = Path(folder) / f"brief.{fmt}"
        (to_docx if fmt == "docx" else to_pdf)(doc, path)
        return path.read_bytes()


def file_name(brief: Brief, fmt: str) -> str:
    """A safe download name from the brief's title (or name)."""
    for candidate in (brief.title, brief.name):
        try:
            return f"{slug(candidate)}.{fmt}"
        except ValueError:
            continue
    return f"brief.{fmt}"
