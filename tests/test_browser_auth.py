"""Sign-in in a real browser (CLUSTERKB_AUTH=password): a reader and an editor at once.

The app runs over an empty data folder (no knowledge base is needed to sign in or to see
which pages a role gets), so the test stays short. Chromium as in `tests/test_browser.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kb.workspace.roles import Role
from tests.helpers.browser import PASSWORD, running_app, write_users
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 60_000


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    home = tmp_path_factory.mktemp("authkb")
    write_users(home, {"rosa": Role.READER, "eduardo": Role.EDITOR})
    with running_app(home) as server:
        yield server.url


def test_reader_and_editor_see_what_their_roles_allow(app_url: str) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)  # a first page opens the store: slow on a busy machine

    def sign_in(page: Page, name: str, password: str) -> None:
        page.goto(app_url)
        expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
        page.get_by_label("Usuario").fill(name)
        page.get_by_label("Contraseña").fill(password)
        page.get_by_role("button", name="Entrar").click()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            # Two people at once, each in a browser of their own (no shared cookies).
            reader = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            editor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            for page in (reader, editor):
                page.set_default_timeout(WAIT_MS)

            # Nothing but the sign-in before a password is given; a wrong one is refused.
            sign_in(reader, "rosa", "no-es-la-clave")
            expect(reader.get_by_text("Usuario o contraseña incorrectos.")).to_be_visible()
            expect(reader.get_by_role("link", name="Buscar lecciones")).to_have_count(0)

            sign_in(reader, "rosa", PASSWORD)
            sign_in(editor, "Eduardo", PASSWORD)
            sidebar = reader.get_by_test_id("stSidebar")
            expect(sidebar.get_by_text("Sesión de rosa (lector)")).to_be_visible()
            expect(sidebar.get_by_role("link", name="Buscar lecciones")).to_be_visible()
            expect(sidebar.get_by_role("link", name="Informe")).to_be_visible()
            expect(sidebar.get_by_role("link", name="Biblioteca")).to_have_count(0)
            expect(
                editor.get_by_test_id("stSidebar").get_by_role("link", name="Biblioteca")
            ).to_be_visible()

            # A new page load is a new session: the library's URL asks for the password first,
            # then runs no page with upload or editor controls for a reader.
            reader.goto(f"{app_url}/library")
            expect(reader.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
            reader.get_by_label("Usuario").fill("rosa")
            reader.get_by_label("Contraseña").fill(PASSWORD)
            reader.get_by_role("button", name="Entrar").click()
            expect(reader.get_by_test_id("stSidebar").get_by_text("Sesión de rosa")).to_be_visible()
            reader.wait_for_timeout(1500)
            expect(reader.get_by_text("Su rol no da acceso a esta página.")).to_be_visible()
            expect(reader.get_by_test_id("stFileUploader")).to_have_count(0)
            expect(reader.get_by_role("heading", name="Biblioteca")).to_have_count(0)
            expect(reader.get_by_role("link", name="Biblioteca")).to_have_count(0)

            # Signing out returns to the sign-in form.
            editor.get_by_role("button", name="Cerrar sesión").click()
            expect(editor.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
            expect(editor.get_by_role("link", name="Biblioteca")).to_have_count(0)
        finally:
            browser.close()
