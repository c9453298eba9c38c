"""The workspace's users: names, roles and salted Argon2 password hashes in the data folder.

One JSON file (`Settings.users_path`) holds every user. A password user has a hash; a user
who signs in through the organisation's identity provider (OIDC) has a role only, under the
e-mail address the provider gives. Only the CLI writes the file; the app reads it on every
sign-in and script run, so a removal or a role change applies at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kb.files import atomic_write_text
from kb.workspace.roles import Actor, Role

MIN_PASSWORD = 10
MAX_NAME = 120
FILE_VERSION = 1
# Argon2id with the library's recommended parameters (RFC 9106 low-memory profile): a salted
# hash that takes tens of milliseconds and 64 MiB to compute, so guessing is slow.
_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Checked when the name is unknown, so a wrong name takes as long as a wrong password."""
    return _HASHER.hash("not a password of anyone")


class UserError(ValueError):
    """A user cannot be added, changed or read; the message says why."""


class UnknownUser(UserError):
    """No user has that name."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    password_hash: str = ""
    """Empty for a user who signs in through the identity provider."""
    added: str = ""

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.role)


Users = Mapping[str, User]
"""Users by `user_key` of their name."""


def user_key(name: str) -> str:
    """Names are matched without regard to case ("Ana" and "ana" are one user)."""
    return name.strip().casefold()


def check_name(name: str) -> str:
    """The name trimmed; raises `UserError` for an empty, over-long or spaced name."""
    clean = name.strip()
    if not clean:
        raise UserError("the user name is empty")
    if len(clean) > MAX_NAME:
        raise UserError(f"the user name is longer than {MAX_NAME} characters")
    if any(c.isspace() or not c.isprintable() for c in clean):
        raise UserError(f"the user name {clean!r} has spaces or control characters")
    return clean


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")


def hash_password(password: str) -> str:
    """A salted Argon2id hash of `password` (the salt is inside the hash string)."""
    check_password(password)
    return _HASHER.hash(password)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def add_user(users: Users, name: str, role: Role, password_hash: str, when: str = "") -> Users:
    """`users` with a new password user; an existing name is an error (use `set_role`)."""
    clean = check_name(name)
    existing = users.get(user_key(clean))
    if existing is not None and existing.password_hash:
        raise UserError(f"user {existing.name!r} exists: remove it first or change its role")
    return {**users, user_key(clean): User(clean, role, password_hash, when or now())}


def _found(users: Users, name: str) -> User:
    found = users.get(user_key(name))
    if found is None:
        raise UnknownUser(f"no user named {name.strip()!r}")
    return found


def _keep_an_admin(users: Users, leaving: User) -> None:
    """Refuse to take the admin role from its last holder: nobody could then manage users or
    remove documents from the app."""
    if leaving.role is not Role.ADMIN:
        return
    others = [u for k, u in users.items() if k != user_key(leaving.name) and u.role is Role.ADMIN]
    if not others:
        raise UserError(
            f"{leaving.name!r} is the last admin: make another user admin first "
            "(`clusterkb users set-role NAME admin`)"
        )


def remove_user(users: Users, name: str) -> Users:
    """`users` without `name`; the last admin cannot be removed."""
    found = _found(users, name)
    _keep_an_admin(users, found)
    return {k: u for k, u in users.items() if k != user_key(found.name)}


def set_password(users: Users, name: str, password_hash: str) -> Users:
    """`users` with a new password hash for `name` (an identity-provider user given one can
    also sign in with it when CLUSTERKB_AUTH=password)."""
    found = _found(users, name)
    return {**users, user_key(found.name): replace(found, password_hash=password_hash)}


def set_role(users: Users, name: str, role: Role, *, create: bool = False) -> Users:
    """`users` with `name` given `role`; with `create`, an unknown name (an identity-provider
    user's e-mail) is added without a password. The last admin keeps the role."""
    key = user_key(name)
    found = users.get(key)
    if found is None:
        if not create:
            raise UnknownUser(f"no user named {name.strip()!r}: add it with `clusterkb users add`")
        return {**users, key: User(check_name(name), role, "", now())}
    if role is not Role.ADMIN:
        _keep_an_admin(users, found)
    return {**users, key: replace(found, role=role)}


def verify(users: Users, name: str, password: str) -> Actor | None:
    """The signed-in actor when `password` is the user's, else None (also for a user without a
    password, who signs in through the identity provider)."""
    found = users.get(user_key(name))
    stored = found.password_hash if found and found.password_hash else _dummy_hash()
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return found.actor if found and found.password_hash else None


def role_of(users: Users, name: str, default: Role | None = None) -> Role | None:
    """The role of `name`, or `default` when the file does not name it."""
    found = users.get(user_key(name))
    return found.role if found else default


# --- the file -------------------------------------------------------------------------


def _decode(raw: object, path: Path) -> User:
    if not isinstance(raw, dict):
        raise UserError(f"{path}: a user entry is not an object")
    try:
        return User(
            name=str(raw["name"]),
            role=Role.parse(str(raw["role"])),
            password_hash=str(raw.get("password_hash", "")),
            added=str(raw.get("added", "")),
        )
    except (KeyError, ValueError) as exc:
        raise UserError(f"{path}: a user entry is not valid: {exc}") from exc


def load_users(path: Path) -> Users:
    """Every user in the file (none when it does not exist yet)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot read the users file: {exc}") from exc
    entries = data.get("users") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise UserError(f"{path}: not a users file (no list of users)")
    users = [_decode(raw, path) for raw in entries]
    return {user_key(u.name): u for u in users}


def save_users(path: Path, users: Users) -> None:
    """Replace the file in one step, readable by its owner only (it holds password hashes)."""
    entries = [
        {"name": u.name, "role": u.role.label, "password_hash": u.password_hash, "added": u.added}
        for u in sorted(users.values(), key=lambda u: user_key(u.name))
    ]
    text = json.dumps({"version": FILE_VERSION, "users": entries}, ensure_ascii=False, indent=1)
    atomic_write_text(path, text + "\n")
    os.chmod(path, 0o600)


# --- slowing down guessing ------------------------------------------------------------

MAX_FAILURES = 5
FAILURE_WINDOW_S = 600.0


def wait_before_retry(failures: list[float], now_s: float) -> float:
    """Seconds a name must wait before the next attempt: after `MAX_FAILURES` failed
    sign-ins within `FAILURE_WINDOW_S`, until the oldest of them leaves the window."""
    recent = sorted(f for f in failures if now_s - f < FAILURE_WINDOW_S)
    if len(recent) < MAX_FAILURES:
        return 0.0
    return recent[-MAX_FAILURES] + FAILURE_WINDOW_S - now_s
