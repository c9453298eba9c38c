"""The interface language of a session and its strings, read from `translations.yaml`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from kb.texts import FALLBACK_LANG, Texts

TEXTS = Texts(Path(__file__).with_name("translations.yaml"))
"""Every string of the interface, one table per language; tag labels come from the taxonomy."""
LANG_KEY = "lang"
"""Session-state key of the language switch."""
LANGS: tuple[str, ...] = TEXTS.langs
DEFAULT_LANG = FALLBACK_LANG
ES: dict[str, str] = TEXTS.tables["es"]
EN: dict[str, str] = TEXTS.tables["en"]


def translate(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """`key` in `lang` (Spanish when the language or the key is missing there), formatted."""
    return TEXTS.get(key, lang, **values)


def lang() -> str:
    """The interface language of this session ('es' unless switched)."""
    value = st.session_state.get(LANG_KEY, DEFAULT_LANG)
    return value if value in LANGS else DEFAULT_LANG


def t(key: str, **values: Any) -> str:
    """The interface string `key` in this session's language."""
    return translate(key, lang(), **values)


def tn(key: str, n: int, **values: Any) -> str:
    """`key` said of `n` things: its `key_one` form for one and `key_other` otherwise (as
    `kb/briefs/labels.yaml` does), with `{n}` filled; a key without such forms as it is."""
    form = f"{key}_one" if n == 1 else f"{key}_other"
    return t(form if form in ES else key, n=n, **values)
