"""The fixed texts of a brief (headings, notes, a draft's purpose), from `labels.yaml`."""

from __future__ import annotations

from pathlib import Path

from kb.texts import Texts

LABELS = Texts(Path(__file__).with_name("labels.yaml"))
