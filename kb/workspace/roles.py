"""Roles and permissions: the one place that says who may do what.

Every write path of the library takes an `Actor` and calls `require` before it touches the
data folder, so a permission holds on the server side whatever the app shows or hides.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from enum import IntEnum


class Role(IntEnum):
    """Ordered: each role may do everything the roles below it may."""

    READER = 1
    EDITOR = 2
    ADMIN = 3

    @classmethod
    def parse(cls, name: str) -> Role:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            names = ", ".join(r.name.lower() for r in cls)
            raise ValueError(f"unknown role {name!r}: use one of {names}") from None

    @property
    def label(self) -> str:
        return self.name.lower()


ROLE_NAMES: tuple[str, ...] = tuple(r.label for r in Role)


# What each action needs. Readers search, compare, learn and keep their own briefs.
PERMISSIONS: dict[str, Role] = {
    "search": Role.READER,
    "brief.own": Role.READER,
    "upload": Role.EDITOR,
    "ingest": Role.EDITOR,
    "doc.metadata": Role.EDITOR,
    "tags.correct": Role.EDITOR,
    "tags.train": Role.EDITOR,
    "doc.remove": Role.ADMIN,
    "users.manage": Role.ADMIN,
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: the signed-in user's name and role (a CLI run acts as the local admin)."""

    name: str
    role: Role

    def may(self, action: str) -> bool:
        return self.role >= PERMISSIONS[action]


class PermissionDenied(PermissionError):
    """The actor's role does not allow the action."""

    def __init__(self, actor: Actor, action: str) -> None:
        self.actor = actor
        self.action = action
        needed = PERMISSIONS[action].label
        super().__init__(f"{actor.name} ({actor.role.label}) may not {action}: needs {needed}")


def require(actor: Actor, action: str) -> None:
    """Raise `PermissionDenied` unless the actor may perform the action."""
    if not actor.may(action):
        raise PermissionDenied(actor, action)


class NoActor(PermissionDenied):
    """A write path was called in the server without anyone signed in to act."""

    def __init__(self, action: str) -> None:
        PermissionError.__init__(self, f"nobody is signed in to {action}")
        self.actor = None  # type: ignore[assignment]
        self.action = action


def local_user() -> str:
    """Who runs this process: `CLUSTERKB_USER` when set, else the operating-system login."""
    return os.environ.get("CLUSTERKB_USER") or getpass.getuser()


def local_admin(name: str | None = None) -> Actor:
    """The person at the machine (a CLI run): whoever can run commands here owns the data."""
    return Actor(name or local_user(), Role.ADMIN)


# The app sets the signed-in actor for each script run, so a write path called without one
# still acts as that person; inside the app with nobody set (a callback runs before the
# sign-in check), it is refused rather than run as the local admin.
_ACTING: ContextVar[Actor | None] = ContextVar("clusterkb_acting", default=None)
_IN_APP: list[Callable[[], bool]] = []


def act_as(actor: Actor) -> None:
    """Make `actor` the one acting for the rest of this thread's work."""
    _ACTING.set(actor)


def serving(in_app: Callable[[], bool]) -> None:
    """Tell the library how to recognise a call made by the app (`in_app()` is true in its
    script runs): there, no write path falls back to the local admin."""
    _IN_APP[:] = [in_app]


def acting(actor: Actor | None, action: str, user: str | None = None) -> Actor:
    """The actor of a write path, checked for `action`: the one given, else the one set by
    `act_as`, else (outside the app) the local admin named `user`."""
    who = actor or _ACTING.get()
    if who is None:
        if any(check() for check in _IN_APP):
            raise NoActor(action)
        who = local_admin(user)
    require(who, action)
    return who
