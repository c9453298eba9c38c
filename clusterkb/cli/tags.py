"""`clusterkb tag` and `tags`: tag a free text, show or correct a passage's tags."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from clusterkb.bundled_corpus import corpus_dir
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
    text: Annotated[str, typer.Argument(help="Any text, in Spanish, English or Portuguese.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Tag a free text with the tagger an ingest uses, and show why each tag was given."""
    from kb.encoders import get_embedder
    from kb.tags.tagger import LEARNED, tagger_for, trigger_sentence

    settings = get_settings()
    tagger = tagger_for(settings, get_embedder(settings.embedding_model, settings.threads))
    tags = tagger.tag_text(text)
    sentences: dict[tuple[str, str], str] = {}
    if tagger.model is not None:
        for t in tags:
            if t.origin == LEARNED:
                found = trigger_sentence(tagger.model, tagger.embedder, text, t.facet, t.tag_id)
                if found:
                    sentences[(t.facet, t.tag_id)] = found[0]
    if as_json:
        write_json(
            [
                {
                    "facet": t.facet,
                    "tag": t.tag_id,
                    "origin": t.origin,
                    "reason": t.reason,
                    "score": round(t.score, 4),
                    **(
                        {"sentence": sentences[(t.facet, t.tag_id)]}
                        if (t.facet, t.tag_id) in sentences
                        else {}
                    ),
                }
                for t in tags
            ]
        )
        return
    if not tags:
        console.print("No tag applies to this text.")
    for t, line in zip(tags, _tag_lines(tags), strict=True):
        console.print(escape(line))
        if (t.facet, t.tag_id) in sentences:
            console.print(f"    sentence: «{escape(sentences[(t.facet, t.tag_id)])}»")


def _train(labels: bool, realdocs_dir: Path | None, retag: bool, export: Path | None) -> None:
    from kb.encoders import get_embedder
    from kb.evaluation.tags_unseen import UnseenSetError, summarise_unresolved
    from kb.storage.lock import WriterBusyError
    from kb.tags.model_store import save_model
    from kb.tags.train import TrainError, fit_labelled, read_labelled, train

    settings = get_settings()
    path = corpus_dir(settings) / "eval" / "tags_unseen.yaml"
    cache_of = settings.home / "eval"
    labelled = None
    if labels or export:
        try:
            labelled, skipped = read_labelled(path, realdocs_dir)
        except UnseenSetError as exc:
            raise fail(str(exc)) from exc
        for line in summarise_unresolved(skipped):
            console.print(f"[yellow]not read:[/yellow] {escape(line)}")
    if export is not None:
        embedder = get_embedder(settings.embedding_model, settings.threads)
        cache = cache_of / f"tags_unseen_{embedder.name.replace('/', '_')}.npz"
        model = fit_labelled(embedder, labelled or [], cache)
        save_model(model, export)
        on = int(sum(1 for t in model.thresholds if t != float("inf")))
        console.print(
            f"Model fitted on {len(labelled or [])} labelled passages ({on} tags learnable) "
            f"saved to {escape(str(export))} (fingerprint {model.fingerprint})."
        )
        return
    kb = open_kb_or_exit()
    cache = cache_of / f"tags_unseen_{kb.embedder.name.replace('/', '_')}.npz"
    try:
        report = train(kb, labelled, retag=retag, cache=cache)
    except (TrainError, WriterBusyError) as exc:
        raise fail(str(exc)) from exc
    console.print(
        f"Tagger trained on the {report.base} ({report.labelled} labelled examples) plus "
        f"{report.corrected_passages} corrected passage(s); saved to {escape(str(report.path))} "
        f"(fingerprint {report.fingerprint}) in {report.fit_seconds:.1f} s."
    )
    for line in report.unmatched_corrections:
        console.print(f"[yellow]correction whose passage is gone:[/yellow] {escape(line)}")
    if retag:
        console.print(
            f"Re-tagged {report.retagged} passages ({report.changed} changed) in "
            f"{report.retag_seconds:.1f} s, from their stored vectors."
        )


def tags(
    passage_id: Annotated[
        str,
        typer.Argument(
            help="A passage id, as shown by search; or `train` to refit the tagger from the "
            "labelled set and the corrections and re-tag the knowledge base."
        ),
    ],
    add: Annotated[list[str] | None, typer.Option(help="FACET:TAG to add (repeatable).")] = None,
    remove: Annotated[
        list[str] | None, typer.Option(help="FACET:TAG to remove (repeatable).")
    ] = None,
    note: Annotated[str, typer.Option(help="Why: kept in the correction log.")] = "",
    user: Annotated[
        str | None, typer.Option(help="Who (default: CLUSTERKB_USER or login).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    labels: Annotated[
        bool,
        typer.Option(
            help="With `train`: refit from the labelled set (needs the reports folder for its "
            "real spans) instead of starting from the shipped model."
        ),
    ] = False,
    realdocs_dir: Annotated[
        Path | None, typer.Option(help="With `train --labels`: the folder of the real reports.")
    ] = None,
    retag: Annotated[bool, typer.Option(help="With `train`: re-tag the stored passages.")] = True,
    export: Annotated[
        Path | None,
        typer.Option(
            help="With `train`: only fit on the whole labelled set and write the model here "
            "(how the shipped model is made)."
        ),
    ] = None,
) -> None:
    """Show a passage's tags, or correct them (--add / --remove); corrections survive re-ingest.

    `clusterkb tags train` refits the tagger from the labelled set plus the corrections log and
    re-tags the knowledge base from the stored vectors (no re-embedding).
    """
    from clusterkb.cli.users import cli_actor
    from kb.storage.lock import WriterBusyError
    from kb.tags.edit import TagEditError, correct_tags, corrections_for, get_passage

    if passage_id == "train":
        _train(labels, realdocs_dir, retag, export)
        return
    kb = open_kb_or_exit()
    try:
        if add or remove:
            passage = correct_tags(
                kb, passage_id, add or [], remove or [], note, actor=cli_actor(user)
            )
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
