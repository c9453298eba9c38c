"""Files on disk: the safe YAML loader, the one atomic file write, and SHA-256 hashing."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

import yaml

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The safe YAML loader, in C when PyYAML was built with libyaml (ten times the pure-Python one)."""

_READ_BLOCK = 1 << 20


def read_yaml(path: Path, error: type[Exception] = ValueError) -> Any:
    """The YAML data in `path`; an unreadable or malformed file raises `error` naming it."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step: a crash leaves the old file or the new one,
    never half of it, and the new one is on disk (data and rename) when this returns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A private name per writer, beside the target: os.replace is atomic only within a folder.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    """`atomic_write_bytes` of `text` in UTF-8."""
    atomic_write_bytes(path, text.encode("utf-8"))


def fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """Hex SHA-256 of `text` in UTF-8."""
    return sha256_hex(text.encode("utf-8"))


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of the file at `path`, read a block at a time (files may be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_READ_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def append_json_line(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line to a log and flush it to disk; earlier lines are never rewritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    """Every record of a log, oldest first; a torn last line (a crash mid-append) is skipped."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            out.append(record)
    return out
