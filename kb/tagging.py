"""Tag passages by problem, instrument, outcome and evidence, each tag with its reason.

Two taggers, both deterministic: rules (taxonomy terms matched on stemmed words, and regex
patterns on the raw text) and similarity (cosine between the passage vector and the vector of
each tag's label and definition, above a per-facet threshold set from labelled passages).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from kb.embedding import Embedder
from kb.models import FACETS, Passage, Tag
from kb.taxonomy import TagDef, Taxonomy, load_taxonomy
from kb.textnorm import STEMMER_NAMES, stems

# Cosine thresholds per facet for the similarity tagger, chosen on corpus/eval/tags.yaml
# (`clusterkb eval --tags` prints the effect). None: that facet is tagged by rules only.
SIMILARITY_THRESHOLDS: dict[str, dict[str, float | None]] = {
    "e5-small": {"problem": None, "instrument": None, "outcome": None, "evidence": None},
}
RULE_LANGS = ("es", "en")


@dataclass(frozen=True)
class CompiledTag:
    tag: TagDef
    phrases: dict[str, tuple[tuple[tuple[str, ...], str], ...]]
    """Per language: (stemmed words, original term) pairs."""
    regexes: tuple[tuple[re.Pattern[str], str], ...]


def _compile(tag: TagDef) -> CompiledTag:
    phrases: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {}
    for lang in RULE_LANGS:
        pairs = []
        for term in tag.terms.get(lang, ()):
            stemmed = tuple(stems(term, lang))
            if stemmed:
                pairs.append((stemmed, term))
        phrases[lang] = tuple(pairs)
    regexes = tuple(
        (re.compile(p, re.IGNORECASE), p) for lang in tag.patterns for p in tag.patterns[lang]
    )
    return CompiledTag(tag, phrases, regexes)


@lru_cache(maxsize=4)
def compiled_rules(taxonomy: Taxonomy) -> tuple[CompiledTag, ...]:
    return tuple(_compile(t) for t in taxonomy.all_tags())


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    if n == 1:
        return needle[0] in haystack
    first = needle[0]
    return any(
        haystack[i] == first and haystack[i : i + n] == needle for i in range(len(haystack) - n + 1)
    )


def rule_tags(text: str, taxonomy: Taxonomy | None = None) -> list[Tag]:
    """Tags whose terms or patterns occur in `text`; the reason lists what matched."""
    taxonomy = taxonomy or load_taxonomy()
    stemmed = {lang: tuple(stems(text, lang)) for lang in RULE_LANGS if lang in STEMMER_NAMES}
    out: list[Tag] = []
    for compiled in compiled_rules(taxonomy):
        matched: list[str] = []
        for lang, pairs in compiled.phrases.items():
            matched.extend(term for words, term in pairs if _contains(stemmed[lang], words))
        for regex, _pattern in compiled.regexes:
            found = regex.search(text)
            if found:
                matched.append(found.group(0))
        if matched:
            unique = list(dict.fromkeys(matched))
            out.append(
                Tag(
                    facet=compiled.tag.facet,
                    tag_id=compiled.tag.id,
                    origin="rule",
                    reason="matched: " + ", ".join(f"«{m}»" for m in unique[:5]),
                    score=1.0,
                )
            )
    return out


@lru_cache(maxsize=8)
def _definition_vectors(embedder: Embedder, taxonomy: Taxonomy) -> tuple[list[TagDef], np.ndarray]:
    """One vector per tag and language (label + definition); rows grouped per tag."""
    tags = taxonomy.all_tags()
    texts = []
    for tag in tags:
        for lang in RULE_LANGS:
            texts.append(f"{tag.label_in(lang)}: {tag.definition.get(lang, '')}")
    vectors = embedder.embed_passages(texts)
    return tags, vectors.reshape(len(tags), len(RULE_LANGS), -1)


def similarity_tags(
    vectors: np.ndarray,
    embedder: Embedder,
    thresholds: dict[str, float | None],
    taxonomy: Taxonomy | None = None,
) -> list[list[Tag]]:
    """For each passage vector, the tags whose definition is at least `threshold` similar."""
    taxonomy = taxonomy or load_taxonomy()
    active = {f: t for f, t in thresholds.items() if t is not None}
    if not active or len(vectors) == 0:
        return [[] for _ in range(len(vectors))]
    tags, definitions = _definition_vectors(embedder, taxonomy)  # type: ignore[arg-type]
    sims = np.einsum("pd,tld->ptl", vectors, definitions).max(axis=2)
    out: list[list[Tag]] = []
    for row in sims:
        found = []
        for j, tag in enumerate(tags):
            limit = active.get(tag.facet)
            if limit is not None and row[j] >= limit:
                found.append(
                    Tag(tag.facet, tag.id, "similarity", f"similarity {row[j]:.2f}", float(row[j]))
                )
        out.append(found)
    return out


def merge_tags(*groups: Sequence[Tag]) -> tuple[Tag, ...]:
    """One tag per (facet, id): the first group wins (rules before similarity)."""
    seen: dict[tuple[str, str], Tag] = {}
    for group in groups:
        for tag in group:
            seen.setdefault((tag.facet, tag.tag_id), tag)
    order = {facet: i for i, facet in enumerate(FACETS)}
    return tuple(sorted(seen.values(), key=lambda t: (order.get(t.facet, 9), t.tag_id)))


class Tagger:
    """Tags passages at ingest: rules, then similarity for the facets that have a threshold."""

    def __init__(self, embedder: Embedder, taxonomy: Taxonomy | None = None) -> None:
        self.embedder = embedder
        self.taxonomy = taxonomy or load_taxonomy()
        self.thresholds = SIMILARITY_THRESHOLDS.get(embedder.name, {})

    def tag_text(self, text: str, vector: np.ndarray | None = None) -> tuple[Tag, ...]:
        if vector is None and any(v is not None for v in self.thresholds.values()):
            vector = self.embedder.embed_passages([text])[0]
        similar = (
            similarity_tags(vector[None, :], self.embedder, self.thresholds, self.taxonomy)[0]
            if vector is not None
            else []
        )
        return merge_tags(rule_tags(text, self.taxonomy), similar)

    def __call__(self, passages: list[Passage], vectors: np.ndarray) -> list[Passage]:
        similar = similarity_tags(vectors, self.embedder, self.thresholds, self.taxonomy)
        return [
            replace(p, tags=merge_tags(rule_tags(p.text, self.taxonomy), sim))
            for p, sim in zip(passages, similar, strict=True)
        ]


def default_tagger(kb: object) -> Tagger:
    """The tagger used at ingest for this knowledge base's encoder."""
    from kb.knowledge import KnowledgeBase

    assert isinstance(kb, KnowledgeBase)
    return Tagger(kb.embedder)
