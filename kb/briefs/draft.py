"""Briefs against the knowledge base: draft one from a search, fetch its passages, find gaps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kb.briefs.brief import Brief, BriefError, add_item, new_brief, set_key_messages, set_spans
from kb.briefs.quotes import choose_key_messages, places, spans_of
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
    """A brief holding the top `k` body passages of a search for `query` (not saved), each
    quoting the sentences that answer the query, and key messages chosen among them.

    Tables of contents, acronym and reference lists and front matter are evidence of nothing:
    they are left out (search ranks them after every body passage, so none is lost).
    """
    from kb.retrieval.search import search

    query = " ".join(query.split())
    if not query:
        raise BriefError("the query is empty")
    hits = [h for h in search(kb, query, k=k, filters=filters) if h.passage.is_body]
    brief = new_brief(name or query[:60], title=query, lang=lang, question=query)
    for hit in hits:
        brief = add_item(brief, hit.passage.id, spans=spans_of(hit.highlights) or None)
    # The best highlight of each passage is where its key message is looked for first.
    best = {
        h.passage.id: [(h.highlights[0].start, h.highlights[0].end)] for h in hits if h.highlights
    }
    passages = {h.passage.id: h.passage for h in hits}
    return set_key_messages(brief, choose_key_messages(brief, passages, best))


def highlight_items(kb: KnowledgeBase, brief: Brief) -> Brief:
    """The brief with every item not yet chosen (`spans` None) quoting the sentences that
    answer its question; unchanged without a question."""
    todo = [i.passage_id for i in brief.items if i.spans is None]
    if not todo or not brief.asked:
        return brief
    from kb.retrieval.highlights import Highlighter

    found = _existing(kb, todo)
    marker = Highlighter(
        brief.asked, kb.embedder.embed_query(brief.asked), kb.embedder.embed_passages
    )
    marked = marker.for_passages([(p.id, p.text, p.lang) for p in found.values()])
    for pid, highlights in marked.items():
        if highlights:
            brief = set_spans(brief, pid, spans_of(highlights))
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
    countries = sorted({c for p in brief_passages for c in places(p)})
    emap = build_map(kb.lexical.rows, "problem", "outcome", taxonomy or load_taxonomy(), countries)
    return [(r, c) for r, c in emap.gaps() if r in problems and c in outcomes]
