"""Bilingual query expansion: a query that names a taxonomy tag in one language also brings
that tag's labels in the other, so BM25 can match Spanish passages from English questions."""

from __future__ import annotations

from functools import lru_cache

from kb.tags.tagger import rule_tags
from kb.tags.taxonomy import Taxonomy, load_taxonomy


@lru_cache(maxsize=1024)
def _expansion(query: str, taxonomy: Taxonomy) -> str:
    extra: list[str] = []
    for tag in rule_tags(query, taxonomy):
        definition = taxonomy.get(tag.facet, tag.tag_id)
        extra.extend(definition.label.values())
    return " ".join(extra)


def expand_query(query: str, taxonomy: Taxonomy | None = None) -> str:
    """`query` followed by the Spanish and English labels of the tags it mentions."""
    extra = _expansion(query, taxonomy or load_taxonomy())
    return f"{query} {extra}" if extra else query
