"""The `clusterkb` command: ingest reports, search them, and look after the knowledge base."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kb.config import get_settings
from kb.models import FACETS, Hit, SearchFilters, Tag
from kb.storage.knowledge import KnowledgeBase

app = typer.Typer(
    help="ClusterKB: a comparative knowledge base of cluster-development policy.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console()
err = Console(stderr=True)


def _open_kb(allow_model_change: bool = False) -> KnowledgeBase:
    """Open the knowledge base or exit with the store's own explanation."""
    from kb.storage.knowledge import open_kb
    from kb.storage.vectors import StoreError

    try:
        return open_kb(get_settings(), allow_model_change=allow_model_change)
    except StoreError as exc:
        err.print(f"[red]Error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc


def _shown(path: str) -> str:
    """A file name safe for the terminal: no markup, no control characters."""
    from ingest.errors import display_name

    return escape(display_name(path))


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
            self.bar.console.print(f"  {status:9} {_shown(path)} ({passages} passages)")

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

    kb = _open_kb(allow_model_change=rebuild)
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
        err.print(f"[red]Error:[/red] {escape(str(exc))}")
        raise typer.Exit(3) from exc
    for line in report.unmatched_corrections:
        err.print(f"[yellow]correction no longer matches any passage:[/yellow] {escape(line)}")
    for path, reason in report.failed:
        err.print(f"[red]failed[/red]  {_shown(path)}: {escape(reason)}")
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


@app.command()
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
    targets = paths or [get_settings().corpus_dir]
    failed = run_ingest(targets, prune=prune, rebuild=rebuild)
    if failed:
        raise typer.Exit(1)


def _filters(
    country: list[str] | None,
    lang: list[str] | None,
    tag_options: dict[str, list[str] | None],
) -> SearchFilters:
    return SearchFilters(
        countries=tuple(country or ()),
        langs=tuple(lang or ()),
        tags={f: tuple(v) for f, v in tag_options.items() if v},
    )


def _print_hits(hits: list[Hit], query: str) -> None:
    if not hits:
        console.print(f"No passage matches {escape(query)!r} with these filters.")
        return
    for rank, hit in enumerate(hits, start=1):
        p = hit.passage
        pages = f"p. {p.page_start}" + (f"–{p.page_end}" if p.page_end != p.page_start else "")
        console.rule(f"[bold]{rank}.[/bold] {escape(p.title)} · {escape(p.country)} · {pages}")
        console.print(escape(p.text))
        tags = ", ".join(f"{t.facet}:{t.tag_id}" for t in p.tags)
        console.print(
            f"[dim]{escape(p.id)} · score {hit.score:.4f}"
            + (f" · {escape(tags)}" if tags else "")
            + "[/dim]"
        )


@app.command()
def search(
    query: Annotated[
        str | None, typer.Argument(help="What to look for, in Spanish or English.")
    ] = None,
    k: Annotated[int, typer.Option("--k", help="How many passages to return.")] = 5,
    country: Annotated[
        list[str] | None, typer.Option(help="Only this country or agency (repeatable).")
    ] = None,
    lang: Annotated[list[str] | None, typer.Option(help="Only passages in this language.")] = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or lexical.")] = "hybrid",
    problem: Annotated[list[str] | None, typer.Option(help="Tag filter (repeatable).")] = None,
    instrument: Annotated[list[str] | None, typer.Option(help="Tag filter (repeatable).")] = None,
    outcome: Annotated[list[str] | None, typer.Option(help="Tag filter (repeatable).")] = None,
    evidence: Annotated[list[str] | None, typer.Option(help="Tag filter (repeatable).")] = None,
    batch: Annotated[
        Path | None, typer.Option(help="Run one query per line of this file; prints JSON Lines.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print hits as JSON.")] = False,
) -> None:
    """Search passages: dense + BM25 fused by reciprocal rank; every hit cites document and page."""
    from kb.retrieval.search import MODES
    from kb.retrieval.search import search as run_search

    if mode not in MODES:
        err.print(f"[red]Error:[/red] --mode must be one of {', '.join(MODES)}")
        raise typer.Exit(2)
    if (query is None) == (batch is None):
        err.print("[red]Error:[/red] give a QUERY or --batch FILE (one of the two)")
        raise typer.Exit(2)
    values = dict(zip(FACETS, (problem, instrument, outcome, evidence), strict=True))
    filters = _filters(country, lang, values)
    _check_tag_ids(values)
    kb = _open_kb()
    if batch is not None:
        try:
            lines = batch.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            err.print(f"[red]Error:[/red] cannot read {escape(str(batch))}: {exc.strerror}")
            raise typer.Exit(2) from exc
        for line in (ln.strip() for ln in lines):
            if line:
                hits = run_search(kb, line, k=k, filters=filters, mode=mode)
                row = {"query": line, "hits": [h.to_dict() for h in hits]}
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    assert query is not None
    hits = run_search(kb, query, k=k, filters=filters, mode=mode)
    if as_json:
        sys.stdout.write(
            json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=1) + "\n"
        )
    else:
        _print_hits(hits, query)


def _check_tag_ids(values: dict[str, list[str] | None]) -> None:
    """Unknown tag ids in a filter are a typo, not an empty result: say so."""
    from kb.tags.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    for facet, ids in values.items():
        unknown = [i for i in ids or () if i not in taxonomy.tag_ids(facet)]
        if unknown:
            known = ", ".join(sorted(taxonomy.tag_ids(facet)))
            err.print(
                f"[red]Error:[/red] unknown {facet} tag(s) {', '.join(unknown)}; known: {known}"
            )
            raise typer.Exit(2)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Documents, passages, languages, countries, model and store location."""
    kb = _open_kb()
    manifest = kb.manifest
    docs = list(manifest.docs.values())
    langs: dict[str, int] = {}
    countries: dict[str, int] = {}
    for record in docs:
        langs[record.lang] = langs.get(record.lang, 0) + 1
        countries[record.country or "(unknown)"] = (
            countries.get(record.country or "(unknown)", 0) + 1
        )
    data = {
        "documents": len(docs),
        "passages": kb.store.count(),
        "languages": dict(sorted(langs.items())),
        "countries": dict(sorted(countries.items())),
        "embedding_model": kb.embedder.name,
        "store": kb.store.location,
        "mode": "server" if kb.settings.server_mode else "embedded",
        "keyword_index_passages": len(kb.lexical),
    }
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        return
    table = Table(show_header=False, box=None)
    for key, value in data.items():
        shown = (
            ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else value
        )
        table.add_row(key.replace("_", " "), escape(str(shown)))
    console.print(table)


def _kb_for_backend(backend: str) -> KnowledgeBase:
    """A knowledge base of the bundled corpus built with `backend`, kept under the data folder."""
    from ingest.pipeline import ingest_paths
    from kb.storage.knowledge import open_kb
    from kb.tags.tagger import default_tagger

    base = get_settings()
    if backend == base.embedding_model:
        kb = _open_kb()
        if kb.manifest.docs:
            return kb
    settings = base.model_copy(
        update={
            "home": base.home / "eval" / backend.replace("/", "_"),
            "embedding_model": backend,
            "chroma_url": None,
        }
    )
    kb = open_kb(settings)
    err.print(f"Preparing the bundled corpus with {backend}…")
    ingest_paths(kb, [settings.corpus_dir], tagger=default_tagger(kb))
    return kb


def _join(values: object) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list | tuple) else str(values)


def _tag_eval(backend: str, as_json: bool, errors: bool) -> None:
    from ingest.loaders import load_document
    from kb.encoders import get_embedder
    from kb.evaluation.tagging import print_tag_report, run_tag_eval

    settings = get_settings()
    path = settings.corpus_dir / "eval" / "tags.yaml"
    embedder = get_embedder(backend, settings.threads)
    report = run_tag_eval(embedder, path, load_document, choose=False)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n")
    else:
        print_tag_report(report, console, errors=errors)


@app.command("eval")
def evaluate_cmd(
    queries: Annotated[Path | None, typer.Option(help="Labelled queries (YAML).")] = None,
    k: Annotated[int, typer.Option("--k", help="Cut-off for recall@k.")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid, dense, lexical or all.")] = "all",
    lang: Annotated[
        list[str] | None, typer.Option(help="Search only documents in this language.")
    ] = None,
    backend: Annotated[
        list[str] | None,
        typer.Option(help="Embedding backend(s) to compare (e5-small, minilm, a model path)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    tags: Annotated[
        bool,
        typer.Option("--tags", help="Measure tagging instead: P/R/F1 per facet and per tag."),
    ] = False,
    tag_errors: Annotated[
        bool, typer.Option(help="With --tags: list each passage's missed and extra tags.")
    ] = False,
) -> None:
    """Measure retrieval on labelled queries: recall@k, MRR and nDCG@10 per mode and language.

    With --tags, measure the tagger on hand-labelled passages (corpus/eval/tags.yaml).
    """
    from kb.evaluation.retrieval import EvalReport, evaluate, load_queries
    from kb.retrieval.search import MODES

    settings = get_settings()
    if tags:
        _tag_eval(settings.embedding_model if not backend else backend[0], as_json, tag_errors)
        return
    path = queries or settings.corpus_dir / "eval" / "queries.yaml"
    try:
        labelled = load_queries(path)
    except (OSError, KeyError, TypeError) as exc:
        err.print(f"[red]Error:[/red] cannot read labelled queries from {escape(str(path))}: {exc}")
        raise typer.Exit(2) from exc
    modes = list(MODES) if mode == "all" else [mode]
    if any(m not in MODES for m in modes):
        err.print(f"[red]Error:[/red] --mode must be one of {', '.join(MODES)} or all")
        raise typer.Exit(2)
    langs = tuple(lang or ())
    report = EvalReport(k=k, doc_langs=langs)
    for name in backend or [settings.embedding_model]:
        evaluate(_kb_for_backend(name), labelled, modes, k, langs, report)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n")
        return
    scope = f"documents in {', '.join(langs)}" if langs else "all documents"
    table = Table(title=f"Retrieval on {len(labelled)} labelled queries ({scope})")
    for col in ("backend", "mode", "query lang", "queries", f"recall@{k}", "MRR", "nDCG@10"):
        table.add_column(col, justify="right" if col[0] in "qrMn" else "left")
    for row in report.rows:
        sc = row.scores
        table.add_row(
            row.backend,
            row.mode,
            row.query_lang,
            str(sc.queries),
            f"{sc.recall_at_k:.3f}",
            f"{sc.mrr:.3f}",
            f"{sc.ndcg_at_10:.3f}",
        )
    console.print(table)
    if report.failures:
        console.print(f"[bold]Queries with no expected document in the top {k}:[/bold]")
        for f in report.failures:
            console.print(
                f"  [{f['backend']}/{f['mode']}] {f['id']} {escape(str(f['query']))!r}\n"
                f"      expected {_join(f['expected'])}; got {_join(f['got']) or 'nothing'}"
            )


def _tag_lines(tags: Sequence[Tag], lang: str = "en") -> list[str]:
    from kb.tags.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    return [
        f"{t.facet}:{t.tag_id} ({taxonomy.label(t.facet, t.tag_id, lang)}) [{t.origin}] {t.reason}"
        for t in tags
    ]


@app.command()
def tag(
    text: Annotated[str, typer.Argument(help="Any text, in Spanish or English.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Tag a free text and show why each tag was given."""
    from kb.encoders import get_embedder
    from kb.tags.tagger import Tagger

    settings = get_settings()
    tags = Tagger(get_embedder(settings.embedding_model, settings.threads)).tag_text(text)
    if as_json:
        rows = [
            {
                "facet": t.facet,
                "tag": t.tag_id,
                "origin": t.origin,
                "reason": t.reason,
                "score": round(t.score, 4),
            }
            for t in tags
        ]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    if not tags:
        console.print("No tag applies to this text.")
    for line in _tag_lines(tags):
        console.print(escape(line))


@app.command()
def tags(
    passage_id: Annotated[str, typer.Argument(help="A passage id, as shown by search.")],
    add: Annotated[list[str] | None, typer.Option(help="FACET:TAG to add (repeatable).")] = None,
    remove: Annotated[
        list[str] | None, typer.Option(help="FACET:TAG to remove (repeatable).")
    ] = None,
    note: Annotated[str, typer.Option(help="Why: kept in the correction log.")] = "",
    user: Annotated[
        str | None, typer.Option(help="Who (default: CLUSTERKB_USER or login).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show a passage's tags, or correct them (--add / --remove); corrections survive re-ingest."""
    from kb.storage.lock import WriterBusyError
    from kb.tags.edit import TagEditError, correct_tags, corrections_for, get_passage

    kb = _open_kb()
    try:
        if add or remove:
            passage = correct_tags(kb, passage_id, add or [], remove or [], note, user)
        else:
            passage = get_passage(kb, passage_id)
    except (TagEditError, WriterBusyError) as exc:
        err.print(f"[red]Error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    log = corrections_for(kb, passage)
    if as_json:
        data = {
            "id": passage.id,
            "tags": [
                {"facet": t.facet, "tag": t.tag_id, "origin": t.origin, "reason": t.reason}
                for t in passage.tags
            ],
            "corrections": [c.__dict__ for c in log],
        }
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1, default=list) + "\n")
        return
    console.rule(f"{escape(passage.id)} · {escape(passage.title)} · p. {passage.page_start}")
    console.print(escape(passage.text))
    for line in _tag_lines(passage.tags) or ["(no tags)"]:
        console.print("  " + escape(line))
    if log:
        console.print("[bold]Corrections[/bold]")
        for c in log:
            changes = " ".join([f"+{a}" for a in c.add] + [f"-{r}" for r in c.remove])
            console.print(f"  {c.time} {escape(c.user)}: {escape(changes)} {escape(c.note)}")


@app.command("map")
def evidence_map(
    rows: Annotated[str, typer.Option(help="problem, instrument or country.")] = "problem",
    cols: Annotated[
        str, typer.Option(help="outcome, instrument, country or evidence.")
    ] = "evidence",
    country: Annotated[list[str] | None, typer.Option(help="Only these (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The evidence map: passages per cell; empty cells are gaps in the evidence."""
    from kb.retrieval.evidence_map import build_map
    from kb.tags.taxonomy import load_taxonomy

    kb = _open_kb()
    try:
        emap = build_map(kb.lexical.rows, rows, cols, load_taxonomy(), country or ())
    except ValueError as exc:
        err.print(f"[red]Error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(json.dumps(emap.to_dict(), ensure_ascii=False, indent=1) + "\n")
        return
    table = Table(title=f"Evidence map: {rows} × {cols} (· = gap)")
    table.add_column(rows)
    for col in emap.cols:
        table.add_column(col, justify="right")
    for row in emap.rows:
        table.add_row(row, *[str(emap.count(row, c) or "·") for c in emap.cols])
    console.print(table)
    console.print(f"{len(emap.gaps())} empty cells of {len(emap.cells)}.")


@app.command()
def compare(
    query: Annotated[str, typer.Argument(help="The question to compare countries on.")],
    countries: Annotated[
        str | None,
        typer.Option(
            help='Comma-separated, e.g. Argentina,Brazil,Chile,"El Salvador" (default: all).'
        ),
    ] = None,
    k: Annotated[int, typer.Option("--k", help="Passages per country.")] = 3,
    lang: Annotated[list[str] | None, typer.Option(help="Only passages in this language.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Compare how countries met the same question: best passages and a profile per country."""
    from ingest.metadata import normalise_country
    from kb.retrieval.compare import compare as run_compare
    from kb.tags.taxonomy import load_taxonomy

    wanted = [normalise_country(c.strip()) for c in countries.split(",")] if countries else None
    kb = _open_kb()
    result = run_compare(kb, query, wanted, k=k, langs=lang or ())
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n")
        return
    taxonomy = load_taxonomy()
    for col in result.columns:
        console.rule(f"[bold]{escape(col.country)}[/bold]")
        if not col.found:
            console.print("  No relevant passage in the knowledge base.")
            continue
        for hit in col.hits:
            p = hit.passage
            console.print(f"  • {escape(p.text[:300])}{'…' if len(p.text) > 300 else ''}")
            console.print(f"    [dim]{escape(p.title)}, p. {p.page_start} · {escape(p.id)}[/dim]")
        for facet, counts in col.profile.items():
            if counts:
                shown = ", ".join(
                    f"{taxonomy.label(facet, tc.tag_id, 'en')} ({tc.count})" for tc in counts[:6]
                )
                console.print(f"  [bold]{facet}[/bold]: {escape(shown)}")


@app.command("check")
def check_cmd(
    repair: Annotated[bool, typer.Option(help="Rebuild what is derived from the store.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Verify that store, keyword index, manifest and correction log agree."""
    from kb.storage.check import check
    from kb.storage.check import repair as run_repair
    from kb.storage.lock import WriterBusyError

    kb = _open_kb()
    try:
        report = run_repair(kb) if repair else check(kb)
    except WriterBusyError as exc:
        err.print(f"[red]Error:[/red] {escape(str(exc))}")
        raise typer.Exit(3) from exc
    if as_json:
        sys.stdout.write(json.dumps(report.__dict__ | {"ok": report.ok}, indent=1) + "\n")
    else:
        console.print(
            f"manifest {report.manifest_passages} passages · store {report.store_passages} · "
            f"keyword index {report.index_passages}"
        )
        for line in report.problems():
            console.print(f"[yellow]problem:[/yellow] {escape(line)}")
        for line in report.repaired:
            console.print(f"[green]repaired:[/green] {escape(line)}")
        if report.ok:
            console.print("All records agree.")
    if not report.ok and not repair:
        raise typer.Exit(1)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port for the app.")] = 8501,
    build: Annotated[
        bool, typer.Option(help="Build the knowledge base from the bundled corpus if empty.")
    ] = True,
) -> None:
    """Start the app on http://localhost:PORT, building the knowledge base first if needed."""
    settings = get_settings()
    if build and not settings.manifest_path.exists():
        console.print(f"Building the knowledge base from {settings.corpus_dir}/ (first start)…")
        run_ingest([settings.corpus_dir])
    app_file = Path(__file__).resolve().parents[1] / "app" / "main.py"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_file),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # A named address: headless Streamlit otherwise asks a web service for the machine's
        # public IP at every start, just to print it.
        "--browser.serverAddress",
        "localhost",
    ]
    console.print(f"Starting the app on http://localhost:{port}")
    os.execv(sys.executable, command) if os.name == "posix" else subprocess.run(
        command, check=False
    )


from clusterkb.cli.briefs import brief_app  # noqa: E402

app.add_typer(brief_app, name="brief", help="Recommendation briefs: collect, annotate, export.")

from clusterkb.cli.learn import learn_app  # noqa: E402

app.add_typer(learn_app, name="learn", help="Learning path and quizzes for new officials.")

if __name__ == "__main__":
    app()
