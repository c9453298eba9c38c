"""The model and the store, opened once per process and per configuration, and what is built
from the store alone (the learning path), built once for every session until the store changes.

`start_warm_up` loads all of it in a background thread when the server starts, so the first
page a user opens finds it ready (a page asking for it sooner waits for that same load)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Hashable, Sequence

import streamlit as st

from kb.config import Settings
from kb.learning.path import PathStep, build_path
from kb.storage.keyword_index import stamp as index_stamp
from kb.storage.knowledge import KnowledgeBase, open_kb
from kb.tags.taxonomy import Taxonomy, load_taxonomy

LOG = logging.getLogger(__name__)
WARM_UP_QUERY = "coordinación de los actores del clúster"
"""A search run once at start: loads the encoder's session, the vector and keyword indexes and
the stemmers, which a first search would otherwise load."""
WARM_UP_LANGS = ("es", "en")
"""Languages whose learning path is built at start (the interface's default first)."""


def current_settings() -> Settings:
    """Settings read from the environment now (cheap; tests point CLUSTERKB_HOME elsewhere)."""
    return Settings()


def settings_key(settings: Settings) -> str:
    """The configuration as a cache key: only the values given (environment, arguments), so
    the store opened from it still knows which ones were left to their defaults (a store
    built with another bundled encoder keeps it unless one is configured)."""
    return settings.model_dump_json(exclude_unset=True)


@st.cache_resource(show_spinner=False, max_entries=4)
def _open(settings_json: str) -> KnowledgeBase:
    # Keyed on the whole configuration: a session never sees a store opened for another home.
    return open_kb(Settings.model_validate_json(settings_json))


def get_kb(settings: Settings | None = None) -> KnowledgeBase:
    """The knowledge base for `settings` (default: the environment), shared by all sessions."""
    return _open(settings_key(settings or current_settings()))


def get_taxonomy() -> Taxonomy:
    return load_taxonomy()


def store_version(settings: Settings) -> Hashable:
    """Changes whenever what a search can find changes: the manifest (every ingest or removal
    commits it) and the keyword index (tag corrections rewrite it). Atomic saves replace the
    files, so a save always gives a new identity."""
    try:
        info = os.stat(settings.manifest_path)
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size, index_stamp(settings.bm25_path))


@st.cache_resource(show_spinner=False, max_entries=8)
def _learning_path(settings_json: str, lang: str, version: Hashable) -> tuple[PathStep, ...]:
    # `version` only keys the cache: a store that changed gets its path built anew. The page
    # shows no answering sentences, so none are computed.
    return tuple(build_path(_open(settings_json), lang, highlights=False))


def learning_path(lang: str, settings: Settings | None = None) -> tuple[PathStep, ...]:
    """The learning path's steps with their passages, shared by all sessions (read-only)."""
    settings = settings or current_settings()
    return _learning_path(settings_key(settings), lang, store_version(settings))


def warm_up(settings: Settings | None = None, langs: Sequence[str] = WARM_UP_LANGS) -> None:
    """Load what the first pages need: the store and its encoder (with one search through
    every part of it) and the learning path in `langs`."""
    from kb.retrieval.search import search

    settings = settings or current_settings()
    kb = get_kb(settings)
    search(kb, WARM_UP_QUERY, k=1)
    for lang in langs:
        learning_path(lang, settings)


def _warm_up_logged(settings: Settings | None) -> None:
    try:
        warm_up(settings)
    except Exception:  # the page that opens the store shows why it cannot be opened
        LOG.warning("warm-up stopped", exc_info=True)


def start_warm_up(settings: Settings | None = None) -> threading.Thread:
    """`warm_up` in a daemon thread: the server answers meanwhile."""
    thread = threading.Thread(
        target=_warm_up_logged, args=(settings,), name="clusterkb-warm-up", daemon=True
    )
    thread.start()
    return thread
