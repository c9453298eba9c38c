"""The model and the store, opened once per process and per configuration, and what is built
from the store alone (the learning path), built once for every session until the store changes."""

from __future__ import annotations

import os
from collections.abc import Hashable

import streamlit as st

from kb.config import Settings
from kb.learning.path import PathStep, build_path
from kb.storage.keyword_index import stamp as index_stamp
from kb.storage.knowledge import KnowledgeBase, open_kb
from kb.tags.taxonomy import Taxonomy, load_taxonomy


def current_settings() -> Settings:
    """Settings read from the environment now (cheap; tests point CLUSTERKB_HOME elsewhere)."""
    return Settings()


@st.cache_resource(show_spinner=False, max_entries=4)
def _open(settings_json: str) -> KnowledgeBase:
    # Keyed on the whole configuration: a session never sees a store opened for another home.
    return open_kb(Settings.model_validate_json(settings_json))


def get_kb(settings: Settings | None = None) -> KnowledgeBase:
    """The knowledge base for `settings` (default: the environment), shared by all sessions."""
    return _open((settings or current_settings()).model_dump_json())


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
    # `version` only keys the cache: a store that changed gets its path built anew.
    return tuple(build_path(_open(settings_json), lang))


def learning_path(lang: str, settings: Settings | None = None) -> tuple[PathStep, ...]:
    """The learning path's steps with their passages, shared by all sessions (read-only)."""
    settings = settings or current_settings()
    return _learning_path(settings.model_dump_json(), lang, store_version(settings))
