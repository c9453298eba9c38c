"""Tag passages by problem, instrument, outcome and evidence, each tag with its reason.

Three taggers, all deterministic: rules (taxonomy terms matched on stemmed words, and regex
patterns on the raw text, alone or combined within one sentence); the learned tagger
(`kb.tags.learned`: a classifier per tag on the passage vector, fitted on labelled passages
and the analysts' corrections, saved in the data folder or shipped); and similarity (cosine
between the passage vector and each tag's definition, off for the bundled encoders).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from kb.config import Settings
from kb.encoders import Embedder
from kb.models import FACETS, Passage, Tag
from kb.tags.learned import TagModel
from kb.tags.prefilter import leading_literals, lower_for_prefilter, may_match
from kb.tags.taxonomy import TagDef, Taxonomy, load_taxonomy
from kb.textnorm import STEMMER_NAMES, stems

# Cosine thresholds per facet for the similarity tagger, chosen by grid search on
# corpus/eval/tags.yaml (kb.evaluation.tagging.choose_thresholds; `clusterkb eval --tags` shows it).
# None: that facet is tagged by rules only. For both bundled encoders no threshold raised
# micro-F1 above the rules alone on any facet (nor did top-1 or margin variants), so
# similarity stays off rather than add tags that are wrong more often than right.
_RULES_ONLY: dict[str, float | None] = {
    "problem": None,
    "instrument": None,
    "outcome": None,
    "evidence": None,
}
SIMILARITY_THRESHOLDS: dict[str, dict[str, float | None]] = {
    "e5-small": dict(_RULES_ONLY),
    "minilm": dict(_RULES_ONLY),
}
RULE_LANGS = ("es", "en", "pt")
DEFINITION_LANGS = ("es", "en")
# Portuguese is stemmed only for a text that shows it (ã, õ, ç or "não"/"uma"): the third
# stemming pass would otherwise cost every Spanish and English passage.
_PORTUGUESE_SIGNS = re.compile(r"[ãõç]|\b(?:não|uma)\b", re.IGNORECASE)

# A taxonomy pattern "A && B && !C" matches when A and B match and C does not, all within one
# sentence: co-occurrence tells a finding ("la evaluación ... encontró") from a mere mention.
AND = " && "
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n\s*\n|\n(?=\s*(?:[-•*]|\d+[.)])\s)")

# An outcome is a result: its words count only where the passage speaks of an effect (impact,
# results, achieved, increased, benefits...), not in a list of aims or an instrument's purpose.
OUTCOME_CUES = re.compile(
    r"\b(impactos?|efectos?|resultad[oa]s?|logr(?:ó|o|aron|ado|ados)|[eé]xitos?|"
    r"benefici\w+|consecuencias?|incidi(?:ó|eron)|contribu(?:y[óo]|yeron|ido|ye|yen)|"
    r"aument(?:ó|aron)|increment(?:ó|aron)|mejor(?:ó|aron)|reduj(?:o|eron)|baj(?:ó|aron)|"
    r"creci(?:ó|eron)|tuvo|tuvieron|permiti(?:ó|eron)|evaluaci[oó]n|evidencia|registros|"
    r"medid[oa]s?|impacts?|effects?|results?|outcomes?|achieved|achievements?|succe\w+|"
    r"benefits?|evaluations?|evidence|increased|improved|reduced|lowered|gains|grew|"
    r"led\s+to)\b|alcanz(?:ó|aron|ado|ables?)|"
    # Portuguese
    r"\b(?:impact(?:ou|aram)|efeitos?|result(?:ou|aram)|sucessos?|benef[ií]ci\w+|"
    r"consequ[eê]ncias?|contribu(?:iu|[ií]ram|[ií]do)|aument(?:ou|aram)|increment(?:ou|aram)|"
    r"elev(?:ou|aram)|melhor(?:ou|aram)|reduzi(?:u|ram)|diminu(?:iu|[ií]ram)|ca(?:iu|[ií]ram)|"
    r"cresce(?:u|ram)|expandi(?:u|ram)|ampli(?:ou|aram)|ger(?:ou|aram)|obteve|obtiveram|teve|"
    r"tiveram|permiti(?:u|ram)|possibilit(?:ou|aram)|propici(?:ou|aram)|proporcion(?:ou|aram)|"
    r"avan[çc](?:os|ou|aram)|logr(?:ou|aram)|alcan[çc](?:ou|aram|ad[oa]s?)|atingi(?:u|ram|d[oa]s?)|"
    r"avalia[çc](?:[ãa]o|[õo]es)|evid[eê]ncias?|mensurad[oa]s?|ganhos?|lev(?:ou|aram)\s+a)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RulePattern:
    """One taxonomy pattern: a regex, or regexes that must (not) co-occur in a sentence."""

    source: str
    required: tuple[re.Pattern[str], ...]
    excluded: tuple[re.Pattern[str], ...] = ()
    starts: tuple[tuple[str, ...] | None, ...] = ()
    """Per required regex, the literals one of which must occur for it to match (prefilter)."""

    def search(self, text: str, sentences: Sequence[str], lowered: str | None = None) -> str | None:
        """What matched (for the tag's reason), or None. `lowered`: `text` in lower case, to
        skip the regexes that cannot match."""
        if lowered is not None and not all(may_match(s, lowered) for s in self.starts):
            return None
        if len(self.required) == 1 and not self.excluded:
            found = self.required[0].search(text)
            return found.group(0) if found else None
        for sentence in sentences:
            hits = [r.search(sentence) for r in self.required]
            if all(hits) and not any(r.search(sentence) for r in self.excluded):
                return " … ".join(h.group(0) for h in hits if h)
        return None


def compile_pattern(source: str) -> RulePattern:
    parts = [p.strip() for p in source.split(AND) if p.strip()]
    required = tuple(re.compile(p, re.IGNORECASE) for p in parts if not p.startswith("!"))
    excluded = tuple(re.compile(p[1:], re.IGNORECASE) for p in parts if p.startswith("!"))
    if not required:
        raise ValueError(f"pattern {source!r} has nothing that must match")
    return RulePattern(source, required, excluded, tuple(leading_literals(r) for r in required))


def sentences_of(text: str) -> list[str]:
    return [s for s in _SENTENCE_BREAK.split(text) if s and s.strip()]


@dataclass(frozen=True)
class CompiledTag:
    tag: TagDef
    phrases: dict[str, tuple[tuple[tuple[str, ...], str], ...]]
    """Per language: (stemmed words, original term) pairs."""
    patterns: tuple[RulePattern, ...]


def _compile(tag: TagDef) -> CompiledTag:
    phrases: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {}
    for lang in RULE_LANGS:
        pairs = []
        for term in tag.terms.get(lang, ()):
            stemmed = tuple(stems(term, lang))
            if stemmed:
                pairs.append((stemmed, term))
        phrases[lang] = tuple(pairs)
    patterns = tuple(compile_pattern(p) for lang in tag.patterns for p in tag.patterns[lang])
    return CompiledTag(tag, phrases, patterns)


@lru_cache(maxsize=4)
def compiled_rules(taxonomy: Taxonomy) -> tuple[CompiledTag, ...]:
    return tuple(_compile(t) for t in taxonomy.all_tags())


class StemIndex:
    """The stemmed words of a text with where each occurs, to find phrases without a scan."""

    def __init__(self, words: tuple[str, ...]) -> None:
        self.words = words
        self.positions: dict[str, list[int]] = {}
        for i, word in enumerate(words):
            self.positions.setdefault(word, []).append(i)

    def contains(self, phrase: tuple[str, ...]) -> bool:
        """Whether `phrase` occurs as consecutive words."""
        starts = self.positions.get(phrase[0])
        if starts is None:
            return False
        n = len(phrase)
        if n == 1:
            return True
        if any(word not in self.positions for word in phrase[1:]):
            return False
        return any(self.words[i : i + n] == phrase for i in starts)


def _excerpt(match: str, limit: int = 80) -> str:
    """A long match (a sentence-wide pattern) shortened for the reason shown to people."""
    flat = " ".join(match.split())
    if len(flat) <= limit:
        return flat
    half = limit // 2
    return f"{flat[:half].rstrip()} … {flat[-half:].lstrip()}"


def rule_tags(text: str, taxonomy: Taxonomy | None = None) -> list[Tag]:
    """Tags whose terms or patterns occur in `text`; the reason lists what matched."""
    taxonomy = taxonomy or load_taxonomy()
    stemmed = {
        lang: StemIndex(tuple(stems(text, lang)))
        for lang in RULE_LANGS
        if lang in STEMMER_NAMES and (lang != "pt" or _PORTUGUESE_SIGNS.search(text))
    }
    sentences = sentences_of(text)
    lowered = lower_for_prefilter(text)
    speaks_of_effects = OUTCOME_CUES.search(text) is not None
    out: list[Tag] = []
    for compiled in compiled_rules(taxonomy):
        if compiled.tag.facet == "outcome" and not speaks_of_effects:
            continue
        matched: list[str] = []
        for lang, pairs in compiled.phrases.items():
            if lang in stemmed:
                matched.extend(term for words, term in pairs if stemmed[lang].contains(words))
        for pattern in compiled.patterns:
            found = pattern.search(text, sentences, lowered)
            if found:
                matched.append(found)
        if matched:
            unique = list(dict.fromkeys(_excerpt(m) for m in matched))
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


def rule_hits(texts: Sequence[str], keys: Sequence[str], taxonomy: Taxonomy) -> np.ndarray:
    """(texts × keys) where the rules give each "facet:tag": what the learned tagger's
    thresholds are chosen beside (`kb.tags.learned.choose_thresholds`)."""
    index = {k: j for j, k in enumerate(keys)}
    out = np.zeros((len(texts), len(keys)), dtype=bool)
    for i, text in enumerate(texts):
        for tag in rule_tags(text, taxonomy):
            j = index.get(f"{tag.facet}:{tag.tag_id}")
            if j is not None:
                out[i, j] = True
    return out


@lru_cache(maxsize=8)
def _definition_vectors(embedder: Embedder, taxonomy: Taxonomy) -> tuple[list[TagDef], np.ndarray]:
    """One vector per tag and language (label + definition); rows grouped per tag."""
    tags = taxonomy.all_tags()
    texts = []
    for tag in tags:
        for lang in DEFINITION_LANGS:
            texts.append(f"{tag.label_in(lang)}: {tag.definition.get(lang, '')}")
    vectors = embedder.embed_passages(texts)
    return tags, vectors.reshape(len(tags), len(DEFINITION_LANGS), -1)


def similarity_scores(
    vectors: np.ndarray, embedder: Embedder, taxonomy: Taxonomy | None = None
) -> tuple[list[TagDef], np.ndarray]:
    """Cosine of each passage vector with each tag's definition (best of its languages)."""
    taxonomy = taxonomy or load_taxonomy()
    tags, definitions = _definition_vectors(embedder, taxonomy)  # type: ignore[arg-type]
    if len(vectors) == 0:
        return tags, np.zeros((0, len(tags)), dtype=np.float32)
    return tags, np.einsum("pd,tld->ptl", vectors, definitions).max(axis=2)


def similarity_tags(
    vectors: np.ndarray,
    embedder: Embedder,
    thresholds: dict[str, float | None],
    taxonomy: Taxonomy | None = None,
) -> list[list[Tag]]:
    """For each passage vector, the tags whose definition is at least `threshold` similar."""
    active = {f: t for f, t in thresholds.items() if t is not None}
    if not active or len(vectors) == 0:
        return [[] for _ in range(len(vectors))]
    tags, sims = similarity_scores(vectors, embedder, taxonomy)
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


LEARNED = "learned"


def learned_reason(model: TagModel, similarities: np.ndarray, key: str, score: float) -> str:
    """The score against the tag's threshold and the labelled passages the vector is closest to
    (the sentence that weighs most is found when the reason is shown: `trigger_sentence`)."""
    threshold = float(model.thresholds[model.keys.index(key)])
    near = ", ".join(f"{ref} ({sim:.2f})" for ref, sim in model.neighbours(similarities, key))
    return f"learned {score:.2f} ≥ {threshold:.2f}; closest labelled: {near or '-'}"


def learned_tags(model: TagModel, vectors: np.ndarray, taxonomy: Taxonomy) -> list[list[Tag]]:
    """For each passage vector, the tags the learned model gives, each with its reason."""
    known = {f"{t.facet}:{t.id}" for t in taxonomy.all_tags()}
    out: list[list[Tag]] = []
    predicted = model.predict(vectors)
    tagged = [i for i, hits in enumerate(predicted) if hits]
    similarities = dict(zip(tagged, model.bank_similarities(vectors[tagged]), strict=True))
    for i, hits in enumerate(predicted):
        found = []
        for key, score in hits:
            if key in known:  # a model older than the taxonomy may know retired tags
                facet, _, tag_id = key.partition(":")
                reason = learned_reason(model, similarities[i], key, score)
                found.append(Tag(facet, tag_id, LEARNED, reason, score))
        out.append(found)
    return out


def trigger_sentence(
    model: TagModel, embedder: Embedder, text: str, facet: str, tag_id: str
) -> tuple[str, float] | None:
    """The sentence of `text` that scores highest for the tag: why the learned tagger gave it.

    Computed when a reason is shown (a few sentence vectors), not at ingest, where it would
    double the encoding time."""
    key = f"{facet}:{tag_id}"
    sentences = [s.strip() for s in sentences_of(text) if len(s.strip()) >= 20]
    if key not in model.keys or not sentences:
        return None
    scores = model.scores(embedder.embed_passages(sentences))[:, model.keys.index(key)]
    best = int(np.argmax(scores))
    return sentences[best], float(scores[best])


def merge_tags(*groups: Sequence[Tag]) -> tuple[Tag, ...]:
    """One tag per (facet, id): the first group wins (rules before similarity)."""
    seen: dict[tuple[str, str], Tag] = {}
    for group in groups:
        for tag in group:
            seen.setdefault((tag.facet, tag.tag_id), tag)
    order = {facet: i for i, facet in enumerate(FACETS)}
    return tuple(sorted(seen.values(), key=lambda t: (order.get(t.facet, 9), t.tag_id)))


class Tagger:
    """Tags passages at ingest: rules, the learned model (when one fits this encoder), then
    similarity for the facets that have a threshold."""

    def __init__(
        self,
        embedder: Embedder,
        taxonomy: Taxonomy | None = None,
        thresholds: dict[str, float | None] | None = None,
        model: TagModel | None = None,
    ) -> None:
        self.embedder = embedder
        self.taxonomy = taxonomy or load_taxonomy()
        self.thresholds = (
            thresholds if thresholds is not None else SIMILARITY_THRESHOLDS.get(embedder.name, {})
        )
        # A model fitted on another encoder's vectors would score noise.
        self.model = model if model is not None and model.encoder == embedder.name else None

    @property
    def needs_vectors(self) -> bool:
        return self.model is not None or any(v is not None for v in self.thresholds.values())

    def tag_vectors(self, texts: Sequence[str], vectors: np.ndarray) -> list[tuple[Tag, ...]]:
        """Tags of body texts with their vectors (rules, learned, similarity)."""
        similar = similarity_tags(vectors, self.embedder, self.thresholds, self.taxonomy)
        learned = (
            learned_tags(self.model, vectors, self.taxonomy)
            if self.model is not None
            else [[] for _ in texts]
        )
        return [
            merge_tags(rule_tags(text, self.taxonomy), mine, sim)
            for text, mine, sim in zip(texts, learned, similar, strict=True)
        ]

    def tag_text(self, text: str, vector: np.ndarray | None = None) -> tuple[Tag, ...]:
        if vector is None and self.needs_vectors:
            vector = self.embedder.embed_passages([text])[0]
        if vector is None:
            return merge_tags(rule_tags(text, self.taxonomy))
        return self.tag_vectors([text], vector[None, :])[0]

    def __call__(self, passages: list[Passage], vectors: np.ndarray) -> list[Passage]:
        # Tables of contents, acronym and reference lists name every topic and argue none.
        body = [i for i, p in enumerate(passages) if p.is_body]
        tags = self.tag_vectors([passages[i].text for i in body], vectors[body])
        by_row = dict(zip(body, tags, strict=True))
        return [replace(p, tags=by_row.get(i, ())) for i, p in enumerate(passages)]


def tagger_for(settings: Settings, embedder: Embedder) -> Tagger:
    """Rules plus the data folder's fitted model, else the shipped one, when it fits the
    encoder: what an ingest and `clusterkb tag` use."""
    from kb.tags.model_store import current_model

    return Tagger(embedder, model=current_model(settings, embedder.name))


def default_tagger(kb: object) -> Tagger:
    """The tagger used at ingest for this knowledge base."""
    from kb.storage.knowledge import KnowledgeBase

    assert isinstance(kb, KnowledgeBase)
    return tagger_for(kb.settings, kb.embedder)
