"""The running ingest jobs, on every page: a small sidebar panel that refreshes by itself.

Jobs are run by a worker process. `clusterkb serve` starts one; an app started another way
(`streamlit run app.py`) starts one here when jobs wait and no worker holds the data folder's
worker lock. The worker it starts stops when this app process ends.
"""

from __future__ import annotations

import subprocess
import threading

import streamlit as st

from clusterkb.app.i18n import t
from clusterkb.app.progress import job_title, show_progress
from clusterkb.app.resources import current_settings
from kb.config import Settings
from kb.workspace.jobs import QUEUED, Job, active_jobs, worker_alive

REFRESH_S = 2.0

# The workers this app process started, by data folder: one is enough (a fresh one is not
# yet holding the worker lock, so the lock alone cannot say it is there).
_STARTED: dict[str, subprocess.Popen[bytes]] = {}
_GUARD = threading.Lock()


def ensure_worker(settings: Settings, jobs: list[Job] | None = None) -> None:
    """Start a background worker when jobs wait and none is running for this data folder."""
    waiting = jobs if jobs is not None else active_jobs(settings.home)
    if not any(job.state == QUEUED for job in waiting):
        return
    key = str(settings.home.resolve())
    with _GUARD:
        started = _STARTED.get(key)
        if started is not None and started.poll() is None:
            return
        if worker_alive(settings.home):
            return
        from clusterkb.cli.worker import start_background_worker

        _STARTED[key] = start_background_worker(settings)


@st.fragment(run_every=REFRESH_S)
def _panel() -> None:
    settings = current_settings()
    jobs = active_jobs(settings.home)
    ensure_worker(settings, jobs)
    if not jobs:
        return
    with st.container(border=True):
        st.markdown(f"**{t('jobs_panel_title')}**")
        for job in jobs:
            st.caption(job_title(job))
            show_progress(job)


def render() -> None:
    """The panel, in the sidebar of whatever page runs."""
    with st.sidebar:
        _panel()
