"""Recording a person's tag correction: log it, then apply it to the store and the index."""

from __future__ import annotations

from collections.abc import Sequence

from kb.models import Passage
from kb.storage.corrections import (
    Correction,
    apply_corrections,
    load_corrections,
    make_correction,
    parse_change,
)
from kb.storage.knowledge import KnowledgeBase
from kb.storage.writes import writing
from kb.workspace.roles import Actor, acting


class TagEditError(ValueError):
    """The correction cannot be recorded (unknown passage or tag)."""


def get_passage(kb: KnowledgeBase, passage_id: str) -> Passage:
    found = kb.passages([passage_id])
    if not found:
        raise TagEditError(f"no passage with id {passage_id!r} (ids are shown by search)")
    return found[0]


def correct_tags(
    kb: KnowledgeBase,
    passage_id: str,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    note: str = "",
    user: str | None = None,
    actor: Actor | None = None,
) -> Passage:
    """Record and apply one correction as `actor` (an editor; default: the local admin named
    `user`); returns the passage as it is now tagged."""
    from kb.tags.taxonomy import load_taxonomy

    who = acting(actor, "tags.correct", user or kb.settings.user)

    if not add and not remove:
        raise TagEditError("nothing to change: give --add and/or --remove FACET:TAG")
    taxonomy = load_taxonomy()
    for change in (*add, *remove):
        try:
            facet, tag_id = parse_change(change)
        except ValueError as exc:
            raise TagEditError(str(exc)) from exc
        if tag_id not in taxonomy.tag_ids(facet):
            raise TagEditError(f"unknown {facet} tag {tag_id!r}")
    # The store is not re-read first: a tag edit writes no vectors, and re-reading a large
    # store's vector index would cost seconds on every edit.
    with writing(kb, reread_store=False) as writer:
        passage = get_passage(kb, passage_id)
        record = writer.manifest.docs.get(passage.doc_id)
        sha = record.sha256 if record else ""
        correction = make_correction(passage, sha, add, remove, note, who.name)
        updated = writer.correct(passage, correction)
    return updated


def corrections_for(kb: KnowledgeBase, passage: Passage) -> list[Correction]:
    """The log entries that apply to this passage, oldest first."""
    log = load_corrections(kb.settings.corrections_path)
    mine = [c for c in log if c.doc_id == passage.doc_id]
    return [c for c in mine if apply_corrections([passage], [c]).unmatched == []]
