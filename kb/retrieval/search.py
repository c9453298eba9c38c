"""Hybrid search: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank.

Tables of contents, acronym and reference lists and front matter name a programme as often
as the text about it does, and win on its name alone. They stay searchable, but after
fusion every one of them ranks below every body passage: found when nothing else matches.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import replace
from typing import Literal

import numpy as np

from kb.models import BODY, Hit, SearchFilters
from kb.retrieval.expansion import expand_query
from kb.retrieval.fusion import reciprocal_rank_fusion
from kb.retrieval.highlights import Highlighter, shared_sentence_vectors
from kb.retrieval.translations import once_each, passage_keys
from kb.storage.knowledge import KnowledgeBase

Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[str, ...] = ("hybrid", "dense", "lexical")


def search(
    kb: KnowledgeBase,
    query: str,
    k: int = 5,
    filters: SearchFilters | None = None,
    mode: str = "hybrid",
    highlights: bool = True,
    query_vector: np.ndarray | None = None,
) -> list[Hit]:
    """The `k` best passages for `query`; filters apply to both rankers before fusion. With
    `highlights`, each hit carries the sentences of its passage that answer the query.
    `query_vector`: the query already embedded (searches of one query under several filters)."""
    if mode not in MODES:
        raise ValueError(f"unknown search mode {mode!r}; choose one of {', '.join(MODES)}")
    filters = filters or SearchFilters()
    query = query.strip()
    if not query or k <= 0:
        return []
    n = max(k, kb.settings.candidates)
    rankings: dict[str, list[str]] = {}
    scores: dict[str, dict[str, float]] = {}
    if mode in ("hybrid", "dense"):
        vector = kb.embedder.embed_query(query) if query_vector is None else query_vector
        visible = kb.visible_ids()
        dense = [(pid, s) for pid, s in kb.store.nearest(vector, n, filters) if pid in visible]
        rankings["dense"] = [pid for pid, _ in dense]
        scores["dense"] = dict(dense)
    if mode in ("hybrid", "lexical"):
        lexical = kb.lexical.search(expand_query(query), n, filters)
        rankings["lexical"] = [pid for pid, _ in lexical]
        scores["lexical"] = dict(lexical)

    if mode == "hybrid":
        weights = {"dense": kb.settings.dense_weight, "lexical": 1.0}
        fused = reciprocal_rank_fusion(rankings, k=kb.settings.rrf_k, weights=weights)
    else:
        fused = [(pid, scores[mode][pid]) for pid in rankings[mode]]
    # A passage and its translation are one result: the better ranked of the two stays.
    keys = passage_keys(kb.manifest.docs)
    kept = set(once_each([pid for pid, _ in fused], keys))
    top = body_first([(pid, s) for pid, s in fused if pid in kept], kb)[:k]

    passages = {p.id: p for p in kb.store.get([pid for pid, _ in top])}
    hits: list[Hit] = []
    for pid, score in top:
        passage = passages.get(pid)
        if passage is None:  # in the BM25 index but gone from the store: skip, never crash
            continue
        ranks = {name: ranked.index(pid) + 1 for name, ranked in rankings.items() if pid in ranked}
        hits.append(Hit(passage=passage, score=score, ranks=ranks))
    if highlights and hits:
        # The dense ranker has embedded the query already, except in lexical mode.
        if mode == "lexical":
            vector = kb.embedder.embed_query(query) if query_vector is None else query_vector
        marked = sentence_highlighter(kb, query, vector).for_passages(
            [(h.passage.id, h.passage.text, h.passage.lang) for h in hits]
        )
        hits = [replace(h, highlights=tuple(marked[h.passage.id])) for h in hits]
    return hits


def sentence_highlighter(kb: KnowledgeBase, query: str, vector: np.ndarray) -> Highlighter:
    """Highlights for `query` that reuse the sentence vectors of earlier searches (the
    process keeps them for the KB's encoder)."""
    vectors = shared_sentence_vectors(kb.embedder.name, kb.embedder.dim)
    return Highlighter(query, vector, kb.embedder.embed_passages, vectors=vectors)


def body_first(ranked: list[tuple[str, float]], kb: KnowledgeBase) -> list[tuple[str, float]]:
    """`ranked` with body passages first and the other kinds after them, each group in its
    order; scores are kept as fused, so they fall within each group only."""
    kinds = _kinds(kb, [pid for pid, _ in ranked])
    body = [entry for entry in ranked if kinds.get(entry[0], BODY) == BODY]
    rest = [entry for entry in ranked if kinds.get(entry[0], BODY) != BODY]
    return body + rest


def _kinds(kb: KnowledgeBase, ids: list[str]) -> dict[str, str]:
    """Each passage's kind, from the keyword index's rows (sorted by id); absent ones omitted."""
    rows = kb.lexical.rows
    kinds: dict[str, str] = {}
    for pid in ids:
        at = bisect_left(rows, pid, key=lambda row: row.id)
        if at < len(rows) and rows[at].id == pid:
            kinds[pid] = rows[at].kind
    return kinds
