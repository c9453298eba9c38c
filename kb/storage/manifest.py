"""The manifest: which files are in the knowledge base, by content hash, and their passages."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kb.files import atomic_write_text

VERSION = 1


@dataclass
class DocRecord:
    doc_id: str
    path: str
    sha256: str
    title: str
    country: str
    source: str
    year: int | None
    lang: str
    pages: int
    passage_ids: list[str]
    ingested_at: str
    publisher: str = ""
    countries: dict[str, int] = field(default_factory=dict)
    """The document's countries as the distribution over its passages (country -> passages)."""
    provenance: dict[str, str] = field(default_factory=dict)
    """Where each metadata field came from (front_matter, file_properties, cover, text, …)."""
    pipeline: int = 0
    """Version of the extraction that built the passages; an older one is re-extracted."""


@dataclass
class Manifest:
    docs: dict[str, DocRecord] = field(default_factory=dict)

    def by_path(self, path: str) -> DocRecord | None:
        for record in self.docs.values():
            if record.path == path:
                return record
        return None

    def passage_ids(self) -> set[str]:
        return {pid for record in self.docs.values() for pid in record.passage_ids}


def load_manifest(path: Path) -> Manifest:
    if not path.exists():
        return Manifest()
    data = json.loads(path.read_text(encoding="utf-8"))
    return Manifest({d["doc_id"]: DocRecord(**d) for d in data.get("docs", [])})


def save_manifest(manifest: Manifest, path: Path) -> None:
    """Write atomically: a crash leaves the previous manifest, never a torn one."""
    payload = {
        "version": VERSION,
        "docs": [asdict(r) for r in sorted(manifest.docs.values(), key=lambda r: r.doc_id)],
    }
    atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=1))
