"""`clusterkb ingest`: add or update reports, with progress bars and a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clusterkb.bundled_corpus import corpus_dir
from clusterkb.cli.common import console, err, fail, open_kb_or_exit, shown
from kb.config import get_settings


class RichProgress:
    """Progress bars over files and passages for `clusterkb ingest`."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.files_task = bar.add_task("files", total=None)
        self.passages_task = bar.add_task("passages embedded", total=None)

    def files(self, total: int) -> None:
        self.bar.update(self.files_task, total=total)

    def file_done(self, path: str, status: str, passages: int) -> None:
        self.bar.advance(self.files_task)
        if status in ("added", "updated"):
            self.bar.console.print(f"  {status:9} {shown(path)} ({passages} passages)")

    def passages_done(self, count: int) -> None:
        self.bar.advance(self.passages_task, count)

    def message(self, text: str) -> None:
        self.bar.console.print(f"  {escape(text)}")


def run_ingest(paths: list[Path], prune: bool = False, rebuild: bool = False) -> int:
    """Ingest with progress bars and a summary; returns the number of failed files."""
    from ingest.pipeline import Progress as NullProgress
    from ingest.pipeline import ingest_paths
    from kb.storage.lock import WriterBusyError
    from kb.tags.tagger import default_tagger

    kb = open_kb_or_exit(allow_model_change=rebuild)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=err, transient=False) as bar:
            sink = RichProgress(bar)
            progress: NullProgress = sink  # type: ignore[assignment]
            report = ingest_paths(
                kb,
                paths,
                prune=prune,
                rebuild=rebuild,
                tagger=default_tagger(kb),
                progress=progress,
            )
    except WriterBusyError as exc:
        raise fail(str(exc), 3) from exc
    for line in report.unmatched_corrections:
        err.print(f"[yellow]correction no longer matches any passage:[/yellow] {escape(line)}")
    for path, reason in report.failed:
        err.print(f"[red]failed[/red]  {shown(path)}: {escape(reason)}")
    summary = (
        f"{len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed, "
        f"{len(report.failed)} failed; {report.passages} passages from {report.pages} pages "
        f"in {report.seconds:.1f} s"
    )
    console.print(summary)
    if not report.changed and not report.failed:
        console.print("Nothing changed: the knowledge base was already up to date.")
    return len(report.failed)


def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (PDF, DOCX, Markdown, text).")
    ] = None,
    prune: Annotated[
        bool, typer.Option(help="Remove documents whose files are gone from these folders.")
    ] = False,
    rebuild: Annotated[
        bool, typer.Option(help="Drop the store and re-embed everything (after a model change).")
    ] = False,
) -> None:
    """Add or update reports; unchanged files are skipped by content hash."""
    targets = paths or [corpus_dir(get_settings())]
    failed = run_ingest(targets, prune=prune, rebuild=rebuild)
    if failed:
        raise typer.Exit(1)
