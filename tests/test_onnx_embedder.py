"""The int8 ONNX MiniLM must give the same answers as the float model it was built from."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from kb.encoders import Embedder, get_embedder
from kb.encoders.onnx_minilm import (
    MODEL_FILE,
    OnnxExportError,
    OnnxMiniLMEmbedder,
    ensure_int8_model,
)


def _has_onnx() -> bool:
    try:
        import onnx  # noqa: F401
    except ImportError:
        return False
    return True


needs_onnx = pytest.mark.skipif(not _has_onnx(), reason="building minilm-int8 needs `onnx`")

SENTENCES = [
    "La política de clústers en Chile tuvo problemas de coordinación entre agencias públicas.",
    "Brasil formalizó su política de arreglos productivos locales en 2004.",
    "El Salvador apoyó la asociatividad de pequeñas empresas del sector turismo.",
    "Which instruments target supplier capacity and skills?",
    "Cluster policies are public-private partnerships with shared goals.",
    "Productividad",
]
PASSAGES = [
    "Chile: la coordinación entre CORFO y los gobiernos regionales fue débil y fragmentada.",
    "Brazil started a formal cluster policy in 2004 through a federal working group.",
    "Los programas de desarrollo de proveedores mejoran la escala y las habilidades.",
    "El turismo en El Salvador creció con el apoyo a la asociatividad empresarial.",
]
QUERIES = [
    "¿Qué problemas de coordinación enfrentó Chile?",
    "When did Brazil begin its cluster policy?",
    "instrumentos para proveedores",
]


@pytest.fixture(scope="module")
def int8(tmp_path_factory: pytest.TempPathFactory) -> OnnxMiniLMEmbedder:
    return OnnxMiniLMEmbedder(threads=2, cache_dir=tmp_path_factory.mktemp("m") / "minilm-int8")


@pytest.fixture(scope="module")
def float_minilm() -> Embedder:
    return get_embedder("minilm")


@needs_onnx
def test_int8_vectors_agree_with_float_minilm(
    int8: OnnxMiniLMEmbedder, float_minilm: Embedder
) -> None:
    quantised = int8.embed_passages(SENTENCES)
    reference = float_minilm.embed_passages(SENTENCES)
    assert quantised.shape == reference.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(quantised, axis=1), 1.0, atol=1e-4)
    cosines = (quantised * reference).sum(axis=1)
    assert cosines.min() >= 0.97, cosines
    single = int8.embed_query(SENTENCES[0])
    assert float(single @ quantised[0]) > 0.999  # batching and padding change nothing


@needs_onnx
def test_int8_ranks_passages_like_float_minilm(
    int8: OnnxMiniLMEmbedder, float_minilm: Embedder
) -> None:
    def ranking(embedder: Embedder) -> list[list[int]]:
        docs = embedder.embed_passages(PASSAGES)
        return [list(np.argsort(-(docs @ embedder.embed_query(q)))) for q in QUERIES]

    assert ranking(int8) == ranking(float_minilm)


@needs_onnx
def test_token_counts_match_the_float_tokenizer(
    int8: OnnxMiniLMEmbedder, float_minilm: Embedder
) -> None:
    long_text = " ".join(SENTENCES * 12)  # far past 256 tokens: must be counted, not cut
    for text in [*SENTENCES, long_text, ""]:
        assert int8.count_tokens(text) == float_minilm.count_tokens(text)
    assert int8.count_tokens(long_text) > int8.max_tokens == 256
    assert int8.count_tokens("") == 2  # [CLS] and [SEP]


@needs_onnx
def test_model_is_built_once_and_reused(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "minilm-int8"
    first = ensure_int8_model(cache)
    stamp = first.stat().st_mtime_ns
    assert first.name == MODEL_FILE
    assert first.stat().st_size < 45_000_000  # mostly int8: the float graph is ~90 MB
    assert ensure_int8_model(cache).stat().st_mtime_ns == stamp
    assert not [p for p in cache.parent.iterdir() if p.name.startswith(".minilm-int8-")]


def test_missing_weights_give_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OnnxExportError, match="minilm-int8.*weights are missing"):
        ensure_int8_model(tmp_path / "cache", source=tmp_path / "nothing-here")


def test_missing_onnx_package_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` now raises ImportError
    with pytest.raises(OnnxExportError, match="needs the `onnx`.*CLUSTERKB_EMBEDDING_MODEL=minilm"):
        ensure_int8_model(tmp_path / "cache" / "minilm-int8")
    assert not (tmp_path / "cache" / "minilm-int8").exists()
