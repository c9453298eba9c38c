"""`clusterkb brief …`: collect passages into a brief, reorder and annotate them, export it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from clusterkb.cli.common import console, fail, open_kb_or_exit, write_json
from kb.briefs.brief import (
    LANGS,
    Brief,
    BriefError,
    add_item,
    move_item,
    new_brief,
    remove_item,
    set_note,
    slug,
)
from kb.briefs.store import (
    StoredBrief,
    brief_exists,
    brief_path,
    create,
    delete,
    duplicate,
    find,
    list_visible,
    load_brief,
    rename,
    save,
    save_brief,
    set_shared,
)
from kb.config import get_settings

brief_app = typer.Typer(
    help="Recommendation briefs: collect cited passages and export them (md, docx, pdf).",
    no_args_is_help=True,
    add_completion=False,
)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn a BriefError into a message on stderr and exit code 2."""
    try:
        yield
    except BriefError as exc:
        raise fail(str(exc)) from exc


def _folder() -> Path:
    return get_settings().briefs_dir


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise fail(f"--lang must be one of {', '.join(LANGS)}")


def _edit(name: str, change: Callable[[Brief], Brief]) -> Brief:
    """Change the local user's brief, saved over the revision just read."""
    with _errors():
        record = find(name, _folder())
        return save(replace(record, brief=change(record.brief)), _folder()).brief


@brief_app.command("new")
def new_cmd(
    name: Annotated[str, typer.Argument(help="A short name, e.g. chile-coordinacion.")],
    title: Annotated[str, typer.Option(help="Title (default: the name).")] = "",
    purpose: Annotated[str, typer.Option(help="The purpose or question the brief answers.")] = "",
    lang: Annotated[str, typer.Option(help="Language of headings: es or en.")] = "es",
) -> None:
    """Start an empty brief."""
    _check_lang(lang)
    with _errors():
        record = create(new_brief(name, title, purpose, lang), _folder())
    console.print(f"Created brief {escape(record.name)!r} (id {record.id}) owned by {record.owner}")


@brief_app.command("add")
def add_cmd(
    name: Annotated[str, typer.Argument(help="The brief.")],
    passage_ids: Annotated[list[str], typer.Argument(help="Passage ids, as shown by search.")],
    note: Annotated[str, typer.Option(help="Your note on these passages.")] = "",
) -> None:
    """Add passages (checked against the knowledge base) to the end of a brief."""
    from kb.briefs.draft import check_passage_ids

    with _errors():
        record = find(name, _folder())
        check_passage_ids(open_kb_or_exit(), passage_ids)
        brief = record.brief
        for pid in passage_ids:
            brief = add_item(brief, pid, note)
        save(replace(record, brief=brief), _folder())
    console.print(f"Brief {escape(brief.name)!r} now has {len(brief.items)} passages.")


@brief_app.command("remove")
def remove_cmd(
    name: Annotated[str, typer.Argument(help="The brief.")],
    passage_id: Annotated[str, typer.Argument(help="The passage to take out.")],
) -> None:
    """Take a passage out of a brief."""
    brief = _edit(name, lambda b: remove_item(b, passage_id))
    console.print(f"Removed {escape(passage_id)}; {len(brief.items)} passages left.")


@brief_app.command("move")
def move_cmd(
    name: Annotated[str, typer.Argument(help="The brief.")],
    passage_id: Annotated[str, typer.Argument(help="The passage to move.")],
    position: Annotated[int, typer.Argument(help="Its new position, from 1.")],
) -> None:
    """Move a passage to another position (the order of citations follows it)."""
    _edit(name, lambda b: move_item(b, passage_id, position))
    console.print(f"Moved {escape(passage_id)} to position {position}.")


@brief_app.command("note")
def note_cmd(
    name: Annotated[str, typer.Argument(help="The brief.")],
    passage_id: Annotated[str, typer.Argument(help="The passage.")],
    text: Annotated[str, typer.Argument(help="Your note ('' clears it).")],
) -> None:
    """Write (or clear) your note on a passage; it appears as the author's note."""
    _edit(name, lambda b: set_note(b, passage_id, text))
    console.print(f"Note on {escape(passage_id)} saved." if text else "Note cleared.")


@brief_app.command("show")
def show_cmd(
    name: Annotated[str, typer.Argument(help="The brief.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the brief as JSON.")] = False,
) -> None:
    """Show a brief: title, question, key messages, and its passages in order with the
    sentences each one quotes and your notes."""
    from kb.briefs.draft import fetch_passages
    from kb.briefs.quotes import fold, quotation, quoted_spans

    with _errors():
        brief = load_brief(name, _folder())
    if as_json:
        write_json(brief.to_dict())
        return
    console.rule(f"[bold]{escape(brief.title)}[/bold] ({escape(brief.name)}, {brief.lang})")
    if brief.question and brief.question != brief.title:
        console.print(f"Question: {escape(brief.question)}")
    if brief.purpose:
        console.print(escape(brief.purpose))
    if not brief.items:
        console.print("No passages yet: add some with `clusterkb brief add NAME PASSAGE_ID`.")
        return
    passages = fetch_passages(open_kb_or_exit(), brief)
    numbers = {pid: n for n, pid in enumerate(brief.passage_ids, start=1)}
    if brief.key_messages:
        console.print("[bold]Key messages[/bold]")
    for message in brief.key_messages:
        found = passages.get(message.passage_id)
        text = fold(found.text[message.start : message.end]) if found else "(passage not found)"
        number = numbers.get(message.passage_id, "?")
        console.print(f"  • {escape(text)} {escape(f'[{number}]')}")
    for n, item in enumerate(brief.items, start=1):
        console.print(f"{n:>3}. {escape(item.passage_id)}")
        found = passages.get(item.passage_id)
        if found is None:
            console.print("     [red](not in the knowledge base any more)[/red]")
        else:
            chosen = "whole passage" if item.spans is None else "chosen sentences"
            quoted = quotation(found.text, quoted_spans(item, found.text))
            console.print(f"     [dim]{chosen}:[/dim] {escape(quoted)}")
        if item.note:
            console.print(f"     [italic]{escape(item.note)}[/italic]")


@brief_app.command("list")
def list_cmd(
    everyone: Annotated[
        bool, typer.Option("--all", help="Every user's briefs (admins only).")
    ] = False,
) -> None:
    """List your briefs and the shared ones, with owner and date of the last change."""
    with _errors():
        records = list_visible(_folder(), everyone=everyone)
    if not records:
        console.print(f"No briefs in {escape(str(_folder()))} yet.")
        return
    table = Table("id", "name", "owner", "shared", "passages", "lang", "updated")
    for r in records:
        table.add_row(
            r.id,
            escape(r.name),
            escape(r.owner),
            "yes" if r.shared else "",
            str(len(r.brief.items)),
            r.brief.lang,
            r.updated.replace("T", " ")[:16],
        )
    console.print(table)


def _described(record: StoredBrief) -> str:
    return f"{escape(record.name)!r} (id {record.id})"


@brief_app.command("rename")
def rename_cmd(
    name: Annotated[str, typer.Argument(help="The brief (name or id).")],
    new_name: Annotated[str, typer.Argument(help="Its new name.")],
) -> None:
    """Rename one of your briefs."""
    with _errors():
        record = rename(find(name, _folder()).id, new_name, _folder())
    console.print(f"Renamed to {_described(record)}.")


@brief_app.command("duplicate")
def duplicate_cmd(
    name: Annotated[str, typer.Argument(help="The brief (yours or a shared one; name or id).")],
    new_name: Annotated[str | None, typer.Option("--name", help="Name of the copy.")] = None,
) -> None:
    """Copy a brief into a new one of your own (the way to change someone's shared brief)."""
    with _errors():
        record = duplicate(find(name, _folder()).id, _folder(), name=new_name)
    console.print(f"Copied into {_described(record)}.")


@brief_app.command("share")
def share_cmd(
    name: Annotated[str, typer.Argument(help="One of your briefs (name or id).")],
    off: Annotated[bool, typer.Option("--off", help="Stop sharing it.")] = False,
) -> None:
    """Share a brief with every user (read-only to them), or stop sharing it with --off."""
    with _errors():
        record = set_shared(find(name, _folder()).id, not off, _folder())
    state = "shared with everyone (read-only)" if record.shared else "private"
    console.print(f"Brief {_described(record)} is now {state}.")


@brief_app.command("delete")
def delete_cmd(
    name: Annotated[str, typer.Argument(help="The brief (name or id).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a brief (yours; an admin may delete anyone's)."""
    with _errors():
        record = find(name, _folder())
        if not yes and not typer.confirm(
            f"Delete brief {record.name!r} of {record.owner} ({len(record.brief.items)} passages)?"
        ):
            raise typer.Exit(1)
        delete(record.id, _folder())
    console.print(f"Deleted brief {_described(record)}.")


@brief_app.command("export")
def export_cmd(
    name: Annotated[str, typer.Argument(help="The brief.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="md, docx or pdf (default: from -o).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (default: NAME.FORMAT).")
    ] = None,
    lang: Annotated[
        str | None, typer.Option(help="Headings in es or en (default: the brief's).")
    ] = None,
) -> None:
    """Export a brief as a structured, cited document."""
    from kb.briefs.export import FORMATS, compose_brief, export_bytes

    fmt = fmt or (output.suffix.lstrip(".").lower() if output and output.suffix else "md")
    if fmt not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if lang is not None:
        _check_lang(lang)
    with _errors():
        brief = load_brief(name, _folder())
        target = output or Path(f"{slug(brief.name)}.{fmt}")
        try:
            doc = compose_brief(open_kb_or_exit(), brief, lang or brief.lang)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(export_bytes(doc, fmt))
        except OSError as exc:
            raise BriefError(f"cannot write {target}: {exc.strerror or exc}") from exc
    where = escape(str(target))
    console.print(
        f"Wrote {fmt} brief {escape(brief.name)!r} ({len(doc.sources)} sources) to {where}",
        soft_wrap=True,
    )


@brief_app.command("draft")
def draft_cmd(
    query: Annotated[str, typer.Argument(help="The question the brief should answer.")],
    name: Annotated[str | None, typer.Option(help="Brief name (default: from the query).")] = None,
    k: Annotated[int, typer.Option("--k", help="How many passages to take.")] = 8,
    lang: Annotated[str, typer.Option(help="Language of headings: es or en.")] = "es",
    country: Annotated[
        list[str] | None, typer.Option(help="Only this country or agency (repeatable).")
    ] = None,
) -> None:
    """Draft a brief from the best passages for a question, and save it for editing."""
    from kb.briefs.draft import draft_brief
    from kb.models import SearchFilters

    _check_lang(lang)
    with _errors():
        key = slug(name or query[:60])
        if brief_exists(key, _folder()):
            raise BriefError(f"a brief named {key!r} already exists; choose another with --name")
        filters = SearchFilters(countries=tuple(country or ()))
        brief = draft_brief(
            open_kb_or_exit(), query, k=k, lang=lang, filters=filters, name=name or key
        )
        if not brief.items:
            raise BriefError(f"no passage matches {query!r}; nothing saved")
        save_brief(brief, _folder())
    where = escape(str(brief_path(brief.name, _folder())))
    # soft_wrap: paths and commands must stay on one line to be copied.
    console.print(
        f"Saved brief {escape(brief.name)!r} with {len(brief.items)} passages and "
        f"{len(brief.key_messages)} key messages to {where}",
        soft_wrap=True,
    )
    console.print(
        f"Review it with `clusterkb brief show {key}`, then export it with "
        f"`clusterkb brief export {key} --format docx -o {key}.docx` (or md, pdf).",
        soft_wrap=True,
    )
