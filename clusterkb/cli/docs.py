"""`clusterkb docs`: list the documents, show one, correct its metadata, remove it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from clusterkb.cli.common import console, fail, open_kb_or_exit, shown, write_json

if TYPE_CHECKING:
    from kb.storage.manifest import DocRecord
    from kb.storage.overrides import Override

docs_app = typer.Typer(no_args_is_help=True)

UserOption = Annotated[
    str | None, typer.Option(help="Who (default: CLUSTERKB_USER or the login name).")
]


def _countries(record: DocRecord) -> str:
    """'Chile 12, Argentina 3': the document's countries as passages per country."""
    if record.countries:
        return ", ".join(f"{c} {n}" for c, n in record.countries.items())
    return record.country or "(unknown)"


def _row(record: DocRecord) -> dict[str, object]:
    return {
        "id": record.doc_id,
        "title": record.title,
        "country": record.country,
        "countries": dict(record.countries),
        "year": record.year,
        "source": record.source,
        "publisher": record.publisher,
        "lang": record.lang,
        "passages": len(record.passage_ids),
        "pages": record.pages,
    }


@docs_app.command("list")
def list_docs(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every document: id, title, countries, year, publisher, language, passages, pages."""
    kb = open_kb_or_exit()
    records = sorted(kb.manifest.docs.values(), key=lambda r: r.doc_id)
    if as_json:
        write_json([_row(r) for r in records])
        return
    if not records:
        console.print("No documents yet: add some with `clusterkb ingest FOLDER`.")
        return
    table = Table("id", "title", "countries", "year", "publisher", "lang", "passages", "pages")
    for r in records:
        table.add_row(
            *(escape(str(v)) for v in (r.doc_id, r.title, _countries(r), r.year or "")),
            *(escape(v) for v in (r.publisher, r.lang)),
            str(len(r.passage_ids)),
            str(r.pages),
        )
    console.print(table)


def _log_entry(o: Override) -> dict[str, object]:
    return {"time": o.time, "user": o.user, "field": o.field, "value": o.value}


@docs_app.command("show")
def show(
    doc_id: Annotated[str, typer.Argument(help="A document id, as shown by `docs list`.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every field of a document with where it came from, its file, and its overrides."""
    from kb.storage.overrides import FIELDS, history, load_overrides, overrides_path

    kb = open_kb_or_exit()
    record = kb.manifest.docs.get(doc_id)
    if record is None:
        raise fail(f"no document with id {doc_id!r} (ids are shown by `clusterkb docs list`)")
    log = history(load_overrides(overrides_path(kb.settings)), doc_id)
    data = _row(record) | {
        "path": record.path,
        "sha256": record.sha256,
        "ingested_at": record.ingested_at,
        "provenance": {f: record.provenance.get(f, "") for f in FIELDS},
        "overrides": [_log_entry(o) for o in log],
    }
    if as_json:
        write_json(data)
        return
    table = Table("field", "value", "from", box=None)
    for field in FIELDS:
        value = _countries(record) if field == "country" else getattr(record, field)
        origin = record.provenance.get(field, "")
        table.add_row(field, escape(str(value if value is not None else "")), escape(origin))
    console.rule(f"{escape(record.doc_id)} · {escape(record.title)}")
    console.print(table)
    console.print(f"file      {shown(record.path)}")
    console.print(f"passages  {len(record.passage_ids)} from {record.pages} pages")
    console.print(f"ingested  {escape(record.ingested_at)}")
    console.print("[bold]Overrides[/bold]" if log else "No overrides.")
    for o in log:
        value = "(dropped)" if o.value is None else _shown_value(o.value)
        console.print(f"  {o.time} {escape(o.user)}: {o.field} = {escape(value)}")


def _shown_value(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


@docs_app.command("set")
def set_field(
    doc_id: Annotated[str, typer.Argument(help="A document id, as shown by `docs list`.")],
    field: Annotated[
        str | None,
        typer.Argument(help="title, country, year, source, publisher or lang."),
    ] = None,
    value: Annotated[
        str | None, typer.Argument(help='The value; countries comma-separated: "Argentina,Chile".')
    ] = None,
    clear: Annotated[
        str | None,
        typer.Option("--clear", metavar="FIELD", help="Drop the override of FIELD."),
    ] = None,
    user: UserOption = None,
) -> None:
    """Correct a document's metadata (kept apart from derived data: survives re-ingest)."""
    from clusterkb.cli.users import cli_actor
    from ingest.language import normalise_lang
    from ingest.pipeline import clear_metadata
    from kb.storage.lock import WriterBusyError
    from kb.storage.overrides import PERSON, DocumentEditError, parse_value
    from kb.storage.writes import set_metadata

    if clear is not None and (field or value):
        raise fail("give either FIELD VALUE or --clear FIELD, not both")
    if clear is None and (field is None or value is None):
        raise fail('give FIELD and VALUE (e.g. title "…"), or --clear FIELD')
    kb = open_kb_or_exit()
    try:
        if clear is not None:
            record, unread = clear_metadata(kb, doc_id, clear, actor=cli_actor(user))
            field = clear
        else:
            assert field is not None and value is not None
            if field == "lang":
                value = normalise_lang(value) or value  # "Português", "pt-BR" -> "pt"
            record = set_metadata(
                kb, doc_id, field, parse_value(field, value), actor=cli_actor(user)
            )
            unread = ""
    except (DocumentEditError, WriterBusyError) as exc:
        raise fail(str(exc)) from exc
    origin = record.provenance.get(field, "")
    why = "kept across re-ingest" if origin == PERSON else f"from the {origin or 'file'}"
    if field == "country":
        now, why = _countries(record), f"passages per country; {why}"
    else:
        now = str(getattr(record, field))
    console.print(f"{escape(doc_id)}: {field} is now {escape(now)} ({why.replace('_', ' ')}).")
    if unread:
        console.print(
            f"[yellow]The file cannot be read now ({escape(unread)}): the previous value "
            "stays until it is ingested again.[/yellow]"
        )


@docs_app.command("remove")
def remove(
    doc_id: Annotated[str, typer.Argument(help="A document id, as shown by `docs list`.")],
) -> None:
    """Remove a document: its passages leave search; an uploaded file is deleted too."""
    from clusterkb.cli.users import cli_actor
    from kb.storage.lock import WriterBusyError
    from kb.storage.overrides import DocumentEditError
    from kb.storage.writes import remove_document

    kb = open_kb_or_exit()
    try:
        record, deleted = remove_document(kb, doc_id, actor=cli_actor())
    except (DocumentEditError, WriterBusyError) as exc:
        raise fail(str(exc)) from exc
    console.print(
        f"Removed {escape(record.doc_id)} ({escape(record.title)}, "
        f"{len(record.passage_ids)} passages)."
    )
    if deleted is not None:
        console.print(f"Deleted its uploaded file {shown(str(deleted))}.")
    elif Path(record.path).exists():
        console.print(
            f"Its file stays at {shown(record.path)}: a later `clusterkb ingest` of that "
            "folder adds it again (move or delete the file to keep it out)."
        )
