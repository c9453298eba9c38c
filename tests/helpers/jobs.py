"""Stand in for the background worker in app tests: the app starts none, the test runs the
queue when it chooses (in this process, with the encoder the test set up)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from clusterkb.cli.worker import run_worker
from kb.config import Settings
from kb.workspace.jobs import worker_presence


@contextmanager
def stand_in_worker(home: Path) -> Iterator[Callable[[], int]]:
    """While open, a worker counts as running for `home`; the function it yields runs the
    queued jobs (settings from the environment, as the app reads them) and returns how many."""
    with worker_presence(home):
        yield lambda: run_worker(Settings(), once=True, say=lambda s: None)
