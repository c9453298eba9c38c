"""Recommendation briefs: a title, a purpose and an ordered basket of cited passages.

Editing functions are pure (they return a new `Brief`); storage keeps one JSON file per brief
in the briefs folder, written atomically, under a slug that can never leave that folder.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kb.files import atomic_write_text

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
    # Readers see the old brief or the new one, never half.
    atomic_write_text(path, json.dumps(saved.to_dict(), ensure_ascii=False, indent=1))
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
