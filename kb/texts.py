"""Texts people translate, read from YAML (one table per language) with one fallback rule.

A key is looked up in the requested language, then in Spanish; a key in neither stands for
itself. Every bilingual table (app, quiz, brief headings) is a `Texts` over its own file.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from kb.files import read_yaml

FALLBACK_LANG = "es"
"""The language every table is complete in, and the one a missing text falls back to."""


class TextsError(ValueError):
    """A texts file that cannot be read or is not `{lang: {key: text}}`."""


class _Table(dict[str, str]):
    """One language's texts (Spanish filled in); a key in neither is its own text."""

    def __missing__(self, key: str) -> str:
        return key


class Texts:
    """The texts of one YAML file, read on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @cached_property
    def tables(self) -> dict[str, dict[str, str]]:
        """Language code -> that language's texts, exactly as the file has them."""
        return load_tables(self.path)

    @property
    def langs(self) -> tuple[str, ...]:
        """The languages of the file, in its order."""
        return tuple(self.tables)

    def get(self, key: str, lang: str = FALLBACK_LANG, **values: Any) -> str:
        """`key` in `lang` (then Spanish, then the key itself), formatted with `values` if any."""
        text = self.tables.get(lang, {}).get(key)
        if text is None:
            text = self.tables[FALLBACK_LANG].get(key, key)
        return text.format(**values) if values else text

    def table(self, lang: str) -> dict[str, str]:
        """All texts of `lang` as a dict that falls back like `get` (for code that indexes)."""
        return _Table({**self.tables[FALLBACK_LANG], **self.tables.get(lang, {})})


def load_tables(path: Path) -> dict[str, dict[str, str]]:
    """The `{lang: {key: text}}` tables of a YAML file; TextsError names what is wrong."""
    data = read_yaml(path, TextsError)
    if not isinstance(data, dict) or FALLBACK_LANG not in data:
        raise TextsError(f"{path}: expected one table per language, {FALLBACK_LANG!r} among them")
    tables: dict[str, dict[str, str]] = {}
    for lang, table in data.items():
        if not isinstance(table, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in table.items()
        ):
            raise TextsError(f"{path}: the {lang!r} table must map keys to texts")
        tables[str(lang)] = table
    return tables
