"""What the app builds from the store alone is built once for every session, and again only
when the store changes (an ingest, a tag correction)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from clusterkb.app import resources
from ingest.pipeline import ingest_paths
from kb.config import Settings
from kb.retrieval.highlights import Highlighter, SentenceVectors
from kb.storage.knowledge import KnowledgeBase
from kb.tags.tagger import default_tagger
from tests.conftest import HashingEmbedder

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

    def counting_build(kb: KnowledgeBase, lang: str, **options: bool) -> object:
        built.append(lang)
        return real_build(kb, lang, **options)

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


def test_the_warm_up_leaves_the_store_and_the_learning_path_ready_for_the_first_page(
    fake_kb: KnowledgeBase,
    tmp_path: Path,
    write: Callable[[Path, str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[str] = []
    built: list[str] = []
    real_build = resources.build_path

    def counting_open(settings_json: str) -> KnowledgeBase:
        opened.append(settings_json)
        return fake_kb

    def counting_build(kb: KnowledgeBase, lang: str, **options: bool) -> object:
        built.append(lang)
        return real_build(kb, lang, **options)

    ingest_paths(
        fake_kb, [write(tmp_path / "a" / "uva.md", REPORT)], tagger=default_tagger(fake_kb)
    )
    # Cached like the real one: what the warm-up opened, the pages get without opening it.
    cached_open = resources.st.cache_resource(show_spinner=False)(counting_open)
    monkeypatch.setattr(resources, "_open", cached_open)
    monkeypatch.setattr(resources, "build_path", counting_build)
    resources._learning_path.clear()
    settings = fake_kb.settings

    resources.start_warm_up(settings).join(timeout=120)
    assert len(opened) == 1
    assert sorted(built) == ["en", "es"]

    assert resources.get_kb(settings) is fake_kb
    steps = resources.learning_path("es", settings)
    assert len(opened) == 1 and sorted(built) == ["en", "es"]
    # The page shows the passages only, without their answering sentences.
    assert steps and all(not hit.highlights for step in steps for hit in step.hits)
    resources._learning_path.clear()


def test_a_store_opened_by_the_app_still_knows_which_settings_were_left_to_default(
    tmp_path: Path,
) -> None:
    # A store built with another bundled encoder keeps it unless one is configured.
    settings = Settings(home=tmp_path / "home")
    opened = Settings.model_validate_json(resources.settings_key(settings))
    assert opened.home == settings.home
    assert "embedding_model" not in opened.model_fields_set
    chosen = Settings(home=tmp_path / "home", embedding_model="minilm")
    opened = Settings.model_validate_json(resources.settings_key(chosen))
    assert opened.embedding_model == "minilm" and "embedding_model" in opened.model_fields_set


class CountingEncoder:
    def __init__(self) -> None:
        self.embedder = HashingEmbedder()
        self.seen: list[str] = []

    def __call__(self, texts: object) -> np.ndarray:
        batch = list(texts)  # type: ignore[call-overload]
        self.seen.extend(batch)
        return self.embedder.embed_passages(batch)


PASSAGE = (
    "El clúster del salmón en Chile creció con la exportación. La coordinación entre "
    "agencias públicas fue débil durante la crisis sanitaria. Las empresas pidieron reglas "
    "comunes para el uso del agua. Un programa de proveedores mejoró la calidad."
)


def test_a_passage_found_again_is_highlighted_without_embedding_its_sentences_again() -> None:
    encode = CountingEncoder()
    vectors = SentenceVectors()
    passages = [("p1", PASSAGE, "es")]

    def marked(query: str, cache: SentenceVectors | None) -> object:
        q = encode.embedder.embed_query(query)
        return Highlighter(query, q, encode, vectors=cache).for_passages(passages)

    first = marked("coordinación de agencias", vectors)
    embedded = len(encode.seen)
    assert embedded > 0
    # Another search finds the same passage: the same highlight, nothing embedded again.
    again = marked("coordinación de agencias", vectors)
    assert again == first and len(encode.seen) == embedded
    other = marked("uso del agua en el clúster", vectors)
    assert len(encode.seen) == embedded
    assert other == marked("uso del agua en el clúster", None)


def test_the_sentence_cache_keeps_the_most_recently_used_sentences_within_its_size() -> None:
    encode = CountingEncoder()
    vectors = SentenceVectors(capacity=2)
    vectors.encode(encode, ["a uva", "b palta"])
    vectors.encode(encode, ["a uva"])  # used again: now the most recent
    vectors.encode(encode, ["c salmón"])  # over the size: "b palta" goes
    assert len(vectors) == 2
    encode.seen.clear()
    out = vectors.encode(encode, ["a uva", "c salmón", "b palta", "b palta"])
    assert encode.seen == ["b palta"]
    expected = encode.embedder.embed_passages(["a uva", "c salmón", "b palta", "b palta"])
    assert np.allclose(out, expected)
