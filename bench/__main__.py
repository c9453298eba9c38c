"""`python -m bench [--quick] [--sizes 10000,100000] [--out PATH]`: run and write the report."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.measure import REPO
from bench.report import render
from bench.runner import REALDOCS, Options, run

QUICK_SIZES = [300, 1000]
FULL_SIZES = [10_000, 100_000]


def parse(argv: list[str]) -> tuple[Options, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no server, 5 queries")
    parser.add_argument("--sizes", help="store sizes, comma separated (default 10000,100000)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "RESULTS.md")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a new temp dir)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "clusterkb-bench-cache",
        help="where synthetic stores are kept between runs (not used with --quick)",
    )
    parser.add_argument("--backend", help="encoder for ingest and search (default: configured)")
    parser.add_argument("--no-server", action="store_true", help="skip the Chroma server runs")
    parser.add_argument("--rounds", type=int, help="passes over the query set")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--json", type=Path, help="also write the raw figures as JSON here")
    args = parser.parse_args(argv)
    if args.sizes:
        sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    else:
        sizes = QUICK_SIZES if args.quick else FULL_SIZES
    from kb.config import get_settings

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="clusterkb-bench-"))
    opts = Options(
        quick=args.quick,
        sizes=sizes,
        workdir=workdir,
        cache=None if args.quick else args.cache,
        backend=args.backend or get_settings().embedding_model,
        server=not (args.quick or args.no_server),
        rounds=args.rounds or (1 if args.quick else 2),
        max_queries=5 if args.quick else 1000,
        encoder_passages=6 if args.quick else 64,
        realdocs=None if args.quick else REALDOCS,
    )
    return opts, args


def main(argv: list[str] | None = None) -> int:
    opts, args = parse(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f}s] {message}", file=sys.stderr, flush=True)

    try:
        results = run(opts, log)
    finally:
        if not args.keep:
            shutil.rmtree(opts.workdir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(results), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
