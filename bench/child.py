"""Entry of benchmark child processes: `python -m bench.child TASK JSON_ARGS`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from bench.measure import emit


def _tasks() -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    from bench.app_pages import app_pages_task
    from bench.background_ingest import background_ingest_task
    from bench.bm25_bench import bm25_task, keyword_add_task
    from bench.encoders import encode_task, quality_task
    from bench.ingest_bench import (
        ingest_into_task,
        ingest_task,
        reingest_process_task,
        stages_task,
    )
    from bench.realdocs_ingest import realdocs_task
    from bench.search_bench import hnsw_task, search_task
    from bench.stores import store_task

    return {
        "ingest": ingest_task,
        "ingest_into": ingest_into_task,
        "reingest": reingest_process_task,
        "stages": stages_task,
        "encode": encode_task,
        "encoder_quality": quality_task,
        "store": store_task,
        "search": search_task,
        "hnsw": hnsw_task,
        "bm25": bm25_task,
        "keyword_add": keyword_add_task,
        "idle": idle_task,
        "background_ingest": background_ingest_task,
        "app_pages": app_pages_task,
        "realdocs": realdocs_task,
    }


def idle_task(args: dict[str, Any]) -> dict[str, Any]:
    """Baseline memory: a process that only loads the encoder."""
    from bench.measure import peak_rss_mb
    from kb.encoders import get_embedder

    get_embedder(args["backend"], args.get("threads"))
    return {"peak_rss_mb": peak_rss_mb()}


def main() -> None:
    task, raw = sys.argv[1], sys.argv[2]
    emit(_tasks()[task](json.loads(raw)))


if __name__ == "__main__":
    main()
