"""What the app builds from the store alone is built once for every session, and again only
when the store changes (an ingest, a tag correction)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from clusterkb.app import resources
from ingest.pipeline import ingest_paths
from kb.storage.knowledge import KnowledgeBase
from kb.tags.tagger import default_tagger

REPORT = (
    "---\ntitle: Informe de la uva\ncountry: Chile\nlanguage: es\n---\n\n# Compras\n\n"
    "Las compras coordinadas de los proveedores del clúster de la uva bajaron los costos.\n"
)


def test_the_learning_path_is_built_once_until_the_store_changes(
    fake_kb: KnowledgeBase,
    tmp_path: Path,
    write: Callable[[Path, str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []
    real_build = resources.build_path

    def counting_build(kb: KnowledgeBase, lang: str) -> object:
        built.append(lang)
        return real_build(kb, lang)

    monkeypatch.setattr(resources, "build_path", counting_build)
    monkeypatch.setattr(resources, "_open", lambda settings_json: fake_kb)
    resources._learning_path.clear()
    settings = fake_kb.settings
    ingest_paths(
        fake_kb, [write(tmp_path / "a" / "uva.md", REPORT)], tagger=default_tagger(fake_kb)
    )

    first = resources.learning_path("es", settings)
    # Another session, the same store: the same steps, not built again.
    assert resources.learning_path("es", settings) is first
    assert built == ["es"]
    resources.learning_path("en", settings)
    assert built == ["es", "en"]

    # An ingest commits a new manifest: the next visit builds the path anew.
    report = REPORT.replace("uva", "palta").replace("Chile", "Peru")
    ingest_paths(
        fake_kb, [write(tmp_path / "b" / "palta.md", report)], tagger=default_tagger(fake_kb)
    )
    resources.learning_path("es", settings)
    assert built == ["es", "en", "es"]
    resources._learning_path.clear()
