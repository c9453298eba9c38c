"""One write operation on a test knowledge base, in its own process, to be killed or paused.

Run as `python -m tests.helpers.kb_child COMMAND ...` from the repository root, with the data
folder and chunk sizes in `CLUSTERKB_*` variables. The knowledge base uses the hashing encoder
of tests/conftest.py. Two hooks make the interesting moments deterministic:

  CLUSTERKB_TEST_KILL_AT=point:N    SIGKILL this process on entering the Nth call of `point`
  CLUSTERKB_TEST_PAUSE_AT=point:N   print "paused point:N", then wait for a line on stdin
                                    (several points may be given, comma-separated)

Points: load_document, embed, upsert (PassageStore.upsert), chroma_upsert (one Chroma batch;
CLUSTERKB_TEST_MAX_BATCH makes batches small), delete, update_tags, save_manifest,
lexical_save, lexical_replace (an os.replace inside LexicalIndex.save).

Commands:
  ingest [--prune] [--rebuild] PATH...   ingest.pipeline.ingest_paths
  correct PASSAGE_ID FACET:TAG           kb.tags.edit.correct_tags, adding one tag
  hold-lock                              take the writer lock, print "locked", wait for stdin
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest import pipeline
from kb.config import Settings
from kb.storage import keyword_index as lexical
from kb.storage.keyword_index import LexicalIndex
from kb.storage.knowledge import KnowledgeBase
from kb.storage.lock import writer_lock
from kb.storage.vectors import PassageStore
from tests.conftest import HashingEmbedder


def _parse(value: str) -> tuple[str, int]:
    point, _, nth = value.partition(":")
    return point, int(nth or 1)


class Hooks:
    """Counts calls per point and kills or pauses the process at the one asked for."""

    def __init__(self) -> None:
        kill = os.environ.get("CLUSTERKB_TEST_KILL_AT")
        self.kill_at = _parse(kill) if kill else None
        pauses = os.environ.get("CLUSTERKB_TEST_PAUSE_AT") or ""
        self.pause_at = {_parse(p) for p in pauses.split(",") if p}
        self.calls: dict[str, int] = {}

    def hit(self, point: str) -> None:
        count = self.calls[point] = self.calls.get(point, 0) + 1
        if self.kill_at == (point, count):
            os.kill(os.getpid(), signal.SIGKILL)
        if (point, count) in self.pause_at:
            print(f"paused {point}:{count}", flush=True)
            sys.stdin.readline()

    def wrap(self, owner: Any, name: str, point: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def hooked(*args: Any, **kwargs: Any) -> Any:
            self.hit(point)
            return original(*args, **kwargs)

        setattr(owner, name, hooked)


def install(hooks: Hooks, kb: KnowledgeBase) -> None:
    import chromadb.api.models.Collection as chroma_collection

    hooks.wrap(pipeline, "load_document", "load_document")
    hooks.wrap(kb.embedder, "embed_passages", "embed")
    hooks.wrap(PassageStore, "upsert", "upsert")
    hooks.wrap(PassageStore, "delete", "delete")
    hooks.wrap(PassageStore, "update_tags", "update_tags")
    hooks.wrap(chroma_collection.Collection, "upsert", "chroma_upsert")
    hooks.wrap(KnowledgeBase, "save_manifest", "save_manifest")
    hooks.wrap(LexicalIndex, "save", "lexical_save")
    real_replace = os.replace

    class _Os:
        """The `os` module as kb.storage.keyword_index sees it, with `replace` hooked."""

        def __getattr__(self, name: str) -> Any:
            return getattr(os, name)

        @staticmethod
        def replace(src: Any, dst: Any) -> None:
            hooks.hit("lexical_replace")
            real_replace(src, dst)

    lexical.os = _Os()  # type: ignore[assignment]


def open_test_kb() -> KnowledgeBase:
    settings = Settings()
    embedder = HashingEmbedder()
    store = PassageStore(settings, embedder.name, embedder.dim)
    batch = os.environ.get("CLUSTERKB_TEST_MAX_BATCH")
    if batch:
        store.max_batch = int(batch)
    return KnowledgeBase(settings=settings, embedder=embedder, store=store)


def main(argv: list[str]) -> int:
    command, args = argv[0], argv[1:]
    if command == "hold-lock":
        with writer_lock(Settings().home):
            print("locked", flush=True)
            sys.stdin.readline()
        return 0
    kb = open_test_kb()
    install(Hooks(), kb)
    if command == "ingest":
        paths = [Path(a) for a in args if not a.startswith("--")]
        report = pipeline.ingest_paths(
            kb, paths, prune="--prune" in args, rebuild="--rebuild" in args
        )
        print(f"added {len(report.added)} updated {len(report.updated)}", flush=True)
        return 0
    if command == "correct":
        from kb.tags.edit import correct_tags

        correct_tags(kb, args[0], add=[args[1]], user="tester")
        return 0
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
