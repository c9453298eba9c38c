"""Biblioteca's document editor: correct a document's metadata (kept as a person's overrides)
or remove the document, after a confirmation that says what happens to its file."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from clusterkb.app.auth import current_actor
from clusterkb.app.i18n import t, tn
from clusterkb.app.reasons import error_reason
from clusterkb.app.text import md
from clusterkb.app.widgets import country_label, lang_name
from ingest.language import DETECT_LANGS
from ingest.pipeline import clear_metadata
from kb.config import Settings
from kb.countries import load_countries
from kb.storage.knowledge import KnowledgeBase
from kb.storage.lock import WriterBusyError
from kb.storage.manifest import DocRecord
from kb.storage.overrides import (
    FIELDS,
    DocumentEditError,
    Value,
    in_effect,
    load_overrides,
    overrides_path,
)
from kb.storage.writes import remove_document, set_metadata, uploaded_file
from kb.workspace.roles import PermissionDenied

DOC_FLASH = "library_doc_flash"
REMOVING = "library_removing"
DOC_ROUND = "library_doc_round"


def flash(kind: str, text: str) -> None:
    st.session_state[DOC_FLASH] = (kind, text)


def save_document(
    kb: KnowledgeBase,
    settings: Settings,
    record: DocRecord,
    changed: dict[str, Value],
    restore: Sequence[str],
) -> None:
    """Save the changed fields as the signed-in user's overrides; drop those to restore."""
    unread = ""
    try:
        actor = current_actor(settings)
        for field, value in changed.items():
            set_metadata(kb, record.doc_id, field, value, actor=actor)
        for field in restore:
            unread = clear_metadata(kb, record.doc_id, field, actor=actor)[1] or unread
    except PermissionDenied:
        return flash("error", t("auth_denied"))
    except (DocumentEditError, WriterBusyError) as exc:
        return flash("error", t("doc_failed", reason=error_reason(exc)))
    names = ", ".join(t(f"doc_field_{f}") for f in (*changed, *restore))
    if unread:
        flash("warning", t("doc_unread", reason=unread))
    else:
        flash("success", t("doc_saved", fields=names) if names else t("doc_unchanged"))


def document_form(kb: KnowledgeBase, settings: Settings, record: DocRecord) -> None:
    """The metadata form of one document; saved fields become the app user's overrides."""
    overridden = in_effect(load_overrides(overrides_path(settings)), record.doc_id)
    countries = overridden.get("country") or list(record.countries) or [record.country]
    current: dict[str, Value] = {
        "title": record.title,
        "country": [c for c in countries if c],
        "year": record.year,
        "source": record.source,
        "publisher": record.publisher,
        "lang": record.lang,
    }
    known = [c.name for c in load_countries().entries]
    langs = list(dict.fromkeys([*DETECT_LANGS, record.lang]))
    # Keys change after each save, so the fields start again from what is now stored.
    key = f"{record.doc_id}_{st.session_state.get(DOC_ROUND, 0)}"
    with st.form("library_doc_form"):
        entered: dict[str, Value] = {
            "title": st.text_input(t("doc_field_title"), record.title, key=f"doc_title_{key}"),
            "country": st.multiselect(
                t("doc_field_country"),
                list(dict.fromkeys([*known, *countries])),
                default=current["country"],
                format_func=country_label,
                key=f"doc_country_{key}",
            ),
            "year": st.number_input(
                t("doc_field_year"), 1800, 2100, record.year, step=1, key=f"doc_year_{key}"
            ),
            "source": st.text_input(t("doc_field_source"), record.source, key=f"doc_source_{key}"),
            "publisher": st.text_input(
                t("doc_field_publisher"), record.publisher, key=f"doc_publisher_{key}"
            ),
            "lang": st.selectbox(
                t("doc_field_lang"),
                langs,
                langs.index(record.lang),
                format_func=lang_name,
                key=f"doc_lang_{key}",
            ),
        }
        restore = st.multiselect(
            t("doc_restore"),
            [f for f in FIELDS if f in overridden],
            format_func=lambda f: t(f"doc_field_{f}"),
            key=f"doc_restore_{key}",
            disabled=not overridden,
        )
        submitted = st.form_submit_button(t("doc_save"), icon=":material/edit:", key="doc_save")
    if submitted:
        changed = {
            f: v
            for f, v in entered.items()
            if v != current[f] and v is not None and f not in restore
        }
        save_document(kb, settings, record, changed, restore)
        st.session_state[DOC_ROUND] = st.session_state.get(DOC_ROUND, 0) + 1
        st.rerun()  # the table above and the fields show what is stored now
    origins = [
        f"{t(f'doc_field_{f}')}: {t('from_' + o)}" for f, o in record.provenance.items() if o
    ]
    if origins:
        st.caption(md(t("doc_provenance", origins=", ".join(origins))))


def remove_chosen(kb: KnowledgeBase, doc_id: str) -> None:
    """Remove the document (confirm-button callback) and clear the choice."""
    st.session_state.pop(REMOVING, None)
    try:
        record, _ = remove_document(kb, doc_id, actor=current_actor(kb.settings))
    except PermissionDenied:
        return flash("error", t("auth_denied"))
    except (DocumentEditError, WriterBusyError) as exc:
        return flash("error", t("doc_failed", reason=error_reason(exc)))
    st.session_state["library_doc"] = None
    flash("success", t("doc_removed", title=record.title))


def removal(kb: KnowledgeBase, record: DocRecord) -> None:
    """A remove button (for admins); the removal itself waits for a confirmation that says
    what happens."""
    try:
        if not current_actor(kb.settings).may("doc.remove"):
            return
    except PermissionDenied:
        return
    if st.session_state.get(REMOVING) != record.doc_id:
        st.button(
            t("doc_remove"),
            key="doc_remove",
            icon=":material/delete:",
            on_click=lambda: st.session_state.__setitem__(REMOVING, record.doc_id),
        )
        return
    if uploaded_file(kb, record):
        where = t("doc_remove_upload")
    else:
        where = t("doc_remove_elsewhere", path=record.path)
    ask = tn("doc_remove_confirm", len(record.passage_ids), title=record.title)
    st.warning(md(ask) + "\n\n" + md(where))
    yes, no = st.columns(2)
    yes.button(
        t("doc_remove_yes"),
        key="doc_remove_yes",
        type="primary",
        on_click=remove_chosen,
        args=(kb, record.doc_id),
    )
    no.button(
        t("doc_cancel"), key="doc_remove_no", on_click=lambda: st.session_state.pop(REMOVING, None)
    )
