"""What every text encoder offers, and the error raised when one cannot be loaded offline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

E5_NAME = "e5-small"
E5_INT8_NAME = "e5-small-int8"
MINILM_NAME = "minilm"
BUNDLED = (E5_INT8_NAME, E5_NAME, MINILM_NAME)


class Embedder(Protocol):
    """What the rest of ClusterKB needs from an encoder."""

    name: str
    dim: int
    max_tokens: int
    """Longest input (in the model's own tokens, special tokens included) encoded without cut."""

    def count_tokens(self, text: str) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class EmbeddingModelError(RuntimeError):
    """The configured embedding model cannot be loaded offline."""
