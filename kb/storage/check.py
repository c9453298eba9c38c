"""Consistency of the data folder: store, BM25 index, manifest and correction log must agree."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.models import Passage
from kb.storage.corrections import Correction, apply_corrections, load_corrections
from kb.storage.keyword_rows import LexicalRow
from kb.storage.knowledge import KnowledgeBase
from kb.storage.writes import writing


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
    corrections_not_applied: list[str] = field(default_factory=list)
    """Passages whose stored tags lack a logged correction (a tag edit was interrupted)."""
    index_tags_stale: list[str] = field(default_factory=list)
    """Passages whose tags in the keyword index differ from the store's."""
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.orphans_in_store
            or self.missing_from_store
            or self.index_extra
            or self.index_missing
            or self.unmatched_corrections
            or self.corrections_not_applied
            or self.index_tags_stale
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
        if self.corrections_not_applied:
            out.append(f"{len(self.corrections_not_applied)} passages miss a logged tag correction")
        if self.index_tags_stale:
            out.append(f"{len(self.index_tags_stale)} passages have out-of-date keyword-index tags")
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
    index_rows = {r.id: r for r in kb.lexical.rows}
    pairs, unmatched = _apply_log(kb)
    for passage, corrected in pairs:
        if set(passage.tags) != set(corrected.tags):
            report.corrections_not_applied.append(passage.id)
        row = index_rows.get(passage.id)
        if row is not None and row.tags != LexicalRow.of(passage).tags:
            report.index_tags_stale.append(passage.id)
    for c in unmatched:
        report.unmatched_corrections.append(f"{c.passage_id} by {c.user} on {c.time}")
    return report


def _apply_log(kb: KnowledgeBase) -> tuple[list[tuple[Passage, Passage]], list[Correction]]:
    """(stored, with the log applied) for every passage of a document that has corrections,
    and the corrections that match no passage.

    Applying the log is idempotent, so the two differ only where a correction is missing.
    """
    by_doc: dict[str, list[Correction]] = {}
    for c in load_corrections(kb.settings.corrections_path):
        by_doc.setdefault(c.doc_id, []).append(c)
    manifest = kb.manifest
    pairs: list[tuple[Passage, Passage]] = []
    unmatched: list[Correction] = []
    for doc_id, group in sorted(by_doc.items()):
        record = manifest.docs.get(doc_id)
        if record is None:
            continue  # a removed document: its corrections wait in the log in case it returns
        stored = kb.store.get(record.passage_ids)
        applied = apply_corrections(stored, group)
        pairs.extend(zip(stored, applied.passages, strict=True))
        unmatched.extend(applied.unmatched)
    return pairs, unmatched


def repair(kb: KnowledgeBase) -> CheckReport:
    """Rebuild what is derived: drop orphans, forget documents whose passages are lost (the
    next ingest re-adds them), re-apply logged tag corrections and rebuild the keyword index
    from the store."""
    with writing(kb) as writer:  # re-reads the store: what other processes wrote counts
        before = check(kb)
        if before.missing_from_store:
            missing = set(before.missing_from_store)
            docs = writer.manifest.docs.values()
            broken = [r for r in docs if missing & set(r.passage_ids)]
            writer.forget(broken)  # what is left behind is an orphan, deleted next
            before.repaired.append(
                f"forgot {len(broken)} incomplete documents; run `clusterkb ingest` to re-add them"
            )
        orphans = writer.drop_orphans()
        if orphans:
            before.repaired.append(f"deleted {len(orphans)} orphan passages")
        if before.corrections_not_applied:
            fixed = [new for old, new in _apply_log(kb)[0] if set(old.tags) != set(new.tags)]
            writer.retag(fixed)
            before.repaired.append(f"re-applied tag corrections to {len(fixed)} passages")
        committed = writer.reindex(full=True)
        before.repaired.append(f"rebuilt the keyword index ({committed} passages)")
    return before
