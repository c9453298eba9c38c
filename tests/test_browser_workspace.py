"""A team's server in a real browser: an ingest outlives the page that queued it, and a brief
outlives a restart of the server.

The app runs as `clusterkb serve` (sign-in by password, the ingest worker started with it)
over a data folder that starts empty; an editor uploads a report of 120 passages from the
Biblioteca page. Chromium as in `tests/test_browser.py`; servers and sign-in from
`tests/helpers/browser.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ingest.uploads import queue_upload
from kb.briefs.brief import new_brief
from kb.briefs.store import create, list_visible
from kb.config import Settings
from kb.storage.manifest import load_manifest
from kb.workspace.jobs import ACTIVE, DONE, list_jobs, load_job
from kb.workspace.roles import Actor, Role
from tests.helpers.browser import AppServer, running_app, sign_in, wait_for, write_users
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 120_000
INGEST_S = 1200  # the real encoder on a shared 2-core machine
SECTIONS = 120
MARKER = "xqzafiro"
TITLE = "Informe regional de encadenamientos"
ROSA = Actor("rosa", Role.READER)
TOPICS = ["proveedores", "exportaciones", "capacitación", "financiamiento", "innovación",
          "logística", "turismo", "vino", "software", "salmón", "cobre", "textiles"]  # fmt: skip
PLACES = ["Valparaíso", "Antofagasta", "Biobío", "Maule", "Los Lagos", "Coquimbo", "Atacama",
          "Araucanía", "Ñuble"]  # fmt: skip
ACTS = ["ampliaron sus ventas", "redujeron sus costos", "formaron a sus técnicos",
        "abrieron mercados nuevos", "firmaron acuerdos de compra",
        "mejoraron la calidad de sus procesos"]  # fmt: skip


def long_report(sections: int = SECTIONS) -> str:
    """A Markdown report with one passage per section; only the middle one names `MARKER`."""
    parts = [f"---\ntitle: {TITLE}\ncountry: Chile\nyear: 2019\nlanguage: es\n---\n\n# {TITLE}\n"]
    for n in range(sections):
        topic, place = TOPICS[n % len(TOPICS)], PLACES[n % len(PLACES)]
        marker = (
            f" El programa {MARKER} coordinó a las agencias públicas." if n == sections // 2 else ""
        )
        parts.append(
            f"## Tramo {n + 1}: {topic} en {place}\n\n"
            f"En {1990 + n % 30}, las empresas de {topic} de {place} {ACTS[n % len(ACTS)]} "
            f"gracias a la mesa público-privada número {n + 1}, que reunió a {n % 17 + 3} firmas "
            f"y a la universidad regional. Los gremios de {place} pidieron seguir en el tramo "
            f"{n + 2} con metas medibles.{marker}\n"
        )
    return "\n".join(parts)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    require_chromium()
    home = tmp_path_factory.mktemp("teamkb")
    write_users(home, {"rosa": Role.READER, "eduardo": Role.EDITOR})
    with running_app(home, serve=True) as app:
        yield app


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)  # a first page loads the model: slow on a busy machine
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "encadenamientos.md"
    path.write_text(long_report(), encoding="utf-8")
    return path


def open_page(browser: Browser, url: str, user: str) -> Page:
    """A signed-in page in a browser context of its own (no shared cookies or session)."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    sign_in(page, user)
    return page


def ingested_passages(home: Path) -> int:
    """Passages of the uploaded report in the knowledge base (0 before it is there)."""
    manifest = load_manifest(Settings(home=home).manifest_path)
    return sum(len(d.passage_ids) for d in manifest.docs.values() if d.title == TITLE)


def wait_idle(home: Path) -> None:
    wait_for(
        lambda: not any(job.state in ACTIVE for job in list_jobs(home)), INGEST_S, "the ingest"
    )


def search(page: Page, query: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name="Buscar lecciones").click()
    box = page.get_by_label("Consulta")
    box.fill(query)
    box.press("Enter")


def test_an_upload_goes_on_after_its_page_is_closed(
    server: AppServer, browser: Browser, report: Path
) -> None:
    from playwright.sync_api import expect

    home = server.home
    editor = open_page(browser, server.url, "eduardo")
    editor.get_by_test_id("stSidebar").get_by_role("link", name="Biblioteca").click()
    uploader = editor.get_by_test_id("stFileUploader")
    uploader.locator("input[type=file]").set_input_files(str(report))
    expect(uploader.get_by_text(report.name)).to_be_visible()
    ingest = editor.get_by_role("button", name="Ingerir archivos subidos")
    expect(ingest).to_be_enabled()
    ingest.click()
    wait_for(lambda: bool(list_jobs(home)), 120, "the upload to be queued")
    editor.context.close()  # the editor leaves at once: no page of theirs is open any more

    (job,) = list_jobs(home)
    wait_idle(home)
    done = load_job(home, job.id)
    assert (done.state, done.actor) == (DONE, "eduardo"), done.error
    (result,) = done.files
    assert (result.name, result.status) == (report.name, "added"), result.reason
    assert result.passages >= 100
    assert ingested_passages(home) == result.passages

    # Another user, signed in afterwards, finds the one passage that names the programme.
    reader = open_page(browser, server.url, "rosa")
    search(reader, MARKER)
    expect(reader.get_by_text(re.compile(r"Pasajes encontrados: \d+"))).to_be_visible()
    expect(reader.get_by_text(MARKER).first).to_be_visible()
    reader.context.close()


@pytest.fixture
def searchable(server: AppServer, report: Path) -> None:
    """The report is in the knowledge base (queued here when the test above did not run)."""
    wait_idle(server.home)
    if not ingested_passages(server.home):
        settings = Settings(home=server.home)
        queue_upload([(report.name, report.read_bytes())], settings, Actor("eduardo", Role.EDITOR))
        wait_idle(server.home)
    assert ingested_passages(server.home)


def test_a_brief_survives_a_server_restart(
    server: AppServer, browser: Browser, searchable: None
) -> None:
    from playwright.sync_api import expect

    home = server.home
    page = open_page(browser, server.url, "rosa")
    search(page, MARKER)
    card = (
        page.get_by_test_id("stVerticalBlock")
        .filter(has_text=MARKER)
        .filter(has=page.get_by_role("button", name="Añadir al informe"))
        .last
    )
    card.get_by_role("button", name="Añadir al informe").click()
    expect(page.get_by_role("button", name="En el informe").first).to_be_disabled()
    page.get_by_test_id("stSidebar").get_by_role("link", name="Informe").click()
    field = page.get_by_label("Título")
    field.fill("Plan tras el reinicio")
    field.press("Enter")

    def saved() -> bool:
        records = list_visible(home / "briefs", ROSA)
        shown = [(r.brief.title, len(r.brief.items)) for r in records]
        return shown == [("Plan tras el reinicio", 1)]

    wait_for(saved, 60, "the brief to be saved")
    expect(page).to_have_url(re.compile(r"/brief\?(.*&)?brief="))
    address = page.url
    page.context.close()
    # A newer brief of hers: the address, not "the latest one", must say which brief opens.
    create(new_brief("otro", title="Borrador posterior"), home / "briefs", ROSA)

    server.stop()
    server.start()

    # The same address, in a new browser, after signing in again.
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(address)
    sign_in(page, "rosa")
    expect(page.get_by_label("Título")).to_have_value("Plan tras el reinicio")
    expect(page.get_by_role("heading", name="Pasajes (1)")).to_be_visible()
    expect(page.get_by_text(MARKER).first).to_be_visible()
    page.context.close()
