"""Timing, memory and child-process helpers shared by every benchmark."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULT_MARK = "BENCH-RESULT "
T = TypeVar("T")


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else 0.0


def latency_ms(samples: Sequence[float]) -> dict[str, float]:
    """p50/p95/mean in milliseconds of per-call durations given in seconds."""
    ms = [s * 1000.0 for s in samples]
    return {
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "mean": float(np.mean(ms)) if ms else 0.0,
        "n": float(len(ms)),
    }


def timed(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    """Result of `fn(*args, **kwargs)` and its wall time in seconds."""
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / (1024.0 * 1024.0)


def emit(result: dict[str, Any]) -> None:
    """How a child hands its figures to the parent: one marked JSON line on stdout."""
    sys.stdout.write(RESULT_MARK + json.dumps(result) + "\n")
    sys.stdout.flush()


def run_child(
    task: str,
    args: dict[str, Any],
    env: dict[str, str] | None = None,
    timeout: float = 1800,
    module: str = "bench.child",
) -> dict[str, Any]:
    """Run `python -m MODULE TASK` in a fresh process (own memory peak, own threads)."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", module, task, json.dumps(args)],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            result: dict[str, Any] = json.loads(line[len(RESULT_MARK) :])
            return result
    tail = "\n".join((proc.stderr or proc.stdout).splitlines()[-15:])
    raise RuntimeError(f"benchmark step {task!r} failed (exit {proc.returncode}):\n{tail}")
