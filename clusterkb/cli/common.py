"""What every command shares: the consoles, the error exit, opening the knowledge base."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from kb.config import get_settings

if TYPE_CHECKING:
    from kb.storage.knowledge import KnowledgeBase

console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `message` as an error on stderr; returns the exit for the caller to raise."""
    err.print(f"[red]Error:[/red] {escape(message)}")
    return typer.Exit(code)


def open_kb_or_exit(allow_model_change: bool = False) -> KnowledgeBase:
    """Open the knowledge base or exit with the store's own explanation."""
    from kb.storage.knowledge import open_kb
    from kb.storage.vectors import StoreError

    try:
        return open_kb(get_settings(), allow_model_change=allow_model_change)
    except StoreError as exc:
        raise fail(str(exc)) from exc


def shown(path: str) -> str:
    """A file name safe for the terminal: no markup, no control characters."""
    from ingest.errors import display_name

    return escape(display_name(path))


def write_json(data: object) -> None:
    """Print `data` as indented JSON on stdout, non-ASCII letters kept."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
