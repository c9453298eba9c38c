"""Time from `clusterkb serve` to a browser seeing the app, with the knowledge base built.

Run: `python -m bench.startup` (uses CLUSTERKB_HOME; builds it from corpus/ first if empty).
Needs Debian's chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.server import stop_process

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure_once(clusterkb: Path) -> tuple[float, float, float]:
    """Seconds to HTTP answer, to the search page rendered, and to the first search results."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(clusterkb), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page()
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=2000)
                    break
                except Exception:  # not listening yet
                    time.sleep(0.1)
            http = time.perf_counter() - started
            page.get_by_role("heading", name="Buscar lecciones").wait_for(timeout=120_000)
            rendered = time.perf_counter() - started
            page.get_by_label("Consulta").fill("coordinación en Chile")
            page.keyboard.press("Enter")
            page.get_by_text("Añadir al informe").first.wait_for(timeout=120_000)
            searched = time.perf_counter() - started
            browser.close()
    finally:
        stop_process(server)
    return http, rendered, searched


def main(runs: int = 3) -> None:
    clusterkb = Path(sys.executable).with_name("clusterkb")
    home = Path(os.environ.get("CLUSTERKB_HOME", ".clusterkb"))
    if not (home / "manifest.json").exists():
        subprocess.run([str(clusterkb), "ingest", "corpus"], check=True)
    for _ in range(runs):
        http, rendered, searched = measure_once(clusterkb)
        print(
            f"server answering HTTP: {http:.1f} s; search page rendered: {rendered:.1f} s; "
            f"first search results: {searched:.1f} s"
        )


if __name__ == "__main__":
    main()
