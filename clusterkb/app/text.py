"""Document text as literal Markdown, and the short citation lines the app prints."""

from __future__ import annotations

from kb.briefs.export_markdown import escape
from kb.citations import source_line
from kb.models import Passage


def md(text: str) -> str:
    """`text` with every Markdown (and HTML) character backslash-escaped: it renders as typed."""
    return escape(text)


def md_line(text: str) -> str:
    """One line of escaped text (labels, headings): newlines folded into spaces."""
    return escape(" ".join(text.split()))


def quote(text: str) -> str:
    """`text` escaped and set as a Markdown block quote."""
    # Two trailing spaces keep the document's line breaks (lists, short lines) as breaks.
    lines = md(text.strip()).split("\n")
    return "\n".join(f"> {line}  " if line.strip() else ">" for line in lines)


def citation(passage: Passage, lang: str) -> str:
    """'Title — Country (year), p. 3' as plain text (escape it before rendering as Markdown)."""
    return source_line(passage, lang)
