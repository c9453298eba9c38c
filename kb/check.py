"""Consistency of the data folder: store, BM25 index, manifest and correction log must agree."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.corrections import Correction, apply_corrections, load_corrections
from kb.knowledge import KnowledgeBase
from kb.lexical import LexicalIndex
from kb.lock import writer_lock


@dataclass
class CheckReport:
    manifest_passages: int = 0
    store_passages: int = 0
    index_passages: int = 0
    orphans_in_store: list[str] = field(default_factory=list)
    """In the store but not in the manifest (left by an interrupted ingest)."""
    missing_from_store: list[str] = field(default_factory=list)
    index_extra: list[str] = field(default_factory=list)
    index_missing: list[str] = field(default_factory=list)
    unmatched_corrections: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.orphans_in_store
            or self.missing_from_store
            or self.index_extra
            or self.index_missing
            or self.unmatched_corrections
        )

    def problems(self) -> list[str]:
        out = []
        if self.orphans_in_store:
            out.append(f"{len(self.orphans_in_store)} passages in the store not in the manifest")
        if self.missing_from_store:
            out.append(f"{len(self.missing_from_store)} manifest passages missing from the store")
        if self.index_extra:
            out.append(f"{len(self.index_extra)} keyword-index rows not in the manifest")
        if self.index_missing:
            out.append(
                f"{len(self.index_missing)} manifest passages missing from the keyword index"
            )
        if self.unmatched_corrections:
            out.append(
                f"{len(self.unmatched_corrections)} tag corrections match no current passage"
            )
        return out


def check(kb: KnowledgeBase) -> CheckReport:
    """Compare the four records of the knowledge base; changes nothing."""
    manifest = kb.manifest
    committed = manifest.passage_ids()
    stored = kb.store.all_ids()
    indexed = set(kb.lexical.ids)
    report = CheckReport(len(committed), len(stored), len(indexed))
    report.orphans_in_store = sorted(stored - committed)
    report.missing_from_store = sorted(committed - stored)
    report.index_extra = sorted(indexed - committed)
    report.index_missing = sorted(committed - indexed)
    corrections = load_corrections(kb.settings.corrections_path)
    by_doc: dict[str, list[Correction]] = {}
    for c in corrections:
        by_doc.setdefault(c.doc_id, []).append(c)
    for doc_id, group in sorted(by_doc.items()):
        record = manifest.docs.get(doc_id)
        passages = kb.store.get(record.passage_ids) if record else []
        for c in apply_corrections(passages, group).unmatched:
            report.unmatched_corrections.append(f"{c.passage_id} by {c.user} on {c.time}")
    return report


def repair(kb: KnowledgeBase) -> CheckReport:
    """Rebuild what is derived: drop orphans, forget documents whose passages are lost (the
    next ingest re-adds them), and rebuild the keyword index from the store."""
    with writer_lock(kb.settings.home):
        before = check(kb)
        from kb.manifest import save_manifest

        if before.orphans_in_store:
            kb.store.delete(before.orphans_in_store)
            before.repaired.append(f"deleted {len(before.orphans_in_store)} orphan passages")
        if before.missing_from_store:
            manifest = kb.manifest
            missing = set(before.missing_from_store)
            broken = [r for r in manifest.docs.values() if missing & set(r.passage_ids)]
            for record in broken:
                kb.store.delete(record.passage_ids)
                del manifest.docs[record.doc_id]
            save_manifest(manifest, kb.settings.manifest_path)
            before.repaired.append(
                f"forgot {len(broken)} incomplete documents; run `clusterkb ingest` to re-add them"
            )
        committed = sorted(kb.manifest.passage_ids())
        kb.set_lexical(LexicalIndex.build(kb.store.get(committed)))
        before.repaired.append(f"rebuilt the keyword index ({len(committed)} passages)")
    return before
