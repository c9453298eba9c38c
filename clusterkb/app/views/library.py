"""Biblioteca: the documents (metadata corrections, removal), uploads and re-ingest (queued as
jobs the worker runs, with their history), and tag corrections."""

import math
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from clusterkb.app.auth import current_actor
from clusterkb.app.doc_editor import DOC_FLASH, document_form, removal
from clusterkb.app.i18n import lang, t
from clusterkb.app.jobs_panel import REFRESH_S, ensure_worker
from clusterkb.app.progress import file_rows, job_state, job_title, note_line, show_progress
from clusterkb.app.reasons import error_reason
from clusterkb.app.resources import current_settings, get_taxonomy
from clusterkb.app.text import md
from clusterkb.app.widgets import country_label, lang_name, open_kb_or_stop, render_passage
from clusterkb.bundled_corpus import corpus_dir
from ingest.uploads import original_names, queue_reingest, queue_upload, replaced_by
from kb.models import FACETS
from kb.storage.corrections import load_corrections
from kb.storage.lock import WriterBusyError
from kb.tags.edit import TagEditError, correct_tags, corrections_for, get_passage
from kb.workspace.jobs import QUEUED, Job, JobError, active_jobs, cancel, list_jobs
from kb.workspace.roles import PermissionDenied

FLASH = "library_flash"
JOB_FLASH = "library_job_flash"
REPLACING = "library_replacing"
WATCHING = "library_watching"
HISTORY = 10  # how many of the latest jobs the history shows
UPLOAD_TYPES = ["pdf", "docx", "md", "markdown", "txt"]

settings = current_settings()
kb = open_kb_or_stop(settings)
taxonomy = get_taxonomy()
st.header(t("library_title"))
st.caption(t("library_intro"))


@st.fragment(run_every=REFRESH_S)
def index_status() -> None:
    """Whether the index is in step; never "up to date" while an ingest is queued or runs."""
    if active_jobs(settings.home):
        st.info(t("index_busy"), icon=":material/sync:")
    elif not kb.manifest.docs:
        st.warning(t("kb_empty"))
    elif set(kb.lexical.ids) == kb.manifest.passage_ids():
        st.success(t("index_in_step"))
    else:
        st.warning(t("index_stale"))


# --- documents and status ---------------------------------------------------------------
manifest = kb.manifest
docs = sorted(manifest.docs.values(), key=lambda r: (r.country, r.title))
a, b, c, d = st.columns(4)
a.metric(t("metric_documents"), len(docs))
b.metric(t("metric_passages"), len(manifest.passage_ids()))
c.metric(t("metric_index"), len(kb.lexical))
d.metric(t("metric_corrections"), len(load_corrections(settings.corrections_path)))
index_status()

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


def queue_job(make: Callable[[], Job]) -> None:
    """Queue a job for the worker and say so; the page need not stay open while it runs."""
    try:
        job = make()
    except PermissionDenied:
        st.session_state[JOB_FLASH] = ("error", t("job_denied"))
    else:
        ensure_worker(settings)
        st.session_state[JOB_FLASH] = ("info", t("job_queued"))
        st.session_state.setdefault(WATCHING, set()).add(job.id)
    st.rerun()  # the history below shows the new job


def upload_and_queue(batch: list[tuple[str, bytes]]) -> None:
    queue_job(lambda: queue_upload(batch, settings, current_actor(settings)))


batch = [(f.name, f.getvalue()) for f in files or []]
left, right = st.columns(2)
if left.button(
    t("upload_ingest"), key="library_ingest", icon=":material/upload:", disabled=not files
):
    # A file uploaded again under its name replaces the earlier version: ask first.
    st.session_state[REPLACING] = replaced_by(batch, settings)
    if not st.session_state[REPLACING]:
        upload_and_queue(batch)
replacing = [n for n in st.session_state.get(REPLACING, []) if n in dict(batch)]
if replacing:
    st.warning(md(t("upload_replace_confirm", names=", ".join(replacing))))
    yes, no = st.columns(2)
    if yes.button(t("upload_replace"), key="library_replace", type="primary"):
        st.session_state.pop(REPLACING)
        upload_and_queue(batch)
    no.button(
        t("doc_cancel"),
        key="library_replace_no",
        on_click=lambda: st.session_state.pop(REPLACING, None),
    )
if right.button(t("reingest"), key="library_reingest", icon=":material/sync:"):
    queue_job(lambda: queue_reingest(settings, current_actor(settings), corpus_dir(settings)))
if JOB_FLASH in st.session_state:
    kind, text = st.session_state.pop(JOB_FLASH)
    getattr(st, kind)(text)


def cancel_job(job_id: str) -> None:
    try:
        cancel(settings.home, current_actor(settings), job_id)
    except (JobError, PermissionDenied):
        st.session_state[JOB_FLASH] = ("warning", t("job_cancel_failed"))


@st.fragment(run_every=REFRESH_S)
def job_history() -> None:
    """The latest jobs, newest first, each with its files' results; refreshes by itself."""
    jobs = list_jobs(settings.home, limit=HISTORY)
    active = {job.id for job in jobs if job.active}
    watched = st.session_state.get(WATCHING, set())
    st.session_state[WATCHING] = active
    if watched - active:
        st.rerun()  # a job finished: the documents and counts above predate it
    st.subheader(t("jobs_history"))
    if not jobs:
        st.caption(t("jobs_none"))
    for i, job in enumerate(jobs):
        with st.expander(f"{job_title(job)} · {job_state(job)}", expanded=i == 0):
            if job.active:
                show_progress(job)
            if job.files:
                st.dataframe(file_rows(job), hide_index=True, width="stretch")
            if job.error:
                st.error(md(t("job_error", reason=job.error)))
            for note in job.notes:
                st.caption(note_line(note))
            if job.state == QUEUED:
                st.button(
                    t("job_cancel"),
                    key=f"job_cancel_{job.id}",
                    on_click=cancel_job,
                    args=(job.id,),
                )


job_history()

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
            st.error(md(t("tags_failed", reason=error_reason(exc))))
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

# --- retrain the tagger from the labelled set and the corrections ---------------------------
st.caption(t("tags_train_help"))
if st.button(t("tags_train"), icon=":material/model_training:", key="tags_train"):
    from kb.tags.train import TrainError, train

    try:
        with st.spinner(t("tags_training")):
            trained = train(kb, actor=current_actor(settings))
    except (TrainError, WriterBusyError, PermissionDenied) as exc:
        st.error(md(t("tags_train_failed", reason=error_reason(exc))))
    else:
        st.success(
            t(
                "tags_trained",
                corrected=trained.corrected_passages,
                changed=trained.changed,
                seconds=f"{trained.fit_seconds + trained.retag_seconds:.0f}",
            )
        )
