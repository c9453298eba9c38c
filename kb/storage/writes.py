"""The one way to change a knowledge base: ingest, repair and tag corrections all write here.

Write order makes every step safe to interrupt. A document's new passages are written under
new ids, then the manifest (the commit point) switches to them, then the old ones are deleted;
searches only show passages the manifest lists, so a half-written document is never seen.
Removals commit the manifest first and delete afterwards, so the manifest never lists a passage
the store has lost; whatever an interrupted writer left in the store without committing it is
an orphan, deleted by the next one. Tag corrections are logged before they are applied, so an
interrupted one is found and re-applied by `repair`. The keyword index is derived data: it is
brought up to date last, from the committed passages.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from kb.models import Passage
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
        """Whether the keyword index holds other passages than the manifest commits."""
        return set(self.kb.lexical.ids) != self.manifest.passage_ids()

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
