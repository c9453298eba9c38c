"""What tagging costs: re-tagging a large store after `clusterkb tags train`, and tagging's
share of an ingest.

Re-tagging (`retag_task`, one process per store size): a copy of the synthetic store gets
CORRECTIONS tag corrections through `kb.tags.edit.correct_tags` (each adds a tag the shipped
model can learn to a passage that lacks it), then `kb.tags.train.train` runs as `clusterkb tags
train` runs it: the shipped model plus the corrections is refitted and saved, and every passage
is re-tagged from its stored vector. The baseline, in the same process afterwards, is a
read-only pass over the same store: every passage read with its vector page by page (timed),
and the learned tags of each page computed without writing (timed apart).

Tagging's share of an ingest (`tag_share_task`, one process): after a warm-up ingest of the
smallest input, the same files ingested into two fresh knowledge bases with one loaded
encoder, first with the ingest tagger (its own calls timed), then untagged. Tagged first, so
the tagger's one-time costs (rules compiled, model loaded) count against tagging.

Run a task alone with `python -m bench.retag_bench TASK JSON_ARGS`.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench import measure
from bench.measure import REPO, emit, peak_rss_mb, timed

CORRECTIONS = 10
PAGE = 2000
TARGET_RETAG_S = 120.0
"""Re-tagging 100,000 passages after `tags train`, on this machine's 2 cores."""
TARGET_PER = 100_000
TARGET_TAG_SHARE = 0.10
"""Tagging adds at most this much to an ingest."""
HEADING = "## Re-tagging after `tags train`, and tagging's share of an ingest"


def run_child(task: str, args: dict[str, Any], timeout: float = 3600) -> dict[str, Any]:
    """`python -m bench.retag_bench TASK ARGS` in a fresh process (its own memory peak)."""
    return measure.run_child(task, args, timeout=timeout, module="bench.retag_bench")


def _correct_some(kb: Any, model: Any, count: int) -> int:
    """Log `count` corrections, evenly spread over the committed body passages: each adds a
    tag `model` can learn that the passage lacks. Returns how many were logged."""
    from kb.tags.edit import correct_tags

    learnable = [k for k, t in zip(model.keys, model.thresholds, strict=True) if t < float("inf")]
    if not learnable:
        return 0
    ids = sorted(kb.manifest.passage_ids())
    step = max(1, len(ids) // count)
    done = 0
    for passage in kb.passages(ids[::step]):
        if done == count or not passage.is_body:
            continue
        have = {f"{t.facet}:{t.tag_id}" for t in passage.tags}
        missing = [k for k in learnable[done % len(learnable) :] + learnable if k not in have]
        if missing:
            correct_tags(kb, passage.id, add=[missing[0]], note="bench")
            done += 1
    return done


def _read_and_score(kb: Any) -> tuple[float, float]:
    """Seconds to read every committed passage with its vector, and to compute their learned
    tags with the saved model (nothing written): the re-tag's reading and scoring alone."""
    from kb.tags.model_store import load_model, saved_model_path
    from kb.tags.taxonomy import load_taxonomy
    from kb.tags.train import retagged

    model = load_model(saved_model_path(kb.settings))
    taxonomy = load_taxonomy()
    pages = kb.store.iter_with_vectors(sorted(kb.manifest.passage_ids()), PAGE)
    read_s = score_s = 0.0
    while True:
        started = time.perf_counter()
        page = next(pages, None)
        read_s += time.perf_counter() - started
        if page is None:
            return read_s, score_s
        score_s += timed(retagged, page[0], page[1], model, taxonomy)[1]


def retag_task(args: dict[str, Any]) -> dict[str, Any]:
    """`tags train` on a copy of a synthetic store, then the read-only baseline pass."""
    from bench.ingest_bench import bench_settings
    from kb.storage.knowledge import open_kb
    from kb.tags.model_store import current_model
    from kb.tags.train import retag_store, train

    home = Path(args["home"])
    shutil.rmtree(home, ignore_errors=True)
    _, copy_s = timed(shutil.copytree, Path(args["source_home"]), home)
    kb = open_kb(bench_settings(home, args["backend"], args.get("threads")))
    shipped = current_model(kb.settings, kb.embedder.name)
    if shipped is None:  # `tags train` needs a shipped model (or the labelled set) to start from
        shutil.rmtree(home, ignore_errors=True)
        return {"size": int(args["size"]), "error": f"no tagger model for {kb.embedder.name}"}
    # The synthetic passages carry their source passage's tags: re-tagged once with the shipped
    # model (timed too), the copy holds what an ingest would have given it.
    (_, first_changed), first_s = timed(retag_store, kb, shipped)
    corrected, correct_s = timed(
        _correct_some, kb, shipped, int(args.get("corrections", CORRECTIONS))
    )
    report = train(kb)
    rss = peak_rss_mb()
    read_s, score_s = _read_and_score(kb)
    shutil.rmtree(home, ignore_errors=True)
    return {
        "size": int(args["size"]),
        "passages": report.retagged,
        "changed": report.changed,
        "corrections": corrected,
        "first_s": first_s,
        "first_changed": first_changed,
        "copy_s": copy_s,
        "correct_s": correct_s,
        "fit_s": report.fit_seconds,
        "retag_s": report.retag_seconds,
        "read_s": read_s,
        "score_s": score_s,
        "peak_rss_mb": rss,
    }


class TimedTagger:
    """The ingest tagger, timing its own calls within the ingest."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0

    def __call__(self, passages: Any, vectors: Any) -> Any:
        tagged, seconds = timed(self.inner, passages, vectors)
        self.seconds += seconds
        return tagged


def _warm_up(home: Path, paths: list[Path], embedder: Any, backend: str) -> None:
    """The smallest input ingested untagged first: the pipeline's one-time costs (imports,
    the encoder's first calls, the first keyword index) fall on neither measured run."""
    from bench.ingest_bench import bench_settings
    from ingest.loaders import iter_files
    from ingest.pipeline import ingest_paths, untagged
    from kb.storage.knowledge import KnowledgeBase
    from kb.storage.vectors import PassageStore

    smallest = min(iter_files(paths), key=lambda f: f.stat().st_size)
    settings = bench_settings(home, backend, None)
    store = PassageStore(settings, embedder.name, embedder.dim)
    kb = KnowledgeBase(settings=settings, embedder=embedder, store=store)
    ingest_paths(kb, [smallest], tagger=untagged)


def tag_share_task(args: dict[str, Any]) -> dict[str, Any]:
    """The same files ingested tagged then untagged, in one process with one encoder."""
    from bench.ingest_bench import TimedEmbedder, bench_settings
    from ingest.pipeline import ingest_paths, untagged
    from kb.storage.knowledge import KnowledgeBase, open_kb
    from kb.storage.vectors import PassageStore
    from kb.tags.tagger import default_tagger

    root = Path(args["home"])
    shutil.rmtree(root, ignore_errors=True)
    paths = [Path(p) for p in args["paths"]]
    tagged_kb = open_kb(bench_settings(root / "tagged", args["backend"], args.get("threads")))
    embedder = tagged_kb.embedder
    settings = bench_settings(root / "untagged", args["backend"], args.get("threads"))
    store = PassageStore(settings, embedder.name, embedder.dim)
    bare_kb = KnowledgeBase(settings=settings, embedder=embedder, store=store)
    _warm_up(root / "warm-up", paths, embedder, args["backend"])
    out: dict[str, Any] = {}
    for name, kb, tagger in (
        ("tagged", tagged_kb, TimedTagger(default_tagger(tagged_kb))),
        ("untagged", bare_kb, untagged),
    ):
        encoder = TimedEmbedder(embedder)
        kb.embedder = encoder
        report, seconds = timed(ingest_paths, kb, paths, tagger=tagger)
        kb.embedder = embedder
        out[f"{name}_s"] = seconds
        out[f"{name}_encoder_s"] = encoder.seconds
        out[f"{name}_passages"] = report.passages
        if isinstance(tagger, TimedTagger):
            out["tagger_s"] = tagger.seconds
    shutil.rmtree(root, ignore_errors=True)
    inputs = [str(p.relative_to(REPO)) if p.is_relative_to(REPO) else p.name for p in paths]
    return {**out, "inputs": inputs, "peak_rss_mb": peak_rss_mb()}


# --- the report ---------------------------------------------------------------------------


def _size_name(size: int) -> str:
    return f"{size // 1000}k" if size >= 1000 and size % 1000 == 0 else str(size)


def per_target(run: dict[str, Any]) -> float:
    """Re-tag seconds scaled to TARGET_PER passages (the measured figure at that size)."""
    return float(run["retag_s"]) * TARGET_PER / max(int(run["passages"]), 1)


def tag_share(share: dict[str, Any]) -> float:
    """What tagging adds to an ingest: the tagged run's time outside the encoder less the
    untagged run's (the tagger, and the tags written to the store and the keyword index), as a
    share of the untagged ingest. Outside the encoder, so that load drift between the two
    runs' encoding does not count."""
    added = _outside(share, "tagged") - _outside(share, "untagged")
    return added / share["untagged_s"] if share["untagged_s"] else float("inf")


def _outside(share: dict[str, Any], run: str) -> float:
    return float(share[f"{run}_s"] - share[f"{run}_encoder_s"])


def target_rows(r: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """The report's target lines: re-tag time per 100k passages, and tagging's ingest share."""
    out: list[tuple[str, str, bool]] = []
    runs = [run for run in r.get("retag") or [] if "error" not in run]
    if runs:
        big = runs[-1]
        scaled = per_target(big)
        how = "" if big["passages"] == TARGET_PER else f", scaled from {_size_name(big['size'])}"
        label = f"re-tag after `tags train` ≤ {TARGET_RETAG_S:.0f} s per 100k passages"
        out.append((label, f"{scaled:.1f} s{how}", scaled <= TARGET_RETAG_S))
    share = r.get("tag_share")
    if share:
        frac = tag_share(share)
        label = f"tagging adds ≤ {TARGET_TAG_SHARE:.0%} to ingest (time outside the encoder)"
        out.append((label, f"{frac:.1%}", frac <= TARGET_TAG_SHARE))
    return out


def _row(run: dict[str, Any], first: dict[str, Any]) -> str:
    n, s = run["passages"], run["retag_s"]
    cells = [
        _size_name(run["size"]),
        f"{n:,}",
        f"{run['changed']:,}",
        f"{s:,.1f}",
        f"{n / s:,.0f}" if s else "n/a",
        f"{s / first['retag_s']:.2f}×" if first["retag_s"] else "n/a",
        f"{run['read_s']:,.1f}",
        f"{s / run['read_s']:.2f}×" if run["read_s"] else "n/a",
        f"{run['score_s']:,.1f}",
        f"{run['fit_s']:,.1f}",
        f"{run['first_s']:,.1f} ({run['first_changed']:,})",
        f"{run['peak_rss_mb']:,.0f}",
    ]
    return "| " + " | ".join(cells) + " |"


def section(r: dict[str, Any]) -> list[str]:
    """The report's section: the re-tag table, then tagging's share of an ingest."""
    runs = [run for run in r.get("retag") or [] if "error" not in run]
    skipped = [
        f"{_size_name(run['size'])}: {run['error']}"
        for run in r.get("retag") or []
        if "error" in run
    ]
    share = r.get("tag_share")
    if not runs and not share and not skipped:
        return []
    lines = [HEADING, ""]
    if skipped:
        lines += [f"Re-tagging not measured ({'; '.join(skipped)}).", ""]
    if runs:
        first = runs[0]
        lines += [
            f"A copy of each synthetic store (below) gets {first['corrections']} tag "
            "corrections, then `kb.tags.train.train` runs as `clusterkb tags train` does: the "
            "shipped model plus the corrections refitted, saved, and every passage re-tagged "
            "from its stored vector (changed tags written in batches, the keyword index "
            "updated for the passages whose tag ids changed). Baseline, same process "
            "afterwards: every passage read with its vector, page by page, nothing written; "
            "scoring: the learned tags of those pages computed, nothing written. First re-tag: "
            "before the corrections, the copy re-tagged with the shipped model, since the "
            "synthetic passages carry their source passage's tags and an ingest would have "
            "given them their own. Peak RSS: the whole process (the encoder is loaded, as by "
            "`tags train`).",
            "",
            "| store | passages | changed | re-tag s | passages/s | ratio to first size "
            "| read-all baseline s | re-tag ÷ baseline | scoring alone s | fit s | "
            "first re-tag s (changed) | peak RSS MiB |",
            "|" + "---|" * 12,
            *[_row(run, first) for run in runs],
            "",
        ]
    if share:
        total = share["tagged_s"] / share["untagged_s"] if share["untagged_s"] else 0.0
        added = _outside(share, "tagged") - _outside(share, "untagged")
        drift = (
            share["tagged_encoder_s"] / share["untagged_encoder_s"]
            if share["untagged_encoder_s"]
            else 0.0
        )
        lines += [
            f"Tagging's share of an ingest: {', '.join(f'`{i}`' for i in share['inputs'])} "
            f"({share['tagged_passages']} passages) ingested tagged, then untagged, in one "
            "process with one encoder, after a warm-up ingest of the smallest input (tagged "
            "first: the tagger's one-time costs count against tagging).",
            "",
            "| run | seconds | encoder s within it | outside the encoder s | ratio to untagged |",
            "|---|---|---|---|---|",
            f"| untagged (`tagger=untagged`) | {share['untagged_s']:,.2f} | "
            f"{share['untagged_encoder_s']:,.2f} | {_outside(share, 'untagged'):,.2f} | 1.00× |",
            f"| tagged (ingest tagger: rules + learned) | {share['tagged_s']:,.2f} | "
            f"{share['tagged_encoder_s']:,.2f} | {_outside(share, 'tagged'):,.2f} | "
            f"{total:.2f}× |",
            f"| added by tagging: tagged − untagged, outside the encoder | {added:,.2f} | — | — "
            f"| {tag_share(share):.1%} of the untagged ingest |",
            f"| of which the tagger's own calls | {share['tagger_s']:,.2f} | — | — | "
            f"{share['tagger_s'] / share['untagged_s']:.1%} of the untagged ingest |",
            "",
            f"The encoder took {drift:.2f}× as long in the tagged run as in the untagged one "
            "(load drift on a shared machine): the whole-run ratio carries it, the time outside "
            "the encoder does not. The rest of what tagging adds is the tags written with the "
            "passages (store metadata, keyword-index rows).",
            "",
        ]
    return lines


def main() -> None:
    tasks = {"retag": retag_task, "tag_share": tag_share_task}
    emit(tasks[sys.argv[1]](json.loads(sys.argv[2])))


if __name__ == "__main__":
    main()
