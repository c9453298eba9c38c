"""The brief of one session: kept in `st.session_state`, edited by widget callbacks."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path

import streamlit as st

from clusterkb.app.i18n import lang, t
from kb.briefs.brief import (
    Brief,
    BriefError,
    add_item,
    edit_brief,
    load_brief,
    move_item,
    new_brief,
    remove_item,
    save_brief,
    set_note,
)

BRIEF_KEY = "brief"
FLASH_KEY = "brief_flash"
FIELDS = {
    "brief_title_input": "title",
    "brief_purpose_input": "purpose",
    "brief_name_input": "name",
}
"""Edit widgets of the brief page -> the brief field each one shows."""
NOTE_PREFIX = "brief_note_"


def brief() -> Brief:
    """This session's brief (a fresh, empty one on first use)."""
    current = st.session_state.get(BRIEF_KEY)
    if not isinstance(current, Brief):
        current = new_brief("informe", title=t("brief_default_title"), lang=lang())
        st.session_state[BRIEF_KEY] = current
    return current


def set_brief(value: Brief) -> None:
    st.session_state[BRIEF_KEY] = value


def in_brief(passage_id: str) -> bool:
    return passage_id in brief().passage_ids


def add_to_brief(passage_id: str) -> None:
    """Button callback: append a passage to the session brief."""
    set_brief(add_item(brief(), passage_id))


def remove_from_brief(passage_id: str) -> None:
    set_brief(remove_item(brief(), passage_id))


def move_in_brief(passage_id: str, position: int) -> None:
    """Move to `position` (1-based); a move past either end is ignored."""
    with contextlib.suppress(BriefError):
        set_brief(move_item(brief(), passage_id, position))


def note_key(passage_id: str) -> str:
    return f"{NOTE_PREFIX}{passage_id}"


def note_in_brief(passage_id: str) -> None:
    """Text-input callback: store the note typed for the passage."""
    text = str(st.session_state.get(note_key(passage_id), ""))
    set_brief(set_note(brief(), passage_id, text))


def fill_fields() -> None:
    """Give the edit widgets the brief's values unless they already hold the user's."""
    current = brief()
    for key, field in FIELDS.items():
        st.session_state.setdefault(key, getattr(current, field))
    for item in current.items:
        st.session_state.setdefault(note_key(item.passage_id), item.note)


def reset_fields() -> None:
    """Forget the edit widgets' values so they are filled again from the session brief."""
    for key in list(st.session_state):
        if key in FIELDS or str(key).startswith(NOTE_PREFIX):
            del st.session_state[key]


def sync_fields() -> None:
    """Text-input callback: title, purpose and name typed on the page go into the brief."""
    values = {field: str(st.session_state.get(key, "")) for key, field in FIELDS.items()}
    current = edit_brief(brief(), title=values["title"], purpose=values["purpose"])
    if values["name"].strip():
        current = replace(current, name=values["name"].strip())
    set_brief(current)


def flash(kind: str, text: str) -> None:
    """A message for the next run of the page ('success' or 'error')."""
    st.session_state[FLASH_KEY] = (kind, text)


def take_flash() -> tuple[str, str] | None:
    value = st.session_state.pop(FLASH_KEY, None)
    return value if isinstance(value, tuple) else None


def save_to(folder: Path) -> None:
    """Button callback: save the session brief in the briefs folder."""
    try:
        saved = save_brief(brief(), folder)
    except (BriefError, OSError) as exc:
        flash("error", t("brief_save_failed", reason=str(exc)))
        return
    set_brief(saved)
    flash("success", t("brief_saved", name=saved.name))


def reopen_from(folder: Path, choice_key: str) -> None:
    """Button callback: replace the session brief with the saved one chosen in `choice_key`."""
    name = st.session_state.get(choice_key)
    if not name:
        return
    try:
        set_brief(load_brief(str(name), folder))
    except BriefError as exc:
        flash("error", t("brief_open_failed", reason=str(exc)))
        return
    reset_fields()
    flash("success", t("brief_opened", name=str(name)))


def start_new() -> None:
    """Button callback: an empty brief replaces the session's one."""
    set_brief(new_brief("informe", title=t("brief_default_title"), lang=lang()))
    reset_fields()
