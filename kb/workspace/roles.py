"""Roles and permissions: the one place that says who may do what.

Every write path of the library takes an `Actor` and calls `require` before it touches the
data folder, so a permission holds on the server side whatever the app shows or hides.
"""

from __future__ import annotations

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
