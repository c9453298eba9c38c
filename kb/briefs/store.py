"""Saved briefs: one JSON file per brief in the briefs folder, each with an owner.

A brief is known by an id (its file name), not by its title, so two people may both keep an
"informe". Every save carries the revision it was based on: a save made from a stale copy is
refused (`BriefConflict`) instead of replacing what someone else saved in between. The check
and the write happen under one lock of the folder, and the write is atomic.

Who may do what: everyone with `brief.own` keeps their own briefs; a shared brief is readable
by all and changed only by its owner (others duplicate it into their own); an admin may read
and delete any brief. Files written before briefs had owners load as the local user's.
"""

from __future__ import annotations

import fcntl
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kb.briefs.brief import Brief, BriefError, _now, slug
from kb.files import atomic_write_text
from kb.workspace.roles import Actor, Role, acting, local_user

STORE_VERSION = 2
ACTION = "brief.own"
LOCK_NAME = ".briefs.lock"
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")


class BriefConflict(BriefError):
    """The brief changed since it was read (another tab, user or command saved it)."""

    code = "conflict"


class NotOwner(BriefError):
    """The brief belongs to someone else: readable when shared, never changeable."""

    code = "not_owner"


@dataclass(frozen=True)
class StoredBrief:
    """A saved brief and what the store knows about it."""

    id: str
    owner: str
    brief: Brief
    shared: bool = False
    revision: int = 0
    created: str = ""
    updated: str = ""

    @property
    def name(self) -> str:
        return self.brief.name

    def owned_by(self, actor: Actor) -> bool:
        return self.owner == actor.name

    def visible_to(self, actor: Actor) -> bool:
        return self.shared or self.owned_by(actor) or actor.role >= Role.ADMIN


# --- files ------------------------------------------------------------------------------


def brief_file(brief_id: str, folder: Path) -> Path:
    """Where the brief `brief_id` lives; always a direct child of `folder`."""
    if not _ID.fullmatch(brief_id):
        raise BriefError(f"{brief_id!r} is not a brief id", "not_found", ref=brief_id)
    return folder / f"{brief_id}.json"


def _new_id(folder: Path) -> str:
    while True:
        brief_id = secrets.token_hex(6)
        if not brief_file(brief_id, folder).exists():
            return brief_id


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One writer at a time in the folder, across processes (app and CLI)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK_NAME).open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _from_dict(data: dict[str, Any], brief_id: str, where: str) -> StoredBrief:
    try:
        if "brief" not in data:  # a file from before owners: the brief itself, flat
            brief = Brief.from_dict(data)
            return StoredBrief(
                brief_id, local_user(), brief, created=brief.created, updated=brief.updated
            )
        return StoredBrief(
            id=brief_id,
            owner=str(data["owner"]),
            brief=Brief.from_dict(data["brief"]),
            shared=bool(data.get("shared", False)),
            revision=int(data.get("revision", 0)),
            created=str(data.get("created", "")),
            updated=str(data.get("updated", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BriefError(f"{where}: not a brief file ({exc})", "unreadable") from exc


def _to_dict(record: StoredBrief) -> dict[str, Any]:
    return {
        "version": STORE_VERSION,
        "id": record.id,
        "owner": record.owner,
        "shared": record.shared,
        "revision": record.revision,
        "created": record.created,
        "updated": record.updated,
        "brief": record.brief.to_dict(),
    }


def _read(brief_id: str, folder: Path) -> StoredBrief | None:
    path = brief_file(brief_id, folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as exc:
        raise BriefError(f"{path.name}: cannot be read ({exc})", "unreadable") from exc
    if not isinstance(data, dict):
        raise BriefError(f"{path.name}: not a brief file", "unreadable")
    return _from_dict(data, brief_id, path.name)


def _write(record: StoredBrief, folder: Path) -> None:
    text = json.dumps(_to_dict(record), ensure_ascii=False, indent=1)
    atomic_write_text(brief_file(record.id, folder), text)


def _all(folder: Path) -> list[StoredBrief]:
    """Every readable brief in `folder`; unreadable files are skipped."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            record = _read(path.stem, folder)
        except BriefError:
            continue
        if record is not None:
            found.append(record)
    return found


# --- reading ----------------------------------------------------------------------------


def get(brief_id: str, folder: Path, actor: Actor | None = None) -> StoredBrief:
    """The brief `brief_id` as saved now, if the actor may read it."""
    who = acting(actor, ACTION)
    record = _read(brief_id, folder)
    if record is None or not record.visible_to(who):
        raise BriefError(f"no brief {brief_id!r}", "not_found", ref=brief_id)
    return record


def list_visible(
    folder: Path, actor: Actor | None = None, everyone: bool = False
) -> list[StoredBrief]:
    """The actor's own briefs and the shared ones (all of them for an admin asking for
    `everyone`), most recently changed first."""
    who = acting(actor, ACTION)
    show_all = everyone and who.role >= Role.ADMIN
    found = [r for r in _all(folder) if show_all or r.owned_by(who) or r.shared]
    return sorted(found, key=lambda r: r.updated, reverse=True)


def find(ref: str, folder: Path, actor: Actor | None = None) -> StoredBrief:
    """A brief by its id or by its name: the actor's own first, then the shared ones."""
    who = acting(actor, ACTION)
    if _ID.fullmatch(ref):
        record = _read(ref, folder)
        if record is not None and record.visible_to(who):
            return record
    key = _key(ref)
    visible = list_visible(folder, who)  # others' private briefs only by id (admins)
    for group in ([r for r in visible if r.owned_by(who)], visible):
        named = [r for r in group if _key(r.name) == key]
        if len(named) == 1:
            return named[0]
        if named:
            ids = ", ".join(f"{r.id} ({r.owner})" for r in named)
            raise BriefError(
                f"several briefs are named {ref!r}: use an id ({ids})", "ambiguous", ref=ref
            )
    mine = ", ".join(r.name for r in visible if r.owned_by(who)) or "none yet"
    raise BriefError(f"no brief named {ref!r} (your briefs: {mine})", "not_found", ref=ref)


def _key(name: str) -> str | None:
    try:
        return slug(name)
    except BriefError:
        return None


def free_name(folder: Path, owner: str, wanted: str) -> str:
    """`wanted`, or `wanted (2)`, `(3)`… : a name none of the owner's briefs has."""
    taken = {_key(r.name) for r in _all(folder) if r.owner == owner}
    name, n = wanted, 1
    while _key(name) in taken:
        n += 1
        name = f"{wanted} ({n})"
    return name


# --- writing ----------------------------------------------------------------------------


def _name_free(folder: Path, record: StoredBrief) -> None:
    key = slug(record.name)
    for other in _all(folder):
        if other.owner == record.owner and other.id != record.id and _key(other.name) == key:
            raise BriefError(
                f"you already have a brief named {record.name!r}", "name_taken", name=record.name
            )


def _mine(record: StoredBrief, who: Actor) -> None:
    if not record.owned_by(who):
        raise NotOwner(
            f"brief {record.name!r} belongs to {record.owner}: duplicate it to change a copy",
            name=record.name,
            owner=record.owner,
        )


def create(
    brief: Brief, folder: Path, actor: Actor | None = None, shared: bool = False
) -> StoredBrief:
    """Save `brief` as a new brief of the actor; refused if they have one of that name."""
    who = acting(actor, ACTION)
    with _locked(folder):
        now = _now()
        record = StoredBrief(
            id=_new_id(folder),
            owner=who.name,
            brief=replace(brief, created=now, updated=now),
            shared=shared,
            revision=1,
            created=now,
            updated=now,
        )
        _name_free(folder, record)
        _write(record, folder)
    return record


def save(record: StoredBrief, folder: Path, actor: Actor | None = None) -> StoredBrief:
    """Save a changed brief over the revision it was read at; `BriefConflict` when the saved
    one has moved on since, so nothing saved meanwhile is lost."""
    who = acting(actor, ACTION)
    with _locked(folder):
        current = _read(record.id, folder)
        if current is None:
            raise BriefError(f"brief {record.name!r} was deleted", "deleted", name=record.name)
        _mine(current, who)
        if current.revision != record.revision:
            raise BriefConflict(
                f"brief {record.name!r} was changed elsewhere (revision {current.revision}, "
                f"this copy is {record.revision}); reopen it to see the changes",
                name=record.name,
            )
        now = _now()
        saved = replace(
            record,
            owner=current.owner,
            shared=current.shared,
            brief=replace(record.brief, updated=now),
            revision=current.revision + 1,
            created=current.created,
            updated=now,
        )
        _name_free(folder, saved)
        _write(saved, folder)
    return saved


def _change(
    brief_id: str, folder: Path, who: Actor, **changes: Any
) -> StoredBrief:  # metadata edits that never conflict with content edits
    with _locked(folder):
        current = _read(brief_id, folder)
        if current is None or not current.visible_to(who):
            raise BriefError(f"no brief {brief_id!r}", "not_found", ref=brief_id)
        _mine(current, who)
        changed = replace(current, revision=current.revision + 1, updated=_now(), **changes)
        _name_free(folder, changed)
        _write(changed, folder)
    return changed


def rename(brief_id: str, name: str, folder: Path, actor: Actor | None = None) -> StoredBrief:
    """Give the actor's brief another name (its title follows when it was the name)."""
    who = acting(actor, ACTION)
    name = name.strip()
    slug(name)
    current = get(brief_id, folder, who)
    title = name if current.brief.title == current.brief.name else current.brief.title
    return _change(brief_id, folder, who, brief=replace(current.brief, name=name, title=title))


def set_shared(
    brief_id: str, shared: bool, folder: Path, actor: Actor | None = None
) -> StoredBrief:
    """Share the actor's brief with everyone (read-only to them) or stop sharing it."""
    return _change(brief_id, folder, acting(actor, ACTION), shared=shared)


def duplicate(
    brief_id: str, folder: Path, actor: Actor | None = None, name: str | None = None
) -> StoredBrief:
    """A copy of a brief the actor may read, owned by the actor and not shared."""
    who = acting(actor, ACTION)
    source = get(brief_id, folder, who)
    wanted = free_name(folder, who.name, name.strip() if name else source.name)
    return create(replace(source.brief, name=wanted), folder, who)


def delete(brief_id: str, folder: Path, actor: Actor | None = None) -> StoredBrief:
    """Remove a brief: its owner may, and so may an admin."""
    who = acting(actor, ACTION)
    with _locked(folder):
        current = _read(brief_id, folder)
        if current is None or not current.visible_to(who):
            raise BriefError(f"no brief {brief_id!r}", "not_found", ref=brief_id)
        if who.role < Role.ADMIN:
            _mine(current, who)
        brief_file(brief_id, folder).unlink()
    return current


# --- by name, for commands that name a brief (`clusterkb brief show NAME`) --------------


def brief_exists(name: str, folder: Path, actor: Actor | None = None) -> bool:
    """Whether the actor has a brief named `name`."""
    who = acting(actor, ACTION)
    return any(r.owned_by(who) and _key(r.name) == _key(name) for r in _all(folder))


def load_brief(ref: str, folder: Path, actor: Actor | None = None) -> Brief:
    """The brief with this id or name (see `find`)."""
    return find(ref, folder, actor).brief


def save_brief(brief: Brief, folder: Path, actor: Actor | None = None) -> Brief:
    """Save the actor's brief named `brief.name`: a new one, or over their own of that name."""
    who = acting(actor, ACTION)
    for record in _all(folder):
        if record.owned_by(who) and _key(record.name) == slug(brief.name):
            return save(replace(record, brief=brief), folder, who).brief
    return create(brief, folder, who).brief


def brief_path(ref: str, folder: Path, actor: Actor | None = None) -> Path:
    """The file of the brief with this id or name."""
    return brief_file(find(ref, folder, actor).id, folder)


def list_briefs(folder: Path, actor: Actor | None = None) -> list[Brief]:
    """The briefs the actor sees (own and shared), most recently changed first."""
    return [r.brief for r in list_visible(folder, actor)]
