"""`clusterkb worker`: run the queued ingest jobs (uploads, re-ingests) in a process of its own.

The app only queues jobs; a worker runs them at a lower CPU priority, so searches stay quick
while a large file is ingested. `clusterkb serve` starts one (`start_background_worker`); an
app started another way starts one itself when jobs wait and no worker is alive.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO, Annotated

import typer

from kb.config import Settings, get_settings
from kb.workspace.jobs import (
    FAILED,
    INTERRUPTED,
    claim_next,
    jobs_dir,
    pid_alive,
    requeue_abandoned,
    worker_presence,
)

NICENESS = 10
WORKER_LOG = "worker.log"


def run_worker(
    settings: Settings,
    *,
    once: bool = False,
    poll_s: float = 1.0,
    parent_pid: int | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Run queued jobs until stopped (or, with `once`, until the queue is empty); returns
    how many jobs finished. With `parent_pid`, stop when that process is gone."""
    from ingest.uploads import run_job
    from kb.storage.knowledge import KnowledgeBase, open_kb
    from kb.storage.lock import WriterBusyError
    from kb.storage.vectors import StoreError

    home = settings.home
    finished = 0
    kb: KnowledgeBase | None = None
    with worker_presence(home):
        for job_id in requeue_abandoned(home):
            say(f"job {job_id}: its worker stopped; queued again")
        while parent_pid is None or pid_alive(parent_pid):
            claim = claim_next(home)
            if claim is None:
                if once:
                    break
                time.sleep(poll_s)
                continue
            say(f"job {claim.job.id}: {claim.job.kind} for {claim.job.actor}")
            try:
                # Opened at the first job: an idle worker does not hold the model.
                kb = kb or open_kb(settings)
                job = run_job(kb, claim)
            except StoreError as exc:
                job = claim.finish(FAILED, str(exc))
            except WriterBusyError:
                claim.requeue()  # another process is writing: try again shortly
                time.sleep(poll_s)
                continue
            except BaseException:
                # Stopped mid-ingest (the write protocol is safe to interrupt): run it again.
                claim.requeue(INTERRUPTED)
                raise
            finished += 1
            counts = ", ".join(f"{n} {status}" for status, n in sorted(job.counts().items()))
            error = f": {job.error}" if job.error else ""
            say(f"job {job.id}: {job.state} ({counts or 'no files'}){error}")
    return finished


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Run the jobs queued now, then exit.")
    ] = False,
    poll: Annotated[float, typer.Option(help="Seconds between looks at an empty queue.")] = 1.0,
    parent: Annotated[
        int | None, typer.Option(hidden=True, help="Stop when this process is gone.")
    ] = None,
) -> None:
    """Run queued ingest jobs (uploads, re-ingests) at a lower CPU priority, until stopped."""
    os.nice(NICENESS)  # the app's searches come first
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        count = run_worker(
            get_settings(),
            once=once,
            poll_s=poll,
            parent_pid=parent,
            say=lambda s: print(s, flush=True),
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    if once:
        print(f"{count} job(s) run", flush=True)


def _settings_env(settings: Settings) -> dict[str, str]:
    """The settings as the `CLUSTERKB_*` variables a child process reads them from."""
    out = {}
    for name, value in settings.model_dump().items():
        if value is not None:
            out[f"CLUSTERKB_{name.upper()}"] = str(value)
    return out


def start_background_worker(
    settings: Settings, parent_pid: int | None = None
) -> subprocess.Popen[bytes]:
    """Start `clusterkb worker` for `settings` in the background, stopping when `parent_pid`
    (default: this process) is gone; its output goes to `<home>/jobs/worker.log`."""
    folder = jobs_dir(settings.home)
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **_settings_env(settings)}
    command = [
        sys.executable,
        "-c",
        "from clusterkb.cli import app; app()",
        "worker",
        "--parent",
        str(parent_pid or os.getpid()),
    ]
    log: IO[bytes] = open(folder / WORKER_LOG, "ab")  # noqa: SIM115 (the child keeps it)
    try:
        # A session of its own: a Ctrl-C meant for the app does not cut an ingest short;
        # the worker ends its job and stops when the app is gone.
        return subprocess.Popen(
            command,
            env=env,
            cwd=Path.cwd(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()  # the child has its own copy
