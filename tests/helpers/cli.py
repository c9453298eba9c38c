"""Point the `clusterkb` command at a test knowledge base (same folder, same hashing encoder)."""

from __future__ import annotations

import pytest

from kb.config import get_settings
from kb.storage.knowledge import KnowledgeBase
from tests.conftest import HashingEmbedder


def point_cli_at(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    """Environment and encoder so that the command opens `kb`; undone with `monkeypatch`
    (the caller clears `get_settings`' cache again afterwards)."""
    monkeypatch.setenv("CLUSTERKB_HOME", str(kb.settings.home))
    monkeypatch.setenv("CLUSTERKB_CHUNK_TOKENS", str(kb.settings.chunk_tokens))
    monkeypatch.setenv("CLUSTERKB_CHUNK_OVERLAP_TOKENS", str(kb.settings.chunk_overlap_tokens))
    monkeypatch.setattr("kb.storage.knowledge.get_embedder", lambda *_: HashingEmbedder())
    get_settings.cache_clear()
