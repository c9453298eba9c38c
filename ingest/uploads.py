"""Uploaded files: checked before ingest, stored under content-hash names, reported per file.

The stored name is `<slug of the original stem>-<first 12 hex of sha256><suffix>`: the same
content always lands on the same file (re-uploading it is "unchanged"), a name can never leave
the uploads folder, and the original name is kept only as metadata in `.names.json`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders import SUPPORTED_SUFFIXES, size_reason
from ingest.metadata import slugify
from ingest.pipeline import IngestReport
from kb.config import Settings
from kb.files import atomic_write_bytes, sha256_hex

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


def stored_name(original: str, data: bytes) -> str:
    """The content-hash file name an upload is stored under."""
    # Separators in a name are just characters here: the name never becomes a path.
    suffix = Path(original.replace("\\", "/")).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UploadRejected(f"unsupported file type {suffix or '(none)'}; use {allowed}")
    stem = slugify(original[: len(original) - len(suffix)])[:SLUG_CHARS].rstrip("_") or "doc"
    return f"{stem}-{sha256_hex(data)[:12]}{suffix}"


def save_upload(original: str, data: bytes, settings: Settings) -> Path:
    """Check the size, then write the bytes atomically under their content-hash name."""
    if not data:
        raise UploadRejected("empty file")
    if len(data) > settings.max_file_mb * _MB:
        raise UploadRejected(size_reason(len(data), settings.max_file_mb))
    folder = settings.uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stored_name(original, data)
    if not path.exists():
        atomic_write_bytes(path, data)
    _remember_name(folder, path.name, original)
    return path


def original_names(folder: Path) -> dict[str, str]:
    """Stored file name -> the name it was uploaded with."""
    try:
        data = json.loads((folder / NAMES_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _remember_name(folder: Path, stored: str, original: str) -> None:
    names = original_names(folder)
    if names.get(stored) == original:
        return
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
