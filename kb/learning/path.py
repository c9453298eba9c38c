"""Training for new officials: a guided reading path through the knowledge base.

The path is data (`kb/learning/learning_path.yaml`, editable without Python); each step finds its
passages by search.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.files import read_yaml
from kb.models import FACETS, Hit, SearchFilters
from kb.retrieval.search import search
from kb.tags.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from kb.storage.knowledge import KnowledgeBase


LEARNING_PATH = Path(__file__).with_name("learning_path.yaml")
LANGS: tuple[str, ...] = ("es", "en")
DEFAULT_K = 3

# --- the learning path ------------------------------------------------------------------

_STEP_KEYS = ("id", "title", "goal", "query", "filters", "k")
_FILTER_KEYS = ("countries", "langs", *FACETS)
_STEP_ID = re.compile(r"[a-z0-9_]+")


class LearningPathError(ValueError):
    """The learning-path file is malformed (the message names the step)."""


def _in(texts: Mapping[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("es") or next(iter(texts.values()), "")


@dataclass(frozen=True)
class Step:
    """One step of the path as the trainer wrote it: texts per language and how to search."""

    id: str
    title: dict[str, str]
    goal: dict[str, str]
    query: dict[str, str]
    filters: SearchFilters = field(default_factory=SearchFilters)
    k: int = DEFAULT_K

    def title_in(self, lang: str) -> str:
        return _in(self.title, lang)

    def goal_in(self, lang: str) -> str:
        return _in(self.goal, lang)

    def query_in(self, lang: str) -> str:
        return _in(self.query, lang)


@dataclass(frozen=True)
class LearningPath:
    version: int
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class PathStep:
    """A step ready to read: its texts in the reader's language and the passages it found."""

    number: int
    step: Step
    lang: str
    hits: tuple[Hit, ...]

    @property
    def title(self) -> str:
        return self.step.title_in(self.lang)

    @property
    def goal(self) -> str:
        return self.step.goal_in(self.lang)

    @property
    def fallback(self) -> bool:
        """True when some passages are not in the reader's language (none were found in it)."""
        return any(h.passage.lang != self.lang for h in self.hits)


def _texts(value: Any, key: str, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise LearningPathError(f"{where}: `{key}` must be a mapping with es and en texts")
    texts = {str(lang): str(text).strip() for lang, text in value.items() if text is not None}
    missing = [lang for lang in LANGS if not texts.get(lang)]
    if missing:
        raise LearningPathError(f"{where}: `{key}` has no {' or '.join(missing)} text")
    return texts


def _names(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):  # `countries: Chile` is a list of one, not a typo
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LearningPathError(f"{where}: filter `{key}` must be a list of names")
    return tuple(v.strip() for v in value)


def _filters(value: Any, taxonomy: Taxonomy, where: str) -> SearchFilters:
    if value is None:
        return SearchFilters()
    if not isinstance(value, dict):
        raise LearningPathError(f"{where}: `filters` must be a mapping")
    unknown = sorted(str(key) for key in value if key not in _FILTER_KEYS)
    if unknown:
        raise LearningPathError(
            f"{where}: unknown filter(s) {', '.join(unknown)}; use {', '.join(_FILTER_KEYS)}"
        )
    lists = {str(key): _names(names, str(key), where) for key, names in value.items()}
    for facet in FACETS:
        bad = [t for t in lists.get(facet, ()) if t not in taxonomy.tag_ids(facet)]
        if bad:
            known = ", ".join(taxonomy.tag_ids(facet))
            raise LearningPathError(
                f"{where}: unknown {facet} tag(s) {', '.join(bad)}; known: {known}"
            )
    return SearchFilters(
        countries=lists.get("countries", ()),
        langs=lists.get("langs", ()),
        tags={facet: lists[facet] for facet in FACETS if lists.get(facet)},
    )


def _step(raw: Any, number: int, taxonomy: Taxonomy, source: str) -> Step:
    name = raw.get("id") if isinstance(raw, dict) else None
    where = f"{source}: step {number}" + (f" ({name})" if isinstance(name, str) else "")
    if not isinstance(raw, dict):
        raise LearningPathError(f"{where}: expected a mapping with id, title, goal and query")
    if not isinstance(name, str) or not _STEP_ID.fullmatch(name):
        raise LearningPathError(f"{where}: `id` must be lowercase letters, digits and '_'")
    unknown = sorted(str(key) for key in raw if key not in _STEP_KEYS)
    if unknown:  # a misspelt `querry` would otherwise silently fall back to defaults
        raise LearningPathError(
            f"{where}: unknown key(s) {', '.join(unknown)}; use {', '.join(_STEP_KEYS)}"
        )
    k = raw.get("k", DEFAULT_K)
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise LearningPathError(f"{where}: `k` must be a whole number of passages, at least 1")
    return Step(
        id=name,
        title=_texts(raw.get("title"), "title", where),
        goal=_texts(raw.get("goal"), "goal", where),
        query=_texts(raw.get("query"), "query", where),
        filters=_filters(raw.get("filters"), taxonomy, where),
        k=k,
    )


def parse_path(
    data: Any, taxonomy: Taxonomy | None = None, source: str = "learning path"
) -> LearningPath:
    """Validate and convert the YAML structure of a learning path."""
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or not data["steps"]:
        raise LearningPathError(f"{source}: expected a mapping with a non-empty `steps` list")
    taxonomy = taxonomy or load_taxonomy()
    steps: list[Step] = []
    for number, raw in enumerate(data["steps"], start=1):
        step = _step(raw, number, taxonomy, source)
        if any(s.id == step.id for s in steps):
            raise LearningPathError(f"{source}: step {number} ({step.id}): duplicate id")
        steps.append(step)
    return LearningPath(int(data.get("version", 1)), tuple(steps))


def load_path(path: Path = LEARNING_PATH, taxonomy: Taxonomy | None = None) -> LearningPath:
    """The learning path in `path` (by default the bundled `kb/learning/learning_path.yaml`)."""
    return parse_path(read_yaml(path, LearningPathError), taxonomy, str(path))


def step_hits(
    kb: KnowledgeBase, step: Step, lang: str = "es", highlights: bool = True
) -> list[Hit]:
    """A step's passages: in the reader's language if any match, else in another language."""
    mark = highlights
    if step.filters.langs:  # the trainer chose the languages: there is no preference to apply
        return search(kb, step.query_in(lang), k=step.k, filters=step.filters, highlights=mark)
    # Search each language with the query written in it, so BM25 meets words it can match.
    order = [lang] if lang in step.query else []
    order += [other for other in step.query if other != lang]
    for query_lang in order:
        only = replace(step.filters, langs=(query_lang,))
        hits = search(kb, step.query[query_lang], k=step.k, filters=only, highlights=mark)
        if hits:
            return hits
    return search(kb, step.query_in(lang), k=step.k, filters=step.filters, highlights=mark)


def build_path(
    kb: KnowledgeBase,
    lang: str = "es",
    path: LearningPath | None = None,
    highlights: bool = True,
) -> list[PathStep]:
    """Every step of the learning path with the passages to read for it; without
    `highlights`, the passages carry no answering sentences (cheaper: none are embedded)."""
    learning = path or load_path()
    return [
        PathStep(number, step, lang, tuple(step_hits(kb, step, lang, highlights)))
        for number, step in enumerate(learning.steps, start=1)
    ]
