"""`clusterkb tag` and `tags`: tag a free text, show or correct a passage's tags."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.markup import escape

from clusterkb.cli.common import console, fail, open_kb_or_exit, write_json
from kb.citations import pages_cited
from kb.config import get_settings
from kb.models import Tag


def _tag_lines(tags: Sequence[Tag], lang: str = "en") -> list[str]:
    from kb.tags.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    return [
        f"{t.facet}:{t.tag_id} ({taxonomy.label(t.facet, t.tag_id, lang)}) [{t.origin}] {t.reason}"
        for t in tags
    ]


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
        write_json(
            [
                {
                    "facet": t.facet,
                    "tag": t.tag_id,
                    "origin": t.origin,
                    "reason": t.reason,
                    "score": round(t.score, 4),
                }
                for t in tags
            ]
        )
        return
    if not tags:
        console.print("No tag applies to this text.")
    for line in _tag_lines(tags):
        console.print(escape(line))


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

    kb = open_kb_or_exit()
    try:
        if add or remove:
            passage = correct_tags(kb, passage_id, add or [], remove or [], note, user)
        else:
            passage = get_passage(kb, passage_id)
    except (TagEditError, WriterBusyError) as exc:
        raise fail(str(exc)) from exc
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
    where = " · ".join(p for p in (passage.title, pages_cited(passage)) if p)
    console.rule(f"{escape(passage.id)} · {escape(where)}")
    console.print(escape(passage.text))
    for line in _tag_lines(passage.tags) or ["(no tags)"]:
        console.print("  " + escape(line))
    if log:
        console.print("[bold]Corrections[/bold]")
        for c in log:
            changes = " ".join([f"+{a}" for a in c.add] + [f"-{r}" for r in c.remove])
            console.print(f"  {c.time} {escape(c.user)}: {escape(changes)} {escape(c.note)}")
