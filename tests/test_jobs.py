"""Uploads and re-ingests are jobs in the data folder, run by `clusterkb worker`.

Queued on behalf of someone allowed to, claimed by one worker at a time, put back in the queue
when their worker dies, and kept as history with each file's result; a file the ingest refuses
is deleted from the uploads folder (it would only fail again on every re-ingest).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterkb.cli import app
from clusterkb.cli.worker import run_worker
from ingest.uploads import NAMES_FILE, original_names, queue_reingest, queue_upload
from kb.config import get_settings
from kb.retrieval.search import search
from kb.storage.knowledge import KnowledgeBase
from kb.workspace.jobs import (
    CANCELLED,
    DONE,
    QUEUED,
    RUNNING,
    JobError,
    cancel,
    claim_next,
    enqueue,
    list_jobs,
    load_job,
    requeue_abandoned,
    worker_alive,
    worker_presence,
)
from kb.workspace.roles import Actor, PermissionDenied, Role
from tests.helpers.cli import point_cli_at

REPO = Path(__file__).resolve().parents[1]
EDITOR = Actor("ana", Role.EDITOR)
READER = Actor("rita", Role.READER)
GOOD = (
    "---\ntitle: Informe de la uva\ncountry: Chile\n---\n\n# Compras\n\n"
    "Las compras coordinadas de los proveedores del clúster de la uva bajaron los costos.\n"
)


@pytest.fixture
def cli_kb(fake_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> Iterator[KnowledgeBase]:
    """`fake_kb`, also opened (hashing encoder) by the worker and the `clusterkb` command."""
    point_cli_at(fake_kb, monkeypatch)
    monkeypatch.setattr("clusterkb.cli.worker.os.nice", lambda n: n)
    yield fake_kb
    get_settings.cache_clear()


def test_only_someone_allowed_to_upload_can_queue_a_job(fake_kb: KnowledgeBase) -> None:
    settings = fake_kb.settings
    with pytest.raises(PermissionDenied):
        queue_upload([("uva.md", GOOD.encode())], settings, READER)
    with pytest.raises(PermissionDenied):
        queue_reingest(settings, READER, REPO / "corpus")
    # Refused before a byte is stored, and no job is left behind.
    assert not settings.uploads_dir.exists()
    assert list_jobs(settings.home) == []

    job = queue_upload([("uva.md", GOOD.encode())], settings, EDITOR)
    assert (job.state, job.actor, [f.name for f in job.files]) == (QUEUED, "ana", ["uva.md"])
    assert load_job(settings.home, job.id).files[0].path.startswith(str(settings.uploads_dir))


def test_one_job_is_run_by_one_worker_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = enqueue(home, EDITOR, "reingest", [tmp_path])
    second = enqueue(home, EDITOR, "reingest", [tmp_path])
    claim = claim_next(home)
    assert claim is not None and claim.job.id == first.id
    assert load_job(home, first.id).state == RUNNING
    # Another worker (another lock holder) takes the next job, never the claimed one.
    other = claim_next(home)
    assert other is not None and other.job.id == second.id
    assert claim_next(home) is None
    # A running job cannot be cancelled; it is not taken back from a live worker either.
    with pytest.raises(JobError, match="not queued"):
        cancel(home, EDITOR, first.id)
    assert requeue_abandoned(home) == []
    claim.finish()
    other.finish()
    assert [j.state for j in list_jobs(home)] == [DONE, DONE]


def test_a_queued_job_can_be_cancelled_by_an_editor(tmp_path: Path) -> None:
    job = enqueue(tmp_path, EDITOR, "reingest", [tmp_path])
    with pytest.raises(PermissionDenied):
        cancel(tmp_path, READER, job.id)
    assert cancel(tmp_path, EDITOR, job.id).state == CANCELLED
    assert claim_next(tmp_path) is None


def test_a_job_left_running_by_a_dead_worker_is_queued_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    job = enqueue(home, EDITOR, "reingest", [tmp_path])
    # A worker in another process claims the job, then dies without a word.
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from kb.workspace.jobs import claim_next
        claim = claim_next(Path({str(home)!r}))
        print(claim.job.id, flush=True)
        time.sleep(120)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == job.id
    running = load_job(home, job.id)
    assert (running.state, running.pid) == (RUNNING, proc.pid)
    assert requeue_abandoned(home) == []  # alive: left alone
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    assert requeue_abandoned(home) == [job.id]
    again = load_job(home, job.id)
    assert again.state == QUEUED
    assert [(n.event, n.detail) for n in again.notes] == [("requeued", str(proc.pid))]
    assert claim_next(home) is not None  # the next worker runs it


def test_worker_runs_an_upload_and_deletes_the_files_it_refuses(cli_kb: KnowledgeBase) -> None:
    settings = cli_kb.settings
    job = queue_upload(
        [
            ("Informe <b>uva</b>.md", GOOD.encode()),
            ("falso.pdf", b"esto no es un PDF"),
            ("virus.exe", b"MZ"),
            ("vacio.md", b""),
        ],
        settings,
        EDITOR,
    )
    assert run_worker(settings, once=True, say=lambda s: None) == 1

    done = load_job(settings.home, job.id)
    assert done.state == DONE and done.started and done.finished
    results = {f.name: (f.status, f.reason) for f in done.files}
    assert results["Informe <b>uva</b>.md"] == ("added", "")
    assert results["falso.pdf"][0] == "failed" and "not a PDF" in results["falso.pdf"][1]
    assert results["virus.exe"][0] == "failed" and "unsupported" in results["virus.exe"][1]
    assert results["vacio.md"] == ("failed", "empty file")
    assert done.file("Informe <b>uva</b>.md").passages > 0  # type: ignore[union-attr]
    assert done.progress.files_done == done.progress.files_total == 2

    # Only the ingested file is kept; the refused PDF is gone, with its name.
    kept = sorted(p.name for p in settings.uploads_dir.iterdir() if p.name != NAMES_FILE)
    assert [original_names(settings.uploads_dir)[name] for name in kept] == [
        "Informe <b>uva</b>.md"
    ]
    assert [(n.event, n.detail) for n in done.notes] == [("removed", "falso.pdf")]
    hits = search(cli_kb, "compras coordinadas uva", 3)
    assert hits and hits[0].passage.title == "Informe de la uva"

    # A re-ingest job lists every file it saw; the uploaded one is unchanged.
    reingest = queue_reingest(settings, EDITOR, settings.uploads_dir)
    run_worker(settings, once=True, say=lambda s: None)
    files = {f.name: f.status for f in load_job(settings.home, reingest.id).files}
    assert files == {"Informe <b>uva</b>.md": "unchanged"}


def test_clusterkb_worker_once_ingests_the_queue(cli_kb: KnowledgeBase) -> None:
    settings = cli_kb.settings
    niceness: list[int] = []
    job = queue_upload([("uva.md", GOOD.encode())], settings, EDITOR)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("clusterkb.cli.worker.os.nice", niceness.append)
        result = CliRunner().invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert f"job {job.id}: done (1 added)" in result.output
    assert niceness == [10]  # below the app's priority
    assert [r.title for r in cli_kb.manifest.docs.values()] == ["Informe de la uva"]
    history = list_jobs(settings.home)
    assert [(j.id, j.state, j.files[0].status) for j in history] == [(job.id, DONE, "added")]
    assert not worker_alive(settings.home)  # the worker has stopped


def test_a_running_worker_is_seen_from_outside(tmp_path: Path) -> None:
    assert not worker_alive(tmp_path)
    with worker_presence(tmp_path):
        assert worker_alive(tmp_path)
    assert not worker_alive(tmp_path)


def test_a_worker_stops_when_the_app_that_started_it_is_gone(tmp_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    parent.kill()
    parent.wait()
    # Returns (instead of polling the queue for ever) and leaves no worker behind.
    settings = get_settings().model_copy(update={"home": tmp_path})
    assert run_worker(settings, parent_pid=parent.pid, poll_s=0.05, say=lambda s: None) == 0
    assert not worker_alive(tmp_path)


def _panel_page() -> None:
    from clusterkb.app.jobs_panel import render

    render()


def test_every_page_can_show_the_running_jobs_with_their_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from clusterkb.app.i18n import ES

    monkeypatch.setenv("CLUSTERKB_HOME", str(tmp_path))
    with worker_presence(tmp_path):  # stands in for the worker: the panel starts none
        at = AppTest.from_function(_panel_page).run()
        assert not at.exception and not at.sidebar.markdown  # no job, no panel
        queued = enqueue(tmp_path, EDITOR, "reingest", [tmp_path])
        running = enqueue(tmp_path, EDITOR, "upload", [tmp_path / "a.md"], [])
        claim = claim_next(tmp_path)
        assert claim is not None and claim.job.id == queued.id
        claim.job.progress.files_total, claim.job.progress.files_done = 4, 1
        claim.job.progress.current = "informe_chile.pdf"
        claim.save()
        at.run()
        assert not at.exception, at.exception
        texts = " ".join(e.value for e in [*at.sidebar.markdown, *at.sidebar.caption])
        assert ES["jobs_panel_title"] in texts
        assert "Re-ingesta de ana" in texts and "Subida de ana" in texts
        assert ES["job_waiting"] in texts  # the upload waits behind the re-ingest
        bars = [(e.proto.value, e.proto.text) for e in at.sidebar.get("progress")]
        assert bars == [(25, "1 de 4 archivos · 0 pasajes · informe\\_chile.pdf")]
        claim.finish()
        cancel(tmp_path, EDITOR, running.id)
        at.run()
        assert not at.sidebar.markdown  # nothing runs any more


@pytest.mark.slow
def test_the_background_worker_runs_jobs_at_low_priority_and_stops_with_the_app(
    tmp_path: Path,
) -> None:
    from clusterkb.cli.worker import start_background_worker
    from kb.config import Settings

    settings = Settings(home=tmp_path / "home", corpus_dir=REPO / "corpus")
    job = queue_upload([("uva.md", GOOD.encode())], settings, EDITOR)
    app_process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    worker = start_background_worker(settings, parent_pid=app_process.pid)
    try:
        deadline = 600
        while load_job(settings.home, job.id).state != DONE and deadline > 0:
            assert worker.poll() is None, (settings.home / "jobs" / "worker.log").read_text()
            with open(f"/proc/{worker.pid}/stat") as fh:
                niceness = int(fh.read().rsplit(")", 1)[1].split()[16])
            time.sleep(1)
            deadline -= 1
        assert load_job(settings.home, job.id).files[0].status == "added"
        assert niceness == min(19, os.nice(0) + 10)  # ten steps below whoever started it
        assert worker_alive(settings.home)
        # The app goes away: the worker follows instead of running on unattended.
        app_process.kill()
        app_process.wait()
        assert worker.wait(timeout=60) == 0
        assert not worker_alive(settings.home)
    finally:
        app_process.kill()
        worker.kill()
        worker.wait()


def test_history_keeps_the_newest_finished_jobs_and_every_waiting_one(tmp_path: Path) -> None:
    from kb.workspace.jobs import prune_history

    waiting = enqueue(tmp_path, EDITOR, "reingest", [tmp_path])
    finished = [enqueue(tmp_path, EDITOR, "upload", [], []) for _ in range(4)]
    assert all(j.state == DONE for j in finished)  # nothing to ingest: history at once
    prune_history(tmp_path, keep=2)
    kept = {j.id for j in list_jobs(tmp_path)}
    assert kept == {waiting.id, finished[-1].id, finished[-2].id}
