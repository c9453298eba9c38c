"""The list of briefs at the top of the brief page: open, new, rename, duplicate, share, delete.

Every action goes through `kb.briefs.store`, which checks the permission and the owner; the
controls a user may not use are only disabled here for clarity.
"""

from __future__ import annotations

import streamlit as st

from clusterkb.app.auth import current_actor
from clusterkb.app.brief_session import (
    close_brief,
    current_record,
    flash,
    folder,
    open_brief,
    reset_fields,
    start_new,
)
from clusterkb.app.i18n import t, tn
from clusterkb.app.reasons import brief_reason
from kb.briefs.brief import BriefError
from kb.briefs.store import StoredBrief, delete, duplicate, list_visible, rename, set_shared
from kb.workspace.roles import Actor, Role

PICK_KEY = "brief_pick"
RENAME_KEY = "brief_rename_input"
CONFIRM_KEY = "brief_delete_confirm"


def _when(record: StoredBrief) -> str:
    return record.updated.replace("T", " ")[:16]


def _label(record: StoredBrief, actor: Actor) -> str:
    owner = t("brief_owner_you") if record.owned_by(actor) else record.owner
    shared = f" · {t('brief_shared_mark')}" if record.shared else ""
    return f"{record.name} — {owner} · {_when(record)}{shared}"


def _open_picked() -> None:
    picked = st.session_state.get(PICK_KEY)
    if picked:
        open_brief(str(picked))


def _run(action: str, done: str, *args: object) -> None:
    """Callback body: one store action on the open brief, reported on the next run."""
    actor = current_actor()
    record = current_record()
    if record is None:
        return
    try:
        if action == "rename":
            result = rename(record.id, str(st.session_state.get(RENAME_KEY, "")), folder(), actor)
        elif action == "duplicate":
            result = duplicate(record.id, folder(), actor)
        elif action == "share":
            result = set_shared(record.id, bool(args[0]), folder(), actor)
        else:
            result = delete(record.id, folder(), actor)
    except (BriefError, PermissionError, OSError) as exc:
        flash("error", t("brief_action_failed", reason=brief_reason(exc)))
        return
    st.session_state.pop(CONFIRM_KEY, None)
    st.session_state.pop(RENAME_KEY, None)
    if action == "delete":
        st.session_state.pop(PICK_KEY, None)
        close_brief()
        reset_fields()
    elif action == "duplicate":
        open_brief(result.id)
    else:
        reset_fields()
    flash("success", t(done, name=result.name))


def brief_picker() -> None:
    """Choose, create and manage briefs: the user's own and those shared with everyone."""
    actor = current_actor()
    records = list_visible(folder(), actor)
    current = current_record()
    ids = [r.id for r in records]
    labels = {r.id: _label(r, actor) for r in records}
    if current is not None and current.id in ids:
        st.session_state[PICK_KEY] = current.id
    pick, new = st.columns([4, 1], vertical_alignment="bottom")
    pick.selectbox(
        t("brief_pick"),
        ids,
        index=None,
        format_func=lambda i: labels.get(i, i),
        key=PICK_KEY,
        on_change=_open_picked,
        placeholder=t("brief_pick_none") if not ids else t("choose"),
    )
    new.button(
        t("brief_new"), key="brief_picker_new", icon=":material/note_add:", on_click=start_new
    )
    if current is None:
        return
    mine = current.owned_by(actor)
    if not mine:
        st.info(t("brief_read_only", owner=current.owner))
    rename_col, copy_col, share_col, delete_col = st.columns(4, vertical_alignment="center")
    with rename_col.popover(t("brief_rename"), icon=":material/edit:", disabled=not mine):
        st.text_input(t("brief_new_name"), value=current.name, key=RENAME_KEY)
        st.button(
            t("brief_rename"),
            key="brief_rename_do",
            on_click=_run,
            args=("rename", "brief_renamed"),
        )
    copy_col.button(
        t("brief_duplicate"),
        key="brief_duplicate",
        icon=":material/content_copy:",
        on_click=_run,
        args=("duplicate", "brief_duplicated"),
    )
    share_col.toggle(
        t("brief_share"),
        value=current.shared,
        key=f"brief_share_{current.id}_{current.shared}",
        disabled=not mine,
        on_change=_run,
        args=(
            "share",
            "brief_shared" if not current.shared else "brief_unshared",
            not current.shared,
        ),
        help=t("brief_share_help"),
    )
    may_delete = mine or actor.role >= Role.ADMIN
    with delete_col.popover(t("brief_delete"), icon=":material/delete:", disabled=not may_delete):
        st.checkbox(
            tn("brief_delete_confirm", len(current.brief.items), name=current.name),
            key=CONFIRM_KEY,
        )
        st.button(
            t("brief_delete"),
            key="brief_delete_do",
            type="primary",
            disabled=not st.session_state.get(CONFIRM_KEY),
            on_click=_run,
            args=("delete", "brief_deleted"),
        )
