"""Lessons across countries: each country's best passages for a question, and its profile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from kb.models import FACETS, Hit, SearchFilters
from kb.retrieval.search import search, sentence_highlighter
from kb.storage.knowledge import KnowledgeBase

PROFILE_DEPTH = 20
"""How many of a country's passages for the question feed its profile."""


@dataclass(frozen=True)
class TagCount:
    facet: str
    tag_id: str
    count: int
    strongest: Hit
    """The best-ranked passage carrying this tag."""


@dataclass(frozen=True)
class CountryColumn:
    country: str
    hits: tuple[Hit, ...]
    profile: dict[str, tuple[TagCount, ...]] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.hits)


@dataclass(frozen=True)
class Comparison:
    query: str
    columns: tuple[CountryColumn, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "countries": [
                {
                    "country": col.country,
                    "found": col.found,
                    "hits": [h.to_dict() for h in col.hits],
                    "profile": {
                        facet: [
                            {
                                "tag": tc.tag_id,
                                "count": tc.count,
                                "strongest_passage": tc.strongest.passage.id,
                            }
                            for tc in counts
                        ]
                        for facet, counts in col.profile.items()
                    },
                }
                for col in self.columns
            ],
        }


def profile_of(hits: Sequence[Hit]) -> dict[str, tuple[TagCount, ...]]:
    """Per facet, how many of `hits` carry each tag, most frequent first."""
    profile: dict[str, tuple[TagCount, ...]] = {}
    for facet in FACETS:
        counts: dict[str, int] = {}
        strongest: dict[str, Hit] = {}
        for hit in hits:  # hits are in rank order: the first carrier is the strongest
            for tag_id in hit.passage.tag_ids(facet):
                counts[tag_id] = counts.get(tag_id, 0) + 1
                strongest.setdefault(tag_id, hit)
        profile[facet] = tuple(
            TagCount(facet, t, n, strongest[t])
            for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        )
    return profile


def available_countries(kb: KnowledgeBase) -> list[str]:
    """Countries and agencies at least one passage is about, sorted."""
    return sorted({c for r in kb.lexical.rows for c in r.countries})


def compare(
    kb: KnowledgeBase,
    query: str,
    countries: Sequence[str] | None = None,
    k: int = 3,
    langs: Sequence[str] = (),
) -> Comparison:
    """One column per country (all in the store when none given); empty columns are kept."""
    chosen = list(countries) if countries else available_countries(kb)
    query = query.strip()
    if not query:
        return Comparison(query, tuple(CountryColumn(c, (), profile_of(())) for c in chosen))
    # The query is embedded once for every country, and only the passages a column shows get
    # highlights (in one batch): the profile reads the tags of PROFILE_DEPTH passages, not
    # their sentences.
    vector = kb.embedder.embed_query(query)
    found: list[tuple[str, list[Hit]]] = []
    for country in chosen:
        filters = SearchFilters(countries=(country,), langs=tuple(langs))
        depth = max(k, PROFILE_DEPTH)
        hits = search(kb, query, k=depth, filters=filters, highlights=False, query_vector=vector)
        found.append((country, hits))
    shown = {h.passage.id: h.passage for _, hits in found for h in hits[:k]}
    marked = sentence_highlighter(kb, query, vector).for_passages(
        [(p.id, p.text, p.lang) for p in shown.values()]
    )
    columns = [
        CountryColumn(
            country,
            tuple(replace(h, highlights=tuple(marked.get(h.passage.id, ()))) for h in hits[:k]),
            profile_of(hits),
        )
        for country, hits in found
    ]
    return Comparison(query, tuple(columns))
