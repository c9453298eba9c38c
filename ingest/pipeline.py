"""Files in, passages out: load, chunk, tag, embed, store, index — incrementally by content hash.

Write order makes every step safe to interrupt: a document's new passages are written under
new ids, then the manifest (the commit point) switches to them, then the old ones are deleted.
Searches only show passages that the manifest lists, so a half-written document is never seen.
Removals (`prune`, `rebuild`) commit the manifest first and delete afterwards, so the manifest
never lists a passage the store has lost; whatever an interrupted run left in the store
without committing it is deleted at the start of the next run.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ingest.chunking import chunk_document, embedding_text
from ingest.errors import IngestError
from ingest.loaders import iter_files, load_document
from kb.models import Document, Passage
from kb.storage.corrections import apply_corrections, load_corrections, relevant
from kb.storage.keyword_index import LexicalIndex
from kb.storage.knowledge import KnowledgeBase
from kb.storage.lock import writer_lock
from kb.storage.manifest import DocRecord, Manifest, load_manifest

Tagger = Callable[[list[Passage], np.ndarray], list[Passage]]


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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    """Bring the knowledge base in step with the files under `paths`."""
    progress = progress or Progress()
    with writer_lock(kb.settings.home):
        return _ingest_locked(kb, list(paths), prune, rebuild, tagger, progress)


def _ingest_locked(
    kb: KnowledgeBase,
    paths: list[Path],
    prune: bool,
    rebuild: bool,
    tagger: Tagger | None,
    progress: Progress,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    # Another process may have written since this one opened the store (Chroma keeps a
    # per-process copy of the vector index): write on top of what is on disk now.
    kb.store.refresh()
    manifest = load_manifest(kb.settings.manifest_path)
    if rebuild:
        # Re-embed everything known so far plus what was asked for.
        paths = paths + [Path(r.path) for r in manifest.docs.values() if Path(r.path).exists()]
        manifest = Manifest()
        kb.save_manifest(manifest)  # forget first: a crash must not leave a manifest of ghosts
        kb.store.reset()
    recover_orphans(kb, manifest)

    files = iter_files(paths)
    progress.files(len(files))
    for path in files:
        key = str(path)
        try:
            status, count = _ingest_one(kb, manifest, path, tagger, progress, report)
        except IngestError as exc:
            report.failed.append((key, exc.reason))
            status, count = "failed", 0
        progress.file_done(key, status, count)

    if prune:
        asked = [p.resolve() for p in paths]
        for record in list(manifest.docs.values()):
            record_path = Path(record.path)
            under_asked = any(
                record_path.resolve() == a or a in record_path.resolve().parents for a in asked
            )
            if under_asked and not record_path.exists():
                del manifest.docs[record.doc_id]
                kb.save_manifest(manifest)
                kb.store.delete(record.passage_ids)
                report.removed.append(record.path)

    if report.changed or rebuild or _lexical_stale(kb, manifest):
        progress.message("Updating the keyword index…")
        committed = sorted(manifest.passage_ids())
        if rebuild:
            kb.set_lexical(LexicalIndex.build(kb.store.iter_get(committed)))
        else:
            kb.set_lexical(
                LexicalIndex.updated(kb.settings.bm25_path, committed, kb.store.iter_get)
            )
    report.seconds = time.perf_counter() - started
    return report


def _lexical_stale(kb: KnowledgeBase, manifest: Manifest) -> bool:
    return set(kb.lexical.ids) != manifest.passage_ids()


def recover_orphans(kb: KnowledgeBase, manifest: Manifest) -> list[str]:
    """Delete passages an interrupted run wrote but never committed to the manifest."""
    orphans = sorted(kb.store.all_ids() - manifest.passage_ids())
    if orphans:
        kb.store.delete(orphans)
    return orphans


def _ingest_one(
    kb: KnowledgeBase,
    manifest: Manifest,
    path: Path,
    tagger: Tagger | None,
    progress: Progress,
    report: IngestReport,
) -> tuple[str, int]:
    key = str(path.resolve())
    try:
        digest = sha256_of(path)
    except OSError as exc:
        raise IngestError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    previous = manifest.by_path(key)
    if previous is not None and previous.sha256 == digest:
        report.unchanged.append(key)
        return "unchanged", len(previous.passage_ids)

    document = load_document(path, kb.settings)
    doc_id = previous.doc_id if previous else _unique_doc_id(document.meta.doc_id, key, manifest)
    document = _with_doc_id(document, doc_id, key)
    passages = chunk_document(
        document,
        kb.embedder.count_tokens,
        kb.embedder.max_tokens,
        kb.settings.chunk_tokens,
        kb.settings.chunk_overlap_tokens,
    )
    if not passages:
        raise IngestError(path, "no text to index after extraction")
    vectors = embed_passages(kb, passages, progress)
    if tagger is not None:
        passages = tagger(passages, vectors)
    corrections = relevant(load_corrections(kb.settings.corrections_path), doc_id, digest)
    if corrections:
        applied = apply_corrections(passages, corrections)
        passages = applied.passages
        report.unmatched_corrections.extend(
            f"{c.passage_id} ({', '.join(c.add + c.remove)}) by {c.user} on {c.time}"
            for c in applied.unmatched
        )

    kb.store.upsert(passages, vectors)
    manifest.docs[doc_id] = _record(document, passages)
    kb.save_manifest(manifest)  # commit point
    if previous is not None:
        stale = sorted(set(previous.passage_ids) - {p.id for p in passages})
        kb.store.delete(stale)
        report.updated.append(key)
        status = "updated"
    else:
        report.added.append(key)
        status = "added"
    report.passages += len(passages)
    report.pages += len(document.pages)
    return status, len(passages)
