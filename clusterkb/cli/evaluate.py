"""`clusterkb eval`: retrieval scores on labelled queries, tagging scores with --tags, scores
on the real reports with --realdocs."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clusterkb.bundled_corpus import corpus_dir
from clusterkb.cli.common import console, err, fail, open_kb_or_exit, write_json
from kb.config import get_settings
from kb.evaluation.tagging import CV_FOLDS, FLOORS, Counts, TagEvalReport

if TYPE_CHECKING:
    from collections.abc import Callable

    from pypdf import PdfReader

    from kb.evaluation.realdocs import Ratio, SplitReport
    from kb.evaluation.realdocs_set import PageText, RealdocsSet
    from kb.evaluation.retrieval import EvalReport
    from kb.models import Document, Passage
    from kb.storage.knowledge import KnowledgeBase


def _kb_for_backend(backend: str) -> KnowledgeBase:
    """A knowledge base of the bundled corpus built with `backend`, kept under the data folder."""
    from ingest.pipeline import ingest_paths
    from kb.storage.knowledge import open_kb
    from kb.tags.tagger import default_tagger

    base = get_settings()
    if backend == base.embedding_model:
        kb = open_kb_or_exit()
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
    ingest_paths(kb, [corpus_dir(settings)], tagger=default_tagger(kb))
    return kb


def _join(values: object) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list | tuple) else str(values)


def _pct(value: float) -> str:
    return f"{value:.3f}"


def _scores_or_dash(c: Counts) -> tuple[str, str, str]:
    if c.support == 0 and c.fp == 0:
        return "–", "–", "–"  # neither labelled nor predicted: nothing to score
    return _pct(c.precision), _pct(c.recall), _pct(c.f1)


def print_tag_report(report: TagEvalReport, console: Console, errors: bool = False) -> None:
    """The report as tables: per facet, per tag, chosen thresholds; errors on request."""
    n = sum(report.sources.values())
    origin = ", ".join(f"{k} {v}" for k, v in report.sources.items())
    table = Table(title=f"Tagging on {n} labelled passages ({origin}) with {report.backend}")
    for col in ("facet", "threshold", "expected", "TP", "FP", "FN", "P", "R", "F1", "floor"):
        table.add_column(col, justify="left" if col == "facet" else "right")
    for facet, c in report.facets.items():
        floor = FLOORS.get(facet)
        mark = "" if floor is None else f"{floor:.2f} " + ("ok" if c.f1 >= floor else "MISSED")
        limit = report.thresholds.get(facet)
        table.add_row(
            facet,
            "rules only" if limit is None else f"{limit:.3f}",
            str(c.support),
            str(c.tp),
            str(c.fp),
            str(c.fn),
            _pct(c.precision),
            _pct(c.recall),
            _pct(c.f1),
            mark,
        )
    console.print(table)

    tags = Table(title="Per tag")
    for col in ("facet", "tag", "expected", "predicted", "P", "R", "F1"):
        tags.add_column(col, justify="left" if col in ("facet", "tag") else "right")
    for facet, per in report.per_tag.items():
        for tag_id, c in per.items():
            tags.add_row(facet, tag_id, str(c.support), str(c.tp + c.fp), *_scores_or_dash(c))
    console.print(tags)

    if report.choice:
        chosen = Table(title="Similarity thresholds chosen on these passages (grid search)")
        for col in ("facet", "threshold", "F1 rules only", "F1 with it", f"F1 {CV_FOLDS}-fold"):
            chosen.add_column(col, justify="left" if col == "facet" else "right")
        for facet, ch in report.choice.items():
            chosen.add_row(
                facet,
                "none (rules only)" if ch.threshold is None else f"{ch.threshold:.3f}",
                _pct(ch.rules_f1),
                _pct(ch.best_f1),
                _pct(ch.cv_f1),
            )
        console.print(chosen)
    if report.skipped:
        console.print(f"[yellow]{len(report.skipped)} labelled passage(s) skipped:[/yellow]")
        for s in report.skipped:
            console.print(f"  {escape(s.id)}: {escape(s.ref)}: {escape(s.reason)}")
    if errors:
        console.print("[bold]Passages whose tags differ from the labels:[/bold]")
        for e in report.errors:
            console.print(
                f"  {escape(e.id)} [{e.facet}] missed {', '.join(e.missed) or '-'}; "
                f"extra {', '.join(e.extra) or '-'}"
            )


def _tag_eval(backend: str, as_json: bool, errors: bool) -> None:
    from ingest.loaders import load_document
    from ingest.reference_text import load_reference
    from kb.encoders import get_embedder
    from kb.evaluation.tagging import run_tag_eval

    settings = get_settings()
    path = corpus_dir(settings) / "eval" / "tags.yaml"
    embedder = get_embedder(backend, settings.threads)
    report = run_tag_eval(embedder, path, load_document, choose=False, reference=load_reference)
    if as_json:
        write_json(report.to_dict())
    else:
        print_tag_report(report, console, errors=errors)


def _print_retrieval(report: EvalReport, queries: int) -> None:
    k, langs = report.k, report.doc_langs
    scope = f"documents in {', '.join(langs)}" if langs else "all documents"
    table = Table(title=f"Retrieval on {queries} labelled queries ({scope})")
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


def _page_reader(labels: RealdocsSet, folder: Path) -> PageText:
    """The label set's page text: pypdf's raw `extract_text()` of a PDF page, or the whole file
    decoded as UTF-8 (page 1), as the labels' offsets were taken."""
    from pypdf import PdfReader

    paths = {d.sha256: folder / d.file for d in labels.documents}

    @lru_cache(maxsize=4)
    def reader(path: Path) -> PdfReader:
        return PdfReader(path)

    @lru_cache(maxsize=256)
    def page_text(sha256: str, page: int) -> str | None:
        path = paths.get(sha256)
        if path is None or not path.is_file():
            return None
        if path.suffix.lower() != ".pdf":
            return path.read_bytes().decode("utf-8") if page == 1 else None  # no newline edits
        pages = reader(path).pages
        return pages[page - 1].extract_text() if 1 <= page <= len(pages) else None

    return page_text


def _broken_word_check(kb: KnowledgeBase) -> Callable[[Passage], bool]:
    """Whether a passage reads as broken, judged against its document's full text (each file
    is read again, as ingest read it: the store keeps passages, not whole documents)."""
    from ingest.loaders import load_document
    from kb.evaluation.text_quality import broken_word, document_words

    paths = {r.doc_id: Path(r.path) for r in kb.manifest.docs.values()}

    @lru_cache(maxsize=1)  # passages come document by document
    def document(doc_id: str) -> tuple[Document, frozenset[str]]:
        loaded = load_document(paths[doc_id], kb.settings)
        return loaded, document_words(loaded.text)

    def check(passage: Passage) -> bool:
        return broken_word(passage, *document(passage.doc_id)) is not None

    return check


def _score_realdocs(part: RealdocsSet, folder: Path, page_text: PageText) -> SplitReport:
    """Ingest one split's reports into a temporary knowledge base and score it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from clusterkb.cli.ingest import RichProgress
    from ingest.pipeline import Progress as NullProgress
    from ingest.pipeline import ingest_paths, untagged
    from kb.evaluation.realdocs import TOP_K, held_documents, score_split
    from kb.retrieval.search import search
    from kb.storage.knowledge import open_kb

    split = part.documents[0].split
    files = {d.sha256: folder / d.file for d in part.documents}
    refused = {sha: f"file not found: {path}" for sha, path in files.items() if not path.is_file()}
    with tempfile.TemporaryDirectory(prefix=f"clusterkb-realdocs-{split}-") as tmp:
        settings = get_settings().model_copy(update={"home": Path(tmp), "chroma_url": None})
        kb = open_kb(settings)
        err.print(
            f"Ingesting the {len(files)} reports of the {split} split with "
            f"{settings.embedding_model} into a temporary knowledge base…"
        )
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=err) as bar:
            sink: NullProgress = RichProgress(bar)  # type: ignore[assignment]
            present = [p for p in files.values() if p.is_file()]
            ingested = ingest_paths(kb, present, tagger=untagged, progress=sink)
        sha_of = {str(path): sha for sha, path in files.items()}
        refused |= {sha_of.get(path, path): reason for path, reason in ingested.failed}
        return score_split(
            part,
            held_documents(kb),
            page_text,
            lambda q: [h.passage for h in search(kb, q, k=TOP_K)],
            _broken_word_check(kb),
            refused,
        )


def _share(ratio: Ratio, percent: bool = False) -> str:
    value = ratio.value
    if value is None:
        return "–"
    return f"{100 * value:.2f}%" if percent else f"{value:.3f}"


def print_realdocs_report(report: SplitReport, console: Console, misses: bool = False) -> None:
    """One split's figures beside their floors, below-floor figures marked."""
    from kb.evaluation.realdocs import FLOORS, TOP_K

    floors = {m: (op, f) for m, op, f in FLOORS}
    below = report.below_floor()
    table = Table(title=f"Real reports, {report.split} split ({report.documents} documents)")
    for col in ("measure", "value", "of", "floor", ""):
        table.add_column(col, justify="left" if col in ("measure", "") else "right")
    rows = (
        ("title", "title", "documents"),
        ("countries per document", "doc_countries", "documents"),
        ("countries per passage", "passage_countries", "labelled passages"),
        (f"printed page in top {TOP_K}", "page_at_3", "questions"),
        ("passages with broken words", "broken_words", "passages"),
    )
    for name, metric, unit in rows:
        ratio = getattr(report, metric)
        percent = metric == "broken_words"
        op, floor = floors.get(metric, ("", None))
        shown_floor = (
            "–"
            if floor is None
            else f"{op} " + (f"{100 * floor:.1f}%" if percent else f"{floor:.2f}")
        )
        mark = "" if floor is None else "[red]BELOW FLOOR[/red]" if metric in below else "ok"
        table.add_row(
            name, _share(ratio, percent), f"{ratio.hits}/{ratio.total} {unit}", shown_floor, mark
        )
    console.print(table)
    console.print(
        f"Labelled passages: {report.spans_found} found in a passage, "
        f"{report.spans_not_found} not found, {report.spans_unreadable} with changed page text."
    )
    for doc, reason in report.refused:
        console.print(
            f"  [yellow]not in the knowledge base[/yellow] {escape(doc)}: {escape(reason)}"
        )
    if misses:
        console.print(f"[bold]Scored wrong on the {report.split} split:[/bold]")
        for m in report.misses:
            console.print(
                f"  {escape(f'[{m.metric}]')} {escape(m.id)}: expected {escape(m.expected)}; "
                f"got {escape(m.got)}"
            )


def _realdocs_eval(split: str, folder: Path | None, as_json: bool, misses: bool) -> None:
    from kb.evaluation.realdocs_set import SPLITS, RealdocsSetError, load_realdocs_set

    if split not in (*SPLITS, "all"):
        raise fail(f"--split must be one of {', '.join(SPLITS)} or all")
    if misses and split != "dev":
        raise fail("--misses lists the dev split only: the test split is frozen")
    path = corpus_dir(get_settings()) / "eval" / "realdocs.yaml"
    try:
        labels = load_realdocs_set(path)
    except RealdocsSetError as exc:
        raise fail(str(exc)) from exc
    folder = folder or labels.realdocs_dir
    if not folder.is_dir():
        raise fail(f"real reports folder not found: {folder} (give it with --realdocs-dir)")
    page_text = _page_reader(labels, folder)
    reports = [
        _score_realdocs(labels.in_split(s), folder, page_text)
        for s in (SPLITS if split == "all" else (split,))
    ]
    if as_json:
        # Misses of the frozen test split are never shown, so no rule is chosen from them.
        write_json({"splits": {r.split: r.to_dict(misses=r.split == "dev") for r in reports}})
        return
    for report in reports:
        print_realdocs_report(report, console, misses=misses)


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
    realdocs: Annotated[
        bool,
        typer.Option(
            "--realdocs",
            help="Measure on the real reports instead: titles, countries, cited pages, "
            "broken words (corpus/eval/realdocs.yaml).",
        ),
    ] = False,
    split: Annotated[
        str, typer.Option(help="With --realdocs: the labelled split, test, dev or all.")
    ] = "test",
    realdocs_dir: Annotated[
        Path | None,
        typer.Option(help="With --realdocs: the folder of the real reports (default: the set's)."),
    ] = None,
    misses: Annotated[
        bool, typer.Option(help="With --realdocs --split dev: list what was scored wrong.")
    ] = False,
) -> None:
    """Measure retrieval on labelled queries: recall@k, MRR and nDCG@10 per mode and language.

    With --tags, measure the tagger on hand-labelled passages (corpus/eval/tags.yaml). With
    --realdocs, ingest the real reports into a temporary knowledge base and score it.
    """
    from kb.evaluation.retrieval import EvalReport, evaluate, load_queries
    from kb.retrieval.search import MODES

    settings = get_settings()
    if realdocs:
        _realdocs_eval(split, realdocs_dir, as_json, misses)
        return
    if tags:
        _tag_eval(settings.embedding_model if not backend else backend[0], as_json, tag_errors)
        return
    path = queries or corpus_dir(settings) / "eval" / "queries.yaml"
    try:
        labelled = load_queries(path)
    except (OSError, KeyError, TypeError) as exc:
        raise fail(f"cannot read labelled queries from {path}: {exc}") from exc
    modes = list(MODES) if mode == "all" else [mode]
    if any(m not in MODES for m in modes):
        raise fail(f"--mode must be one of {', '.join(MODES)} or all")
    langs = tuple(lang or ())
    report = EvalReport(k=k, doc_langs=langs)
    for name in backend or [settings.embedding_model]:
        evaluate(_kb_for_backend(name), labelled, modes, k, langs, report)
    if as_json:
        write_json(report.to_dict())
        return
    _print_retrieval(report, len(labelled))
