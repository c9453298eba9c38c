"""`clusterkb eval --highlights`: cut each labelled source into passages as ingest does, and
count how often the top highlight of the passage holding the labelled sentence is that one."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clusterkb.bundled_corpus import corpus_dir
from clusterkb.cli.common import console, fail, write_json
from kb.config import get_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from kb.evaluation.highlights import HighlightLabel, HighlightReport, PassageTexts
    from kb.evaluation.realdocs_set import PageText, RealdocsSet
    from kb.retrieval.highlights import Highlight

SPLIT_CHOICES = ("dev", "test", "all")
# Each passage gets the sentence budget it would get among the 10 hits of a search.
EVAL_HITS = 10


def _passage_reader(
    folder: Path, realdocs: RealdocsSet | None
) -> Callable[[HighlightLabel], PassageTexts]:
    """The passages of a label's source, as the ingest chunker cuts them (no embedding)."""
    from ingest.chunking import cut_as_ingest
    from ingest.loaders import load_document
    from kb.encoders import get_embedder

    settings = get_settings()
    embedder = get_embedder(settings.embedding_model, settings.threads)
    docs = realdocs.documents if realdocs else ()
    real_files = {d.id: realdocs.realdocs_dir / d.file for d in docs if realdocs}

    @lru_cache(maxsize=32)
    def passages(path: Path) -> tuple[tuple[str, str], ...]:
        document = load_document(path, settings)
        return tuple((p.text, p.lang) for p in cut_as_ingest(document, embedder, settings))

    def of(label: HighlightLabel) -> PassageTexts:
        path = real_files[label.source] if label.is_real else folder / label.source
        return passages(path) if path.is_file() else ()

    return of


def _highlighter() -> Callable[[str, str, str], list[Highlight]]:
    from kb.encoders import get_embedder
    from kb.retrieval.highlights import MAX_SENTENCES, Highlighter

    settings = get_settings()
    embedder = get_embedder(settings.embedding_model, settings.threads)

    def run(query: str, text: str, lang: str) -> list[Highlight]:
        found = Highlighter(
            query,
            embedder.embed_query(query),
            embedder.embed_passages,
            budget=MAX_SENTENCES // EVAL_HITS,
        )
        return found.for_passages([("", text, lang)])[""]

    return run


def score_highlights(split: str, realdocs_dir: Path | None = None) -> HighlightReport:
    """The labelled set of `split` (dev, test or all) scored with the configured encoder."""
    from clusterkb.cli.realdocs_eval import _page_reader
    from kb.evaluation.highlights import load_labels, score_labels
    from kb.evaluation.realdocs_set import load_realdocs_set

    folder = corpus_dir(get_settings())
    realdocs = load_realdocs_set(folder / "eval" / "realdocs.yaml")
    if realdocs_dir is not None:
        realdocs = replace(realdocs, realdocs_dir=realdocs_dir)
    have_real = realdocs.realdocs_dir.is_dir()
    labels = load_labels(folder / "eval" / "highlights.yaml", realdocs if have_real else None)
    labels = [lb for lb in labels if split == "all" or lb.split == split]
    page_text: PageText | None = None
    if have_real:
        page_text = _page_reader(realdocs, realdocs.realdocs_dir)
    return score_labels(labels, _passage_reader(folder, realdocs), _highlighter(), page_text)


def print_highlight_report(report: HighlightReport, console: Console, misses: bool) -> None:
    from kb.evaluation.highlights import FLOOR

    table = Table(title="Highlights: the labelled sentence is the top highlight")
    for col in ("split", "source", "share", "of", "floor", ""):
        table.add_column(col, justify="left" if col in ("split", "source", "") else "right")
    data = report.to_dict(misses=misses)
    for split in ("dev", "test"):
        part = data.get(split)
        if not isinstance(part, dict):
            continue
        for source in ("corpus", "realdocs", "all"):
            row = part[source]
            share = row["top_is_labelled"]
            shown = "–" if share is None else f"{share:.3f}"
            mark = "" if source != "all" or share is None else "ok" if share >= FLOOR else "BELOW"
            floor = f">= {FLOOR:.2f}" if source == "all" else ""
            table.add_row(split, source, shown, f"{row['hits']}/{row['queries']}", floor, mark)
        for missing in part["not_found"]:
            console.print(f"  [yellow]not in one passage[/yellow] {escape(missing)}")
    console.print(table)
    if misses and isinstance(data.get("dev"), dict):
        console.print("[bold]Dev queries whose top highlight is another sentence:[/bold]")
        for o in report.scored("dev"):
            if not o.hit:
                got = o.passage[o.got[0] : o.got[1]] if o.got else "nothing"
                want = o.passage[o.expected[0] : o.expected[1]]
                console.print(
                    f"  {escape(o.label.id)} {escape(o.label.query)!r}\n"
                    f"      expected {escape(want[:160])!r}\n      got {escape(got[:160])!r}"
                )


def highlights_eval(split: str, realdocs_dir: Path | None, as_json: bool, misses: bool) -> None:
    if split not in SPLIT_CHOICES:
        raise fail(f"--split must be one of {', '.join(SPLIT_CHOICES)}")
    if misses and split != "dev":
        raise fail("--misses lists the dev split only: the test split is frozen")
    report = score_highlights(split, realdocs_dir)
    if as_json:
        write_json(report.to_dict(misses=misses))
        return
    print_highlight_report(report, console, misses)
