"""bm25s (used by ClusterKB) against rank-bm25's BM25Okapi on the very same tokens."""

from __future__ import annotations

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
