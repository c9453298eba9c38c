"""`clusterkb eval`: retrieval scores on labelled queries, tagging scores with --tags, scores
on the real reports with --realdocs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clusterkb.bundled_corpus import corpus_dir
from clusterkb.cli.common import console, err, fail, open_kb_or_exit, write_json
from clusterkb.cli.realdocs_eval import realdocs_eval
from kb.config import get_settings
from kb.evaluation.tagging import CV_FOLDS, FLOORS, Counts, TagEvalReport

if TYPE_CHECKING:
    from kb.evaluation.retrieval import EvalReport
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
        realdocs_eval(split, realdocs_dir, as_json, misses)
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
