"""Query expansion across Spanish, English and Portuguese: a query that names a taxonomy tag
(by its terms, or by its label in any language) also brings that tag's labels in the others,
so BM25 can match Spanish passages from English or Portuguese questions, and back."""

from __future__ import annotations

from functools import lru_cache

from kb.tags.tagger import StemIndex, rule_tags
from kb.tags.taxonomy import LABEL_LANGS, TagDef, Taxonomy, load_taxonomy
from kb.textnorm import stems

LabelStems = tuple[tuple[TagDef, str, tuple[str, ...]], ...]


@lru_cache(maxsize=4)
def _label_stems(taxonomy: Taxonomy) -> LabelStems:
    """Each tag's label in each language, as the stems a query in that language would have."""
    out = []
    for tag in taxonomy.all_tags():
        for lang in LABEL_LANGS:
            label_stems = tuple(stems(tag.label.get(lang, ""), lang))
            if label_stems:
                out.append((tag, lang, label_stems))
    return tuple(out)


def named_by_label(query: str, taxonomy: Taxonomy) -> list[TagDef]:
    """Tags whose label, in Spanish, English or Portuguese, occurs in `query` (stemmed)."""
    indexes = {lang: StemIndex(tuple(stems(query, lang))) for lang in LABEL_LANGS}
    found: dict[int, TagDef] = {}
    for tag, lang, label_stems in _label_stems(taxonomy):
        if indexes[lang].contains(label_stems):
            found.setdefault(id(tag), tag)
    return list(found.values())


@lru_cache(maxsize=1024)
def _expansion(query: str, taxonomy: Taxonomy) -> str:
    tags = {(t.facet, t.tag_id): None for t in rule_tags(query, taxonomy)}
    tags.update({(t.facet, t.id): None for t in named_by_label(query, taxonomy)})
    extra: list[str] = []
    for facet, tag_id in tags:
        extra.extend(taxonomy.get(facet, tag_id).labels())
    return " ".join(extra)


def expand_query(query: str, taxonomy: Taxonomy | None = None) -> str:
    """`query` followed by the Spanish, English and Portuguese labels of the tags it names."""
    extra = _expansion(query, taxonomy or load_taxonomy())
    return f"{query} {extra}" if extra else query
