"""An ingest killed at any moment: searches never show half a document, a re-run repairs all.

Each test runs the write in a child process (tests/helpers/kb_child.py) that SIGKILLs itself
on entering a chosen call, then inspects the data folder from this process.
"""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterkb.cli import app
from ingest.pipeline import ingest_paths
from kb.config import get_settings
from kb.retrieval.search import MODES, search
from kb.storage.check import check, repair
from kb.storage.corrections import load_corrections
from kb.storage.keyword_index import HEAD_FILE
from kb.storage.knowledge import KnowledgeBase
from tests.helpers import child
from tests.helpers.cli import point_cli_at
from tests.helpers.reports import MARKERS, write_report

OLD_B, NEW_B = "xqviejo", "xqnuevo"
runner = CliRunner()


def run_child(kb: KnowledgeBase, *args: str, kill_at: str = "", max_batch: int = 0) -> int:
    """Run tests/helpers/kb_child.py on `kb`'s data folder; returns its exit status."""
    variables = {
        "CLUSTERKB_TEST_KILL_AT": kill_at,
        "CLUSTERKB_TEST_MAX_BATCH": str(max_batch or ""),
    }
    done = child.run_child(kb.settings, *args, **variables)
    assert done.returncode in (0, -signal.SIGKILL), done.stderr[-2000:]
    return done.returncode


def lexical_docs(kb: KnowledgeBase, word: str) -> set[str]:
    return {h.passage.doc_id for h in search(kb, word, k=50, mode="lexical")}


def assert_only_committed_documents_visible(kb: KnowledgeBase, queries: list[str]) -> None:
    """What a person searching right after the crash can see: whole, committed documents."""
    manifest = kb.manifest
    stored = kb.store.all_ids()
    lost = manifest.passage_ids() - stored
    assert not lost, f"the manifest lists passages the store does not have: {sorted(lost)[:3]}"
    for query in queries:
        for mode in MODES:
            for hit in search(kb, query, k=50, mode=mode):
                record = manifest.docs.get(hit.passage.doc_id)
                assert record is not None, f"{mode} search shows uncommitted {hit.passage.id}"
                assert hit.passage.id in record.passage_ids, f"{mode}: stale {hit.passage.id}"


def assert_in_agreement(kb: KnowledgeBase, documents: set[str]) -> None:
    """Store, keyword index and manifest hold the same passages, once each."""
    report = check(kb)
    assert report.ok, report.problems()
    manifest = kb.manifest
    assert kb.store.all_ids() == manifest.passage_ids() == set(kb.lexical.ids)
    keys = [(p.doc_id, p.index) for p in kb.store.iter_all()]
    assert len(keys) == len(set(keys)), "a passage is stored twice"
    assert set(manifest.docs) == documents


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    return folder


# Where the child dies, while it updates b.md and adds c, d and e (a.md is unchanged).
# With batches of two passages, each report goes to Chroma in two writes.
ADD_AND_UPDATE_KILLS = [
    "load_document:1",  # parsing the new b.md
    "load_document:3",  # parsing d.md, after b and c are committed
    "embed:2",  # embedding c.md
    "chroma_upsert:2",  # half of the new b.md written
    "chroma_upsert:5",  # half of c.md written
    "save_manifest:1",  # all of the new b.md written, not committed
    "delete:1",  # the new b.md committed, the old passages not yet deleted
    "lexical_save:1",  # everything committed, keyword index not rebuilt
    "lexical_replace:1",  # new keyword index written beside the old one
    "lexical_replace:2",  # between the two renames of the keyword index swap
]


@pytest.mark.parametrize("kill_at", ADD_AND_UPDATE_KILLS)
def test_killed_ingest_shows_only_whole_documents_and_rerun_repairs(
    fake_kb: KnowledgeBase, reports: Path, kill_at: str
) -> None:
    write_report(reports, "a", MARKERS["a"])
    write_report(reports, "b", OLD_B)
    ingest_paths(fake_kb, [reports])
    before_a = {p.id: p.text for p in fake_kb.store.get(fake_kb.manifest.docs["a"].passage_ids)}
    old_b = fake_kb.manifest.docs["b"].sha256

    write_report(reports, "b", NEW_B)
    for name in "cde":
        write_report(reports, name, MARKERS[name])
    assert run_child(fake_kb, "ingest", str(reports), kill_at=kill_at, max_batch=2) < 0

    queries = [*MARKERS.values(), OLD_B, NEW_B, "politica cluster empresa"]
    assert_only_committed_documents_visible(fake_kb, queries)
    assert lexical_docs(fake_kb, MARKERS["a"]) == {"a"}  # stored before: still found
    if fake_kb.manifest.docs["b"].sha256 == old_b:
        assert lexical_docs(fake_kb, OLD_B) == {"b"}  # old version until the new one commits
        assert not lexical_docs(fake_kb, NEW_B)

    report = ingest_paths(fake_kb, [reports])
    assert not report.failed
    assert_in_agreement(fake_kb, {"a", "b", "c", "d", "e"})
    after_a = {p.id: p.text for p in fake_kb.store.get(fake_kb.manifest.docs["a"].passage_ids)}
    assert after_a == before_a
    for name, marker in {**MARKERS, "b": NEW_B}.items():
        assert lexical_docs(fake_kb, marker) == {name}
        assert search(fake_kb, marker, k=1, mode="hybrid")[0].passage.doc_id == name
    assert not lexical_docs(fake_kb, OLD_B)


@pytest.mark.parametrize("kill_at", ["save_manifest:1", "delete:1"])
def test_killed_prune_keeps_the_document_whole_or_gone(
    fake_kb: KnowledgeBase, reports: Path, kill_at: str
) -> None:
    for name in "acd":
        write_report(reports, name, MARKERS[name])
    ingest_paths(fake_kb, [reports])
    (reports / "c.md").unlink()
    assert run_child(fake_kb, "ingest", "--prune", str(reports), kill_at=kill_at) < 0

    assert_only_committed_documents_visible(fake_kb, list(MARKERS.values()))
    assert lexical_docs(fake_kb, MARKERS["a"]) == {"a"}
    still_listed = "c" in fake_kb.manifest.docs
    report = ingest_paths(fake_kb, [reports], prune=True)
    assert_in_agreement(fake_kb, {"a", "d"})
    assert len(report.removed) == int(still_listed)
    assert not lexical_docs(fake_kb, MARKERS["c"])


def test_killed_rebuild_is_finished_by_the_next_rebuild(
    fake_kb: KnowledgeBase, reports: Path
) -> None:
    for name in "acd":
        write_report(reports, name, MARKERS[name])
    ingest_paths(fake_kb, [reports])
    assert run_child(fake_kb, "ingest", "--rebuild", str(reports), kill_at="upsert:2") < 0

    assert_only_committed_documents_visible(fake_kb, list(MARKERS.values()))
    assert set(fake_kb.manifest.docs) == {"a"}  # committed again before the kill
    ingest_paths(fake_kb, [reports], rebuild=True)
    assert_in_agreement(fake_kb, {"a", "c", "d"})
    assert lexical_docs(fake_kb, MARKERS["d"]) == {"d"}


@pytest.mark.parametrize(
    ("kill_at", "problem"),
    [
        ("update_tags:1", "corrections_not_applied"),  # logged, store not yet updated
        ("lexical_save:1", "index_tags_stale"),  # store updated, keyword index not yet
    ],
)
def test_killed_tag_correction_is_detected_and_repaired(
    fake_kb: KnowledgeBase, reports: Path, kill_at: str, problem: str
) -> None:
    for name in "ac":
        write_report(reports, name, MARKERS[name])
    ingest_paths(fake_kb, [reports])
    target = fake_kb.manifest.docs["a"].passage_ids[1]
    assert run_child(fake_kb, "correct", target, "problem:coordination", kill_at=kill_at) < 0

    assert [c.passage_id for c in load_corrections(fake_kb.settings.corrections_path)] == [target]
    found = check(fake_kb)
    assert getattr(found, problem) == [target] and not found.ok
    repaired = repair(fake_kb)
    assert repaired.repaired
    assert_in_agreement(fake_kb, {"a", "c"})
    assert "coordination" in fake_kb.store.get([target])[0].tag_ids("problem")
    row = next(r for r in fake_kb.lexical.rows if r.id == target)
    assert row.tags.get("problem") == ["coordination"]


@pytest.fixture
def cli_kb(fake_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> Iterator[KnowledgeBase]:
    """The `clusterkb` command pointed at `fake_kb`."""
    point_cli_at(fake_kb, monkeypatch)
    yield fake_kb
    get_settings.cache_clear()


def test_cli_check_finds_damage_and_repair_rebuilds_what_is_derived(
    cli_kb: KnowledgeBase, reports: Path
) -> None:
    for name in "acd":
        write_report(reports, name, MARKERS[name])
    ingest_paths(cli_kb, [reports])
    assert runner.invoke(app, ["check"]).exit_code == 0
    # Damage all three kinds of record.
    stray = [replace(p, id=f"stray:{p.index}") for p in cli_kb.store.get(ids_of(cli_kb, "a")[:2])]
    cli_kb.store.upsert(stray, cli_kb.embedder.embed_passages([p.text for p in stray]))
    shutil.rmtree(cli_kb.settings.bm25_path)
    cli_kb.store.delete(ids_of(cli_kb, "d")[:1])

    found = runner.invoke(app, ["check"])
    assert found.exit_code == 1
    for problem in (
        "2 passages in the store not in the manifest",
        "1 manifest passages missing from the store",
        "missing from the keyword index",
    ):
        assert problem in found.output
    fixed = runner.invoke(app, ["check", "--repair"])
    assert fixed.exit_code == 0, fixed.output
    assert "deleted 2 orphan passages" in fixed.output
    assert "forgot 1 incomplete documents" in fixed.output
    again = runner.invoke(app, ["check", "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["ok"] is True
    assert lexical_docs(cli_kb, MARKERS["a"]) == {"a"}
    assert not lexical_docs(cli_kb, MARKERS["d"])  # forgotten until the next ingest

    assert ingest_paths(cli_kb, [reports]).added == [str((reports / "d.md").resolve())]
    assert_in_agreement(cli_kb, {"a", "c", "d"})
    assert lexical_docs(cli_kb, MARKERS["d"]) == {"d"}


def test_damaged_keyword_index_does_not_break_search_and_is_repaired(
    cli_kb: KnowledgeBase, reports: Path
) -> None:
    for name in "ac":
        write_report(reports, name, MARKERS[name])
    ingest_paths(cli_kb, [reports])
    (cli_kb.settings.bm25_path / HEAD_FILE).write_text("[[", encoding="utf-8")
    reader = KnowledgeBase(cli_kb.settings, cli_kb.embedder, cli_kb.store)
    assert {h.passage.doc_id for h in search(reader, MARKERS["c"], k=50)} >= {"c"}
    assert runner.invoke(app, ["check"]).exit_code == 1
    assert runner.invoke(app, ["check", "--repair"]).exit_code == 0
    assert lexical_docs(reader, MARKERS["c"]) == {"c"}


def ids_of(kb: KnowledgeBase, doc_id: str) -> list[str]:
    return kb.manifest.docs[doc_id].passage_ids
