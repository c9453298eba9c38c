"""`clusterkb stats`, `check` and `serve`: look after the knowledge base and start the app."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from clusterkb.bundled_corpus import corpus_dir
from clusterkb.cli.common import console, fail, open_kb_or_exit, write_json
from clusterkb.cli.ingest import run_ingest
from kb.config import Settings, get_settings
from kb.storage.manifest import DocRecord

# The Streamlit script of the app, inside the installed package.
# The server around the app script (`app` in it): page addresses such as /brief open without a 404.
APP_FILE = Path(__file__).resolve().parents[1] / "app" / "asgi.py"


def passage_countries(docs: list[DocRecord]) -> dict[str, int]:
    """Passages per country, most first: a passage about two countries counts for both."""
    counts: dict[str, int] = {}
    for record in docs:
        # A manifest written before passages carried countries has only the document's.
        spread = record.countries or {record.country or "(unknown)": len(record.passage_ids)}
        for country, n in spread.items():
            counts[country] = counts.get(country, 0) + n
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def stats(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Documents, passages, languages, countries (counted over passages), model and store."""
    kb = open_kb_or_exit()
    manifest = kb.manifest
    docs = list(manifest.docs.values())
    langs: dict[str, int] = {}
    for record in docs:
        langs[record.lang] = langs.get(record.lang, 0) + 1
    data = {
        "documents": len(docs),
        "passages": kb.store.count(),
        "languages": dict(sorted(langs.items())),
        "countries": passage_countries(docs),
        "embedding_model": kb.embedder.name,
        "store": kb.store.location,
        "mode": "server" if kb.settings.server_mode else "embedded",
        "keyword_index_passages": len(kb.lexical),
    }
    if as_json:
        write_json(data)
        return
    table = Table(show_header=False, box=None)
    for key, value in data.items():
        shown = (
            ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else value
        )
        label = "countries (passages)" if key == "countries" else key.replace("_", " ")
        table.add_row(label, escape(str(shown)))
    console.print(table)


def check_cmd(
    repair: Annotated[bool, typer.Option(help="Rebuild what is derived from the store.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Verify that store, keyword index, manifest and correction log agree."""
    from kb.storage.check import check
    from kb.storage.check import repair as run_repair
    from kb.storage.lock import WriterBusyError

    kb = open_kb_or_exit()
    try:
        report = run_repair(kb) if repair else check(kb)
    except WriterBusyError as exc:
        raise fail(str(exc), 3) from exc
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


def is_loopback(address: str) -> bool:
    """Whether `address` reaches this machine only (localhost, 127.0.0.0/8, ::1)."""
    host = address.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost, or all interfaces ("", 0.0.0.0)


def serve_refusal(settings: Settings, address: str) -> str | None:
    """Why the app must not be served on `address` with these settings, or None."""
    if settings.auth == "none" and not is_loopback(address):
        return (
            f"refusing to serve on {address or 'every interface'} without sign-in: anyone who "
            "reaches the port could change the knowledge base. Set CLUSTERKB_AUTH=password "
            "(users from `clusterkb users add`) or CLUSTERKB_AUTH=oidc, or serve on 127.0.0.1."
        )
    if settings.auth == "password":
        from kb.workspace.users import UserError, load_users

        try:
            users = load_users(settings.users_path)
        except UserError as exc:
            return str(exc)
        if not any(u.password_hash for u in users.values()):
            return (
                "CLUSTERKB_AUTH=password but nobody can sign in yet: add a user first with "
                "`clusterkb users add NAME --role admin`."
            )
    return None


def serve(
    port: Annotated[int, typer.Option(help="Port for the app.")] = 8501,
    address: Annotated[
        str,
        typer.Option(help="Address to listen on; another than loopback needs CLUSTERKB_AUTH set."),
    ] = "127.0.0.1",
    build: Annotated[
        bool, typer.Option(help="Build the knowledge base from the bundled corpus if empty.")
    ] = True,
) -> None:
    """Start the app on http://ADDRESS:PORT, building the knowledge base first if needed."""
    settings = get_settings()
    refusal = serve_refusal(settings, address)
    if refusal:
        raise fail(refusal)
    if build and not settings.manifest_path.exists():
        corpus = corpus_dir(settings)
        console.print(f"Building the knowledge base from {corpus}/ (first start)…")
        run_ingest([corpus])
    shown_host = "localhost" if is_loopback(address) else address
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_FILE),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # A named address: headless Streamlit otherwise asks a web service for the machine's
        # public IP at every start, just to print it.
        "--browser.serverAddress",
        shown_host,
        # The rest of .streamlit/config.toml, which Streamlit reads only from the working folder.
        "--client.toolbarMode",
        "minimal",
        "--server.enableXsrfProtection",
        "true",
    ]
    console.print(
        f"Starting the app on http://{escape(shown_host)}:{port} (sign-in: {settings.auth})"
    )
    from clusterkb.cli.worker import start_background_worker

    # Uploads and re-ingests run in this worker, not in the app; it stops with the app.
    start_background_worker(settings)
    os.execv(sys.executable, command) if os.name == "posix" else subprocess.run(
        command, check=False
    )
