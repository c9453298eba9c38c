"""The real reports beside the repository ingested end to end, once per encoder, same files.

A user's library is PDFs, web pages and notes, not the bundled Markdown corpus: this measures
what `clusterkb ingest` does with them (extraction, chunking, encoding, tagging, writing, the
keyword index) in passages/s and pages/s, and each run's memory peak. The default encoder and
e5-small (the previous default) ingest the same files in the same run, so their ratio is
measured under the same machine load.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.machine import load_average
from bench.measure import peak_rss_mb, run_child, timed

ENCODERS = ("e5-small-int8", "e5-small")
REPORT_SUFFIXES = (".pdf", ".html", ".md")
HEADING = "## Real reports end to end"


def report_files(folder: Path | None, limit: int | None = None) -> list[Path]:
    """The reports at the top of `folder` (the folder's own README and the `robustness/`
    problem files are left out), smallest first; the first `limit` of them when given."""
    if folder is None or not folder.is_dir():
        return []
    files = [
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES and p.name.lower() != "readme.md"
    ]
    files.sort(key=lambda p: (p.stat().st_size, p.name))
    return files[:limit] if limit else files


def run_realdocs(
    folder: Path | None, work: Path, log: Callable[[str], None], limit: int | None = None
) -> dict[str, Any]:
    """Each encoder ingests the same reports; a missing folder is reported, not an error."""
    files = report_files(folder, limit)
    if not files:
        return {"skipped": f"no reports found in {folder}" if folder else "not requested"}
    found: dict[str, Any] = {
        "folder": str(folder),
        "files": [p.name for p in files],
        "subset": f"{len(files)} files" if limit else None,
        "runs": [],
    }
    for backend in ENCODERS:
        log(f"ingest: {len(files)} real reports with {backend}")
        args = {"home": str(work / f"realdocs-{backend}"), "backend": backend}
        try:
            found["runs"].append(
                run_child("realdocs", {**args, "paths": [str(p) for p in files]}, timeout=3600)
            )
        except RuntimeError as exc:  # e.g. a backend whose model is not installed here
            reason = str(exc).strip().splitlines()[-1][:300].replace("|", "/")
            found["runs"].append({"backend": backend, "error": reason})
    return found


def realdocs_task(args: dict[str, Any]) -> dict[str, Any]:
    """`ingest_paths` on the files into a new knowledge base, timed as a user would see it."""
    from bench.ingest_bench import TimedEmbedder, bench_settings
    from ingest.pipeline import ingest_paths
    from kb.storage.knowledge import open_kb
    from kb.tags.tagger import default_tagger

    load_start = load_average()
    settings = bench_settings(Path(args["home"]), args["backend"], args.get("threads"))
    paths = [Path(p) for p in args["paths"]]
    kb, open_s = timed(lambda: open_kb(settings))
    encoder = TimedEmbedder(kb.embedder)
    kb.embedder = encoder
    report, ingest_s = timed(lambda: ingest_paths(kb, paths, tagger=default_tagger(kb)))
    return {
        "backend": args["backend"],
        "files": len(report.added),
        "failed": [f"{Path(p).name}: {why}" for p, why in report.failed],
        "pages": report.pages,
        "passages": report.passages,
        "open_s": open_s,
        "ingest_s": ingest_s,
        "encoder_s": encoder.seconds,
        "peak_rss_mb": peak_rss_mb(),
        "load_average_start": load_start,
        "load_average_end": load_average(),
    }


def section(r: dict[str, Any]) -> list[str]:
    """The report section: one row per encoder and the ratio to e5-small."""
    found = r.get("realdocs") or {}
    lines = [HEADING, ""]
    runs = found.get("runs") or []
    if not runs:
        reason = found.get("skipped", "not run")
        return lines + [f"Not measured in this run: {reason}.", ""]
    base = next((x for x in runs if x["backend"] == "e5-small" and "error" not in x), None)
    base_rate = _rate(base, "passages") if base else None
    rows = []
    for x in runs:
        if "error" in x:
            rows.append([x["backend"], "failed", "—", "—", "—", "—", "—", "—", x["error"]])
            continue
        rate = _rate(x, "passages")
        rows.append(
            [
                x["backend"],
                f"{x['files']}",
                f"{x['pages']:,}",
                f"{x['passages']:,}",
                f"{x['ingest_s']:,.1f}",
                f"{rate:,.1f}",
                f"{_rate(x, 'pages'):,.2f}",
                f"{base_rate and rate / base_rate:.2f}×" if base_rate else "n/a",
                f"{x['peak_rss_mb']:,.0f}",
                f"{x['encoder_s'] / x['ingest_s']:.0%}" if x["ingest_s"] else "n/a",
                f"{x['load_average_start']} → {x['load_average_end']}",
            ]
        )
    header = [
        "encoder",
        "files",
        "pages",
        "passages",
        "ingest s",
        "passages/s",
        "pages/s",
        "ratio to e5-small",
        "peak RSS MiB",
        "encoder share of ingest",
        "load average (1, 5, 15 min) start → end",
    ]
    files = found.get("files", [])
    subset = found.get("subset")
    scope = (
        f"the {len(files)} smallest of the reports (a subset: {subset})"
        if subset
        else f"all {len(files)} reports"
    )
    failed = sorted({f for x in runs for f in x.get("failed", [])})
    lines += [
        f"`ingest.pipeline.ingest_paths` on {scope} in `{found.get('folder', '')}` (PDF, "
        "web pages, Markdown; the folder's README and its `robustness/` problem files are left "
        "out), each encoder in its own process into a new knowledge base, one after the "
        "other. Pages count PDF pages; a web page or Markdown file counts as one. Times "
        "exclude opening the knowledge base and loading the encoder. The load average is the "
        "whole machine's (other users included), read at the start and end of each run.",
        "",
        *_table(header, rows),
    ]
    if failed:
        lines += ["Files refused: " + "; ".join(failed), ""]
    return lines


def _rate(x: dict[str, Any], key: str) -> float:
    return x[key] / x["ingest_s"] if x["ingest_s"] else 0.0


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows] + [""]
