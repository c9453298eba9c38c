"""The one exception ingestion raises, and safe display of file names in messages."""

from __future__ import annotations

import unicodedata
from pathlib import Path


def display_name(name: str | Path) -> str:
    """`name` with control and other invisible characters escaped, as `repr` would show them.

    File names are user data: a name holding a bell, an ANSI escape or a newline must not
    ring, recolour or split the line of whoever reads the message.
    """
    out = []
    for ch in str(name):
        if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Zl", "Zp"}:
            out.append(repr(ch)[1:-1] if ch.isascii() else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


class IngestError(Exception):
    """A file could not be ingested; message names the file and the reason."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{display_name(self.path)}: {reason}")

    def __reduce__(self) -> tuple[type[IngestError], tuple[str, str]]:
        # The default pickling replays `args` (the message) and would fail across processes.
        return (type(self), (self.path, self.reason))
