"""The ingest job queue: one JSON file per job in `<home>/jobs/`, run by a worker process.

A job goes queued → running → done | failed, or queued → cancelled. Whoever changes a job
that exists holds its lock file (`<id>.lock`, an exclusive `flock`), so two workers never run
one job and a queued job cannot be cancelled while a worker claims it. The lock goes with the
process that holds it: a job still marked "running" whose lock is free was left by a worker
that died, and goes back to the queue when a worker starts. Workers also hold a shared lock on
`worker.lock` for as long as they run, which is how the app tells whether one is alive.

Only the ingest a worker runs writes the knowledge base; this module writes job files only.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kb.files import atomic_write_text
from kb.workspace.roles import Actor, require

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
STATES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
ACTIVE = frozenset({QUEUED, RUNNING})
UPLOAD, REINGEST = "upload", "reingest"
# Events in a job's notes (`CANCELLED` too).
REQUEUED, INTERRUPTED, REMOVED = "requeued", "interrupted", "removed"
KIND_PERMISSION = {UPLOAD: "upload", REINGEST: "ingest"}
WORKER_LOCK = "worker.lock"
KEEP = 200
"""Finished jobs kept as history."""


class JobError(RuntimeError):
    """A job cannot be changed as asked (unknown, or no longer queued)."""


@dataclass
class JobFile:
    """One file of a job and what became of it (`status`: queued, then added, updated,
    unchanged or failed with a `reason`)."""

    name: str
    path: str = ""
    status: str = QUEUED
    passages: int = 0
    reason: str = ""


@dataclass
class JobNote:
    """Something that happened to a job: `event` is one of REQUEUED, INTERRUPTED, CANCELLED,
    REMOVED (a refused file deleted); `detail` names the worker, person or file."""

    time: str
    event: str
    detail: str = ""


@dataclass
class JobProgress:
    files_total: int = 0
    files_done: int = 0
    passages: int = 0
    current: str = ""

    @property
    def fraction(self) -> float:
        return min(1.0, self.files_done / self.files_total) if self.files_total else 0.0


@dataclass
class Job:
    id: str
    kind: str
    actor: str
    targets: list[str]
    """What the ingest is run on: stored upload files, or folders for a re-ingest."""
    files: list[JobFile] = field(default_factory=list)
    state: str = QUEUED
    created: str = ""
    started: str = ""
    finished: str = ""
    pid: int = 0
    """The worker process running it (0 while queued)."""
    progress: JobProgress = field(default_factory=JobProgress)
    error: str = ""
    notes: list[JobNote] = field(default_factory=list)
    """What happened to the job itself, oldest first (e.g. re-queued after a worker died)."""

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def file(self, name: str) -> JobFile | None:
        return next((f for f in self.files if f.name == name), None)

    def counts(self) -> dict[str, int]:
        """Files per status, e.g. {"added": 2, "failed": 1}."""
        out: dict[str, int] = {}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        return out


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def jobs_dir(home: Path) -> Path:
    return home / "jobs"


def _job_path(home: Path, job_id: str) -> Path:
    # Ids are made here; anything else (a path, dots) is not a job of this folder.
    if not job_id or not all(c.isalnum() or c == "-" for c in job_id):
        raise JobError(f"no job {job_id!r}")
    return jobs_dir(home) / f"{job_id}.json"


def save_job(home: Path, job: Job) -> None:
    atomic_write_text(_job_path(home, job.id), json.dumps(asdict(job), ensure_ascii=False))


def _from_dict(data: dict[str, Any]) -> Job:
    known = {f.name for f in fields(Job)}
    values = {k: v for k, v in data.items() if k in known}
    values["files"] = [JobFile(**f) for f in data.get("files", [])]
    values["progress"] = JobProgress(**data.get("progress", {}))
    values["notes"] = [JobNote(**n) for n in data.get("notes", [])]
    return Job(**values)


def load_job(home: Path, job_id: str) -> Job:
    path = _job_path(home, job_id)
    try:
        return _from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise JobError(f"no job {job_id!r}") from None


def list_jobs(home: Path, limit: int | None = None) -> list[Job]:
    """Jobs newest first (ids sort by creation time); unreadable files are skipped."""
    folder = jobs_dir(home)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json"), reverse=True):
        try:
            out.append(_from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError):
            continue
        if limit is not None and len(out) >= limit:
            break
    return out


def active_jobs(home: Path) -> list[Job]:
    """Queued and running jobs, oldest first."""
    return [j for j in reversed(list_jobs(home)) if j.active]


def enqueue(
    home: Path,
    actor: Actor,
    kind: str,
    targets: list[Path],
    files: list[JobFile] | None = None,
) -> Job:
    """Queue an ingest of `targets` on behalf of `actor` (who needs the kind's permission).
    `files` are the job's files as the user named them, refusals already decided included."""
    if kind not in KIND_PERMISSION:
        raise ValueError(f"unknown job kind {kind!r}")
    require(actor, KIND_PERMISSION[kind])
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    job = Job(
        id=f"{stamp}-{secrets.token_hex(3)}",
        kind=kind,
        actor=actor.name,
        targets=[str(p) for p in targets],
        files=list(files or []),
        created=now(),
    )
    if not targets:
        # Nothing to ingest (every file was refused): the job is history at once.
        job.state, job.started, job.finished = DONE, job.created, job.created
    save_job(home, job)
    prune_history(home)
    return job


def prune_history(home: Path, keep: int = KEEP) -> list[str]:
    """Delete the files of finished jobs beyond the newest `keep` (pages read the folder
    every few seconds); returns the ids deleted."""
    folder = jobs_dir(home)
    names = sorted((p.stem for p in folder.glob("*.json")), reverse=True)
    gone = []
    for job_id in names[keep:]:
        with _locked(home, job_id) as held:
            try:
                if not held or load_job(home, job_id).active:
                    continue
            except (JobError, ValueError, TypeError):
                pass  # unreadable: nothing to keep
            _job_path(home, job_id).unlink(missing_ok=True)
            _job_path(home, job_id).with_suffix(".lock").unlink(missing_ok=True)
            gone.append(job_id)
    return gone


@contextmanager
def _locked(home: Path, job_id: str) -> Iterator[bool]:
    """Try the job's lock without waiting; yields whether this process now holds it."""
    path = _job_path(home, job_id).with_suffix(".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


class Claim:
    """A job this worker runs: its lock is held until `finish` or `requeue`."""

    def __init__(self, home: Path, job: Job, fd: int) -> None:
        self.home = home
        self.job = job
        self._fd = fd

    def save(self) -> None:
        save_job(self.home, self.job)

    def finish(self, state: str = DONE, error: str = "") -> Job:
        self.job.state, self.job.error, self.job.finished = state, error, now()
        self.job.progress.current = ""
        self._release()
        return self.job

    def requeue(self, event: str = "") -> Job:
        """Back to the queue (e.g. another process is writing the knowledge base); `event`,
        when given, is noted in the job's history."""
        if event:
            self.job.notes.append(JobNote(now(), event, str(self.job.pid)))
        self.job.state, self.job.pid, self.job.started = QUEUED, 0, ""
        self.job.progress = JobProgress()
        self._release()
        return self.job

    def _release(self) -> None:
        try:
            self.save()
        finally:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def claim_next(home: Path, pid: int | None = None) -> Claim | None:
    """Take the oldest queued job nobody holds, mark it running and keep its lock."""
    for job in active_jobs(home):
        if job.state != QUEUED:
            continue
        fd = os.open(_job_path(home, job.id).with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            fresh = load_job(home, job.id)  # another worker may have run it since the listing
        except JobError:
            fresh = None
        if fresh is None or fresh.state != QUEUED:
            os.close(fd)
            continue
        fresh.state, fresh.started, fresh.pid = RUNNING, now(), pid or os.getpid()
        claim = Claim(home, fresh, fd)
        claim.save()
        return claim
    return None


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM  # alive, owned by someone else
    return True


def requeue_abandoned(home: Path) -> list[str]:
    """Put back in the queue every "running" job whose worker is gone (its lock is free);
    returns their ids. Run at worker start."""
    out = []
    for job in active_jobs(home):
        if job.state != RUNNING:
            continue
        with _locked(home, job.id) as held:
            if not held:
                continue  # its worker is alive and holds it
            fresh = load_job(home, job.id)
            if fresh.state != RUNNING:
                continue
            fresh.notes.append(JobNote(now(), REQUEUED, str(fresh.pid)))
            fresh.state, fresh.pid, fresh.started = QUEUED, 0, ""
            fresh.progress = JobProgress()
            save_job(home, fresh)
            out.append(fresh.id)
    return out


def cancel(home: Path, actor: Actor, job_id: str) -> Job:
    """Cancel a queued job (a running ingest is never cut short)."""
    job = load_job(home, job_id)
    require(actor, KIND_PERMISSION.get(job.kind, "ingest"))
    with _locked(home, job_id) as held:
        fresh = load_job(home, job_id)
        if not held or fresh.state != QUEUED:
            raise JobError(f"job {job_id} is {fresh.state if held else RUNNING}, not queued")
        fresh.state, fresh.finished = CANCELLED, now()
        fresh.notes.append(JobNote(now(), CANCELLED, actor.name))
        save_job(home, fresh)
        return fresh


@contextmanager
def worker_presence(home: Path) -> Iterator[None]:
    """Mark this process as a running worker for the duration (see `worker_alive`)."""
    folder = jobs_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / WORKER_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # shared: several workers may run at once
        yield
    finally:
        os.close(fd)


def worker_alive(home: Path) -> bool:
    """Whether some process is running a worker on this data folder now."""
    path = jobs_dir(home) / WORKER_LOCK
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False
    finally:
        os.close(fd)
