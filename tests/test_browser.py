"""End to end in a real browser: search, add to the brief, download it, switch language.

Drives Debian's Chromium through Playwright against the server `clusterkb serve` runs
(`streamlit run clusterkb/app/asgi.py`, which adds page addresses to Streamlit's), started on a
free port over a knowledge base built from `corpus/` in a temporary folder. Screenshots of
every page go to `test-artifacts/`. Without Chromium the test fails when CI is set (the CI
image must have it) and is skipped otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ingest.pipeline import ingest_paths
from kb.config import Settings
from kb.storage.knowledge import KnowledgeBase, open_kb
from kb.tags.tagger import default_tagger
from tests.helpers.net import free_port, wait_healthy

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 90_000
PAGES = {
    "search": "Buscar lecciones",
    "compare": "Comparar países",
    "evidence-map": "Mapa de evidencia",
    "brief": "Informe",
    "learning": "Formación",
    "library": "Biblioteca",
}


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium`"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def built_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    require_chromium()
    settings = Settings(home=tmp_path_factory.mktemp("browserkb"), corpus_dir=REPO / "corpus")
    kb = open_kb(settings)
    report = ingest_paths(kb, [settings.corpus_dir], tagger=default_tagger(kb))
    assert not report.failed, report.failed
    return kb


@pytest.fixture(scope="module")
def app_url(built_kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "CLUSTERKB_HOME": str(built_kb.settings.home),
        "CLUSTERKB_CORPUS_DIR": str(REPO / "corpus"),
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    log = tmp_path_factory.mktemp("serverlog") / "streamlit.log"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "clusterkb/app/asgi.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.returncode not in (0, -15):
            print(log.read_text(errors="replace")[-4000:])


def quoted_stretches(source: str, export: str, size: int = 30) -> list[str]:
    """Stretches of words (no markup) of `source` that `export` quotes verbatim."""
    flat = " ".join(export.split())
    runs = re.findall(rf"[A-Za-zÁÉÍÓÚáéíóúñÑü ]{{{size},}}", source)
    return [run for run in runs if " ".join(run.split()) in flat]


def leaves_machine(url: str) -> bool:
    """Whether a request goes to another machine (data: and blob: URLs stay in the page)."""
    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https", "ws", "wss"):
        return False
    return parsed.hostname not in ("127.0.0.1", "localhost", "::1")


# Words of an element's text that the layout splits over two lines (letters and digits only,
# so a break after a hyphen or a colon does not count).
BROKEN_WORDS_JS = """
(root) => {
  const broken = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const word = /[\\p{L}\\p{N}]{2,}/gu;
    let m;
    while ((m = word.exec(node.data))) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
      if (new Set(rects.map((r) => Math.round(r.top))).size > 1) broken.push(m[0]);
    }
  }
  return broken;
}
"""


def test_search_add_to_brief_download_and_switch_language(
    app_url: str, built_kb: KnowledgeBase
) -> None:
    from playwright.sync_api import expect, sync_playwright

    # A first page waits for the model to load; on a busy machine that is more than the 5 s
    # an assertion waits by default.
    expect.set_options(timeout=WAIT_MS)
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page.set_default_timeout(WAIT_MS)
            # Every request the pages make, to check that none leaves the machine.
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            # And every answer that says a request failed (a 404 on a page address, say).
            failed: list[str] = []
            page.on(
                "response",
                lambda response: (
                    failed.append(f"{response.status} {response.url}")
                    if response.status >= 400
                    else None
                ),
            )
            page.goto(app_url)
            expect(page.get_by_role("heading", name="Buscar lecciones")).to_be_visible()

            # Search in Spanish and find a Chilean passage.
            box = page.get_by_label("Consulta")
            box.fill("¿Qué problemas de coordinación tuvo Chile?")
            box.press("Enter")
            expect(page.get_by_text(re.compile(r"Pasajes encontrados: \d+"))).to_be_visible()
            card = (
                page.get_by_test_id("stVerticalBlock")
                .filter(has_text="— Chile")
                .filter(has=page.get_by_role("button", name="Añadir al informe"))
                .last
            )
            expect(card).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "search.png"))
            caption = card.get_by_text(re.compile(r"Id\. del pasaje: ")).inner_text()
            passage_id = caption.split(":", 1)[1].strip()
            passage = built_kb.store.get([passage_id])[0]
            assert passage.country == "Chile"
            card = (
                page.get_by_test_id("stVerticalBlock")
                .filter(has_text=f"Id. del pasaje: {passage_id}")
                .last
            )  # pinned by id: once added, its button no longer reads "Añadir al informe"
            card.get_by_role("button", name="Añadir al informe").click()
            expect(card.get_by_role("button", name="En el informe")).to_be_disabled()

            # The brief holds it (saved as it is edited); its Markdown download quotes it.
            page.get_by_role("link", name="Informe").click()
            expect(page.get_by_role("heading", name="Vista previa del informe")).to_be_visible()
            preview = page.locator(".st-key-brief_preview_box")
            expect(preview.get_by_text(re.compile(r"— Chile")).first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "brief.png"))
            with page.expect_download() as download:
                page.get_by_test_id("stDownloadButton").get_by_role(
                    "button", name="Markdown"
                ).click()
            saved = ARTIFACTS / download.value.suggested_filename
            download.value.save_as(saved)
            text = saved.read_text(encoding="utf-8")
            assert saved.suffix == ".md"
            # The brief quotes the sentences chosen for it, not always the passage's first.
            assert quoted_stretches(passage.text, text), "the download quotes none of it"
            assert "Fuentes" in text

            # A page's own address opens that page, with the brief still there, and without a
            # request that fails on the way.
            page.goto(f"{app_url}/brief")
            expect(page.get_by_role("heading", name="Vista previa del informe")).to_be_visible()
            expect(preview.get_by_text(re.compile(r"— Chile")).first).to_be_visible()
            assert not failed, f"failed requests on opening /brief: {failed}"

            # Every page renders; each gets a screenshot.
            for slug, title in PAGES.items():
                page.get_by_role("link", name=title).click()
                expect(page.get_by_role("heading", name=title).first).to_be_visible()
                page.wait_for_timeout(1500)
                expect(page.get_by_test_id("stException")).to_have_count(0)
                page.screenshot(path=str(ARTIFACTS / f"{slug}.png"))

            # At 1024 px the four countries' columns wrap into rows rather than break words.
            page.set_viewport_size({"width": 1024, "height": 900})
            page.get_by_role("link", name="Comparar países").click()
            compare_box = page.get_by_label("Consulta")
            compare_box.fill("problemas de coordinación entre instituciones públicas")
            compare_box.press("Enter")
            columns = page.get_by_test_id("stColumn").filter(has_text="Id. del pasaje")
            expect(columns).to_have_count(4)
            page.wait_for_timeout(1500)  # the layout settles after the last element arrives
            page.screenshot(path=str(ARTIFACTS / "compare-1024.png"), full_page=True)
            for i in range(4):
                column = columns.nth(i)
                assert column.evaluate(BROKEN_WORDS_JS) == [], f"words broken in column {i + 1}"
            page.set_viewport_size({"width": 1400, "height": 1000})

            # English interface: navigation and taxonomy labels switch.
            page.get_by_role("link", name="Buscar lecciones").click()
            # As a person would: the search page is there before the language is switched (a
            # switch clicked while the page is still on its way reruns the page being left).
            expect(page.get_by_role("heading", name="Buscar lecciones").first).to_be_visible()
            page.get_by_test_id("stSidebar").get_by_role("radio", name="English").click()
            # `.first`: while a rerun replaces the page, old and new elements can coexist.
            expect(page.get_by_role("heading", name="Search lessons").first).to_be_visible()
            expect(page.get_by_role("link", name="Evidence map")).to_be_visible()
            expect(page.get_by_text("Problem", exact=True).first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "search-en.png"))

            assert requested, "no request was recorded"
            outbound = sorted({url for url in requested if leaves_machine(url)})
            assert not outbound, f"requests that left the machine: {outbound}"
            assert not failed, f"failed requests: {failed}"
        finally:
            browser.close()
