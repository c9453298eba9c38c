"""The brief open in this session: saved on every edit, kept in the address bar.

The session keeps only which brief is open (its id, also in the `?brief=` query parameter, so
a reload or a new tab opens it again) and the revision it last showed; the brief itself is
read from the briefs folder. Every edit is saved at once through `kb.briefs.store` over that
revision: when the brief changed elsewhere meanwhile, the edit is refused with a message and
the page shows the saved brief again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Final

import streamlit as st

from clusterkb.app.auth import current_actor
from clusterkb.app.i18n import lang, t
from clusterkb.app.reasons import brief_reason
from clusterkb.app.resources import current_settings
from kb.briefs.brief import (
    Brief,
    BriefError,
    Span,
    add_item,
    edit_brief,
    move_item,
    new_brief,
    remove_item,
    set_note,
)
from kb.briefs.store import (
    BriefConflict,
    NotOwner,
    StoredBrief,
    create,
    find,
    free_name,
    get,
    list_visible,
    save,
)
from kb.workspace.roles import Actor

OPEN_KEY = "brief_open_id"
SEEN_KEY = "brief_seen_revision"
FILLED_KEY = "brief_fields_for"
FLASH_KEY = "brief_flash"
QUERY_KEY = "brief"
DEFAULT_NAME = "informe"
FIELDS = {
    "brief_title_input": "title",
    "brief_purpose_input": "purpose",
    "brief_name_input": "name",
}
"""Edit widgets of the brief page -> the brief field each one shows."""
NOTE_PREFIX = "brief_note_"
KEEP_ON_PAGE: Final = "page"
"""`persist_state` of the edit widgets. A rerun the browser asks for before it has shown a
field (the page's link clicked while the page still arrives, as right after signing in)
mounts that field afresh, empty, though this session holds its value: with a kept value
Streamlit sends the value again then."""


def folder() -> Path:
    return current_settings().briefs_dir


def _actor() -> Actor:
    return current_actor()


# --- which brief is open ------------------------------------------------------------------


def _show(record: StoredBrief, seen: bool = True) -> None:
    """Remember `record` as the open brief (and, with `seen`, the revision shown)."""
    st.session_state[OPEN_KEY] = record.id
    if seen or SEEN_KEY not in st.session_state:
        st.session_state[SEEN_KEY] = record.revision
    if st.query_params.get(QUERY_KEY) != record.id:
        st.query_params[QUERY_KEY] = record.id


def close_brief() -> None:
    """No brief open any more (it was deleted)."""
    for key in (OPEN_KEY, SEEN_KEY):
        st.session_state.pop(key, None)
    if QUERY_KEY in st.query_params:
        del st.query_params[QUERY_KEY]


def _wanted() -> list[str]:
    """Ids to try, in order: this session's, then the one in the address."""
    ids = [st.session_state.get(OPEN_KEY), st.query_params.get(QUERY_KEY)]
    return [str(i) for i in ids if i]


def current_record() -> StoredBrief | None:
    """The open brief as saved now; on a first visit, the user's latest brief (None if none)."""
    actor = _actor()
    for brief_id in _wanted():
        with contextlib.suppress(BriefError):
            record = get(brief_id, folder(), actor)
            _show(record, seen=False)
            return record
        close_brief()  # deleted, or no longer shared: fall back below
    own = [r for r in list_visible(folder(), actor) if r.owned_by(actor)]
    if not own:
        return None
    _show(own[0])
    return own[0]


def brief() -> Brief:
    """The open brief (an empty, not yet saved one when the user has none)."""
    record = current_record()
    if record is not None:
        return record.brief
    return new_brief(DEFAULT_NAME, title=t("brief_default_title"), lang=lang())


def open_brief(brief_id: str) -> None:
    """Make the brief `brief_id` the open one (fields show its saved values)."""
    try:
        record = get(brief_id, folder(), _actor())
    except (BriefError, PermissionError) as exc:
        flash("error", t("brief_open_failed", reason=brief_reason(exc)))
        return
    _show(record)
    reset_fields()


def start_new() -> None:
    """Button callback: a new empty brief becomes the open one; the previous one stays saved
    and listed."""
    before = current_record()
    actor = _actor()
    name = free_name(folder(), actor.name, DEFAULT_NAME)
    try:
        record = create(
            new_brief(name, title=t("brief_default_title"), lang=lang()), folder(), actor
        )
    except (BriefError, PermissionError, OSError) as exc:
        flash("error", t("brief_save_failed", reason=brief_reason(exc)))
        return
    _show(record)
    reset_fields()
    if before is not None:
        flash("success", t("brief_new_kept", name=before.name))


# --- every edit is saved --------------------------------------------------------------------


def change_brief(change: Callable[[Brief], Brief]) -> bool:
    """Apply `change` to the open brief and save it over the revision this session showed;
    a first edit with no brief open creates one. False (and a message) when not saved."""
    actor = _actor()
    try:
        record = current_record()
        if record is None:
            name = free_name(folder(), actor.name, DEFAULT_NAME)
            empty = new_brief(name, title=t("brief_default_title"), lang=lang())
            record = create(empty, folder(), actor)
            _show(record)
        seen = int(st.session_state.get(SEEN_KEY, record.revision))
        saved = save(replace(record, brief=change(record.brief), revision=seen), folder(), actor)
    except BriefConflict:
        flash("error", t("brief_conflict"))
        reload_brief()
        return False
    except NotOwner:
        owner = record.owner if record is not None else ""
        flash("error", t("brief_read_only", owner=owner))
        reset_fields()
        return False
    except (BriefError, PermissionError, OSError) as exc:
        flash("error", t("brief_save_failed", reason=brief_reason(exc)))
        return False
    _show(saved)
    return True


def reload_brief() -> None:
    """Show the open brief as saved now, dropping what the edit widgets hold."""
    st.session_state.pop(SEEN_KEY, None)
    record = current_record()
    if record is not None:
        _show(record)
    reset_fields()


def set_brief(value: Brief) -> None:
    """Replace the open brief's content with `value` (saved at once)."""
    change_brief(lambda _: value)


def in_brief(passage_id: str) -> bool:
    return passage_id in brief().passage_ids


def add_to_brief(passage_id: str, spans: Sequence[Span] | None = None, question: str = "") -> None:
    """Button callback: append a passage to the open brief, quoting `spans` of it (the
    sentences that answered the search that found it; None leaves the choice to the brief
    page). A brief without a question takes the search's `question` as its own, so the
    sentences it highlights later answer the same thing."""

    def added(current: Brief) -> Brief:
        if question.strip() and not current.question.strip():
            current = edit_brief(current, question=" ".join(question.split()))
        return add_item(current, passage_id, spans=spans or None)

    change_brief(added)


def remove_from_brief(passage_id: str) -> None:
    change_brief(lambda b: remove_item(b, passage_id))


def move_in_brief(passage_id: str, position: int) -> None:
    """Move to `position` (1-based); a move past either end is ignored."""
    if 1 <= position <= len(brief().items):
        change_brief(lambda b: move_item(b, passage_id, position))


def note_key(passage_id: str) -> str:
    return f"{NOTE_PREFIX}{passage_id}"


def note_in_brief(passage_id: str) -> None:
    """Text-input callback: save the note typed for the passage."""
    text = str(st.session_state.get(note_key(passage_id), ""))
    change_brief(lambda b: set_note(b, passage_id, text))


# --- edit widgets -----------------------------------------------------------------------------


def fill_fields() -> None:
    """Give the edit widgets the open brief's values unless they already hold the user's
    for this brief."""
    record = current_record()
    if st.session_state.get(FILLED_KEY) != (record.id if record else None):
        reset_fields()
        st.session_state[FILLED_KEY] = record.id if record else None
    current = record.brief if record else brief()
    for key, field in FIELDS.items():
        st.session_state.setdefault(key, getattr(current, field))
    for item in current.items:
        st.session_state.setdefault(note_key(item.passage_id), item.note)


def reset_fields() -> None:
    """Forget the edit widgets' values so they are filled again from the saved brief."""
    for key in list(st.session_state):
        if key in FIELDS or str(key).startswith(NOTE_PREFIX) or key == FILLED_KEY:
            del st.session_state[key]


def sync_field(key: str) -> None:
    """Text-input callback: the field `key` typed on the page is saved, and only it, so a
    field the browser shows otherwise than this session holds is never saved along."""
    field = FIELDS[key]
    text = str(st.session_state.get(key, ""))

    def typed(current: Brief) -> Brief:
        if field == "title":
            return edit_brief(current, title=text)
        if field == "purpose":
            return edit_brief(current, purpose=text)
        name = text.strip()  # an emptied name keeps the old one
        return replace(current, name=name) if name else current

    change_brief(typed)


def saved_status() -> str:
    """The line under the fields saying the brief as shown is saved, and when (local time)."""
    record = current_record()
    if record is None:
        return t("brief_status_unsaved")
    try:
        when = datetime.fromisoformat(record.updated).astimezone().strftime("%H:%M:%S")
    except ValueError:  # a file written without a time
        return t("brief_status_saved_untimed")
    return t("brief_status_saved", time=when)


def flash(kind: str, text: str) -> None:
    """A message for the next run of the page ('success' or 'error')."""
    st.session_state[FLASH_KEY] = (kind, text)


def take_flash() -> tuple[str, str] | None:
    value = st.session_state.pop(FLASH_KEY, None)
    return value if isinstance(value, tuple) else None


# --- kept for the brief page's save and open buttons ----------------------------------------


def save_to(folder_: Path | None = None) -> None:
    """Button callback: edits are already saved; this confirms it (saving a first brief)."""
    if change_brief(lambda b: b):
        flash("success", t("brief_saved", name=brief().name))


def reopen_from(folder_: Path | None, choice_key: str) -> None:
    """Button callback: open the brief (id or name) chosen in `choice_key`."""
    choice = st.session_state.get(choice_key)
    if not choice:
        return
    try:
        record = find(str(choice), folder(), _actor())
    except (BriefError, PermissionError) as exc:
        flash("error", t("brief_open_failed", reason=brief_reason(exc)))
        return
    open_brief(record.id)
    flash("success", t("brief_opened", name=record.name))
