"""Serving the app to a real browser in tests: users in a data folder, a server process that can
be stopped and started again on the same folder and port, and the sign-in form.

The app runs as `streamlit run app.py` (as the first browser tests do) or, with `serve`, as
`clusterkb serve`, which also starts the ingest worker the way a team's server does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kb.workspace.jobs import worker_alive
from kb.workspace.roles import Role
from kb.workspace.users import Users, add_user, hash_password, save_users
from tests.helpers.net import free_port, wait_healthy

if TYPE_CHECKING:
    from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "clave-del-equipo-7"


def write_users(home: Path, roles: Mapping[str, Role], password: str = PASSWORD) -> None:
    """A users file in `home` with one password user per name, all with `password`."""
    users: Users = {}
    for name, role in roles.items():
        users = add_user(users, name, role, hash_password(password))
    save_users(home / "users.json", users)


def _command(port: int, serve: bool) -> list[str]:
    if serve:
        run = [sys.executable, "-c", "from clusterkb.cli import app; app()", "serve"]
        return run + ["--no-build", "--port", str(port), "--address", "127.0.0.1"]
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    return command + ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]


@dataclass
class AppServer:
    """The app over the data folder `home`, on one port for all its starts."""

    home: Path
    auth: str = "password"
    serve: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / "streamlit.log"

    def start(self) -> str:
        env = {
            **os.environ,
            "CLUSTERKB_HOME": str(self.home),
            "CLUSTERKB_AUTH": self.auth,
            "HF_HUB_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            # `clusterkb serve` sets no file watcher: polling the repository costs CPU here.
            "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
        }
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                _command(self.port, self.serve),
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_healthy(self.url, self.process, seconds=180)
        except RuntimeError:
            print(self.log.read_text(errors="replace")[-4000:])
            raise
        return self.url

    def stop(self) -> None:
        """Stop the app the way a service manager does (SIGTERM), and wait until the worker
        it started has stopped too (it notices its app is gone within a second or two)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        wait_for(lambda: not worker_alive(self.home), 180, "the worker to stop with the app")


@contextmanager
def running_app(home: Path, auth: str = "password", serve: bool = False) -> Iterator[AppServer]:
    """The app started over `home` for the duration of the block, stopped afterwards."""
    server = AppServer(home, auth, serve)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_for(check: Callable[[], bool], seconds: float = 60, what: str = "the change") -> None:
    """Poll `check` until it holds; fail naming `what` after `seconds`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


def sign_in(page: Page, name: str, password: str = PASSWORD) -> None:
    """Fill the sign-in form the page shows and submit it."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    page.get_by_label("Usuario").fill(name)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Entrar").click()
