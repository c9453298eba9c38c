"""Shared fixtures: a knowledge base in a temporary folder, with a real or a fake encoder."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from kb.config import Settings  # noqa: E402
from kb.storage.knowledge import KnowledgeBase, open_kb  # noqa: E402
from kb.storage.vectors import PassageStore  # noqa: E402
from kb.textnorm import words  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REALDOCS = REPO.parent / "shared" / "realdocs"


class HashingEmbedder:
    """A fast, deterministic bag-of-words encoder for unit tests (no model)."""

    max_tokens = 128

    def __init__(self, name: str = "hashing-test", dim: int = 64) -> None:
        self.name = name
        self.dim = dim

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in words(text):
            vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim))

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


def settings_for(tmp: Path, **overrides: object) -> Settings:
    base: dict[str, object] = {"home": tmp / "kbhome", "corpus_dir": REPO / "corpus"}
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture
def fake_kb(tmp_path: Path) -> KnowledgeBase:
    """A knowledge base with the hashing encoder: for logic, not for retrieval quality."""
    settings = settings_for(tmp_path, chunk_tokens=60, chunk_overlap_tokens=10)
    embedder = HashingEmbedder()
    store = PassageStore(settings, embedder.name, embedder.dim)
    return KnowledgeBase(settings=settings, embedder=embedder, store=store)


@pytest.fixture
def real_kb(tmp_path: Path) -> KnowledgeBase:
    """A knowledge base with the default bundled encoder (multilingual-e5-small)."""
    return open_kb(settings_for(tmp_path))


@pytest.fixture
def write() -> Callable[[Path, str], Path]:
    def _write(path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write
