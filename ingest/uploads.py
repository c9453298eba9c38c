"""Uploaded files: checked before ingest, stored under names made from theirs, reported per file.

The stored name is `<slug of the original stem>-<first 12 hex of the name's sha256><suffix>`:
a file uploaded again under the same name lands on the same file, so an edited version
replaces the old one and its document (the same content again is "unchanged"); two names that
slug alike stay apart; a name can never leave the uploads folder. The original name is kept as
metadata in `.names.json`. A file uploaded when names were made from the content keeps its
stored name: found by its original name, it is replaced in place.
"""

from __future__ import annotations

import json
import unicodedata
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
