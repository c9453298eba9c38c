"""Start tests/helpers/kb_child.py on a test knowledge base's data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kb.config import Settings

REPO = Path(__file__).resolve().parents[2]


def child_env(settings: Settings, **variables: str) -> dict[str, str]:
    """This process's environment with the data folder and chunk sizes of `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERKB_")}
    env.update(
        CLUSTERKB_HOME=str(settings.home),
        CLUSTERKB_CHUNK_TOKENS=str(settings.chunk_tokens),
        CLUSTERKB_CHUNK_OVERLAP_TOKENS=str(settings.chunk_overlap_tokens),
        PYTHONPATH=str(REPO),
    )
    env.update(variables)
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.helpers.kb_child", *args]


def run_child(settings: Settings, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """Run the child to its end (or its kill point)."""
    return subprocess.run(
        command(*args),
        cwd=REPO,
        env=child_env(settings, **variables),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def start_child(settings: Settings, *args: str, **variables: str) -> subprocess.Popen[str]:
    """Start the child with pipes: it reports pauses on stdout and resumes on a stdin line."""
    return subprocess.Popen(
        command(*args),
        cwd=REPO,
        env=child_env(settings, **variables),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
