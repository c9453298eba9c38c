"""`clusterkb eval --realdocs`: ingest the real reports of one labelled split into a
temporary knowledge base, score titles, countries, cited pages and broken words, and print."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clusterkb.bundled_corpus import corpus_dir
from clusterkb.cli.common import console, err, fail, write_json
from kb.config import get_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from pypdf import PdfReader

    from kb.evaluation.realdocs import Ratio, SplitReport
    from kb.evaluation.realdocs_set import PageText, RealdocsSet
    from kb.models import Document, Passage
    from kb.storage.knowledge import KnowledgeBase


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
        ("  exactly the span's (strict)", "span_countries", "labelled spans"),
        ("  a second annotator, blind", "annotator_agreement", "labelled passages"),
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
        f"{report.spans_not_found} not found, {report.spans_unreadable} with changed page text, "
        f"{report.passages_recut} in a passage now cut differently."
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


def _second_countries(path: Path, labels: RealdocsSet) -> dict[str, frozenset[str]]:
    """The second annotator's passage countries ({} with a note when the file is absent)."""
    from kb.evaluation.realdocs_agreement import (
        AGREEMENT_FILE,
        CountryAgreementError,
        load_second_countries,
    )

    second = path.with_name(AGREEMENT_FILE)
    if not second.is_file():
        err.print(f"[yellow]no second annotation ({escape(str(second))})[/yellow]")
        return {}
    try:
        return load_second_countries(second, labels)
    except CountryAgreementError as exc:
        raise fail(str(exc)) from exc


def realdocs_eval(split: str, folder: Path | None, as_json: bool, misses: bool) -> None:
    from kb.evaluation.realdocs_agreement import country_agreement
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
    second = _second_countries(path, labels)
    reports = []
    for name in SPLITS if split == "all" else (split,):
        part = labels.in_split(name)
        report = _score_realdocs(part, folder, page_text)
        report.annotator_agreement = country_agreement(part, second)
        reports.append(report)
    if as_json:
        # Misses of the frozen test split are never shown, so no rule is chosen from them.
        write_json({"splits": {r.split: r.to_dict(misses=r.split == "dev") for r in reports}})
        return
    for report in reports:
        print_realdocs_report(report, console, misses=misses)
