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
    from collections.abc import Sequence

    from kb.evaluation.retrieval import EvalReport
    from kb.evaluation.tag_agreement import Agreement
    from kb.evaluation.tag_cv import OutOfFoldReport
    from kb.evaluation.tags_unseen import UnseenPassage
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


def _prf(c: Counts) -> tuple[str, str, str]:
    return _pct(c.precision), _pct(c.recall), _pct(c.f1)


def print_out_of_fold(report: OutOfFoldReport, console: Console) -> None:
    """Per system (rules, learned, combined): facets, overall, paraphrases, languages."""
    table = Table(
        title=f"Tagging out-of-fold on {report.passages} labelled passages of unseen text "
        f"({report.folds}-fold cross-validation by document; encoder {report.encoder}; "
        f"boilerplate {report.kinds_from})"
    )
    for col in ("system", "passages", "scope", "P", "R", "F1", "floor"):
        table.add_column(col, justify="left" if col in ("system", "scope") else "right")
    for name, scores in report.systems.items():
        rows = [*scores.facets.items(), ("overall", scores.overall)]
        for scope, c in rows:
            floor = FLOORS.get(scope)
            mark = "" if floor is None else f"{floor:.2f} " + ("ok" if c.f1 >= floor else "under")
            table.add_row(name, str(scores.passages), scope, *_prf(c), mark)
        para = scores.paraphrase
        table.add_row(name, "", "paraphrases (R)", "", f"{para.recall:.3f}", "", "0.70 R")
    console.print(table)
    langs = Table(title="Per language (micro-F1 per facet; overall P/R)")
    for col in ("system", "lang", *FLOORS, "overall P/R"):
        langs.add_column(col, justify="left" if col in ("system", "lang") else "right")
    for name, scores in report.systems.items():
        for code, per in scores.langs.items():
            langs.add_row(
                name,
                code,
                *[f"{per[f].f1:.2f}" for f in FLOORS],
                f"{per['all'].precision:.2f}/{per['all'].recall:.2f}",
            )
    console.print(langs)
    console.print(
        "rules and combined leave out the spans the rules were tuned on (seen_by_rules); "
        f"floors: {', '.join(f'{f} {v:.2f}' for f, v in FLOORS.items())}"
    )
    if report.unresolved:
        console.print(f"[yellow]{len(report.unresolved)} labelled span(s) not scored:[/yellow]")
        for line in report.unresolved[:20]:
            console.print(f"  {escape(line)}")


def _unseen_tag_eval(backend: str, realdocs_dir: Path | None, as_json: bool) -> None:
    from ingest.boilerplate import passage_kind
    from kb.encoders import get_embedder
    from kb.evaluation.tag_cv import evaluate_out_of_fold
    from kb.evaluation.tags_unseen import (
        UnseenSetError,
        load_unseen_set,
        resolve_unseen,
        summarise_unresolved,
    )
    from kb.tags.taxonomy import load_taxonomy
    from kb.tags.train import definition_prior, labelled_vectors, tag_keys

    settings = get_settings()
    path = corpus_dir(settings) / "eval" / "tags_unseen.yaml"
    try:
        unseen = load_unseen_set(path, realdocs_dir=realdocs_dir)
    except UnseenSetError as exc:
        raise fail(str(exc)) from exc
    examples, unresolved = resolve_unseen(unseen)
    for line in summarise_unresolved(unresolved):
        err.print(f"[yellow]not scored:[/yellow] {escape(line)}")
    if not examples:
        raise fail("no labelled passage could be read")
    embedder = get_embedder(backend, settings.threads)
    cache = settings.home / "eval" / f"tags_unseen_{embedder.name.replace('/', '_')}.npz"
    vectors = labelled_vectors(embedder, [ex.text for ex in examples], cache)
    prior = definition_prior(
        embedder,
        load_taxonomy(),
        tag_keys(load_taxonomy()),
        cache.with_name(f"definitions_{cache.name}"),
    )
    report = evaluate_out_of_fold(
        examples, vectors, embedder.name, unresolved, passage_kind, prior=prior
    )
    agreements = _annotator_agreement(path.with_name(AGREEMENT_FILE), unseen.entries, report)
    if as_json:
        write_json(
            {**report.to_dict(), "agreement": {k: a.to_dict() for k, a in agreements.items()}}
        )
    else:
        print_out_of_fold(report, console)
        print_agreement(agreements, console)


AGREEMENT_FILE = "tags_agreement.yaml"


def _annotator_agreement(
    path: Path, entries: Sequence[UnseenPassage], report: OutOfFoldReport
) -> dict[str, Agreement]:
    """The second annotator's agreement with the first, and the taggers' with each (empty,
    with a note, when the file is absent)."""
    from kb.evaluation.tag_agreement import (
        AgreementSetError,
        compare_with_annotators,
        load_second_annotation,
    )

    if not path.is_file():
        err.print(f"[yellow]no second annotation ({escape(str(path))}): agreement not shown[/]")
        return {}
    try:
        second = load_second_annotation(path, entries)
    except AgreementSetError as exc:
        raise fail(str(exc)) from exc
    return compare_with_annotators(entries, second, report.predicted)


def print_agreement(agreements: dict[str, Agreement], console: Console) -> None:
    """Two annotators on the same sample, and the taggers against each: the labels' ceiling."""
    if not agreements:
        return
    table = Table(
        title="Two blind annotators on a sample, and the taggers against each (micro-F1): "
        "annotator 2 vs 1 is the most the labels can show"
    )
    for col in ("comparison", "n", "problem", "instr.", "outcome", "evid.", "P", "R", "F1"):
        table.add_column(col, justify="left" if col == "comparison" else "right")
    for name, a in agreements.items():
        o = a.overall
        table.add_row(name, str(a.passages), *[f"{a.facets[f].f1:.2f}" for f in FLOORS], *_prf(o))
    console.print(table)


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
        typer.Option(
            help="Embedding backend(s) to compare (default: the configured one): "
            "e5-small-int8, e5-small, minilm, minilm-int8, or a model path."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    tags: Annotated[
        bool,
        typer.Option(
            "--tags",
            help="Measure tagging instead, out-of-fold on unseen text "
            "(corpus/eval/tags_unseen.yaml): rules, learned, combined.",
        ),
    ] = False,
    in_sample: Annotated[
        bool,
        typer.Option(
            "--in-sample",
            help="With --tags: the old IN-SAMPLE report on corpus/eval/tags.yaml, the passages "
            "the rules were written from (not a measure of unseen text).",
        ),
    ] = False,
    tag_errors: Annotated[
        bool,
        typer.Option(help="With --tags --in-sample: list each passage's missed and extra tags."),
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
        typer.Option(
            help="With --realdocs or --tags: the folder of the real reports (default: the set's)."
        ),
    ] = None,
    misses: Annotated[
        bool, typer.Option(help="With --realdocs --split dev: list what was scored wrong.")
    ] = False,
    highlights: Annotated[
        bool,
        typer.Option(
            "--highlights",
            help="Measure highlights instead: how often the top highlight is the labelled "
            "sentence (corpus/eval/highlights.yaml; --split, --misses and --realdocs-dir apply).",
        ),
    ] = False,
) -> None:
    """Measure retrieval on labelled queries: recall@k, MRR and nDCG@10 per mode and language.

    With --tags, measure the tagger out-of-fold on labelled unseen text (grouped
    cross-validation by document over corpus/eval/tags_unseen.yaml). With
    --realdocs, ingest the real reports into a temporary knowledge base and score it.
    """
    from kb.evaluation.retrieval import EvalReport, evaluate, load_queries
    from kb.retrieval.search import MODES

    settings = get_settings()
    if highlights:
        from clusterkb.cli.highlights_eval import highlights_eval

        highlights_eval(split, realdocs_dir, as_json, misses)
        return
    if realdocs:
        realdocs_eval(split, realdocs_dir, as_json, misses)
        return
    if tags:
        name = settings.embedding_model if not backend else backend[0]
        if in_sample:
            _tag_eval(name, as_json, tag_errors)
        else:
            _unseen_tag_eval(name, realdocs_dir, as_json)
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
