"""Searches while an upload is ingested in the background: do they keep their idle speed?

The child process plays the app: it opens a knowledge base, times the labelled queries at
rest, then queues an upload of a report of about 200 passages and starts the worker the way
`clusterkb serve` does (a process of its own, ten steps lower in CPU priority). It times the
same queries, round after round, for as long as the job runs. The figure is the ratio of the
two medians; the target is at most 2.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

from bench.measure import latency_ms, timed
from bench.server import stop_process

TARGET_RATIO = 2.0
PASSAGES = 200
QUICK_PASSAGES = 40
TOP = 10


def write_report(real_dir: Path, target: Path, sections: int = PASSAGES) -> Path:
    """A Markdown report of `sections` real passages (from the stage benchmark), one per
    section: ingested, it gives about that many passages."""
    from bench.synthetic import load_real

    passages, _ = load_real(real_dir)
    spanish = [p for p in passages if p.lang == "es"] or passages
    # A small run (--quick) has fewer real passages than sections: they come round again.
    chosen = itertools.islice(itertools.cycle(spanish), sections)
    body = "\n\n".join(f"## Sección {i + 1}\n\n{p.text}" for i, p in enumerate(chosen))
    front = "---\ntitle: Informe largo de prueba\ncountry: Chile\nlanguage: es\n---\n\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(front + body + "\n", encoding="utf-8")
    return target


def background_ingest_task(args: dict[str, Any]) -> dict[str, Any]:
    """Idle and during-ingest search latencies in this process, the job run by a worker."""
    from clusterkb.cli.worker import start_background_worker
    from ingest.uploads import queue_upload
    from kb.config import Settings
    from kb.retrieval.search import search
    from kb.storage.knowledge import open_kb
    from kb.workspace.jobs import ACTIVE, RUNNING, load_job
    from kb.workspace.roles import local_admin

    settings = Settings(home=Path(args["home"]), embedding_model=args["backend"])
    queries: list[str] = args["queries"]
    kb = open_kb(settings)
    for q in queries[:5]:  # warm caches, as a running app has them
        search(kb, q, k=TOP)
    idle = [timed(search, kb, q, k=TOP)[1] for _ in range(int(args["rounds"])) for q in queries]

    report = Path(args["report"])
    job = queue_upload([(report.name, report.read_bytes())], settings, local_admin("bench"))
    started = time.perf_counter()
    worker = start_background_worker(settings)
    during: list[float] = []
    try:
        state = job.state
        while state in ACTIVE:
            if state == RUNNING:
                for q in queries:
                    during.append(timed(search, kb, q, k=TOP)[1])
            else:
                time.sleep(0.05)
            state = load_job(settings.home, job.id).state
            if worker.poll() is not None and state in ACTIVE:
                raise RuntimeError(f"the worker stopped with code {worker.returncode}")
    finally:
        stop_process(worker, timeout=60)
    done = load_job(settings.home, job.id)
    idle_ms, during_ms = latency_ms(idle), latency_ms(during)
    return {
        "state": done.state,
        "passages": sum(f.passages for f in done.files),
        "job_s": time.perf_counter() - started,
        "idle": idle_ms,
        "during": during_ms,
        "ratio": during_ms["p50"] / idle_ms["p50"] if idle_ms["p50"] else None,
        "target_ratio": TARGET_RATIO,
    }


def target_row(r: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """The report's target line: search median during a background ingest ≤ 2× idle."""
    b = r.get("background_ingest")
    if not b or b.get("ratio") is None:
        return []
    label = f"search median while a {b['passages']}-passage upload is ingested ≤ 2× idle"
    return [(label, f"{b['ratio']:.2f}×", b["ratio"] <= TARGET_RATIO and b["state"] == "done")]


def render(r: dict[str, Any]) -> list[str]:
    """The report's section: idle and during-ingest latencies side by side."""
    b = r.get("background_ingest")
    if not b:
        return []
    rows = [
        f"| {name} | {b[key]['p50']:.1f} | {b[key]['p95']:.1f} | {b[key]['n']:.0f} |"
        for name, key in (("idle", "idle"), ("during the ingest job", "during"))
    ]
    ratio = f"{b['ratio']:.2f}×" if b.get("ratio") is not None else "n/a"
    return [
        "## Search during a background ingest",
        "",
        f"An upload of {b['passages']} passages, run by `clusterkb worker` (niceness +10) "
        f"while the same process searched; the job took {b['job_s']:.1f} s ({b['state']}). "
        f"Median ratio: **{ratio}** (target ≤ {b['target_ratio']:g}×).",
        "",
        "| searches | p50 ms | p95 ms | n |",
        "|---|---|---|---|",
        *rows,
        "",
    ]
