"""Uploaded files: checked before ingest, stored under names made from theirs, reported per file.

The stored name is `<slug of the original stem>-<first 12 hex of the name's sha256><suffix>`:
a file uploaded again under the same name lands on the same file, so an edited version
replaces the old one and its document (the same content again is "unchanged"); two names that
slug alike stay apart; a name can never leave the uploads folder. The original name is kept as
metadata in `.names.json`. A file uploaded when names were made from the content keeps its
stored name: found by its original name, it is replaced in place.

Uploads and re-ingests run as jobs (`kb.workspace.jobs`): the app saves the files and queues
the job, a worker process runs it here. A file the ingest refuses is not kept: it would only
fail again on every re-ingest. Its reason stays in the job's history.
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders import SUPPORTED_SUFFIXES, iter_files, size_reason
from ingest.metadata import slugify
from ingest.pipeline import IngestReport, Progress, ingest_paths
from kb.config import Settings
from kb.files import atomic_write_bytes, sha256_hex
from kb.storage.knowledge import KnowledgeBase
from kb.storage.lock import WriterBusyError
from kb.workspace.jobs import (
    DONE,
    FAILED,
    QUEUED,
    REINGEST,
    REMOVED,
    UPLOAD,
    Claim,
    Job,
    JobFile,
    JobNote,
    enqueue,
    now,
)
from kb.workspace.roles import Actor, require

NAMES_FILE = ".names.json"  # hidden: the folder walk of ingest skips it
_MB = 1024 * 1024
SLUG_CHARS = 48


class UploadRejected(ValueError):
    """The upload is refused before ingest (the message says why)."""


@dataclass(frozen=True)
class FileResult:
    """What happened to one file: added, updated, unchanged or failed (with the reason)."""

    name: str
    status: str
    passages: int = 0
    reason: str = ""


def stored_name(original: str, data: bytes = b"") -> str:
    """The file name an upload named `original` is stored under (whatever its content,
    `data`: a new version of a file replaces the old one)."""
    # Separators in a name are just characters here: the name never becomes a path.
    suffix = Path(original.replace("\\", "/")).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UploadRejected(f"unsupported file type {suffix or '(none)'}; use {allowed}")
    stem = slugify(original[: len(original) - len(suffix)])[:SLUG_CHARS].rstrip("_") or "doc"
    # NFC: the same name typed on another system must land on the same file.
    key = unicodedata.normalize("NFC", original).encode("utf-8", "surrogatepass")
    return f"{stem}-{sha256_hex(key)[:12]}{suffix}"


def upload_path(original: str, settings: Settings) -> Path:
    """Where an upload named `original` goes: the file an earlier upload of that name is
    stored in, else its stored name in the uploads folder."""
    folder = settings.uploads_dir
    path = folder / stored_name(original)
    if path.exists():
        return path
    earlier = [folder / s for s, name in original_names(folder).items() if name == original]
    existing = [p for p in earlier if p.is_file()]
    return max(existing, key=lambda p: p.stat().st_mtime) if existing else path


def replaced_by(files: Sequence[tuple[str, bytes]], settings: Settings) -> list[str]:
    """Names among `files` whose upload would replace an earlier, different version."""
    out = []
    for name, data in files:
        try:
            path = upload_path(name, settings)
        except UploadRejected:
            continue
        if path.is_file() and _differs(path, data):
            out.append(name)
    return out


def save_upload(original: str, data: bytes, settings: Settings) -> Path:
    """Check the size, then write the bytes atomically under the name's stored name
    (replacing an earlier version uploaded under that name)."""
    if not data:
        raise UploadRejected("empty file")
    if len(data) > settings.max_file_mb * _MB:
        raise UploadRejected(size_reason(len(data), settings.max_file_mb))
    folder = settings.uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = upload_path(original, settings)
    if not path.exists() or _differs(path, data):
        atomic_write_bytes(path, data)
    _remember_name(folder, path.name, original)
    return path


def _differs(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size != len(data) or path.read_bytes() != data
    except OSError:
        return True


def original_names(folder: Path) -> dict[str, str]:
    """Stored file name -> the name it was uploaded with."""
    try:
        data = json.loads((folder / NAMES_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _forget_name(folder: Path, stored: str) -> None:
    names = original_names(folder)
    if stored in names:
        del names[stored]
        payload = json.dumps(names, ensure_ascii=False, indent=1).encode("utf-8")
        atomic_write_bytes(folder / NAMES_FILE, payload)


def _remember_name(folder: Path, stored: str, original: str) -> None:
    names = original_names(folder)
    if names.get(stored) == original:
        return
    # Files removed since (`clusterkb docs remove`) are forgotten on the way.
    names = {s: n for s, n in names.items() if (folder / s).exists()}
    names[stored] = original
    payload = json.dumps(names, ensure_ascii=False, indent=1).encode("utf-8")
    atomic_write_bytes(folder / NAMES_FILE, payload)


def save_uploads(
    files: Sequence[tuple[str, bytes]], settings: Settings
) -> tuple[list[tuple[str, Path]], list[FileResult]]:
    """Store each (name, bytes); returns the stored (name, path) pairs and the refusals."""
    saved: list[tuple[str, Path]] = []
    refused: list[FileResult] = []
    for name, data in files:
        try:
            saved.append((name, save_upload(name, data, settings)))
        except (UploadRejected, OSError) as exc:
            refused.append(FileResult(name, "failed", 0, str(exc)))
    return saved, refused


def file_results(
    report: IngestReport,
    events: Mapping[Path, tuple[str, int]],
    files: Sequence[tuple[str, Path]],
) -> list[FileResult]:
    """One result per (shown name, stored path), from the progress events and the report."""
    reasons = {Path(path).resolve(): reason for path, reason in report.failed}
    results = []
    for name, path in files:
        key = path.resolve()
        status, passages = events.get(key, ("failed", 0))
        reason = reasons.get(key, "" if key in events else "not ingested")
        results.append(FileResult(name, status, passages, reason if status == "failed" else ""))
    return results


# --- jobs --------------------------------------------------------------------------------


def queue_upload(files: Sequence[tuple[str, bytes]], settings: Settings, actor: Actor) -> Job:
    """Store each (name, bytes) and queue one job that ingests the stored ones; files refused
    here (type, size, empty) are not written and go into the job as failed, with the reason."""
    require(actor, "upload")  # before a single byte is stored
    saved, refused = save_uploads(files, settings)
    job_files = [JobFile(name, str(path)) for name, path in saved]
    job_files += [JobFile(r.name, "", FAILED, 0, r.reason) for r in refused]
    return enqueue(settings.home, actor, UPLOAD, [path for _, path in saved], job_files)


def queue_reingest(settings: Settings, actor: Actor, corpus: Path) -> Job:
    """Queue an ingest of the bundled corpus folder and the uploads folder."""
    targets = [p for p in (corpus, settings.uploads_dir) if p.exists()]
    return enqueue(settings.home, actor, REINGEST, targets)


class JobRecorder(Progress):
    """Writes the pipeline's progress and each file's result into the job file."""

    SAVE_EVERY_S = 0.5

    def __init__(self, claim: Claim, order: Sequence[Path], names: Mapping[str, str]) -> None:
        self.claim = claim
        self.order = [str(p) for p in order]
        self.names = names  # stored upload name -> the name it was uploaded with
        self.saved_at = 0.0

    def _save(self, force: bool = True) -> None:
        if force or time.monotonic() - self.saved_at >= self.SAVE_EVERY_S:
            self.claim.save()
            self.saved_at = time.monotonic()

    def _current(self) -> str:
        done = self.claim.job.progress.files_done
        if done >= len(self.order):
            return ""
        return self._shown(self.order[done])

    def _shown(self, path: str) -> str:
        name = Path(path).name
        return self.names.get(name, name)

    def files(self, total: int) -> None:
        self.claim.job.progress.files_total = total
        self.claim.job.progress.current = self._current()
        self._save()

    def file_done(self, path: str, status: str, passages: int) -> None:
        job = self.claim.job
        key = str(Path(path).resolve())
        entry = next((f for f in job.files if f.path and str(Path(f.path).resolve()) == key), None)
        if entry is None:
            entry = JobFile(self._shown(path), key)
            job.files.append(entry)
        entry.status, entry.passages = status, passages
        job.progress.files_done += 1
        job.progress.current = self._current()
        self._save()

    def passages_done(self, count: int) -> None:
        self.claim.job.progress.passages += count
        self._save(force=False)


def run_job(kb: KnowledgeBase, claim: Claim) -> Job:
    """Run a claimed job's ingest and finish it with each file's result. Raises
    `WriterBusyError` (job untouched, still claimed) when another process is writing."""
    job = claim.job
    paths = [Path(p) for p in job.targets]
    recorder = JobRecorder(claim, iter_files(paths), original_names(kb.settings.uploads_dir))
    try:
        report = ingest_paths(kb, paths, progress=recorder)
    except WriterBusyError:
        raise
    except Exception as exc:  # the failure belongs in the job's history; the worker goes on
        return claim.finish(FAILED, f"{type(exc).__name__}: {exc}")
    reasons = {str(Path(path).resolve()): reason for path, reason in report.failed}
    for f in job.files:
        if not f.path:
            continue
        key = str(Path(f.path).resolve())
        if f.status == QUEUED:
            f.status, f.reason = FAILED, reasons.get(key, "not ingested")
        elif f.status == FAILED:
            f.reason = reasons.get(key, f.reason)
    discard_refused(job, kb)
    return claim.finish(DONE)


def discard_refused(job: Job, kb: KnowledgeBase) -> list[str]:
    """Delete the job's refused files from the uploads folder (not those a document still
    comes from); returns the names deleted, also noted in the job."""
    folder = kb.settings.uploads_dir.resolve()
    manifest = kb.manifest
    deleted = []
    for f in job.files:
        if f.status != FAILED or not f.path:
            continue
        path = Path(f.path).resolve()
        if path.parent != folder or manifest.by_path(str(path)) is not None:
            continue
        path.unlink(missing_ok=True)
        _forget_name(folder, path.name)
        job.notes.append(JobNote(now(), REMOVED, f.name))
        deleted.append(f.name)
    return deleted
