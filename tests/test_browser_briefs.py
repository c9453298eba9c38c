"""Briefs in a real browser: two signed-in users at once, and a reload.

Each user types a title on the brief page: the brief is saved at once, as theirs, and neither
replaces the other's; after a reload (a new session) the page shows the same brief again. The
app runs over an empty data folder, as in `tests/test_browser_auth.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.briefs.store import list_visible
from kb.workspace.roles import Actor, Role
from tests.helpers.browser import PASSWORD, running_app, wait_for, write_users
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 60_000


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require_chromium()
    home = tmp_path_factory.mktemp("briefkb")
    write_users(home, {"rosa": Role.READER, "eduardo": Role.EDITOR})
    with running_app(home) as server:
        yield server.url, home


def titles(home: Path, user: str) -> list[str]:
    records = list_visible(home / "briefs", Actor(user, Role.READER))
    return [r.brief.title for r in records if r.owner == user]


def test_two_users_keep_their_briefs_and_a_reload_reopens_it(served: tuple[str, Path]) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    url, home = served
    expect.set_options(timeout=WAIT_MS)

    def sign_in(page: Page, name: str) -> None:
        expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
        page.get_by_label("Usuario").fill(name)
        page.get_by_label("Contraseña").fill(PASSWORD)
        page.get_by_role("button", name="Entrar").click()
        page.get_by_test_id("stSidebar").get_by_role("link", name="Informe").click()

    def write_title(page: Page, title: str) -> None:
        """Type a title and commit it (Enter), then wait for what the user sees once it is
        saved: the formatted brief, read back from the saved brief, under the new title, and
        the saved line."""
        field = page.get_by_label("Título")
        field.fill(title)
        field.press("Enter")
        preview = page.locator(".st-key-brief_preview_box")
        expect(preview.get_by_role("heading", name=title, exact=True)).to_be_visible()
        expect(page.get_by_text("Guardado a las")).to_be_visible()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            rosa = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            eduardo = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            for page, name in ((rosa, "rosa"), (eduardo, "eduardo")):
                page.set_default_timeout(WAIT_MS)
                page.goto(url)
                sign_in(page, name)
            write_title(rosa, "Plan de Rosa")
            wait_for(lambda: titles(home, "rosa") == ["Plan de Rosa"])
            write_title(eduardo, "Plan de Eduardo")  # the same default name, another owner
            wait_for(lambda: titles(home, "eduardo") == ["Plan de Eduardo"])
            assert titles(home, "rosa") == ["Plan de Rosa"]

            rosa.reload()  # a new session: sign in again, the same brief comes back
            sign_in(rosa, "rosa")
            expect(rosa.get_by_text("Guardado a las")).to_be_visible()
            expect(rosa.get_by_label("Título")).to_have_value("Plan de Rosa")
        finally:
            browser.close()
