"""The keyword index in segments: adds and removals score exactly as a full rebuild does,
indexes of earlier versions are converted, and a save leaves nothing half-written behind."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import bm25s
import numpy as np
import pytest
from bm25s.tokenization import Tokenized
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.pipeline import ingest_paths
from kb.models import Passage, SearchFilters
from kb.retrieval.search import search
from kb.storage.check import check
from kb.storage.keyword_index import HEAD_FILE, LexicalIndex
from kb.storage.keyword_rows import LexicalRow, TokenTable, passage_tokens, tokenised, write_rows
from kb.storage.keyword_scoring import best_positions
from kb.storage.knowledge import KnowledgeBase
from kb.textnorm import query_stems
from tests.helpers.reports import MARKERS, write_report

WORDS = [
    "coordinación",
    "instituciones",
    "públicas",
    "empresas",
    "compras",
    "conjuntas",
    "clúster",
    "lácteo",
    "pymes",
    "exportación",
    "innovación",
    "financiamiento",
    "capacitación",
    "proveedores",
    "cadena",
    "valor",
    "turismo",
    "coordination",
    "agencies",
    "firms",
    "joint",
    "purchasing",
    "dairy",
    "exports",
    "innovation",
    "training",
    "suppliers",
    "cooperação",
    "empresas",
    "inovação",
    "exportações",
    "fornecedores",
]
QUERIES = (
    "coordinación de instituciones",
    "joint purchasing dairy",
    "exportación innovación",
    "proveedores cadena de valor",
    "inovação fornecedores",
    "turismo",
)


def passage(pid: str, text: str, lang: str = "es", title: str = "") -> Passage:
    return Passage(pid, pid.split(":")[0], 0, text, 0, len(text), 1, 1, "", title=title, lang=lang)


def random_passage(pid: str, rng: np.random.Generator) -> Passage:
    words = rng.choice(WORDS, size=int(rng.integers(1, 30)))
    return passage(pid, " ".join(words), lang=str(rng.choice(["es", "en", "pt"])))


def corpus(n: int, seed: int, prefix: str = "d") -> list[Passage]:
    rng = np.random.default_rng(seed)
    return [random_passage(f"{prefix}{i // 5}:{i % 5}", rng) for i in range(n)]


def by_id(index: LexicalIndex, query: str) -> dict[str, float]:
    return dict(index.search(query, 1000, SearchFilters()))


def test_scores_equal_those_of_a_bm25s_index_over_the_same_stems() -> None:
    passages = corpus(300, seed=1)
    index = LexicalIndex.build(passages)
    reference = bm25s.BM25()
    vocab: dict[str, int] = {}
    token_ids = [ids for _, ids in tokenised(passages, vocab)]
    reference.index(Tokenized(ids=token_ids, vocab=vocab), show_progress=False)
    positions = {p.id: i for i, p in enumerate(passages)}
    for query in QUERIES:
        stems = query_stems(query)
        expected = np.asarray(reference.get_scores(reference.get_tokens_ids(stems)))
        got = by_id(index, query)
        assert got, query
        assert {pid: expected[positions[pid]] for pid in got} == got  # bit for bit
        assert set(got) == {passages[i].id for i in np.flatnonzero(expected > 0)}


def test_added_and_removed_passages_score_as_a_rebuild_after_save_and_load(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bm25"
    first = corpus(200, seed=2)
    LexicalIndex.build(first).save(path)
    later = [p for p in first if not p.id.startswith("d1")] + corpus(12, seed=3, prefix="n")
    fetched: list[str] = []

    def fetch(ids: list[str]) -> list[Passage]:
        fetched.extend(ids)
        known = {p.id: p for p in later}
        return [known[i] for i in ids]

    updated = LexicalIndex.updated(path, [p.id for p in later], fetch)
    assert sorted(fetched) == sorted(p.id for p in later if p.id.startswith("n"))
    updated.save(path)
    loaded = LexicalIndex.load(path)
    assert loaded is not None and loaded.ids == sorted(p.id for p in later)
    rebuilt = LexicalIndex.build(later)
    for query in QUERIES:
        assert loaded.search(query, 10, SearchFilters()) == rebuilt.search(
            query, 10, SearchFilters()
        )
        assert by_id(loaded, query) == by_id(rebuilt, query)


OPS = st.lists(
    st.tuples(st.sampled_from(["add", "remove", "edit"]), st.integers(0, 40), st.integers(0, 9)),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS, seed=st.integers(0, 10_000))
def test_any_sequence_of_adds_removals_and_edits_scores_as_a_full_rebuild(
    tmp_path: Path, ops: list[tuple[str, int, int]], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    path = tmp_path / f"bm25-{seed}-{len(ops)}"
    current = {p.id: p for p in corpus(int(rng.integers(0, 30)), seed)}
    index = LexicalIndex.build(current.values())
    index.save(path)
    made = 0
    for op, count, pick in ops:
        if op == "add":
            for _ in range(count % 15 + 1):
                made += 1
                p = random_passage(f"a{made}:0", rng)
                current[p.id] = p
            index = LexicalIndex.updated(path, list(current), lambda ids: [current[i] for i in ids])
        elif op == "remove" and current:
            ids = sorted(current)
            for pid in ids[pick % len(ids) :: max(count % 7, 1) + 1]:
                del current[pid]
            index = LexicalIndex.updated(path, list(current), lambda ids: [current[i] for i in ids])
        elif op == "edit" and current:
            ids = sorted(current)
            pid = ids[pick % len(ids)]
            current[pid] = random_passage(pid, rng)  # a title or language edit re-stems
            index = index.with_passages([current[pid]])
        index.save(path)
        if count % 3 == 0:
            reloaded = LexicalIndex.load(path)
            assert reloaded is not None
            index = reloaded
    rebuilt = LexicalIndex.build(current[i] for i in sorted(current))
    assert index.ids == rebuilt.ids == sorted(current)
    for query in QUERIES:
        assert by_id(index, query) == by_id(rebuilt, query)
        assert index.search(query, 10, SearchFilters()) == rebuilt.search(
            query, 10, SearchFilters()
        )


def test_many_small_adds_keep_few_segments(tmp_path: Path) -> None:
    path = tmp_path / "bm25"
    current = {p.id: p for p in corpus(500, seed=4)}
    LexicalIndex.build(current.values()).save(path)
    for k in range(40):
        for p in corpus(3, seed=100 + k, prefix=f"k{k}-"):
            current[p.id] = p
        index = LexicalIndex.updated(path, list(current), lambda ids: [current[i] for i in ids])
        index.save(path)
    assert len(index.parts) <= 6
    folders = [c for c in path.iterdir() if c.is_dir()]
    assert len(folders) == len(index.parts)  # merged-away segments are deleted


def test_a_save_interrupted_before_its_commit_leaves_the_previous_index(tmp_path: Path) -> None:
    path = tmp_path / "bm25"
    first = corpus(50, seed=5)
    LexicalIndex.build(first).save(path)
    # What a writer killed mid-save leaves: a half-written segment and an unnamed one.
    (path / "seg-deadbeef0000.tmp").mkdir()
    (path / "seg-deadbeef0000.tmp" / "ids.txt").write_text("x:1", encoding="utf-8")
    stray = LexicalIndex.build(corpus(5, seed=6, prefix="s"))
    stray.save(tmp_path / "elsewhere")
    (tmp_path / "elsewhere" / HEAD_FILE).unlink()
    for child in (tmp_path / "elsewhere").iterdir():
        child.rename(path / child.name)
    loaded = LexicalIndex.load(path)
    assert loaded is not None and loaded.ids == sorted(p.id for p in first)
    LexicalIndex.updated(path, [p.id for p in first], lambda ids: []).save(path)
    named = json.loads((path / HEAD_FILE).read_text(encoding="utf-8"))["segments"]
    assert {c.name for c in path.iterdir()} == {HEAD_FILE} | {e["name"] for e in named}


def save_as_earlier_version(passages: list[Passage], path: Path, stems: bool = True) -> None:
    """The folder the previous keyword index wrote: bm25s files, rows.json, tokens.npz."""
    vocab: dict[str, int] = {}
    entries = sorted(tokenised(passages, vocab), key=lambda entry: entry[0].id)
    retriever = bm25s.BM25()
    token_ids = [ids for _, ids in entries]
    retriever.index(Tokenized(ids=token_ids, vocab=dict(vocab)), show_progress=False)
    path.mkdir(parents=True)
    retriever.save(str(path), show_progress=False)
    write_rows([row for row, _ in entries], path / "rows.json")
    if stems:
        TokenTable.of(token_ids, vocab).save(path / "tokens.npz")


def test_an_index_of_the_earlier_format_is_read_then_converted(tmp_path: Path) -> None:
    path = tmp_path / "bm25"
    passages = corpus(80, seed=7)
    save_as_earlier_version(passages, path)
    loaded = LexicalIndex.load(path)
    assert loaded is not None and loaded.legacy
    rebuilt = LexicalIndex.build(passages)
    for query in QUERIES:
        assert by_id(loaded, query) == by_id(rebuilt, query)
    asked: list[str] = []

    def fetch(ids: list[str]) -> list[Passage]:
        asked.extend(ids)
        return []

    converted = LexicalIndex.updated(path, [p.id for p in passages], fetch)
    assert asked == []  # its saved stems were enough
    converted.save(path)
    assert not (path / "rows.json").exists() and not (path / "tokens.npz").exists()
    again = LexicalIndex.load(path)
    assert again is not None and not again.legacy
    assert [by_id(again, q) for q in QUERIES] == [by_id(rebuilt, q) for q in QUERIES]


def test_an_index_of_the_earlier_format_without_stems_is_rebuilt_from_the_store(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bm25"
    passages = corpus(40, seed=8)
    save_as_earlier_version(passages, path, stems=False)
    assert LexicalIndex.load(path) is None
    known = {p.id: p for p in passages}
    asked: list[str] = []

    def fetch(ids: list[str]) -> list[Passage]:
        asked.extend(ids)
        return [known[i] for i in ids]

    updated = LexicalIndex.updated(path, list(known), fetch)
    assert sorted(asked) == sorted(known)
    rebuilt = LexicalIndex.build(passages)
    assert [by_id(updated, q) for q in QUERIES] == [by_id(rebuilt, q) for q in QUERIES]


def test_an_edit_replaces_rows_and_stems_of_the_edited_passages_only() -> None:
    passages = corpus(60, seed=9)
    index = LexicalIndex.build(passages)
    target = passages[7]
    edited = passage(target.id, target.text, lang=target.lang, title="xqtitulonuevo")
    after = index.with_passages([edited])
    assert [pid for pid, _ in after.search("xqtitulonuevo", 5, SearchFilters())] == [target.id]
    assert after.ids == index.ids
    assert LexicalRow.of(edited) in after.rows
    assert passage_tokens(edited) != passage_tokens(target)
    replaced = [edited if p.id == target.id else p for p in passages]
    rebuilt = LexicalIndex.build(replaced)
    assert [by_id(after, q) for q in QUERIES] == [by_id(rebuilt, q) for q in QUERIES]


def test_a_store_with_an_earlier_keyword_index_searches_and_the_next_ingest_converts_it(
    fake_kb: KnowledgeBase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reports = tmp_path / "reports"
    for name in "ac":
        write_report(reports, name, MARKERS[name])
    ingest_paths(fake_kb, [reports])
    path = fake_kb.settings.bm25_path
    shutil.rmtree(path)
    save_as_earlier_version(list(fake_kb.store.iter_all()), path)

    reader = KnowledgeBase(fake_kb.settings, fake_kb.embedder, fake_kb.store)
    found = search(reader, MARKERS["c"], k=5, mode="lexical")
    assert found and found[0].passage.doc_id == "c"
    with caplog.at_level(logging.WARNING):
        ingest_paths(fake_kb, [reports])  # nothing changed but the index's format
    assert "earlier version" in caplog.text
    assert (path / HEAD_FILE).exists() and not (path / "rows.json").exists()
    assert check(fake_kb).ok
    again = KnowledgeBase(fake_kb.settings, fake_kb.embedder, fake_kb.store)
    assert not again.lexical.legacy
    assert [h.passage.id for h in search(again, MARKERS["c"], k=5, mode="lexical")] == [
        h.passage.id for h in found
    ]


def test_an_index_saved_before_sorted_ids_existed_updates_as_a_rebuild(tmp_path: Path) -> None:
    """Segments written without their sorted ids still take adds and removals (ids with
    accents, given unsorted and repeated), and the next save gives them their sorted ids."""
    path = tmp_path / "bm25"
    first = corpus(120, seed=5) + corpus(10, seed=6, prefix="año-ñandú")
    LexicalIndex.build(first).save(path)
    for keys_file in path.glob("seg-*/*.npy"):
        if keys_file.name in ("keys.npy", "order.npy"):
            keys_file.unlink()
    later = [p for p in first if not p.id.startswith("d2")] + corpus(7, seed=7, prefix="açaí")
    known = {p.id: p for p in later}
    wanted = [p.id for p in reversed(later)] + [later[0].id, later[-1].id]
    updated = LexicalIndex.updated(path, wanted, lambda ids: [known[i] for i in ids])
    updated.save(path)
    assert all((seg / "keys.npy").exists() for seg in path.glob("seg-*"))
    loaded = LexicalIndex.load(path)
    rebuilt = LexicalIndex.build(later)
    assert loaded is not None and loaded.ids == rebuilt.ids == sorted(known)
    for query in QUERIES:
        assert by_id(loaded, query) == by_id(rebuilt, query)
    edited = passage("año-ñandú0:1", "turismo turismo lácteo")
    after = loaded.with_passages([edited, passage("absent:0", "turismo")])
    known[edited.id] = edited
    assert after.ids == sorted(known)
    assert by_id(after, "turismo") == by_id(LexicalIndex.build(known.values()), "turismo")


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.25, 3.0, 1e-30, 7.5]), max_size=300),
    n=st.integers(1, 40),
)
def test_the_best_positions_are_those_a_full_sort_keeps(values: list[float], n: int) -> None:
    scores = np.array(values, dtype=np.float32)
    positive = np.sort(scores[scores > 0])[::-1]
    cut = positive[min(n, len(positive)) - 1] if len(positive) else np.inf
    expected = np.flatnonzero((scores >= cut) & (scores > 0))
    assert best_positions(scores, n).tolist() == expected.tolist()
