"""Ingest jobs as the page shows them: a title, a progress line and bar, each file's result.

The ingest itself runs in the worker process (`clusterkb worker`); the page only reads the
job files it writes, so leaving the page or closing the browser does not stop it.
"""

from __future__ import annotations

import streamlit as st

from clusterkb.app.i18n import t, tn
from clusterkb.app.reasons import file_reason
from clusterkb.app.text import md_line
from kb.workspace.jobs import QUEUED, RUNNING, Job, JobNote


def job_title(job: Job) -> str:
    """E.g. "Subida de ana · 3 archivos" (Markdown-safe)."""
    when = job.created.replace("T", " ")[:16]
    return tn(f"job_kind_{job.kind}", len(job.files), user=md_line(job.actor), when=when)


def job_state(job: Job) -> str:
    return t(f"job_state_{job.state}")


def progress_line(job: Job) -> str:
    """Where a job is: waiting, or files done, passages embedded and the file being read."""
    if job.state == QUEUED:
        return t("job_waiting")
    p = job.progress
    line = tn("job_progress", p.passages, done=p.files_done, total=p.files_total or "…")
    return f"{line} · {md_line(p.current)}" if p.current else line


def show_progress(job: Job) -> None:
    """A running job's bar (a queued one shows where it stands in words)."""
    if job.state == RUNNING:
        st.progress(job.progress.fraction, text=progress_line(job))
    else:
        st.caption(progress_line(job))


def file_rows(job: Job) -> list[dict[str, object]]:
    """One row per file of the job: name, result, passages and the reason of a failure (in the
    interface language)."""
    return [
        {
            t("col_file"): f.name,
            t("col_result"): t(f"status_{f.status}"),
            t("col_passages"): f.passages,
            t("col_reason"): file_reason(f.reason),
        }
        for f in job.files
    ]


def note_line(note: JobNote) -> str:
    """A note of the job's history in the interface language (Markdown-safe)."""
    when = note.time.replace("T", " ")[:16]
    return f"{when} · {t(f'job_note_{note.event}', detail=md_line(note.detail))}"
