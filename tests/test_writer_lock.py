"""One writer at a time, and searches that keep answering (and catch up) while it writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterkb.cli import app
from ingest.pipeline import ingest_paths
from kb.config import get_settings
from kb.retrieval.search import search
from kb.storage.check import repair
from kb.storage.keyword_index import HEAD_FILE
from kb.storage.knowledge import KnowledgeBase
from kb.storage.lock import WriterBusyError
from kb.tags.edit import correct_tags
from tests.helpers.child import start_child
from tests.helpers.cli import point_cli_at
from tests.helpers.reports import MARKERS, write_report

runner = CliRunner()


def wait_for(process: subprocess.Popen[str], line: str) -> None:
    assert process.stdout is not None
    got = process.stdout.readline().strip()
    assert got == line, f"child said {got!r}; stderr: {process.communicate()[1][-2000:]}"


def resume(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.write("\n")
    process.stdin.flush()


@pytest.fixture
def holder(fake_kb: KnowledgeBase) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the writer lock of `fake_kb` until the test ends."""
    process = start_child(fake_kb.settings, "hold-lock")
    wait_for(process, "locked")
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate()


def dense_docs(kb: KnowledgeBase, word: str) -> set[str]:
    return {h.passage.doc_id for h in search(kb, word, k=50, mode="dense")}


def lexical_docs(kb: KnowledgeBase, word: str) -> set[str]:
    return {h.passage.doc_id for h in search(kb, word, k=50, mode="lexical")}


def test_second_writer_is_refused_at_once_with_the_holder_named(
    fake_kb: KnowledgeBase, holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    write_report(reports, "a", MARKERS["a"])
    with pytest.raises(WriterBusyError) as refused:
        ingest_paths(fake_kb, [reports])
    message = str(refused.value)
    assert "another ingest is already writing" in message
    assert str(fake_kb.settings.home) in message and f"process {holder.pid}" in message
    with pytest.raises(WriterBusyError):
        repair(fake_kb)
    assert not fake_kb.manifest.docs  # nothing was written

    holder.kill()  # a writer that dies releases the lock with it
    holder.wait()
    assert len(ingest_paths(fake_kb, [reports]).added) == 1


def test_tag_correction_is_refused_while_another_process_writes(
    fake_kb: KnowledgeBase, holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    with pytest.raises(WriterBusyError):
        correct_tags(fake_kb, "any:passage:0000", add=["problem:coordination"])


@pytest.fixture
def cli_home(fake_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> Iterator[KnowledgeBase]:
    """The `clusterkb` command pointed at `fake_kb`."""
    point_cli_at(fake_kb, monkeypatch)
    yield fake_kb
    get_settings.cache_clear()


def test_cli_ingest_says_another_ingest_is_running(
    cli_home: KnowledgeBase, holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    write_report(reports, "a", MARKERS["a"])
    result = runner.invoke(app, ["ingest", str(reports)])
    assert result.exit_code == 3
    assert "another ingest is already writing" in " ".join(result.output.split())


def test_searches_answer_during_an_ingest_and_see_its_documents_when_it_ends(
    fake_kb: KnowledgeBase, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    write_report(reports, "a", MARKERS["a"])
    ingest_paths(fake_kb, [reports])
    for name in "cde":
        write_report(reports, name, MARKERS[name])
    # Pause after c and d are committed (before e is written), then between the two renames
    # of the keyword index update: the new segment is in place, the list does not name it yet.
    writer = start_child(
        fake_kb.settings,
        "ingest",
        str(reports),
        CLUSTERKB_TEST_PAUSE_AT="upsert:3,lexical_replace:2",
    )
    try:
        wait_for(writer, "paused upsert:3")
        assert lexical_docs(fake_kb, MARKERS["a"]) == {"a"}
        assert dense_docs(fake_kb, MARKERS["c"]) >= {"a", "c", "d"}  # committed: visible
        assert "e" not in dense_docs(fake_kb, MARKERS["e"])
        with pytest.raises(WriterBusyError):  # the child is a real second writer
            ingest_paths(fake_kb, [reports])

        resume(writer)
        wait_for(writer, "paused lexical_replace:2")
        index_folder = fake_kb.settings.bm25_path
        listed = json.loads((index_folder / HEAD_FILE).read_text(encoding="utf-8"))["segments"]
        assert len([c for c in index_folder.iterdir() if c.is_dir()]) > len(listed)
        assert lexical_docs(fake_kb, MARKERS["a"]) == {"a"}
        # A session opened right now reads the previous index and leaves the swap alone.
        late = KnowledgeBase(fake_kb.settings, fake_kb.embedder, fake_kb.store)
        assert lexical_docs(late, MARKERS["a"]) == {"a"}

        resume(writer)
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err[-2000:]
    finally:
        if writer.poll() is None:
            os.kill(writer.pid, signal.SIGKILL)
            writer.wait()

    # The same KnowledgeBase object, opened before the ingest: no restart needed.
    for name, marker in MARKERS.items():
        assert lexical_docs(fake_kb, marker) == {name}
        assert name in dense_docs(fake_kb, marker)
    assert search(fake_kb, MARKERS["e"], k=1)[0].passage.doc_id == "e"
