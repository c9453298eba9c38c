"""The benchmark plan: which child runs what, on which data, in what order."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.bm25_bench import keyword_sizes
from bench.encoders import BACKENDS, VARIANTS, thread_env
from bench.machine import describe_machine, load_average
from bench.measure import REPO, run_child
from bench.realdocs_ingest import run_realdocs
from bench.retag_bench import run_child as run_retag_child
from bench.server import chroma_server, process_peak_rss_mb

REALDOCS = REPO.parent / "shared" / "realdocs"
QUICK_FILES = ("chile_cepal_es.md", "chile_cepal_en.md")
INTO_FILE = "peru_competitiveness_agenda_es.md"
"""The report ingested into each large store (a short one: the figure is about the store)."""
SEED = 7
REAL_PDFS = 2
# The store's own settings again (in a fresh process), a wider search, and the same vectors
# under Chroma's default settings.
HNSW_RUNS: list[dict[str, Any]] = [
    {"collection": "passages"},
    {"collection": "passages", "ef": 1000},
    {"collection": "passages-chroma-defaults"},
]


@dataclass
class Options:
    quick: bool
    sizes: list[int]
    workdir: Path
    cache: Path | None
    backend: str
    server: bool
    rounds: int
    max_queries: int
    encoder_passages: int
    realdocs: Path | None


def ingest_paths(opts: Options) -> list[Path]:
    """The bundled corpus plus the real PDFs beside the repository (when present)."""
    corpus = REPO / "corpus"
    if opts.quick:
        return [corpus / name for name in QUICK_FILES]
    paths = [corpus]
    if opts.realdocs and opts.realdocs.is_dir():
        # The smallest PDFs: encoding every real page twice (end to end, then stage by stage)
        # with the default encoder must fit the 20-minute budget on 2 cores.
        pdfs = sorted(opts.realdocs.glob("*.pdf"), key=lambda p: p.stat().st_size)
        paths += sorted(pdfs[:REAL_PDFS])
    return paths


def _tag_share_paths(opts: Options) -> list[str]:
    """The bundled corpus (its two quick files with --quick): what tagging's share is
    measured on."""
    corpus = REPO / "corpus"
    return [str(corpus / name) for name in QUICK_FILES] if opts.quick else [str(corpus)]


def load_queries(limit: int) -> list[str]:
    """The labelled queries of `clusterkb eval`, Spanish and English interleaved."""
    from kb.evaluation.retrieval import load_queries as load

    labelled = load(REPO / "corpus" / "eval" / "queries.yaml")
    by_lang: dict[str, list[str]] = {}
    for q in labelled:
        by_lang.setdefault(q.lang, []).append(q.query)
    mixed: list[str] = []
    while any(by_lang.values()) and len(mixed) < limit:
        for texts in by_lang.values():
            if texts and len(mixed) < limit:
                mixed.append(texts.pop(0))
    return mixed


def _fingerprint(real_dir: Path) -> str:
    digest = hashlib.sha256((real_dir / "passages.json").read_bytes())
    return digest.hexdigest()[:16]


def _encoder_texts(real_dir: Path, count: int, target: Path) -> int:
    """An even sample of the real embedding texts, shared by every encoder run."""
    from bench.synthetic import load_real
    from ingest.chunking import embedding_text

    passages, _ = load_real(real_dir)
    step = max(1, len(passages) // max(count, 1))
    texts = [embedding_text(p) for p in passages[::step][:count]]
    target.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    return len(texts)


def run(opts: Options, log: Callable[[str], None]) -> dict[str, Any]:
    """Run every benchmark and return the figures (rendered by bench.report)."""
    started = time.perf_counter()
    work = opts.workdir
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cores = os.cpu_count() or 1
    # Quick runs check that every step works; one thread count is enough for that.
    threads = [cores] if opts.quick or cores == 1 else [1, cores]
    out: dict[str, Any] = {
        "machine": describe_machine(),
        "options": asdict(opts),
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    paths = ingest_paths(opts)
    out["inputs"] = [os.path.relpath(p, REPO) for p in paths]
    out["into_file"] = INTO_FILE
    queries = load_queries(opts.max_queries)
    out["queries"] = len(queries)
    base: dict[str, Any] = {"backend": opts.backend, "paths": [str(p) for p in paths]}

    log("ingest: end to end")
    out["ingest"] = run_child("ingest", {**base, "home": str(work / "ingest")})
    log("ingest: unchanged corpus in a fresh process")
    args = {**base, "home": str(work / "ingest")}
    child, wall = _timed_child("reingest", args)
    out["reingest_process"] = {**child, "wall_s": wall}
    out["realdocs"] = run_realdocs(opts.realdocs, work, log)
    log("ingest: stage by stage")
    real_dir = work / "real"
    out["stages"] = run_child(
        "stages", {**base, "home": str(work / "stages"), "real_dir": str(real_dir)}
    )

    log("ingest: tagged against untagged, same process")
    args = {"home": str(work / "tag-share"), "backend": opts.backend}
    out["tag_share"] = run_retag_child("tag_share", {**args, "paths": _tag_share_paths(opts)})

    texts = work / "encoder_texts.json"
    count = _encoder_texts(real_dir, opts.encoder_passages, texts)
    out["encoders"] = []
    runs: list[tuple[str, int, dict[str, str]]] = [(b, t, {}) for b in BACKENDS for t in threads]
    if not opts.quick and cores > 1:
        runs += [(b, cores, extra) for b, extra in VARIANTS]
    for backend, t, extra in runs:
        log(f"encoder: {backend} with {t} thread(s) {extra or ''} on {count} passages")
        env = {**thread_env(t), **extra, "CLUSTERKB_HOME": str(work / "encoders")}
        args = {"backend": backend, "threads": t, "texts": str(texts), "env": extra}
        try:
            out["encoders"].append(run_child("encode", args, env=env))
        except RuntimeError as exc:  # e.g. minilm-int8 without the `onnx` package
            reason = str(exc).strip().splitlines()[-1][:300].replace("|", "/")
            out["encoders"].append(
                {"backend": backend, "threads": t, "env": extra, "error": reason}
            )
    if not opts.quick:  # ingests the bundled corpus once per encoder
        log("encoder: retrieval quality of the default against e5-small")
        out["encoder_quality"] = run_child("encoder_quality", {"home": str(work / "quality")})
    out["idle"] = run_child("idle", {"backend": opts.backend})
    out["background_ingest"] = _background_ingest(work, real_dir, opts, queries, log)
    # --- the app in a browser (bench/app_pages.py) ---
    log("app: pages in headless Chromium")
    runs = 1 if opts.quick else 2
    out["app_pages"] = run_child("app_pages", {"home": str(work / "ingest"), "runs": runs})

    fingerprint = _fingerprint(real_dir)
    out["stores"], out["search"], out["server"], out["ingest_into"] = [], [], [], []
    out["retag"] = []
    homes = {}
    for size in opts.sizes:
        root = opts.cache or work
        home = root / f"synthetic-{opts.backend}-{size}"
        homes[size] = home
        log(f"store: {size} passages ({'cache ' + str(root) if opts.cache else 'fresh'})")
        args = {
            "home": str(home),
            "size": size,
            "seed": SEED,
            "backend": opts.backend,
            "real_dir": str(real_dir),
            "fingerprint": fingerprint,
        }
        out["stores"].append(run_child("store", args))
        log(f"search: {size} passages, embedded store")
        qvecs = work / f"queries-{size}.npy"
        args = {
            "home": str(home),
            "backend": opts.backend,
            "queries": queries,
            "rounds": opts.rounds,
            "exact": True,
            "qvec_path": str(qvecs),
        }
        found = run_child("search", args)
        log(f"search: {size} passages, other HNSW settings")
        found["hnsw"] = [
            run_child(
                "hnsw",
                {**HNSW_RUNS[i], "home": str(home), "qvec_path": str(qvecs), "rounds": opts.rounds},
            )
            for i in range(len(HNSW_RUNS))
        ]
        out["search"].append({"size": size, **found})
        log(f"ingest: one report into the store of {size} passages")
        args = {
            "source_home": str(home),
            "home": str(work / f"ingest-into-{size}"),
            "size": size,
            "backend": opts.backend,
            "paths": [str(_new_report(work))],
        }
        out["ingest_into"].append(run_child("ingest_into", args))
        log(f"re-tag: `tags train` on a copy of the store of {size} passages")
        args = {
            "source_home": str(home),
            "home": str(work / f"retag-{size}"),
            "size": size,
            "backend": opts.backend,
        }
        out["retag"].append(run_retag_child("retag", args))

    log("bm25: bm25s against rank-bm25")
    bm25_sizes = opts.sizes[:1]
    out["bm25"] = [
        run_child(
            "bm25",
            {"real_dir": str(real_dir), "size": s, "seed": SEED, "queries": queries},
        )
        for s in bm25_sizes
    ]

    out["keyword"] = []
    for size in keyword_sizes(opts.sizes if opts.quick else None):
        log(f"keyword index: adds to {size} passages against a full rebuild")
        home = work / f"keyword-{size}"
        args = {"size": size, "seed": SEED, "home": str(home), "queries": queries}
        out["keyword"].append(run_child("keyword_add", args, timeout=3600))
        shutil.rmtree(home, ignore_errors=True)

    if opts.server:
        for size in opts.sizes:
            log(f"search: {size} passages, Chroma server")
            out["server"].append(_server_search(work, homes[size], size, opts, queries))
    out["machine"]["load_average_end"] = load_average()
    out["total_s"] = time.perf_counter() - started
    return out


def _new_report(work: Path) -> Path:
    """A copy of a bundled report under a name no store holds, so it is ingested as new."""
    target = work / "new-report" / f"bench_new_{INTO_FILE}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "corpus" / INTO_FILE, target)
    return target


def _background_ingest(
    work: Path, real_dir: Path, opts: Options, queries: list[str], log: Callable[[str], None]
) -> dict[str, Any]:
    """Searches while the worker ingests a ~200-passage upload, on a copy of the corpus store."""
    from bench.background_ingest import PASSAGES, QUICK_PASSAGES, write_report

    log("search: while a background ingest job runs")
    home = work / "background"
    shutil.copytree(work / "ingest", home)
    sections = QUICK_PASSAGES if opts.quick else PASSAGES
    report = write_report(real_dir, work / "background-upload" / "informe_largo.md", sections)
    args = {
        "home": str(home),
        "backend": opts.backend,
        "queries": queries,
        "rounds": opts.rounds,
        "report": str(report),
    }
    return run_child("background_ingest", args)


def _timed_child(task: str, args: dict[str, Any]) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    result = run_child(task, args)
    return result, time.perf_counter() - started


def _server_search(
    work: Path, home: Path, size: int, opts: Options, queries: list[str]
) -> dict[str, Any]:
    """The same searches with the vectors served by `chroma run` (a copy of the store)."""
    served = work / f"server-{size}"
    shutil.rmtree(served, ignore_errors=True)
    shutil.copytree(home / "chroma", served)
    with chroma_server(served) as (url, pid):
        args = {
            "home": str(home),
            "backend": opts.backend,
            "chroma_url": url,
            "queries": queries,
            "rounds": opts.rounds,
            "exact": False,
        }
        result = run_child("search", args)
        result["server_peak_rss_mb"] = process_peak_rss_mb(pid)
    shutil.rmtree(served, ignore_errors=True)
    return {"size": size, **result}
