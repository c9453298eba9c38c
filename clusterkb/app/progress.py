"""Ingest progress shown in the page: a bar over files and a live status line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import streamlit as st
from streamlit.elements.lib.mutable_status_container import StatusContainer

from clusterkb.app.i18n import t
from clusterkb.app.text import md_line
from ingest.pipeline import IngestReport, Progress, ingest_paths
from kb.storage.knowledge import KnowledgeBase
from kb.storage.lock import WriterBusyError
from kb.tags.tagger import default_tagger


class StreamlitProgress(Progress):
    """Feeds `st.status` and `st.progress` from the pipeline's events."""

    def __init__(self, status: StatusContainer, names: dict[Path, str] | None = None) -> None:
        self.status = status
        self.bar = status.progress(0.0, text=t("ingest_starting"))
        self.names = names or {}
        self.total = 0
        self.done = 0
        self.passages = 0
        self.events: dict[Path, tuple[str, int]] = {}

    def files(self, total: int) -> None:
        self.total = total

    def file_done(self, path: str, status: str, passages: int) -> None:
        key = Path(path).resolve()
        self.done += 1
        self.events[key] = (status, passages)
        name = self.names.get(key, Path(path).name)
        text = t("ingest_file_done", name=md_line(name), status=t(f"status_{status}"))
        self.bar.progress(min(1.0, self.done / max(self.total, 1)), text=text)

    def passages_done(self, count: int) -> None:
        self.passages += count
        self.status.update(label=t("ingest_passages", n=self.passages))

    def message(self, text: str) -> None:
        # The pipeline's messages are in English; the page says the same in its language.
        self.status.update(label=t("ingest_indexing"))


Events = dict[Path, tuple[str, int]]


def ingest_with_status(
    kb: KnowledgeBase, paths: Sequence[Path], names: dict[Path, str] | None = None
) -> tuple[IngestReport, Events] | None:
    """Ingest `paths` inside an `st.status` with a progress bar; None when another process
    is writing (the status says so). `names` are the file names to show, by resolved path."""
    with st.status(t("ingesting"), expanded=True) as status:
        progress = StreamlitProgress(status, names)
        try:
            report = ingest_paths(kb, list(paths), tagger=default_tagger(kb), progress=progress)
        except WriterBusyError:
            status.update(label=t("ingest_busy"), state="error")
            return None
        status.update(label=t("ingest_done", seconds=f"{report.seconds:.1f}"), state="complete")
    return report, progress.events
