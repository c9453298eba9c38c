"""Files in, passages out: load, chunk, tag, embed, store, index — incrementally by content hash.

Every change goes through the write protocol of `kb.storage.writes`, which makes each step
safe to interrupt: searches only show whole, committed documents, and whatever an interrupted
run left behind is cleaned up at the start of the next one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ingest.annotate import annotate, country_distribution, with_document_countries
from ingest.chunking import cut_as_ingest, embedding_text
from ingest.errors import IngestError
from ingest.loaders import iter_files, load_document
from kb.files import sha256_file
from kb.models import Document, Passage
from kb.storage.knowledge import KnowledgeBase
from kb.storage.manifest import DocRecord, Manifest
from kb.storage.overrides import DocumentEditError, in_effect, make_override, meta_value
from kb.storage.writes import Writer, writing
from kb.tags.tagger import default_tagger
from kb.workspace.roles import Actor, acting

Tagger = Callable[[list[Passage], np.ndarray], list[Passage]]
PIPELINE_VERSION = 5
"""Bump when extraction or chunking changes: files ingested by an older version are redone."""


def untagged(passages: list[Passage], vectors: np.ndarray) -> list[Passage]:
    """A tagger that adds no tags: `ingest_paths(..., tagger=untagged)` stores passages bare."""
    return passages


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    unmatched_corrections: list[str] = field(default_factory=list)
    """Human corrections whose passage text is no longer in the document."""
    passages: int = 0
    pages: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


class Progress:
    """Receives progress events; the CLI and the app subclass it, the default ignores them."""

    def files(self, total: int) -> None: ...

    def file_done(self, path: str, status: str, passages: int) -> None: ...

    def passages_done(self, count: int) -> None: ...

    def message(self, text: str) -> None: ...


def _unique_doc_id(doc_id: str, path: str, manifest: Manifest) -> str:
    """Two files with the same name in different folders must not share an id."""
    record = manifest.docs.get(doc_id)
    if record is None or record.path == path:
        return doc_id
    return f"{doc_id}_{hashlib.sha1(path.encode()).hexdigest()[:6]}"


def _with_doc_id(document: Document, doc_id: str, path: str) -> Document:
    return replace(document, meta=replace(document.meta, doc_id=doc_id, path=path))


def embed_passages(
    kb: KnowledgeBase, passages: Sequence[Passage], progress: Progress
) -> np.ndarray:
    """Vectors for `passages`, in batches; refuses any text the encoder would cut."""
    embedder = kb.embedder
    texts = []
    for p in passages:
        text = embedding_text(p)
        if embedder.count_tokens(text) > embedder.max_tokens:
            text = p.text  # drop the header before ever letting the encoder truncate
            if embedder.count_tokens(text) > embedder.max_tokens:
                raise IngestError(p.doc_id, f"passage {p.id} is longer than the encoder limit")
        texts.append(text)
    size = kb.settings.batch_size
    parts = []
    for lo in range(0, len(texts), size):
        parts.append(embedder.embed_passages(texts[lo : lo + size]))
        progress.passages_done(min(size, len(texts) - lo))
    return np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)


def _record(document: Document, passages: Sequence[Passage]) -> DocRecord:
    m = document.meta
    return DocRecord(
        doc_id=m.doc_id,
        path=m.path,
        sha256=m.sha256,
        title=m.title,
        country=m.country,
        source=m.source,
        year=m.year,
        lang=m.lang,
        pages=len(document.pages),
        passage_ids=[p.id for p in passages],
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        publisher=m.publisher,
        countries=country_distribution(list(passages)),
        provenance=dict(m.provenance),
        pipeline=PIPELINE_VERSION,
    )


def ingest_paths(
    kb: KnowledgeBase,
    paths: Iterable[Path],
    *,
    prune: bool = False,
    rebuild: bool = False,
    tagger: Tagger | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the knowledge base in step with the files under `paths`.

    Passages are tagged by `tagger`, by default the knowledge base's own (`default_tagger`);
    pass `untagged` to store them without tags.
    """
    progress = progress or Progress()
    if tagger is None:
        tagger = default_tagger(kb)
    with writing(kb) as writer:
        return _ingest_locked(writer, list(paths), prune, rebuild, tagger, progress)


def _ingest_locked(
    writer: Writer,
    paths: list[Path],
    prune: bool,
    rebuild: bool,
    tagger: Tagger,
    progress: Progress,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    if rebuild:
        # Re-embed everything known so far plus what was asked for.
        known = writer.manifest.docs.values()
        paths = paths + [Path(r.path) for r in known if Path(r.path).exists()]
        writer.reset()
    writer.drop_orphans()

    files = iter_files(paths)
    progress.files(len(files))
    for path in files:
        key = str(path)
        try:
            status, count = _ingest_one(writer, path, tagger, progress, report)
        except IngestError as exc:
            report.failed.append((key, exc.reason))
            status, count = "failed", 0
        progress.file_done(key, status, count)

    if prune:
        asked = [p.resolve() for p in paths]
        for record in list(writer.manifest.docs.values()):
            record_path = Path(record.path)
            under_asked = any(
                record_path.resolve() == a or a in record_path.resolve().parents for a in asked
            )
            if under_asked and not record_path.exists():
                writer.forget([record])
                report.removed.append(record.path)

    if report.changed or rebuild or writer.index_stale():
        progress.message("Updating the keyword index…")
        writer.reindex(full=rebuild)
    report.seconds = time.perf_counter() - started
    return report


def _ingest_one(
    writer: Writer,
    path: Path,
    tagger: Tagger,
    progress: Progress,
    report: IngestReport,
) -> tuple[str, int]:
    kb, manifest = writer.kb, writer.manifest
    key = str(path.resolve())
    try:
        digest = sha256_file(path)
    except OSError as exc:
        raise IngestError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    previous = manifest.by_path(key)
    if previous is not None and previous.sha256 == digest and previous.pipeline >= PIPELINE_VERSION:
        _rederive(writer, previous)  # an interrupted or dropped metadata override
        report.unchanged.append(key)
        return "unchanged", len(previous.passage_ids)

    document = load_document(path, kb.settings)
    doc_id = previous.doc_id if previous else _unique_doc_id(document.meta.doc_id, key, manifest)
    document = _with_doc_id(document, doc_id, key)
    # People's metadata overrides, before annotating: the passages inherit them.
    document = replace(document, meta=writer.with_overrides(document.meta))
    passages = annotate(document, cut_as_ingest(document, kb.embedder, kb.settings))
    document = with_document_countries(document, passages)
    if not passages:
        raise IngestError(path, "no text to index after extraction")
    vectors = embed_passages(kb, passages, progress)
    applied = writer.with_corrections(doc_id, digest, tagger(passages, vectors))
    passages = applied.passages
    report.unmatched_corrections.extend(
        f"{c.passage_id} ({', '.join(c.add + c.remove)}) by {c.user} on {c.time}"
        for c in applied.unmatched
    )

    writer.put(_record(document, passages), passages, vectors)
    if previous is not None:
        report.updated.append(key)
        status = "updated"
    else:
        report.added.append(key)
        status = "added"
    report.passages += len(passages)
    report.pages += len(document.pages)
    return status, len(passages)


def _rederive(writer: Writer, record: DocRecord) -> DocRecord:
    """Where the record disagrees with the metadata override log, re-read the file's own
    metadata, apply the overrides and rewrite the passages' metadata (no re-embedding)."""
    fields = writer.overrides_pending(record)
    if not fields:
        return record
    document = load_document(Path(record.path), writer.kb.settings)
    meta = writer.with_overrides(replace(document.meta, doc_id=record.doc_id, path=record.path))
    origins = dict(meta.provenance)
    return writer.restamp(
        record, {f: meta_value(meta, f) for f in fields}, {f: origins.get(f, "") for f in fields}
    )


def clear_metadata(
    kb: KnowledgeBase,
    doc_id: str,
    field: str,
    user: str | None = None,
    actor: Actor | None = None,
) -> tuple[DocRecord, str]:
    """Drop a person's override of `field`: the value the file itself gives applies again.

    Returns the record and, when the file cannot be read now, why (the overridden value then
    stays until the file is ingested again). Raises `DocumentEditError` with what is wrong,
    and `PermissionDenied` unless `actor` (default: the local admin named `user`) is an editor.
    """
    who = acting(actor, "doc.metadata", user or kb.settings.user)
    entry = make_override(doc_id, field, None, who.name)
    with writing(kb, reread_store=False) as writer:
        record = writer.record(doc_id)
        if field not in in_effect(writer.overrides(), doc_id):
            raise DocumentEditError(f"{field} of {doc_id} is not overridden")
        writer.override(entry)
        try:
            return _rederive(writer, record), ""
        except IngestError as exc:
            return record, exc.reason
