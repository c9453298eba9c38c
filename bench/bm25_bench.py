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
"""Sizes up to this also rebuild the final passages and compare top-10 lists (a second full
build at 1M would double the run)."""


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


def keyword_add_task(args: dict[str, Any]) -> dict[str, Any]:
    """Full rebuild of `size` synthetic passages, then ADDS additions of ADD_BATCH passages and
    one replacement of ADD_BATCH (a re-ingested report), each an update plus a save."""
    import shutil

    from bench.measure import peak_rss_mb
    from kb.models import SearchFilters
    from kb.storage.keyword_index import LexicalIndex

    size, seed = int(args["size"]), int(args["seed"])
    path = Path(args["home"]) / "bm25"
    shutil.rmtree(path, ignore_errors=True)
    real = corpus_passages()
    ids: list[str] = []

    def stream() -> Any:
        for p in synthetic_passages(real, size, seed):
            ids.append(p.id)
            yield p

    index, build_s = timed(LexicalIndex.build, stream())
    _, save_s = timed(index.save, path)
    del index
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
        dropped = set(gone)
        current = [pid for pid in ids if pid not in dropped] + added
        started = time.perf_counter()
        LexicalIndex.updated(path, current, fetch).save(path)
        seconds = time.perf_counter() - started
        ids[:] = current
        return seconds

    add_s = [step([]) for _ in range(ADDS)]
    replace_s = step(ids[len(real) : len(real) + ADD_BATCH])
    loaded, load_s = timed(LexicalIndex.load, path)
    assert loaded is not None
    query_s = [timed(loaded.search, q, TOP, SearchFilters())[1] for q in args["queries"]]
    out: dict[str, Any] = {
        "size": size,
        "rebuild_build_s": build_s,
        "rebuild_save_s": save_s,
        "add_s": add_s,
        "replace_s": replace_s,
        "load_s": load_s,
        "segments": len(loaded.parts),
        "query": latency_ms(query_s),
        "disk_mb": sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20,
    }
    if size <= CHECK_UP_TO:
        out.update(_compare_with_rebuild(loaded, real, size, seed, ids, fetched, args["queries"]))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _compare_with_rebuild(
    loaded: Any, real: list[Any], size: int, seed: int, ids: list[str], fetched: dict[str, Any],
    queries: list[str],
) -> dict[str, Any]:  # fmt: skip
    """Top-10 lists and scores of the updated index against a full rebuild and bm25s."""
    import bm25s
    from bm25s.tokenization import Tokenized

    from kb.models import SearchFilters
    from kb.storage.keyword_index import LexicalIndex
    from kb.storage.keyword_rows import tokenised
    from kb.textnorm import query_stems

    keep = set(ids)
    final = [p for p in synthetic_passages(real, size, seed) if p.id in keep]
    final += [fetched[pid] for pid in ids if pid in fetched]
    rebuilt = LexicalIndex.build(final)
    same_top = sum(
        loaded.search(q, TOP, SearchFilters()) == rebuilt.search(q, TOP, SearchFilters())
        for q in queries
    )
    vocab: dict[str, int] = {}
    token_ids = [t for _, t in tokenised(final, vocab)]
    reference = bm25s.BM25()
    reference.index(Tokenized(ids=token_ids, vocab=vocab), show_progress=False)
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


def render_keyword(results: list[dict[str, Any]]) -> list[str]:
    """The RESULTS.md section on the keyword index's update cost."""
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
            f"| {r['size']:,} | {rebuild:.2f} | {add:.3f} | {max(r['add_s']):.3f} | "
            f"{add / rebuild:.4f} | {r['replace_s']:.3f} | {r['segments']} | "
            f"{r['query']['p50']:.2f} | {r['load_s']:.2f} | {r['disk_mb']:.0f} | "
            f"{r['peak_rss_mb']:.0f} | {check} |"
        )
    return [
        "| passages | full rebuild s (stem + index + save) | add 10 s (median of "
        f"{ADDS}) | add 10 s (max) | add ÷ rebuild | replace 10 s | segments after | "
        "query p50 ms | load s | on disk MiB | peak RSS MiB | same top 10 as a rebuild, as bm25s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ]


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
