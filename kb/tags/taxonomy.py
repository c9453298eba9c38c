"""The tag taxonomy, read from `taxonomy.yaml` beside this module (data: edit it to add a tag)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb.files import read_yaml
from kb.models import FACETS

TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")
# Every tag is labelled in these languages (Spanish required; the others fall back to it).
LABEL_LANGS = ("es", "en", "pt")


class TaxonomyError(ValueError):
    """The taxonomy file is malformed (the message names the entry)."""


@dataclass(frozen=True, eq=False)
class TagDef:
    facet: str
    id: str
    label: dict[str, str]
    definition: dict[str, str]
    terms: dict[str, tuple[str, ...]]
    patterns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    goal: str | None = None

    def label_in(self, lang: str) -> str:
        return self.label.get(lang) or self.label.get("es") or self.id

    def labels(self) -> tuple[str, ...]:
        """Its labels, Spanish, English and Portuguese first, each distinct one once."""
        order = [*LABEL_LANGS, *(lang for lang in self.label if lang not in LABEL_LANGS)]
        return tuple(dict.fromkeys(self.label[lang] for lang in order if self.label.get(lang)))


@dataclass(frozen=True, eq=False)  # identity hash: used as a cache key
class Taxonomy:
    version: int
    facet_labels: dict[str, dict[str, str]]
    tags: dict[str, tuple[TagDef, ...]]
    goals: dict[str, dict[str, Any]]
    aims: dict[str, dict[str, str]]

    def tag_ids(self, facet: str) -> list[str]:
        return [t.id for t in self.tags.get(facet, ())]

    def get(self, facet: str, tag_id: str) -> TagDef:
        for tag in self.tags.get(facet, ()):
            if tag.id == tag_id:
                return tag
        raise KeyError(f"{facet}:{tag_id}")

    def label(self, facet: str, tag_id: str, lang: str = "es") -> str:
        try:
            return self.get(facet, tag_id).label_in(lang)
        except KeyError:
            return tag_id

    def facet_label(self, facet: str, lang: str = "es") -> str:
        return self.facet_labels.get(facet, {}).get(lang, facet)

    def goal_label(self, goal_id: str, lang: str = "es") -> str:
        return str(self.goals.get(goal_id, {}).get("label", {}).get(lang, goal_id))

    def all_tags(self) -> list[TagDef]:
        return [t for facet in FACETS for t in self.tags.get(facet, ())]


def _lang_map(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise TaxonomyError(f"{where}: expected a mapping of language to text")
    return {str(k): str(v) for k, v in value.items()}


def _lang_lists(value: Any) -> dict[str, tuple[str, ...]]:
    if not value:
        return {}
    return {str(k): tuple(str(x) for x in (v or ())) for k, v in value.items()}


def parse_taxonomy(data: dict[str, Any]) -> Taxonomy:
    """Validate and convert the YAML structure."""
    goals = {g["id"]: g for g in data.get("goals", [])}
    aims = {a["id"]: _lang_map(a.get("label"), f"aim {a['id']}") for a in data.get("aims", [])}
    facets = data.get("facets") or {}
    tags: dict[str, tuple[TagDef, ...]] = {}
    labels: dict[str, dict[str, str]] = {}
    for facet in FACETS:
        if facet not in facets:
            raise TaxonomyError(f"facet {facet!r} is missing")
        block = facets[facet]
        labels[facet] = _lang_map(block.get("label", {facet: facet}), f"facet {facet}")
        defs = []
        seen: set[str] = set()
        for raw in block.get("tags", []):
            where = f"{facet}:{raw.get('id', '?')}"
            if raw.get("id") in seen:
                raise TaxonomyError(f"{where}: duplicate id")
            seen.add(raw["id"])
            goal = raw.get("goal")
            if goal is not None and goal not in goals:
                raise TaxonomyError(f"{where}: unknown goal {goal!r}")
            label = _lang_map(raw.get("label"), where)
            if not label.get(LABEL_LANGS[0]):
                raise TaxonomyError(f"{where}: the label needs a Spanish text ({LABEL_LANGS[0]})")
            defs.append(
                TagDef(
                    facet=facet,
                    id=str(raw["id"]),
                    label=label,
                    definition=_lang_map(raw.get("definition"), where),
                    terms=_lang_lists(raw.get("terms")),
                    patterns=_lang_lists(raw.get("patterns")),
                    goal=goal,
                )
            )
        tags[facet] = tuple(defs)
    return Taxonomy(int(data.get("version", 1)), labels, tags, goals, aims)


@lru_cache(maxsize=4)
def load_taxonomy(path: Path = TAXONOMY_PATH) -> Taxonomy:
    """The taxonomy at `path` (cached per path)."""
    return parse_taxonomy(read_yaml(path, TaxonomyError))
