"""One writer per knowledge base: an exclusive, non-blocking lock file in the data folder."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WriterBusyError(RuntimeError):
    """Another process is already writing to this knowledge base."""


@contextmanager
def writer_lock(home: Path) -> Iterator[None]:
    """Hold the writer lock for the duration; refuse at once if another writer holds it."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "ingest.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = path.read_text(encoding="utf-8", errors="replace").strip() or "unknown"
            raise WriterBusyError(
                f"another ingest is already writing to {home} (process {holder}); "
                "wait for it to finish and run the command again"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock, also when the process dies
