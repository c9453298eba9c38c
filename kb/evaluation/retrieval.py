"""Retrieval quality on labelled queries: recall@k, MRR and nDCG@10, per mode and language."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kb.files import read_yaml
from kb.models import Hit, SearchFilters


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    lang: str
    query: str
    expected_docs: tuple[str, ...]
    expected_tags: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class QueryResult:
    query: LabelledQuery
    expected: tuple[str, ...]
    """Expected documents that the filters allow (others cannot be found by design)."""
    ranked_docs: tuple[str, ...]
    """Documents in the order their first passage appears among the hits."""
    hit_docs: tuple[str, ...]
    """Document of each hit, in rank order (duplicates kept)."""

    def first_relevant_rank(self) -> int | None:
        for rank, doc in enumerate(self.hit_docs, start=1):
            if doc in self.expected:
                return rank
        return None


@dataclass(frozen=True)
class Scores:
    queries: int
    recall_at_k: float
    mrr: float
    ndcg_at_10: float


def load_queries(path: Path) -> list[LabelledQuery]:
    data = read_yaml(path)
    rows = data["queries"] if isinstance(data, dict) else data
    return [
        LabelledQuery(
            id=str(q["id"]),
            lang=str(q["lang"]),
            query=str(q["query"]),
            expected_docs=tuple(q["expected_docs"]),
            expected_tags={f: tuple(v) for f, v in (q.get("expected_tags") or {}).items()},
        )
        for q in rows
    ]


def ndcg_at(result: QueryResult, n: int = 10) -> float:
    """Document-level nDCG: a document counts once, at the rank of its first passage."""
    dcg = sum(
        1.0 / math.log2(rank + 1)
        for rank, doc in enumerate(result.ranked_docs[:n], start=1)
        if doc in result.expected
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(result.expected), n) + 1))
    return dcg / ideal if ideal else 0.0


def score(results: Sequence[QueryResult], k: int) -> Scores:
    """recall@k: share of queries with an expected document among the first k hits."""
    if not results:
        return Scores(0, 0.0, 0.0, 0.0)
    found = 0
    rr = 0.0
    ndcg = 0.0
    for r in results:
        rank = r.first_relevant_rank()
        if rank is not None and rank <= k:
            found += 1
        rr += 1.0 / rank if rank else 0.0
        ndcg += ndcg_at(r)
    n = len(results)
    return Scores(n, found / n, rr / n, ndcg / n)


def run_queries(
    queries: Sequence[LabelledQuery],
    search: Callable[[str, SearchFilters], list[Hit]],
    doc_langs: dict[str, str],
    langs: tuple[str, ...] = (),
) -> list[QueryResult]:
    """Run each query through `search`; queries whose documents the filter excludes are skipped."""
    filters = SearchFilters(langs=langs)
    results = []
    for q in queries:
        expected = tuple(
            d for d in q.expected_docs if d in doc_langs and (not langs or doc_langs[d] in langs)
        )
        if not expected:
            continue
        hits = search(q.query, filters)
        hit_docs = tuple(h.passage.doc_id for h in hits)
        results.append(QueryResult(q, expected, tuple(dict.fromkeys(hit_docs)), hit_docs))
    return results


@dataclass(frozen=True)
class EvalRow:
    backend: str
    mode: str
    query_lang: str
    scores: Scores


@dataclass
class EvalReport:
    k: int
    doc_langs: tuple[str, ...]
    rows: list[EvalRow] = field(default_factory=list)
    failures: list[dict[str, object]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "k": self.k,
            "doc_langs": list(self.doc_langs),
            "rows": [
                {
                    "backend": r.backend,
                    "mode": r.mode,
                    "query_lang": r.query_lang,
                    "queries": r.scores.queries,
                    "recall_at_k": round(r.scores.recall_at_k, 4),
                    "mrr": round(r.scores.mrr, 4),
                    "ndcg_at_10": round(r.scores.ndcg_at_10, 4),
                }
                for r in self.rows
            ],
            "failures": self.failures,
        }

    def row(self, backend: str, mode: str, query_lang: str) -> Scores | None:
        for r in self.rows:
            if (r.backend, r.mode, r.query_lang) == (backend, mode, query_lang):
                return r.scores
        return None


def evaluate(
    kb: object,
    queries: Sequence[LabelledQuery],
    modes: Sequence[str],
    k: int,
    langs: tuple[str, ...],
    report: EvalReport,
) -> None:
    """Add rows (per mode, per query language, and 'all') and failures for one knowledge base."""
    from kb.retrieval.search import search
    from kb.storage.knowledge import KnowledgeBase

    assert isinstance(kb, KnowledgeBase)
    doc_langs = {r.doc_id: r.lang for r in kb.manifest.docs.values()}
    backend = kb.embedder.name
    for mode in modes:

        def run(text: str, filters: SearchFilters, mode: str = mode) -> list[Hit]:
            return search(kb, text, k=max(k, 10), filters=filters, mode=mode)

        results = run_queries(queries, run, doc_langs, langs)
        for query_lang in sorted({r.query.lang for r in results}) + ["all"]:
            subset = [r for r in results if query_lang in ("all", r.query.lang)]
            report.rows.append(EvalRow(backend, mode, query_lang, score(subset, k)))
        for r in results:
            rank = r.first_relevant_rank()
            if rank is None or rank > k:
                report.failures.append(
                    {
                        "backend": backend,
                        "mode": mode,
                        "id": r.query.id,
                        "query": r.query.query,
                        "expected": list(r.expected),
                        # The documents of the first k hits, the ones recall@k looks at.
                        "got": list(dict.fromkeys(r.hit_docs[:k])),
                        "first_relevant_rank": rank,
                    }
                )
