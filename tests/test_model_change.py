from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from kb.storage.knowledge import KnowledgeBase
from kb.storage.vectors import ModelMismatchError, PassageStore
from tests.conftest import HashingEmbedder


def test_store_refuses_another_model_until_rebuild(
    fake_kb: KnowledgeBase, tmp_path: Path, write
) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "r" / "a.md", "Coordinación entre instituciones públicas y privadas.")
    ingest_paths(fake_kb, [tmp_path / "r"])
    other = HashingEmbedder(name="other-model", dim=32)
    with pytest.raises(ModelMismatchError, match="--rebuild"):
        PassageStore(fake_kb.settings, other.name, other.dim)

    store = PassageStore(fake_kb.settings, other.name, other.dim, allow_model_change=True)
    rebuilt = KnowledgeBase(fake_kb.settings, other, store)
    report = ingest_paths(rebuilt, [], rebuild=True)
    assert len(report.added) == 1
    reopened = PassageStore(fake_kb.settings, other.name, other.dim)
    assert reopened.count() == rebuilt.store.count() > 0
