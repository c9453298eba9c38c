"""The one way to change a knowledge base: ingest, repair and tag corrections all write here.

Write order makes every step safe to interrupt. A document's new passages are written under
new ids, then the manifest (the commit point) switches to them, then the old ones are deleted;
searches only show passages the manifest lists, so a half-written document is never seen.
Removals commit the manifest first and delete afterwards, so the manifest never lists a passage
the store has lost; whatever an interrupted writer left in the store without committing it is
an orphan, deleted by the next one. Tag corrections are logged before they are applied, so an
interrupted one is found and re-applied by `repair`. Metadata overrides are logged before
they are applied too; an interrupted one is re-applied by the next ingest. The keyword index
is derived data: it is brought up to date last, from the committed passages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from kb.models import DocumentMeta, Passage
from kb.storage.corrections import (
    Applied,
    Correction,
    append_correction,
    apply_corrections,
    load_corrections,
    relevant,
)
from kb.storage.keyword_index import LexicalIndex
from kb.storage.knowledge import KnowledgeBase
from kb.storage.lock import writer_lock
from kb.storage.manifest import DocRecord, Manifest, load_manifest
from kb.storage.overrides import (
    PERSON,
    DocumentEditError,
    Override,
    Value,
    append_override,
    apply_to_meta,
    in_effect,
    load_overrides,
    make_override,
    overrides_path,
    pending,
    restamp,
)
from kb.workspace.roles import Actor, acting


@contextmanager
def writing(kb: KnowledgeBase, *, reread_store: bool = True) -> Iterator[Writer]:
    """Hold the writer lock and yield a `Writer` on the manifest as it is on disk now.

    `reread_store`: first re-read the vector store from disk, since another process may have
    written since this one opened it (Chroma keeps a per-process copy of the vector index).
    """
    with writer_lock(kb.settings.home):
        if reread_store:
            kb.store.refresh()
        yield Writer(kb, load_manifest(kb.settings.manifest_path))


class Writer:
    """The steps of a write, each leaving the knowledge base safe to interrupt after it."""

    def __init__(self, kb: KnowledgeBase, manifest: Manifest) -> None:
        self.kb = kb
        self.manifest = manifest
        self._overrides: list[Override] | None = None

    def commit(self) -> None:
        """Save the manifest: what it lists is what searches show."""
        self.kb.save_manifest(self.manifest)

    def reset(self) -> None:
        """Forget every document, then drop the store (a crash between leaves no ghosts)."""
        self.manifest = Manifest()
        self.commit()
        self.kb.store.reset()

    def drop_orphans(self) -> list[str]:
        """Delete the passages an interrupted write stored but never committed."""
        orphans = sorted(self.kb.store.all_ids() - self.manifest.passage_ids())
        if orphans:
            self.kb.store.delete(orphans)
        return orphans

    def put(self, record: DocRecord, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        """Store a document's passages, commit it, then delete its previous version's."""
        previous = self.manifest.docs.get(record.doc_id)
        self.kb.store.upsert(passages, vectors)
        self.manifest.docs[record.doc_id] = record
        self.commit()
        if previous is not None:
            self.kb.store.delete(sorted(set(previous.passage_ids) - set(record.passage_ids)))

    def forget(self, records: Sequence[DocRecord]) -> None:
        """Remove documents: commit without them first, then delete their passages."""
        for record in records:
            del self.manifest.docs[record.doc_id]
        self.commit()
        for record in records:
            self.kb.store.delete(record.passage_ids)

    def record(self, doc_id: str) -> DocRecord:
        """The committed record of `doc_id`; `DocumentEditError` names the id otherwise."""
        record = self.manifest.docs.get(doc_id)
        if record is None:
            raise DocumentEditError(
                f"no document with id {doc_id!r} (ids are shown by `clusterkb docs list`)"
            )
        return record

    def remove(self, record: DocRecord) -> None:
        """Remove a document's passages, manifest record and keyword-index rows."""
        self.forget([record])
        self.reindex(full=False)

    def overrides(self) -> list[Override]:
        """The metadata override log (read once per write: only writers append to it)."""
        if self._overrides is None:
            self._overrides = load_overrides(overrides_path(self.kb.settings))
        return self._overrides

    def with_overrides(self, meta: DocumentMeta) -> DocumentMeta:
        """A document's derived metadata with the overrides people set (before chunking,
        so its passages inherit them)."""
        return apply_to_meta(meta, in_effect(self.overrides(), meta.doc_id))

    def overrides_pending(self, record: DocRecord) -> set[str]:
        """Fields where the committed record does not yet show the override log."""
        return pending(record, in_effect(self.overrides(), record.doc_id))

    def override(self, entry: Override) -> DocRecord:
        """Log a metadata override, then apply it to the passages, the record and the keyword
        index (a dropped one is logged only: the file's own value comes from re-reading it)."""
        log = self.overrides()
        append_override(overrides_path(self.kb.settings), entry)
        log.append(entry)
        record = self.record(entry.doc_id)
        if entry.value is None:
            return record
        return self.restamp(record, {entry.field: entry.value}, {entry.field: PERSON})

    def restamp(
        self, record: DocRecord, values: Mapping[str, Value], origins: Mapping[str, str]
    ) -> DocRecord:
        """Rewrite some metadata fields of a document's stored passages (vectors stay), then
        its record, then the keyword index."""
        passages, updated = restamp(self.kb.store.get(record.passage_ids), record, values, origins)
        self.kb.store.update_tags(passages)
        self.manifest.docs[record.doc_id] = updated
        self.commit()
        # The keyword index re-stems them too: a title or language edit changes their words.
        self.kb.set_lexical(self.kb.lexical.with_passages(passages))
        return updated

    def with_corrections(self, doc_id: str, sha256: str, passages: list[Passage]) -> Applied:
        """A document's new passages with the logged tag corrections applied (before `put`:
        tags are derived anew at every ingest, corrections outlive that)."""
        log = load_corrections(self.kb.settings.corrections_path)
        corrections = relevant(log, doc_id, sha256)
        return apply_corrections(passages, corrections) if corrections else Applied(passages)

    def correct(self, passage: Passage, correction: Correction) -> Passage:
        """Log a tag correction, then apply it to the store and the keyword index."""
        append_correction(self.kb.settings.corrections_path, correction)
        updated = apply_corrections([passage], [correction]).passages[0]
        self.retag([updated])
        self.kb.set_lexical(self.kb.lexical.with_passages([updated]))
        return updated

    def retag(self, passages: Sequence[Passage]) -> None:
        """Rewrite the stored tags of `passages` (their vectors stay)."""
        self.kb.store.update_tags(passages)

    def index_stale(self) -> bool:
        """Whether the keyword index holds other passages than the manifest commits, or was
        saved by an earlier version (updating it converts it)."""
        lexical = self.kb.lexical
        return lexical.legacy or set(lexical.ids) != self.manifest.passage_ids()

    def reindex(self, *, full: bool) -> int:
        """Bring the keyword index in step with the committed passages; returns their number.

        `full` re-reads every passage; otherwise only those new to the saved index are read.
        """
        committed = sorted(self.manifest.passage_ids())
        store = self.kb.store
        if full:
            index = LexicalIndex.build(store.iter_get(committed))
        else:
            index = LexicalIndex.updated(self.kb.settings.bm25_path, committed, store.iter_get)
        self.kb.set_lexical(index)
        return len(committed)


def set_metadata(
    kb: KnowledgeBase,
    doc_id: str,
    field: str,
    value: Value,
    user: str | None = None,
    actor: Actor | None = None,
) -> DocRecord:
    """Record a person's value for one metadata field of a document and apply it at once;
    returns the record as it is now. Raises `DocumentEditError` with what is wrong, and
    `PermissionDenied` unless `actor` (default: the local admin named `user`) is an editor."""
    who = acting(actor, "doc.metadata", user or kb.settings.user)
    entry = make_override(doc_id, field, value, who.name)
    # No re-read of the store: no vectors are written (as for tag edits).
    with writing(kb, reread_store=False) as writer:
        writer.record(doc_id)
        return writer.override(entry)


def remove_document(
    kb: KnowledgeBase, doc_id: str, actor: Actor | None = None
) -> tuple[DocRecord, Path | None]:
    """Remove a document from the knowledge base; its file is deleted when it was uploaded
    (it lies in the data folder's uploads), kept otherwise. Returns the record and the
    deleted file. Only an admin may (`actor`, default: the local admin)."""
    acting(actor, "doc.remove", kb.settings.user)
    with writing(kb) as writer:
        record = writer.record(doc_id)
        upload = uploaded_file(kb, record)
        if upload is not None:
            # First: a crash before the commit leaves the document listed, to remove again.
            upload.unlink(missing_ok=True)
        writer.remove(record)
    return record, upload


def uploaded_file(kb: KnowledgeBase, record: DocRecord) -> Path | None:
    """The document's file when it lies in the data folder's uploads, else None."""
    path = Path(record.path).resolve()
    uploads = kb.settings.uploads_dir.resolve()
    return path if uploads in path.parents else None
