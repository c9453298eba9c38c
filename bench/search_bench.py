"""Query latency of hybrid search against plain Chroma, BM25 alone and exact numpy search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bench.measure import latency_ms, peak_rss_mb, timed

TOP = 10


def search_task(args: dict[str, Any]) -> dict[str, Any]:
    """Latencies over `rounds` passes of the queries, in one process (its peak RSS too)."""
    from kb.config import Settings
    from kb.models import SearchFilters
    from kb.retrieval.search import search
    from kb.storage.knowledge import open_kb

    settings = Settings(
        home=Path(args["home"]),
        embedding_model=args["backend"],
        chroma_url=args.get("chroma_url"),
        threads=args.get("threads"),
    )
    queries: list[str] = args["queries"]
    rounds = int(args["rounds"])
    kb, open_s = timed(lambda: open_kb(settings))
    collection = kb.store.collection
    n = max(TOP, settings.candidates)
    for q in queries[:5]:  # warm caches: HNSW pages, BM25 arrays, manifest ids
        search(kb, q, k=TOP)

    def each(fn: Any) -> list[float]:
        return [timed(fn, q)[1] for _ in range(rounds) for q in queries]

    out: dict[str, Any] = {"passages": kb.store.count(), "open_s": open_s}
    out["hybrid"] = latency_ms(each(lambda q: search(kb, q, k=TOP)))
    out["peak_rss_mb"] = peak_rss_mb()
    out["encode"] = latency_ms([timed(kb.embedder.embed_query, q)[1] for q in queries])
    # The dense leg alone as an application would write it: encode, then one Chroma query
    # for the same number of candidates with documents and metadata.
    out["dense_only"] = latency_ms(
        each(
            lambda q: collection.query(
                query_embeddings=[kb.embedder.embed_query(q).tolist()], n_results=n
            )
        )
    )
    vectors = np.vstack([kb.embedder.embed_query(q) for q in queries]).astype(np.float32)
    by_query = dict(zip(queries, vectors.tolist(), strict=True))
    out["chroma_vector"] = latency_ms(
        each(lambda q: collection.query(query_embeddings=[by_query[q]], n_results=TOP))
    )
    out["lexical"] = latency_ms(each(lambda q: kb.lexical.search(q, n, SearchFilters())))
    if args.get("exact"):
        out.update(_exact(collection, vectors, rounds))
    if args.get("qvec_path"):
        np.save(args["qvec_path"], vectors)
    return out


def _all_vectors(collection: Any) -> tuple[list[str], np.ndarray]:
    ids: list[str] = []
    parts = []
    offset = 0
    while True:
        res = collection.get(limit=5000, offset=offset, include=["embeddings"])
        if not res["ids"]:
            break
        ids.extend(res["ids"])
        parts.append(np.asarray(res["embeddings"], dtype=np.float32))
        offset += len(res["ids"])
    matrix = np.vstack(parts)
    return ids, matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def recall_figures(
    collection: Any, ids: list[str], matrix: np.ndarray, vectors: np.ndarray
) -> dict[str, float]:
    """How close Chroma's top 10 is to the exact top 10 (cosine, brute force in numpy).

    recall@10: share of the exact top 10 in Chroma's top 10; in 50: in Chroma's top 50 (the
    candidates hybrid search fuses); similarity: mean cosine of Chroma's top 10 divided by
    that of the exact top 10 (1.0 when the misses are near-ties).
    """
    position = {pid: i for i, pid in enumerate(ids)}
    recalls, recalls_50, similarity = [], [], []
    for v in vectors:
        scores = matrix @ v
        exact = np.argpartition(-scores, TOP - 1)[:TOP]
        truth = {ids[i] for i in exact}
        got = collection.query(query_embeddings=[v.tolist()], n_results=50, include=[])
        found = got["ids"][0]
        recalls.append(len(truth & set(found[:TOP])) / TOP)
        recalls_50.append(len(truth & set(found)) / TOP)
        chroma_sim = np.mean([scores[position[pid]] for pid in found[:TOP]])
        similarity.append(float(chroma_sim / np.mean(scores[exact])))
    return {
        "recall_at_10": float(np.mean(recalls)),
        "recall_min": float(np.min(recalls)),
        "recall_in_50": float(np.mean(recalls_50)),
        "similarity_ratio": float(np.mean(similarity)),
    }


def _exact(collection: Any, vectors: np.ndarray, rounds: int) -> dict[str, Any]:
    """Brute-force cosine top-10 in numpy: its latency, and Chroma's recall against it."""
    ids, matrix = _all_vectors(collection)

    def exact_top(v: np.ndarray) -> np.ndarray:
        scores = matrix @ v
        top = np.argpartition(-scores, TOP - 1)[:TOP]
        return top[np.argsort(-scores[top])]

    samples = [timed(exact_top, v)[1] for _ in range(rounds) for v in vectors]
    return {
        "exact": latency_ms(samples),
        "exact_matrix_mb": matrix.nbytes / (1024.0 * 1024.0),
        **recall_figures(collection, ids, matrix, vectors),
    }


def hnsw_task(args: dict[str, Any]) -> dict[str, Any]:
    """One HNSW setting in a fresh process: Chroma applies `ef_search` when it loads the index."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(
        path=str(Path(args["home"]) / "chroma"),
        settings=ChromaSettings(anonymized_telemetry=False),
    )
    try:
        collection = client.get_collection(args["collection"])
    except Exception:  # an older cached store without the variant collection
        return {}
    config = dict(collection.configuration_json.get("hnsw") or {})
    default_ef = int(config.get("ef_search", 100))
    ef = int(args.get("ef") or default_ef)
    vectors = np.load(args["qvec_path"])
    if ef != default_ef:
        collection.modify(configuration={"hnsw": {"ef_search": ef}})
    try:
        samples = [
            timed(collection.query, query_embeddings=[v.tolist()], n_results=TOP, include=[])[1]
            for _ in range(int(args["rounds"]))
            for v in vectors
        ]
        ids, matrix = _all_vectors(collection)
        figures = recall_figures(collection, ids, matrix, vectors)
    finally:
        if ef != default_ef:
            collection.modify(configuration={"hnsw": {"ef_search": default_ef}})
    return {
        "collection": args["collection"],
        "ef_search": ef,
        "max_neighbors": config.get("max_neighbors"),
        "ef_construction": config.get("ef_construction"),
        "latency": latency_ms(samples),
        **figures,
    }
