"""`clusterkb users`: the app's users and roles (password users, identity-provider roles).

Whoever runs the CLI on the server acts as the local admin: access to the machine and its
data folder already gives every power, so the commands ask for no sign-in.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from clusterkb.cli.common import console, fail, write_json
from kb.config import Settings, get_settings
from kb.workspace.roles import ROLE_NAMES, Actor, Role, local_admin, require
from kb.workspace.users import (
    MIN_PASSWORD,
    UnknownUser,
    UserError,
    Users,
    add_user,
    hash_password,
    load_users,
    remove_user,
    save_users,
    set_password,
    set_role,
    user_key,
)

users_app = typer.Typer(no_args_is_help=True)
ROLES_HELP = f"One of: {', '.join(ROLE_NAMES)}."


def cli_actor(user: str | None = None) -> Actor:
    """The person at the terminal: the local admin, named by --user, CLUSTERKB_USER or login."""
    return local_admin(user or get_settings().user)


def _role(name: str) -> Role:
    try:
        return Role.parse(name)
    except ValueError as exc:
        raise fail(str(exc)) from exc


def _load(settings: Settings) -> Users:
    require(cli_actor(), "users.manage")
    try:
        return load_users(settings.users_path)
    except UserError as exc:
        raise fail(str(exc)) from exc


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(
        typer.prompt(
            f"Password (at least {MIN_PASSWORD} characters)",
            hide_input=True,
            confirmation_prompt=True,
        )
    )


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The user name they sign in with.")],
    role: Annotated[str, typer.Option(help=ROLES_HELP)] = "reader",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a password user (the password is asked twice, or read from standard input)."""
    settings = get_settings()
    chosen = _role(role)
    users = _load(settings)
    try:
        users = add_user(users, name, chosen, hash_password(_read_password(password_stdin)))
    except UserError as exc:
        raise fail(str(exc)) from exc
    save_users(settings.users_path, users)
    console.print(f"Added {escape(name.strip())} as {chosen.label}.")
    if settings.auth != "password":
        console.print(
            f"[yellow]CLUSTERKB_AUTH is {settings.auth}: set CLUSTERKB_AUTH=password for the "
            "app to ask for these passwords.[/yellow]"
        )


@users_app.command("passwd")
def passwd(
    name: Annotated[str, typer.Argument(help="The user name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Change a user's password (asked twice, or read from standard input)."""
    settings = get_settings()
    users = _load(settings)
    if user_key(name) not in users:  # before asking for a password
        raise fail(f"no user named {name.strip()!r}")
    try:
        users = set_password(users, name, hash_password(_read_password(password_stdin)))
    except UserError as exc:
        raise fail(str(exc)) from exc
    save_users(settings.users_path, users)
    console.print(f"Changed the password of {escape(users[user_key(name)].name)}.")


@users_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The user name.")]) -> None:
    """Remove a user: their sessions end at their next click. The last admin stays."""
    settings = get_settings()
    try:
        users = remove_user(_load(settings), name)
    except UserError as exc:
        raise fail(str(exc)) from exc
    save_users(settings.users_path, users)
    console.print(f"Removed {escape(name.strip())}.")


@users_app.command("set-role")
def change_role(
    name: Annotated[str, typer.Argument(help="A user name, or an identity-provider e-mail.")],
    role: Annotated[str, typer.Argument(help=ROLES_HELP)],
) -> None:
    """Change a user's role; with CLUSTERKB_AUTH=oidc, give an e-mail address its role."""
    settings = get_settings()
    chosen = _role(role)
    try:
        users = set_role(_load(settings), name, chosen, create=settings.auth == "oidc")
    except UnknownUser as exc:
        hint = " (for an identity-provider user, run with CLUSTERKB_AUTH=oidc)"
        raise fail(str(exc) + hint) from exc
    except UserError as exc:
        raise fail(str(exc)) from exc
    save_users(settings.users_path, users)
    console.print(f"{escape(users[user_key(name)].name)} is now {chosen.label}.")


@users_app.command("list")
def list_users(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every user with their role and how they sign in."""
    settings = get_settings()
    users = sorted(_load(settings).values(), key=lambda u: user_key(u.name))
    rows = [
        {
            "name": u.name,
            "role": u.role.label,
            "sign_in": "password" if u.password_hash else "identity provider",
            "added": u.added,
        }
        for u in users
    ]
    if as_json:
        write_json(rows)
        return
    if not rows:
        console.print("No users yet: add one with `clusterkb users add NAME --role admin`.")
        return
    table = Table("name", "role", "sign-in", "added")
    for row in rows:
        table.add_row(*(escape(v) for v in row.values()))
    console.print(table)
    console.print(f"CLUSTERKB_AUTH is {settings.auth}; users file: {settings.users_path}")
