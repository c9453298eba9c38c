"""Biblioteca: the documents (metadata corrections, removal), uploads and re-ingest with
progress, and tag corrections."""

import math
from pathlib import Path

import streamlit as st

from clusterkb.app.doc_editor import DOC_FLASH, document_form, removal
from clusterkb.app.i18n import lang, t
from clusterkb.app.progress import ingest_with_status
from clusterkb.app.resources import current_settings, get_taxonomy
from clusterkb.app.text import md
from clusterkb.app.widgets import country_label, lang_name, open_kb_or_stop, render_passage
from clusterkb.bundled_corpus import corpus_dir
from ingest.uploads import FileResult, file_results, original_names, replaced_by, save_uploads
from kb.models import FACETS
from kb.storage.corrections import load_corrections
from kb.storage.lock import WriterBusyError
from kb.tags.edit import TagEditError, correct_tags, corrections_for, get_passage

RESULTS = "library_results"
FLASH = "library_flash"
SUMMARY = "library_summary"
REPLACING = "library_replacing"
UPLOAD_TYPES = ["pdf", "docx", "md", "markdown", "txt"]

settings = current_settings()
kb = open_kb_or_stop(settings)
taxonomy = get_taxonomy()
st.header(t("library_title"))
st.caption(t("library_intro"))


def show_results(results: list[FileResult]) -> None:
    st.dataframe(
        [
            {
                t("col_file"): r.name,
                t("col_result"): t(f"status_{r.status}"),
                t("col_passages"): r.passages,
                t("col_reason"): r.reason,
            }
            for r in results
        ],
        hide_index=True,
        width="stretch",
    )


# --- documents and status ---------------------------------------------------------------
manifest = kb.manifest
docs = sorted(manifest.docs.values(), key=lambda r: (r.country, r.title))
in_step = set(kb.lexical.ids) == manifest.passage_ids()
a, b, c, d = st.columns(4)
a.metric(t("metric_documents"), len(docs))
b.metric(t("metric_passages"), len(manifest.passage_ids()))
c.metric(t("metric_index"), len(kb.lexical))
d.metric(t("metric_corrections"), len(load_corrections(settings.corrections_path)))
if not docs:
    st.warning(t("kb_empty"))
elif in_step:
    st.success(t("index_in_step"))
else:
    st.warning(t("index_stale"))

uploaded_as = original_names(settings.uploads_dir)
st.subheader(t("documents"))
st.dataframe(
    [
        {
            t("col_title"): r.title,
            t("col_country"): ", ".join(map(country_label, r.countries or [r.country])),
            t("col_year"): r.year,
            t("col_publisher"): r.publisher,
            t("col_language"): lang_name(r.lang),
            t("col_pages"): r.pages,
            t("col_passages"): len(r.passage_ids),
            t("col_ingested"): r.ingested_at,
            t("col_file"): uploaded_as.get(Path(r.path).name, Path(r.path).name),
        }
        for r in docs
    ],
    hide_index=True,
    width="stretch",
)


st.subheader(t("doc_edit_title"))
st.caption(t("doc_edit_help"))
if DOC_FLASH in st.session_state:
    kind, text = st.session_state.pop(DOC_FLASH)
    getattr(st, kind)(md(text))
chosen = st.selectbox(
    t("doc_choose"),
    [r.doc_id for r in docs],
    index=None,
    format_func=lambda i: f"{manifest.docs[i].title} ({i})",
    key="library_doc",
    placeholder=t("choose"),
)
if chosen in manifest.docs:
    document_form(kb, settings, manifest.docs[chosen])
    removal(kb, manifest.docs[chosen])

# --- upload and re-ingest ---------------------------------------------------------------
st.subheader(t("upload_title"))
st.caption(t("upload_help", mb=f"{settings.max_file_mb:g}"))
files = st.file_uploader(
    t("upload_label"),
    type=UPLOAD_TYPES,
    accept_multiple_files=True,
    key="library_uploads",
    max_upload_size=max(1, math.ceil(settings.max_file_mb)),
)


def upload_and_ingest(batch: list[tuple[str, bytes]]) -> None:
    saved, rejected = save_uploads(batch, settings)
    results = list(rejected)
    if saved:
        outcome = ingest_with_status(
            kb, [path for _, path in saved], {p.resolve(): n for n, p in saved}
        )
        if outcome is not None:
            results = file_results(outcome[0], outcome[1], saved) + rejected
    st.session_state[RESULTS] = results
    st.rerun()  # the document list and counts above predate this ingest


batch = [(f.name, f.getvalue()) for f in files or []]
left, right = st.columns(2)
if left.button(
    t("upload_ingest"), key="library_ingest", icon=":material/upload:", disabled=not files
):
    # A file uploaded again under its name replaces the earlier version: ask first.
    st.session_state[REPLACING] = replaced_by(batch, settings)
    if not st.session_state[REPLACING]:
        upload_and_ingest(batch)
replacing = [n for n in st.session_state.get(REPLACING, []) if n in dict(batch)]
if replacing:
    st.warning(md(t("upload_replace_confirm", names=", ".join(replacing))))
    yes, no = st.columns(2)
    if yes.button(t("upload_replace"), key="library_replace", type="primary"):
        st.session_state.pop(REPLACING)
        upload_and_ingest(batch)
    no.button(
        t("doc_cancel"),
        key="library_replace_no",
        on_click=lambda: st.session_state.pop(REPLACING, None),
    )
if right.button(t("reingest"), key="library_reingest", icon=":material/sync:"):
    targets = [p for p in (corpus_dir(settings), settings.uploads_dir) if p.exists()]
    outcome = ingest_with_status(kb, targets, {})
    if outcome is not None:
        report = outcome[0]
        st.session_state[RESULTS] = [
            FileResult(Path(path).name, "failed", 0, reason) for path, reason in report.failed
        ]
        st.session_state[SUMMARY] = t(
            "reingest_summary",
            added=len(report.added),
            updated=len(report.updated),
            unchanged=len(report.unchanged),
            failed=len(report.failed),
        )
        st.rerun()
if SUMMARY in st.session_state:
    st.success(st.session_state.pop(SUMMARY))
if st.session_state.get(RESULTS):
    st.caption(t("upload_results"))
    show_results(st.session_state[RESULTS])

# --- open a passage and correct its tags ------------------------------------------------
st.subheader(t("correct_title"))
st.caption(t("correct_help"))
passage_id = st.text_input(t("passage_id_input"), key="library_passage_id").strip()
if passage_id:
    try:
        passage = get_passage(kb, passage_id)
    except TagEditError as exc:
        st.error(md(str(exc)))
        st.stop()
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    render_passage(passage, "library")
    current = [f"{tag.facet}:{tag.tag_id}" for tag in passage.tags]
    addable = [
        f"{facet}:{tag_id}"
        for facet in FACETS
        for tag_id in taxonomy.tag_ids(facet)
        if f"{facet}:{tag_id}" not in current
    ]

    def change_label(change: str) -> str:
        facet, _, tag_id = change.partition(":")
        return f"{taxonomy.facet_label(facet, lang())} · {taxonomy.label(facet, tag_id, lang())}"

    with st.form("library_correction", clear_on_submit=True):
        add = st.multiselect(t("tags_add"), addable, format_func=change_label, key="tags_add")
        remove = st.multiselect(
            t("tags_remove"), current, format_func=change_label, key="tags_remove"
        )
        note = st.text_input(t("tags_note"), key="tags_note")
        submitted = st.form_submit_button(t("tags_save"), icon=":material/edit:", key="tags_save")
    if submitted:
        try:
            correct_tags(kb, passage.id, add, remove, note)
        except (TagEditError, WriterBusyError) as exc:
            st.error(md(t("tags_failed", reason=str(exc))))
        else:
            st.session_state[FLASH] = t("tags_saved")
            st.rerun()  # the card above still shows the old tags
    log = corrections_for(kb, passage)
    st.caption(t("corrections_log"))
    if not log:
        st.text(t("corrections_none"))
    else:
        st.dataframe(
            [
                {
                    t("col_time"): c.time,
                    t("col_user"): c.user,
                    t("col_added"): ", ".join(c.add),
                    t("col_removed"): ", ".join(c.remove),
                    t("col_note"): c.note,
                }
                for c in log
            ],
            hide_index=True,
            width="stretch",
        )
