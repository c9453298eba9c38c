"""The int8 e5 encoder must answer like the multilingual-e5-small it is built from."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ingest.pipeline import ingest_paths
from kb.config import Settings
from kb.encoders import E5_INT8_NAME, E5_NAME, Embedder, get_embedder
from kb.encoders.e5_weights import bundled_model_path, read_e5_file
from kb.encoders.onnx_build import INFO_FILE, MODEL_FILE, OnnxExportError
from kb.encoders.onnx_e5 import (
    PREFIXES,
    QUERY_MODEL_FILE,
    RECIPE,
    OnnxE5Embedder,
    WordEmbeddings,
    ensure_int8_model,
    float_encoder,
)
from kb.retrieval.search import search
from kb.storage.knowledge import open_kb
from kb.storage.vectors import ModelMismatchError
from tests.conftest import settings_for

PASSAGES = [
    "Chile: la coordinación entre CORFO y los gobiernos regionales fue débil y fragmentada.",
    "Brazil started a formal cluster policy in 2004 through a federal working group.",
    "Os arranjos produtivos locais receberam apoio do governo federal brasileiro.",
    "Los programas de desarrollo de proveedores mejoran la escala y las habilidades.",
    "El turismo en El Salvador creció con el apoyo a la asociatividad empresarial.",
]
QUERIES = [
    "¿Qué problemas de coordinación enfrentó Chile?",
    "When did Brazil begin its cluster policy?",
    "apoio aos arranjos produtivos locais",
    "instrumentos para proveedores",
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh build, with an empty per-user cache so that it really is built here."""
    root = tmp_path_factory.mktemp("e5int8")
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_CACHE_HOME", str(root / "user-cache"))
    try:
        ensure_int8_model(root / "home" / E5_INT8_NAME)
        yield root / "home" / E5_INT8_NAME
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def int8(cache: Path) -> OnnxE5Embedder:
    return OnnxE5Embedder(threads=2, cache_dir=cache)


@pytest.fixture(scope="module")
def e5() -> Embedder:
    return get_embedder(E5_NAME)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=1))


def test_int8_vectors_agree_with_the_float_model(int8: OnnxE5Embedder) -> None:
    import torch

    weights = read_e5_file(bundled_model_path())
    encoder, words = float_encoder(weights), WordEmbeddings(weights)
    quantised = int8.embed_passages(PASSAGES)
    reference = []
    for ids in int8._tokenizer.encode([PREFIXES["passage"] + p for p in PASSAGES]):
        embeds = torch.from_numpy(words(ids)[None])
        with torch.no_grad():
            reference.append(encoder(embeds, torch.ones(embeds.shape[:2], dtype=torch.long))[0])
    cosines = _cosines(quantised, torch.stack(reference).numpy())
    assert quantised.shape == (len(PASSAGES), 384)
    assert np.allclose(np.linalg.norm(quantised, axis=1), 1.0, atol=1e-4)
    assert cosines.min() > 0.98, cosines


def test_int8_vectors_agree_with_e5_small(int8: OnnxE5Embedder, e5: Embedder) -> None:
    assert _cosines(int8.embed_passages(PASSAGES), e5.embed_passages(PASSAGES)).min() > 0.98
    for query in QUERIES:
        vector = int8.embed_query(query)
        as_query = float(vector @ e5.embed_query(query))
        # Queries run through the float graph: e5-small's query vector, to rounding.
        assert as_query > 0.9995 and as_query > float(vector @ e5.embed_passages([query])[0])


def test_int8_finds_the_passage_e5_small_finds(int8: OnnxE5Embedder, e5: Embedder) -> None:
    def best(embedder: Embedder) -> list[int]:
        docs = embedder.embed_passages(PASSAGES)
        return [int(np.argmax(docs @ embedder.embed_query(q))) for q in QUERIES]

    assert best(int8) == best(e5) == [0, 1, 2, 3]


def test_token_counts_match_e5_small(int8: OnnxE5Embedder, e5: Embedder) -> None:
    long_text = " ".join(PASSAGES * 20)  # far past 512 tokens: counted, not cut
    odd = ["", "  dos   espacios \t y\nsaltos\u3000", "ﬁscal ½ Ⅻ 😀 中文", "ação, coração"]
    for text in [*PASSAGES, *QUERIES, long_text, *odd]:
        assert int8.count_tokens(text) == e5.count_tokens(text), text
    assert int8.count_tokens(long_text) > int8.max_tokens == 512
    assert np.isfinite(int8.embed_query(long_text)).all()


def test_model_is_built_once_and_reused(cache: Path) -> None:
    model = cache / MODEL_FILE
    stamp = model.stat().st_mtime_ns
    assert model.stat().st_size < 60_000_000  # int8 with 3 float layers ~54 MB; float ~86 MB
    assert (cache / QUERY_MODEL_FILE).stat().st_size > model.stat().st_size  # queries: float
    assert ensure_int8_model(cache).stat().st_mtime_ns == stamp
    assert not [p for p in cache.parent.iterdir() if p.name.startswith(f".{cache.name}-")]


def test_a_new_data_folder_copies_the_users_build(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "user-cache" / "clusterkb" / "models" / E5_INT8_NAME
    shutil.copytree(cache, shared)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))

    def no_export(*_: object) -> None:
        raise AssertionError("exported again instead of copying the user's build")

    monkeypatch.setattr("kb.encoders.onnx_e5._export_float", no_export)
    model = ensure_int8_model(tmp_path / "home" / "models" / E5_INT8_NAME)
    assert model.read_bytes() == (cache / MODEL_FILE).read_bytes()
    assert (model.parent / INFO_FILE).read_text() == (cache / INFO_FILE).read_text()


def test_a_build_from_an_older_recipe_is_replaced(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade that changes the recipe, nobody keeps searching with the old model."""
    old = tmp_path / "home" / "models" / E5_INT8_NAME
    shutil.copytree(cache, old)
    info = json.loads((old / INFO_FILE).read_text())
    assert info["recipe"] == RECIPE
    (old / INFO_FILE).write_text(json.dumps({**info, "recipe": RECIPE - 1}))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))

    def fake_export(_source: Path, target: Path) -> None:
        target.write_bytes(b"float")

    def fake_quantise(_source: Path, target: Path, _options: object) -> None:
        target.write_bytes(b"rebuilt")

    # Stand-ins: the real build is covered by the `cache` fixture; only the decision is tested.
    monkeypatch.setattr("kb.encoders.onnx_e5.export_float", fake_export)
    monkeypatch.setattr("kb.encoders.onnx_e5.quantise", fake_quantise)
    model = ensure_int8_model(old)
    assert model.read_bytes() == b"rebuilt"
    assert json.loads((old / INFO_FILE).read_text())["recipe"] == RECIPE


def test_missing_weights_give_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OnnxExportError, match="e5-small-int8.*weights are missing"):
        ensure_int8_model(tmp_path / "cache", source=tmp_path / "nothing.bin")


def test_a_store_keeps_the_bundled_model_that_built_it(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write
) -> None:  # type: ignore[no-untyped-def]
    """A store built with e5-small before the default changed keeps answering with it."""
    assert Settings().embedding_model == E5_INT8_NAME
    monkeypatch.setattr("kb.encoders.onnx_e5.default_cache_dir", lambda: cache)
    write(tmp_path / "r" / "a.md", "# Chile\n\nCORFO coordinó los programas de clústers.")
    built = open_kb(settings_for(tmp_path, embedding_model=E5_NAME))
    ingest_paths(built, [tmp_path / "r"])

    reopened = open_kb(settings_for(tmp_path))  # no model configured: the store's own
    assert reopened.embedder.name == E5_NAME
    assert "dense" in search(reopened, "coordinación de CORFO", k=1)[0].ranks
    with pytest.raises(ModelMismatchError, match="--rebuild"):
        open_kb(settings_for(tmp_path, embedding_model=E5_INT8_NAME))

    moved = open_kb(settings_for(tmp_path, embedding_model=E5_INT8_NAME), allow_model_change=True)
    assert moved.embedder.name == E5_INT8_NAME
    ingest_paths(moved, [tmp_path / "r"], rebuild=True)
    assert open_kb(settings_for(tmp_path)).embedder.name == E5_INT8_NAME
