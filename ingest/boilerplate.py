"""Tell body text from matter that is searchable but evidence of nothing: tables of contents,
acronym lists, reference lists, front matter and navigation."""

from __future__ import annotations

from kb.models import BODY


def passage_kind(text: str) -> str:
    """`body`, or one of `kb.models.KINDS` for a table of contents, acronym or reference list."""
    return BODY
