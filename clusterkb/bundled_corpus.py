"""Where the bundled reports and labelled sets are, from any working folder."""

from __future__ import annotations

from pathlib import Path

import clusterkb.corpus
from kb.config import Settings


def bundled_corpus_dir() -> Path:
    """The bundled corpus: corpus/ in a checkout, the `clusterkb.corpus` package in the wheel."""
    return Path(next(iter(clusterkb.corpus.__path__)))


def corpus_dir(settings: Settings) -> Path:
    """The corpus to use: `CLUSTERKB_CORPUS_DIR` when set, else the bundled one."""
    return settings.corpus_dir or bundled_corpus_dir()
