"""Hypothesis set up for the fuzz tests: its caches live in the temp folder, not the checkout."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "clusterkb-hypothesis")


def fuzz(max_examples: int) -> settings:
    """Modest, deterministic-enough runs with no per-example deadline (CI machines vary)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
