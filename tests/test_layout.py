"""The library stands alone: its public API loads without the front ends or the file readers."""

from __future__ import annotations

import json
import subprocess
import sys

import kb

FRONT_ENDS = ("ingest", "clusterkb", "streamlit", "typer", "rich")


def test_every_public_name_resolves() -> None:
    missing = [name for name in kb.__all__ if getattr(kb, name, None) is None]
    assert not missing, f"named in kb.__all__ but not importable: {missing}"


def test_the_library_loads_without_front_ends_or_readers() -> None:
    # A fresh interpreter: the test process itself has the front ends loaded.
    code = (
        "import json, sys, kb\n"
        "for name in kb.__all__: getattr(kb, name)\n"
        "import kb.briefs.export, kb.learning.questions, kb.storage.writes, kb.evaluation.tagging\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert not loaded & set(FRONT_ENDS), f"kb pulled in {sorted(loaded & set(FRONT_ENDS))}"
