"""The model and the store, opened once per process and per configuration."""

from __future__ import annotations

import streamlit as st

from kb.config import Settings
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
