"""Ingest throughput: the real pipeline end to end, each stage timed alone, and re-ingest."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from bench.measure import peak_rss_mb, timed
from kb.config import Settings

STAGES = ("extract", "chunk", "length check", "embed", "tag", "store", "bm25")


def bench_settings(home: Path, backend: str, threads: int | None) -> Settings:
    from bench.measure import REPO

    return Settings(home=home, embedding_model=backend, threads=threads, corpus_dir=REPO / "corpus")


def ingest_task(args: dict[str, Any]) -> dict[str, Any]:
    """The pipeline as `clusterkb ingest` runs it; then the same paths again, unchanged."""
    from ingest.pipeline import ingest_paths
    from kb.storage.knowledge import open_kb
    from kb.tags.tagger import default_tagger

    settings = bench_settings(Path(args["home"]), args["backend"], args.get("threads"))
    paths = [Path(p) for p in args["paths"]]
    kb, open_s = timed(lambda: open_kb(settings))
    encoder = TimedEmbedder(kb.embedder)
    kb.embedder = encoder  # type: ignore[assignment]
    report, first_s = timed(lambda: ingest_paths(kb, paths, tagger=default_tagger(kb)))
    in_ingest_s = encoder.seconds
    kb.embedder = encoder.inner
    rss = peak_rss_mb()
    again, second_s = timed(lambda: ingest_paths(kb, paths, tagger=default_tagger(kb)))
    encoder_s = _bare_encoder_seconds(kb)
    return {
        "files": len(report.added),
        "failed": [f"{Path(p).name}: {why}" for p, why in report.failed],
        "pages": report.pages,
        "passages": report.passages,
        "open_s": open_s,
        "first_s": first_s,
        "reingest_s": second_s,
        "reingest_changed": again.changed,
        "encoder_in_ingest_s": in_ingest_s,
        "encoder_s": encoder_s,
        "peak_rss_mb": rss,
    }


class TimedEmbedder:
    """The ingest's own encoder, timing its passage batches: the bare encoder's share of the
    very run whose total is measured, so machine load changes both sides alike."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed_passages(self, texts: Any) -> Any:
        vectors, seconds = timed(self.inner.embed_passages, texts)
        self.seconds += seconds
        return vectors


def _bare_encoder_seconds(kb: Any) -> float:
    """The encoder alone on the texts the ingest just embedded, in the same process and
    right after it, so that both sides of the pipeline ratio meet the same machine load."""
    passages = list(kb.store.iter_get(sorted(kb.manifest.passage_ids())))
    texts = _checked_texts(kb.embedder, passages)
    size = kb.settings.batch_size
    return sum(
        timed(kb.embedder.embed_passages, texts[lo : lo + size])[1]
        for lo in range(0, len(texts), size)
    )


def reingest_process_task(args: dict[str, Any]) -> dict[str, Any]:
    """A fresh process re-ingesting an unchanged knowledge base (imports and model load too)."""
    from ingest.pipeline import ingest_paths
    from kb.storage.knowledge import open_kb
    from kb.tags.tagger import default_tagger

    settings = bench_settings(Path(args["home"]), args["backend"], args.get("threads"))
    kb, open_s = timed(lambda: open_kb(settings))
    paths = [Path(p) for p in args["paths"]]
    report, run_s = timed(lambda: ingest_paths(kb, paths, tagger=default_tagger(kb)))
    return {"open_s": open_s, "ingest_s": run_s, "changed": report.changed}


def stages_task(args: dict[str, Any]) -> dict[str, Any]:
    """Each pipeline stage timed by calling its function directly on the same files.

    Also saves the real passages and vectors, the seed of the synthetic stores.
    """
    from ingest.chunking import chunk_document, embedding_text
    from ingest.loaders import iter_files, load_document
    from kb.storage.keyword_index import LexicalIndex
    from kb.storage.knowledge import open_kb
    from kb.tags.tagger import default_tagger

    settings = bench_settings(Path(args["home"]), args["backend"], args.get("threads"))
    kb = open_kb(settings)
    embedder = kb.embedder
    tagger = default_tagger(kb)
    seconds: dict[str, float] = defaultdict(float)
    all_passages = []
    all_vectors = []
    pages = 0
    for path in iter_files([Path(p) for p in args["paths"]]):
        document, s = timed(load_document, path, settings)
        seconds["extract"] += s
        pages += len(document.pages)
        passages, s = timed(
            chunk_document,
            document,
            embedder.count_tokens,
            embedder.max_tokens,
            settings.chunk_tokens,
            settings.chunk_overlap_tokens,
        )
        seconds["chunk"] += s
        # The pipeline checks every embedding text against the encoder limit before encoding.
        texts, s = timed(_checked_texts, embedder, passages)
        seconds["length check"] += s
        batches = []
        for lo in range(0, len(texts), settings.batch_size):
            vectors, s = timed(embedder.embed_passages, texts[lo : lo + settings.batch_size])
            seconds["embed"] += s
            batches.append(vectors)
        vectors = np.vstack(batches)
        passages, s = timed(tagger, passages, vectors)
        seconds["tag"] += s
        _, s = timed(kb.store.upsert, passages, vectors)
        seconds["store"] += s
        all_passages.extend(passages)
        all_vectors.append(vectors)
    _, seconds["bm25"] = timed(lambda: LexicalIndex.build(all_passages).save(settings.bm25_path))
    vectors = np.vstack(all_vectors).astype(np.float32)
    out = Path(args["real_dir"])
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectors.npy", vectors)
    rows = [asdict(p) for p in all_passages]
    (out / "passages.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    texts = [embedding_text(p) for p in all_passages]
    tokens = [embedder.count_tokens(t) for t in texts]
    return {
        "backend": embedder.name,
        "dim": int(vectors.shape[1]),
        "pages": pages,
        "passages": len(all_passages),
        "mean_tokens": float(np.mean(tokens)) if tokens else 0.0,
        "seconds": {stage: seconds.get(stage, 0.0) for stage in STAGES},
    }


def _checked_texts(embedder: Any, passages: list[Any]) -> list[str]:
    from ingest.chunking import embedding_text

    texts = []
    for p in passages:
        text = embedding_text(p)
        if embedder.count_tokens(text) > embedder.max_tokens:
            text = p.text
        texts.append(text)
    return texts


def ingest_into_task(args: dict[str, Any]) -> dict[str, Any]:
    """One report ingested into a copy of a large store: what an ingest costs at that size.

    The whole path runs: open the knowledge base, extract, chunk, embed, tag, write the
    passages, then rebuild the BM25 index over every passage of the store (streamed from it).
    """
    import shutil

    from ingest.pipeline import ingest_paths
    from kb.storage.knowledge import open_kb
    from kb.tags.tagger import default_tagger

    home = Path(args["home"])
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(Path(args["source_home"]), home)
    settings = bench_settings(home, args["backend"], args.get("threads"))
    kb, open_s = timed(lambda: open_kb(settings))
    paths = [Path(p) for p in args["paths"]]
    report, run_s = timed(lambda: ingest_paths(kb, paths, tagger=default_tagger(kb)))
    rss = peak_rss_mb()
    passages = kb.store.count()
    shutil.rmtree(home, ignore_errors=True)
    return {
        "size": int(args["size"]),
        "passages_after": passages,
        "added_passages": report.passages,
        "failed": [f"{Path(p).name}: {why}" for p, why in report.failed],
        "open_s": open_s,
        "ingest_s": run_s,
        "peak_rss_mb": rss,
    }
