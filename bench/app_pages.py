"""The app as a user meets it, timed in headless Chromium (Playwright with Debian's chromium).

Over a built knowledge base, the server `clusterkb serve` runs is started fresh (the browser is
already running) and timed to: the first page ready for a query (from the server's start),
search results, Comparar for the four default countries, and Formación on the first visit of a
session, once for the first session of the server and once for a new session after it (the
learning path is built once for all sessions).
Figures only: nothing here passes or fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.measure import REPO
from bench.server import stop_process

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
SERVER = REPO / "clusterkb" / "app" / "asgi.py"
QUERY = "¿Qué problemas de coordinación tuvo Chile?"
SECOND_QUERY = "¿Qué instrumentos de financiamiento usó Brasil?"
WAIT_MS = 180_000
TARGETS_S = {"first_page_s": 2.0, "search_s": 1.0, "compare_s": 2.0}
"""What the app aims at (first page: after the first start; search: server time)."""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(home: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "CLUSTERKB_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "streamlit", "run", str(SERVER), "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    command += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    server = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield server
    finally:
        stop_process(server)


def _since(start: float, wait: Callable[[], object]) -> float:
    wait()
    return time.perf_counter() - start


def measure(home: Path) -> dict[str, Any]:
    """One fresh server over `home`: the seconds of each step (see the module's docstring)."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {}
    with sync_playwright() as pw:
        # The browser starts first: its own start-up is not the server's.
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        started = time.perf_counter()
        try:
            with _server(home, port):
                _visit(browser, page, url, started, out)
        finally:
            browser.close()
    return out


def _visit(browser: Any, page: Any, url: str, started: float, out: dict[str, Any]) -> None:
    """The steps of `measure`, each timed into `out`."""
    while True:
        try:
            page.goto(url, timeout=2000)
            break
        except Exception:  # not listening yet
            time.sleep(0.1)
    out["http_s"] = time.perf_counter() - started
    # Ready when a query can be typed: the box comes after the store is open.
    box = page.get_by_label("Consulta")
    out["first_page_s"] = _since(started, box.wait_for)
    filters = page.get_by_test_id("stExpander").filter(has_text="Filtros").first
    out["store_open_s"] = _since(started, filters.wait_for)
    # The first search of a page may still load what a search needs: timed twice.
    card = page.get_by_role("button", name="Añadir al informe").first
    for key, query in (("first_search_s", QUERY), ("search_s", SECOND_QUERY)):
        # From an empty page each time, so the wait ends on this search's results.
        box.fill("")
        box.press("Enter")
        card.wait_for(state="detached")
        box.fill(query)
        t0 = time.perf_counter()
        box.press("Enter")
        out[key] = _since(t0, card.wait_for)
    t0 = time.perf_counter()
    page.get_by_role("link", name="Comparar países").click()
    # The fourth column shown (columns are drawn in order): its first passage, or the
    # note that the country has none.
    last = page.locator(".st-key-compare_grid [data-testid='stColumn']").nth(3)
    shown = last.get_by_text("Id. del pasaje").or_(last.get_by_test_id("stAlert"))
    out["compare_s"] = _since(t0, lambda: shown.first.wait_for())
    for key in ("learning_first_session_s", "learning_new_session_s"):
        session = browser.new_page(viewport={"width": 1400, "height": 1000})
        session.set_default_timeout(WAIT_MS)
        t0 = time.perf_counter()
        session.goto(f"{url}/learning")
        step = session.get_by_test_id("stExpander").filter(has_text="1. ").first
        out[key] = _since(t0, step.wait_for)
        session.close()


def app_pages_task(args: dict[str, Any]) -> dict[str, Any]:
    """Child task: `measure` on a copy-free store at args['home'] (only read)."""
    if not CHROMIUM.exists():
        return {"error": f"no Chromium at {CHROMIUM}"}
    runs = [measure(Path(args["home"])) for _ in range(int(args.get("runs", 1)))]
    return {"runs": runs, "query": QUERY}


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"  # a step older results did not time


def render(r: dict[str, Any]) -> list[str]:
    """The report's section: one row per step, one column per fresh server."""
    a = r.get("app_pages")
    if not a:
        return []
    head = ["## The app in a browser", ""]
    if a.get("error"):
        return [*head, f"Not measured: {a['error']}.", ""]
    runs = a["runs"]
    steps = (
        ("server answers HTTP (from its start)", "http_s"),
        ("first page ready for a query (from its start)", "first_page_s"),
        ("its filters shown: store and encoder open (from its start)", "store_open_s"),
        ("first search results", "first_search_s"),
        ("search results", "search_s"),
        ("Comparar, four countries", "compare_s"),
        ("Formación, first session's first visit", "learning_first_session_s"),
        ("Formación, a new session's first visit", "learning_new_session_s"),
    )
    numbers = " | ".join(f"run {i + 1} s" for i in range(len(runs)))
    rows = [
        f"| {label} | " + " | ".join(_seconds(run.get(key)) for run in runs) + " |"
        for label, key in steps
    ]
    return [
        *head,
        "Headless Chromium against `streamlit run clusterkb/app/asgi.py` (what `clusterkb "
        "serve` starts) over the bundled corpus store, a fresh server per run; times are what "
        f"a user waits, browser included. Query: “{a['query']}”. Aims: first page "
        f"≤ {TARGETS_S['first_page_s']:g} s, search ≤ {TARGETS_S['search_s']:g} s of server "
        f"time, Comparar ≤ {TARGETS_S['compare_s']:g} s; Formación cached across sessions.",
        "",
        f"| step | {numbers} |",
        "|---|" + "---|" * len(runs),
        *rows,
        "",
    ]


if __name__ == "__main__":  # `python -m bench.app_pages HOME`: print the figures
    for line in render({"app_pages": app_pages_task({"home": sys.argv[1]})}):
        print(line)
