"""Example passages per tag (`kb/tags/examples/*.yaml`): training data for the learned tagger.

Each tag has a few short passages per language (es, en, pt) written from its definition, most
of them describing the situation without the tag's own words, the way reports do ("the two
ministries never agreed on who would pay"). The key `none` holds report prose that carries no
tag. They are learnt from in every fit, like the definitions, and never scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from kb.files import sha256_text
from kb.tags.taxonomy import Taxonomy

EXAMPLES_DIR = Path(__file__).with_name("examples")
NO_TAG = "none"
LANGS = ("es", "en", "pt")


class ExamplesError(ValueError):
    """An examples file is malformed (the message names the file and the entry)."""


@dataclass(frozen=True)
class TagExample:
    key: str
    """"facet:tag", or "" for an example that carries no tag."""
    lang: str
    text: str


def load_examples(taxonomy: Taxonomy, folder: Path = EXAMPLES_DIR) -> list[TagExample]:
    """Every example of every file in `folder`, checked against the taxonomy's tag ids."""
    facet_of = {tag.id: tag.facet for tag in taxonomy.all_tags()}
    out: list[TagExample] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ExamplesError(f"{path.name}: cannot read: {exc}") from exc
        if not isinstance(data, dict):
            raise ExamplesError(f"{path.name}: expected a mapping of tag ids")
        for tag_id, by_lang in data.items():
            if tag_id != NO_TAG and tag_id not in facet_of:
                raise ExamplesError(f"{path.name}: {tag_id!r} is not a tag of the taxonomy")
            if not isinstance(by_lang, dict) or not set(by_lang) <= set(LANGS):
                raise ExamplesError(f"{path.name}: {tag_id}: expected lists under {LANGS}")
            key = "" if tag_id == NO_TAG else f"{facet_of[tag_id]}:{tag_id}"
            for lang, texts in by_lang.items():
                if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                    raise ExamplesError(f"{path.name}: {tag_id}.{lang}: expected a list of texts")
                out.extend(TagExample(key, lang, t.strip()) for t in texts if t.strip())
    return out


def examples_hash(folder: Path = EXAMPLES_DIR) -> str:
    """Changes whenever an example does: part of a fitted model's fingerprint."""
    parts = [f"{p.name}\n{p.read_text(encoding='utf-8')}" for p in sorted(folder.glob("*.yaml"))]
    return sha256_text("\n".join(parts))
