"""Recommendation briefs: a title, a purpose and an ordered basket of cited passages.

Editing functions are pure (they return a new `Brief`); storage keeps one JSON file per brief
in the briefs folder, written atomically, under a slug that can never leave that folder.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.models import Passage, SearchFilters

if TYPE_CHECKING:  # the knowledge base pulls in the store and encoder: only needed by callers
    from kb.storage.knowledge import KnowledgeBase
    from kb.tags.taxonomy import Taxonomy

FORMAT_VERSION = 1
MAX_SLUG = 80
LANGS: tuple[str, ...] = ("es", "en")


class BriefError(ValueError):
    """A brief operation cannot be done (unknown brief or passage, bad position or name)."""


@dataclass
class BriefItem:
    passage_id: str
    note: str = ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Brief:
    name: str
    title: str
    purpose: str
    items: list[BriefItem] = field(default_factory=list)
    lang: str = "es"
    created: str = field(default_factory=_now)
    updated: str = field(default_factory=_now)

    @property
    def passage_ids(self) -> list[str]:
        return [item.passage_id for item in self.items]

    def to_dict(self) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, **asdict(self)}


def slug(name: str) -> str:
    """The file-safe key of a brief name: lowercase ASCII letters, digits, '-' and '_' only."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    key = re.sub(r"[^a-z0-9_]+", "-", ascii_name.lower()).strip("-_")
    key = key[:MAX_SLUG].rstrip("-_")
    if not key:
        raise BriefError(f"{name!r} is not a usable brief name: use letters or digits")
    return key


def new_brief(name: str, title: str = "", purpose: str = "", lang: str = "es") -> Brief:
    """An empty brief; the title defaults to the name."""
    slug(name)  # refuse unusable names at once, not at the first save
    return Brief(name=name.strip(), title=title.strip() or name.strip(), purpose=purpose, lang=lang)


# --- pure edits -------------------------------------------------------------------------


def _index(brief: Brief, passage_id: str) -> int:
    for i, item in enumerate(brief.items):
        if item.passage_id == passage_id:
            return i
    raise BriefError(f"passage {passage_id!r} is not in brief {brief.name!r}")


def add_item(brief: Brief, passage_id: str, note: str = "") -> Brief:
    """Append a passage; adding one already present keeps its place and only updates a note."""
    passage_id = passage_id.strip()
    if not passage_id:
        raise BriefError("empty passage id")
    if passage_id in brief.passage_ids:
        return set_note(brief, passage_id, note) if note else brief
    return replace(brief, items=[*brief.items, BriefItem(passage_id, note)])


def remove_item(brief: Brief, passage_id: str) -> Brief:
    """The brief without `passage_id`."""
    i = _index(brief, passage_id)
    return replace(brief, items=brief.items[:i] + brief.items[i + 1 :])


def move_item(brief: Brief, passage_id: str, new_position: int) -> Brief:
    """Move a passage to `new_position` (1-based, as shown to people)."""
    i = _index(brief, passage_id)
    if not 1 <= new_position <= len(brief.items):
        raise BriefError(f"position must be between 1 and {len(brief.items)}, not {new_position}")
    items = brief.items[:i] + brief.items[i + 1 :]
    items.insert(new_position - 1, brief.items[i])
    return replace(brief, items=items)


def set_note(brief: Brief, passage_id: str, note: str) -> Brief:
    """Set (or clear, with '') the author's note on a passage."""
    i = _index(brief, passage_id)
    items = list(brief.items)
    items[i] = BriefItem(passage_id, note)
    return replace(brief, items=items)


def edit_brief(
    brief: Brief, title: str | None = None, purpose: str | None = None, lang: str | None = None
) -> Brief:
    """Change the title, purpose or language (None keeps the current value)."""
    return replace(
        brief,
        title=brief.title if title is None else title,
        purpose=brief.purpose if purpose is None else purpose,
        lang=brief.lang if lang is None else lang,
    )


# --- storage ----------------------------------------------------------------------------


def brief_path(name: str, folder: Path) -> Path:
    """Where the brief `name` lives; always a direct child of `folder`."""
    path = folder / f"{slug(name)}.json"
    # The slug alphabet already rules out separators and dots; this guards future edits.
    if path.resolve().parent != folder.resolve():
        raise BriefError(f"brief name {name!r} would leave the briefs folder")
    return path


def _from_dict(data: dict[str, Any], where: str) -> Brief:
    try:
        items = [BriefItem(str(i["passage_id"]), str(i.get("note", ""))) for i in data["items"]]
        return Brief(
            name=str(data["name"]),
            title=str(data.get("title", "")),
            purpose=str(data.get("purpose", "")),
            items=items,
            lang=str(data.get("lang", "es")),
            created=str(data.get("created", "")),
            updated=str(data.get("updated", "")),
        )
    except (KeyError, TypeError) as exc:
        raise BriefError(f"{where}: not a brief file ({exc})") from exc


def save_brief(brief: Brief, folder: Path) -> Brief:
    """Write `brief` atomically and return it stamped with the time of this save."""
    folder.mkdir(parents=True, exist_ok=True)
    path = brief_path(brief.name, folder)
    saved = replace(brief, updated=_now())
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(saved.to_dict(), fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # readers see the old brief or the new one, never half
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return saved


def brief_exists(name: str, folder: Path) -> bool:
    return brief_path(name, folder).exists()


def load_brief(name: str, folder: Path) -> Brief:
    """The brief saved under `name` (its slug); BriefError when there is none."""
    path = brief_path(name, folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = ", ".join(b.name for b in list_briefs(folder)) or "none yet"
        raise BriefError(f"no brief named {name!r} (briefs: {known})") from None
    except json.JSONDecodeError as exc:
        raise BriefError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise BriefError(f"{path}: not a brief file")
    return _from_dict(data, str(path))


def list_briefs(folder: Path) -> list[Brief]:
    """Every readable brief in `folder`, in file-name order; unreadable files are skipped."""
    if not folder.is_dir():
        return []
    briefs = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            briefs.append(_from_dict(data, str(path)))
        except (OSError, json.JSONDecodeError, BriefError, AttributeError):
            continue
    return briefs


def delete_brief(name: str, folder: Path) -> None:
    """Remove the brief `name`; BriefError when there is none."""
    path = brief_path(name, folder)
    try:
        path.unlink()
    except FileNotFoundError:
        raise BriefError(f"no brief named {name!r}") from None


# --- knowledge-base side ----------------------------------------------------------------

DRAFT_PURPOSE = {
    "es": "Reunir la evidencia disponible sobre: {query}",
    "en": "Gather the available evidence on: {query}",
}


def draft_brief(
    kb: KnowledgeBase,
    query: str,
    k: int = 8,
    lang: str = "es",
    filters: SearchFilters | None = None,
    name: str | None = None,
) -> Brief:
    """A brief holding the top `k` passages of a search for `query` (not saved)."""
    from kb.retrieval.search import search

    query = " ".join(query.split())
    if not query:
        raise BriefError("the query is empty")
    hits = search(kb, query, k=k, filters=filters)
    brief = new_brief(
        name or query[:60],
        title=query,
        purpose=DRAFT_PURPOSE.get(lang, DRAFT_PURPOSE["es"]).format(query=query),
        lang=lang,
    )
    for hit in hits:
        brief = add_item(brief, hit.passage.id)
    return brief


def _existing(kb: KnowledgeBase, passage_ids: Sequence[str]) -> dict[str, Passage]:
    # Only committed passages count: a half-ingested document is not citable.
    visible = kb.visible_ids()
    return {p.id: p for p in kb.store.get(list(passage_ids)) if p.id in visible}


def fetch_passages(kb: KnowledgeBase, brief: Brief) -> dict[str, Passage]:
    """The brief's passages that still exist in the knowledge base, by id."""
    return _existing(kb, brief.passage_ids)


def check_passage_ids(kb: KnowledgeBase, passage_ids: Sequence[str]) -> None:
    """BriefError naming every id the knowledge base does not know."""
    found = _existing(kb, passage_ids)
    unknown = [i for i in passage_ids if i not in found]
    if unknown:
        raise BriefError(f"unknown passage id(s): {', '.join(unknown)} (ids are shown by search)")


def brief_gaps(
    kb: KnowledgeBase, brief_passages: Sequence[Passage], taxonomy: Taxonomy | None = None
) -> list[tuple[str, str]]:
    """Empty (problem, outcome) cells of the evidence map for the brief's tags and countries."""
    from kb.retrieval.evidence_map import build_map
    from kb.tags.taxonomy import load_taxonomy

    problems = {t for p in brief_passages for t in p.tag_ids("problem")}
    outcomes = {t for p in brief_passages for t in p.tag_ids("outcome")}
    if not problems or not outcomes:
        return []
    countries = sorted({p.country for p in brief_passages if p.country})
    emap = build_map(kb.lexical.rows, "problem", "outcome", taxonomy or load_taxonomy(), countries)
    return [(r, c) for r, c in emap.gaps() if r in problems and c in outcomes]
