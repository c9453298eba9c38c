"""Tagging passages by problem, instrument, outcome and evidence."""

from __future__ import annotations

from kb.knowledge import KnowledgeBase


def default_tagger(kb: KnowledgeBase) -> None:
    """The tagger used at ingest (none until the taxonomy rules are in place)."""
    return None
