"""Briefs against the knowledge base: draft one from a search, fetch its passages, find gaps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kb.briefs.brief import Brief, BriefError, add_item, new_brief
from kb.briefs.labels import LABELS
from kb.models import Passage, SearchFilters

if TYPE_CHECKING:  # the knowledge base pulls in the store and encoder: only needed by callers
    from kb.storage.knowledge import KnowledgeBase
    from kb.tags.taxonomy import Taxonomy


def draft_brief(
    kb: KnowledgeBase,
    query: str,
    k: int = 8,
    lang: str = "es",
    filters: SearchFilters | None = None,
    name: str | None = None,
) -> Brief:
    """A brief holding the top `k` body passages of a search for `query` (not saved).

    Tables of contents, acronym and reference lists and front matter are evidence of nothing:
    they are left out (search ranks them after every body passage, so none is lost).
    """
    from kb.retrieval.search import search

    query = " ".join(query.split())
    if not query:
        raise BriefError("the query is empty")
    hits = search(kb, query, k=k, filters=filters)
    brief = new_brief(
        name or query[:60],
        title=query,
        purpose=LABELS.get("draft_purpose", lang, query=query),
        lang=lang,
    )
    for hit in hits:
        if hit.passage.is_body:
            brief = add_item(brief, hit.passage.id)
    return brief


def _existing(kb: KnowledgeBase, passage_ids: Sequence[str]) -> dict[str, Passage]:
    return {p.id: p for p in kb.passages(passage_ids)}


def fetch_passages(kb: KnowledgeBase, brief: Brief) -> dict[str, Passage]:
    """The brief's passages that still exist in the knowledge base, by id."""
    return _existing(kb, brief.passage_ids)


def check_passage_ids(kb: KnowledgeBase, passage_ids: Sequence[str]) -> None:
    """BriefError naming every id the knowledge base does not know."""
    found = _existing(kb, passage_ids)
    unknown = [i for i in passage_ids if i not in found]
    if unknown:
        raise BriefError(f"unknown passage id(s): {', '.join(unknown)} (ids are shown by search)")


def brief_gaps(
    kb: KnowledgeBase, brief_passages: Sequence[Passage], taxonomy: Taxonomy | None = None
) -> list[tuple[str, str]]:
    """Empty (problem, outcome) cells of the evidence map for the brief's tags and countries."""
    from kb.retrieval.evidence_map import build_map
    from kb.tags.taxonomy import load_taxonomy

    problems = {t for p in brief_passages for t in p.tag_ids("problem")}
    outcomes = {t for p in brief_passages for t in p.tag_ids("outcome")}
    if not problems or not outcomes:
        return []
    countries = sorted({p.country for p in brief_passages if p.country})
    emap = build_map(kb.lexical.rows, "problem", "outcome", taxonomy or load_taxonomy(), countries)
    return [(r, c) for r, c in emap.gaps() if r in problems and c in outcomes]
