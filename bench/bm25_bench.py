"""The keyword index: what adding passages costs against a full rebuild (`keyword_add_task`,
`python -m bench.bm25_bench`), and bm25s against rank-bm25's BM25Okapi on the same tokens."""

from __future__ import annotations

import time
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from bench.measure import latency_ms, timed
from bench.synthetic import derive, load_real

TOP = 10


def _top(scores: np.ndarray) -> set[int]:
    scores = np.asarray(scores, dtype=np.float64)
    n = min(TOP, int((scores > 0).sum()))
    if n == 0:
        return set()
    return set(np.argpartition(-scores, n - 1)[:n].tolist())


def bm25_task(args: dict[str, Any]) -> dict[str, Any]:
    import bm25s
    from rank_bm25 import BM25Okapi

    from kb.storage.keyword_rows import passage_tokens
    from kb.textnorm import query_stems

    real, vectors = load_real(Path(args["real_dir"]))
    passages, _ = derive(real, vectors, int(args["size"]), args["seed"])
    tokens, tokenise_s = timed(lambda: [passage_tokens(p) for p in passages])
    fast = bm25s.BM25()
    _, fast_index_s = timed(lambda: fast.index(tokens, show_progress=False))
    slow, slow_index_s = timed(lambda: BM25Okapi(tokens))
    query_tokens = [query_stems(q) for q in args["queries"]]

    def fast_scores(qt: list[str]) -> np.ndarray:
        ids = fast.get_tokens_ids(qt)
        return np.asarray(fast.get_scores(ids)) if ids else np.zeros(len(tokens))

    fast_s = [timed(fast_scores, qt)[1] for qt in query_tokens]
    slow_s = [timed(slow.get_scores, qt)[1] for qt in query_tokens]
    agreement = []
    for qt in query_tokens:
        a, b = _top(fast_scores(qt)), _top(slow.get_scores(qt))
        if a or b:
            agreement.append(len(a & b) / max(len(a), len(b)))
    return {
        "size": len(passages),
        "tokenise_s": tokenise_s,
        "bm25s_index_s": fast_index_s,
        "rank_bm25_index_s": slow_index_s,
        "bm25s_query": latency_ms(fast_s),
        "rank_bm25_query": latency_ms(slow_s),
        "top10_agreement": float(np.mean(agreement)) if agreement else 0.0,
        "queries": len(query_tokens),
    }


# -- the keyword index's cost of adding passages, against a full rebuild ----------------------

ADD_BATCH = 10
ADDS = 5
CHECK_UP_TO = 100_000
"""Sizes up to this are stemmed synthetic text, and their final index is compared with a full
rebuild and bm25s (top 10 on the labelled queries). Larger ones are built from token counts
(`bench.synthetic.keyword_index_of_counts`): stemming a million passages takes over half an
hour on 2 cores, and a second full build would double the run."""
SIZES_ENV = "CLUSTERKB_BENCH_KEYWORD_SIZES"
"""Comma-separated sizes for `make bench`'s keyword section (default 10000,100000; add
1000000 for the million-passage point, about 5 more minutes and 3 GB of memory)."""
DEFAULT_SIZES = (10_000, 100_000)


def keyword_sizes(quick_sizes: list[int] | None = None) -> list[int]:
    """Sizes of the keyword section: the environment's, else tiny ones for a quick run."""
    import os

    raw = os.environ.get(SIZES_ENV, "").strip()
    if raw:
        return [int(x) for x in raw.split(",") if x.strip()]
    return list(quick_sizes) if quick_sizes else list(DEFAULT_SIZES)


def corpus_passages() -> list[Any]:
    """The bundled reports chunked as an ingest chunks them (words stand in for encoder
    tokens: no model is needed to measure the keyword index)."""
    from bench.measure import REPO
    from ingest.chunking import chunk_document
    from ingest.loaders import iter_files, load_document
    from kb.config import Settings

    settings = Settings()
    out = []
    for path in iter_files([REPO / "corpus"]):
        document = load_document(path, settings)
        out += chunk_document(document, lambda t: len(t.split()), 512, 150, 25)
    return out


def synthetic_passages(real: list[Any], size: int, seed: int, prefix: str = "syn") -> Any:
    """`size` passages streamed: the real ones, then copies with words replaced and swapped
    as `bench.synthetic.derive` does for its stores (text only, no vectors)."""
    from dataclasses import replace

    from bench.synthetic import DOC_SIZE, _shuffled_text, _vocabularies

    rng = np.random.default_rng(seed)
    vocab = _vocabularies(real)
    split = [np.array(p.text.split(), dtype=object) for p in real]
    yield from real[:size]
    for i in range(max(size - len(real), 0)):
        src = int(rng.integers(0, len(real)))
        doc = f"{prefix}{i // DOC_SIZE:05d}"
        text = _shuffled_text(split[src], vocab[real[src].lang], rng)
        yield replace(real[src], id=f"{doc}:{i % DOC_SIZE:04d}", doc_id=doc, index=i % DOC_SIZE,
                      text=text, start=0, end=len(text))  # fmt: skip


def _reset_peak_rss() -> bool:
    """Start this process's peak RSS afresh (Linux: /proc/self/clear_refs), so the figure is
    that of the adds and searches, not of the full build before them."""
    import gc

    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def keyword_add_task(args: dict[str, Any]) -> dict[str, Any]:
    """Full rebuild of `size` synthetic passages, then ADDS additions of ADD_BATCH passages and
    one replacement of ADD_BATCH (a re-ingested report), each an update plus a save given
    every committed id, sorted, as `kb.storage.writes` gives them."""
    import bisect
    import shutil

    from bench.measure import peak_rss_mb
    from bench.synthetic import keyword_index_of_counts
    from kb.models import SearchFilters
    from kb.storage.keyword_index import LexicalIndex

    size, seed = int(args["size"]), int(args["seed"])
    counts = size > CHECK_UP_TO
    path = Path(args["home"]) / "bm25"
    shutil.rmtree(path, ignore_errors=True)
    real = corpus_passages()
    ids: list[str] = []

    def stream() -> Any:
        for p in synthetic_passages(real, size, seed):
            ids.append(p.id)
            yield p

    if counts:
        index, build_s = timed(keyword_index_of_counts, real, size, seed)
        ids = list(index.parts[0].segment.ids)
    else:
        index, build_s = timed(LexicalIndex.build, stream())
    _, save_s = timed(index.save, path)
    build_rss = peak_rss_mb()
    del index
    ids.sort()
    reset = _reset_peak_rss()
    more = synthetic_passages(real, len(real) + 2 * ADD_BATCH * (ADDS + 1), seed + 1, "new")
    extra = {p.id: p for p in islice(more, len(real), None)}
    pending = list(extra)
    fetched: dict[str, Any] = {}

    def fetch(wanted: list[str]) -> list[Any]:
        return [fetched[pid] for pid in wanted]

    def step(gone: list[str]) -> float:
        added = [pending.pop() for _ in range(ADD_BATCH)]
        for pid in added:
            fetched[pid] = extra[pid]
        if gone:
            dropped = set(gone)
            ids[:] = [pid for pid in ids if pid not in dropped]
        for pid in added:
            bisect.insort(ids, pid)
        started = time.perf_counter()
        LexicalIndex.updated(path, ids, fetch).save(path)
        return time.perf_counter() - started

    add_s = [step([]) for _ in range(ADDS)]
    middle = len(ids) // 2
    replace_s = step(ids[middle : middle + ADD_BATCH])
    loaded, load_s = timed(LexicalIndex.load, path)
    assert loaded is not None
    queries = args["queries"]
    loaded.search(queries[0], TOP, SearchFilters())  # maps the files and decodes ids once
    query_s = [timed(loaded.search, q, TOP, SearchFilters())[1] for q in queries]
    out: dict[str, Any] = {
        "size": size,
        "built_from": "token counts" if counts else "stemmed text",
        "rebuild_build_s": build_s,
        "rebuild_save_s": save_s,
        "add_s": add_s,
        "replace_s": replace_s,
        "load_s": load_s,
        "segments": len(loaded.parts),
        "query": latency_ms(query_s),
        "disk_mb": sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20,
        "build_peak_rss_mb": build_rss,
    }
    # The adds' and searches' own peak (the whole process's when it could not be reset).
    out["peak_rss_mb"] = peak_rss_mb()
    out["peak_rss_of"] = "adds and searches" if reset else "whole process"
    if not counts:
        out.update(_compare_with_rebuild(loaded, real, size, seed, ids, fetched, queries))
    return out


def _compare_with_rebuild(
    loaded: Any, real: list[Any], size: int, seed: int, ids: list[str], fetched: dict[str, Any],
    queries: list[str],
) -> dict[str, Any]:  # fmt: skip
    """Top-10 lists and scores of the updated index against a full rebuild and bm25s."""
    import bm25s
    from bm25s.tokenization import Tokenized

    from kb.models import SearchFilters
    from kb.storage.keyword_index import LexicalIndex, Part
    from kb.storage.keyword_rows import tokenised
    from kb.storage.keyword_segment import segment_of
    from kb.textnorm import query_stems

    keep = set(ids)
    final = [p for p in synthetic_passages(real, size, seed) if p.id in keep]
    final += [fetched[pid] for pid in ids if pid in fetched]
    # Stemmed once for both references: a rebuild is one segment of these stems.
    vocab: dict[str, int] = {}
    entries = list(tokenised(final, vocab))
    rebuilt = LexicalIndex([Part(segment_of(entries, vocab))])
    same_top = sum(
        loaded.search(q, TOP, SearchFilters()) == rebuilt.search(q, TOP, SearchFilters())
        for q in queries
    )
    reference = bm25s.BM25()
    reference.index(Tokenized(ids=[t for _, t in entries], vocab=vocab), show_progress=False)
    order = [p.id for p in final]
    same_as_bm25s = 0
    for q in queries:
        found = reference.get_tokens_ids(query_stems(q))
        scores = np.asarray(reference.get_scores(found)) if found else np.zeros(len(order))
        n = min(TOP, int((scores > 0).sum()))
        cut = np.sort(scores)[::-1][n - 1] if n else np.inf
        best = sorted(
            (i for i in np.flatnonzero(scores >= cut)), key=lambda i: (-scores[i], order[i])
        )
        expected = [(order[i], float(scores[i])) for i in best[:n]]
        same_as_bm25s += loaded.search(q, TOP, SearchFilters()) == expected
    return {"same_top10_as_rebuild": same_top, "same_top10_as_bm25s": same_as_bm25s,
            "checked_queries": len(queries)}  # fmt: skip


ADD_TARGET_S = 2.0
"""Adding ADD_BATCH passages to the index of a million must take less than this."""


def render_keyword(results: list[dict[str, Any]]) -> list[str]:
    """The table of the keyword index's update cost, one row per size."""
    rows = []
    for r in results:
        rebuild = r["rebuild_build_s"] + r["rebuild_save_s"]
        add = float(np.median(r["add_s"]))
        check = (
            f"{r['same_top10_as_rebuild']}/{r['checked_queries']}, "
            f"{r['same_top10_as_bm25s']}/{r['checked_queries']}"
            if "checked_queries" in r
            else "not checked"
        )
        rows.append(
            f"| {r['size']:,} | {r.get('built_from', 'stemmed text')} | {rebuild:.2f} | "
            f"{add:.3f} | {max(r['add_s']):.3f} | {add / rebuild:.4f} | {r['replace_s']:.3f} | "
            f"{r['segments']} | {r['query']['p50']:.1f} | {r['query']['p95']:.1f} | "
            f"{r['load_s']:.2f} | {r['disk_mb']:.0f} | "
            f"{r.get('build_peak_rss_mb', float('nan')):.0f} / {r['peak_rss_mb']:.0f} | {check} |"
        )
    return [
        "| passages | built from | full rebuild s (stemming or drawing counts, index, save) | "
        f"add 10 s (median of {ADDS}) | add 10 s (max) | add ÷ rebuild | replace 10 s | "
        "segments after | "
        "query p50 ms | query p95 ms | load s | on disk MiB | peak RSS MiB (rebuild / adds "
        "and searches) | same top 10 as a rebuild, as bm25s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ]


def section(r: dict[str, Any]) -> list[str]:
    """The report's section on the keyword index (`make bench`)."""
    results = r.get("keyword") or []
    if not results:
        return []
    return [
        "## Keyword index: adding passages against a full rebuild",
        "",
        "Each size in its own process: a full rebuild (stemming, counts, save), then "
        f"{ADDS} updates adding {ADD_BATCH} passages each and one replacing {ADD_BATCH} "
        "(a re-ingested report), each `LexicalIndex.updated(...).save(...)` given every "
        "committed id, sorted, as an ingest gives them; then a load and the labelled queries "
        f"(p50, p95; after one warm-up query). Sizes up to {CHECK_UP_TO:,} are synthetic "
        "stemmed passages (`bench.synthetic` recipe) and their final index is compared with a "
        "full rebuild and with bm25s over the same stems; larger ones are built from random "
        "token counts (no stemming, so their rebuild time is a lower bound). Sizes: "
        f"`{SIZES_ENV}` (default {','.join(str(x) for x in DEFAULT_SIZES)}; "
        f"`{SIZES_ENV}=10000,100000,1000000 make bench` adds the million).",
        "",
        *render_keyword(results),
        "",
    ]


def target_row(r: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """The report's target line when the million-passage point was measured."""
    big = [k for k in r.get("keyword") or [] if k["size"] >= 1_000_000]
    if not big:
        return []
    add = float(np.median(big[-1]["add_s"]))
    label = f"add {ADD_BATCH} passages to the keyword index of {big[-1]['size']:,} < 2 s"
    return [(label, f"{add:.2f} s (median)", add < ADD_TARGET_S)]


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.bm25_bench [--sizes 10000,100000,1000000] [--json PATH]`: each size in
    its own process (its own peak RSS); prints the table."""
    import argparse
    import json
    import subprocess
    import sys
    import tempfile

    from bench.measure import REPO, RESULT_MARK
    from bench.runner import SEED, load_queries

    parser = argparse.ArgumentParser(prog="python -m bench.bm25_bench")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        from bench.measure import emit

        emit(keyword_add_task(json.loads(args.child)))
        return 0
    queries = load_queries(1000)
    results = []
    with tempfile.TemporaryDirectory(prefix="clusterkb-bm25-") as work:
        for size in (int(s) for s in args.sizes.split(",")):
            task = {"size": size, "seed": SEED, "home": f"{work}/{size}", "queries": queries}
            proc = subprocess.run(
                [sys.executable, "-m", "bench.bm25_bench", "--child", json.dumps(task)],
                cwd=REPO, capture_output=True, text=True, check=False,
            )  # fmt: skip
            lines = [x for x in proc.stdout.splitlines() if x.startswith(RESULT_MARK)]
            if not lines:
                raise SystemExit(proc.stderr[-3000:])
            results.append(json.loads(lines[-1][len(RESULT_MARK) :]))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print("\n".join(render_keyword(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
