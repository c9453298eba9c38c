"""Briefs in a real browser: two signed-in users at once, and a reload.

Each user types a title on the brief page: the brief is saved at once, as theirs, and neither
replaces the other's; after a reload (a new session) the page shows the same brief again. The
app runs over an empty data folder, as in `tests/test_browser_auth.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.briefs.store import list_visible
from kb.workspace.roles import Actor, Role
from kb.workspace.users import add_user, hash_password, save_users
from tests.helpers.net import free_port, wait_healthy
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
WAIT_MS = 60_000
PASSWORD = "clave-del-equipo-7"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require_chromium()
    home = tmp_path_factory.mktemp("briefkb")
    users = add_user({}, "rosa", Role.READER, hash_password(PASSWORD))
    users = add_user(users, "eduardo", Role.EDITOR, hash_password(PASSWORD))
    save_users(home / "users.json", users)
    port = free_port()
    env = {
        **os.environ,
        "CLUSTERKB_HOME": str(home),
        "CLUSTERKB_AUTH": "password",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    command += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(home / "streamlit.log", "wb") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server)
        yield url, home
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def titles(home: Path, user: str) -> list[str]:
    records = list_visible(home / "briefs", Actor(user, Role.READER))
    return [r.brief.title for r in records if r.owner == user]


def wait_for(check: object, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.5)
    raise AssertionError("not saved in time")


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
        field = page.get_by_label("Título")
        field.fill(title)
        field.press("Enter")

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
            expect(rosa.get_by_label("Título")).to_have_value("Plan de Rosa")
        finally:
            browser.close()
