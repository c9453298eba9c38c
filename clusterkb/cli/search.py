"""`clusterkb search`, `compare` and `map`: find passages, set countries side by side, map gaps."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from clusterkb.cli.common import console, fail, open_kb_or_exit, write_json
from kb.citations import pages_cited
from kb.models import FACETS, Hit, SearchFilters


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
        cited = " · ".join(part for part in (p.title, p.country, pages_cited(p, "en")) if part)
        console.rule(f"[bold]{rank}.[/bold] {escape(cited)}")
        console.print(marked_text(hit))
        tags = ", ".join(f"{t.facet}:{t.tag_id}" for t in p.tags)
        console.print(
            f"[dim]{escape(p.id)} · score {hit.score:.4f}"
            + (f" · {escape(tags)}" if tags else "")
            + "[/dim]"
        )


def marked_text(hit: Hit) -> Text:
    """The passage as written (no markup read from it), its answering sentences in bold."""
    text = Text(hit.passage.text)
    for h in hit.highlights:
        text.stylize("bold", h.start, h.end)
    return text


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
        raise fail(f"--mode must be one of {', '.join(MODES)}")
    if (query is None) == (batch is None):
        raise fail("give a QUERY or --batch FILE (one of the two)")
    values = dict(zip(FACETS, (problem, instrument, outcome, evidence), strict=True))
    filters = _filters(country, lang, values)
    _check_tag_ids(values)
    kb = open_kb_or_exit()
    if batch is not None:
        try:
            lines = batch.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise fail(f"cannot read {batch}: {exc.strerror}") from exc
        for line in (ln.strip() for ln in lines):
            if line:
                hits = run_search(kb, line, k=k, filters=filters, mode=mode)
                row = {"query": line, "hits": [h.to_dict() for h in hits]}
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    assert query is not None
    hits = run_search(kb, query, k=k, filters=filters, mode=mode)
    if as_json:
        write_json([h.to_dict() for h in hits])
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
            raise fail(f"unknown {facet} tag(s) {', '.join(unknown)}; known: {known}")


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

    kb = open_kb_or_exit()
    try:
        emap = build_map(kb.lexical.rows, rows, cols, load_taxonomy(), country or ())
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        write_json(emap.to_dict())
        return
    table = Table(title=f"Evidence map: {rows} × {cols} (· = gap)")
    table.add_column(rows)
    for col in emap.cols:
        table.add_column(col, justify="right")
    for row in emap.rows:
        table.add_row(row, *[str(emap.count(row, c) or "·") for c in emap.cols])
    console.print(table)
    console.print(f"{len(emap.gaps())} empty cells of {len(emap.cells)}.")


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
    from kb.countries import normalise_country
    from kb.retrieval.compare import compare as run_compare
    from kb.tags.taxonomy import load_taxonomy

    wanted = [normalise_country(c.strip()) for c in countries.split(",")] if countries else None
    kb = open_kb_or_exit()
    result = run_compare(kb, query, wanted, k=k, langs=lang or ())
    if as_json:
        write_json(result.to_dict())
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
            cited = ", ".join(part for part in (p.title, pages_cited(p, "en")) if part)
            console.print(f"    [dim]{escape(cited)} · {escape(p.id)}[/dim]")
        for facet, counts in col.profile.items():
            if counts:
                shown = ", ".join(
                    f"{taxonomy.label(facet, tc.tag_id, 'en')} ({tc.count})" for tc in counts[:6]
                )
                console.print(f"  [bold]{facet}[/bold]: {escape(shown)}")
