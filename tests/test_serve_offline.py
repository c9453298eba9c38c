"""`clusterkb serve` (what `make run` calls) starts the app without reaching the network."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from tests.helpers.net import free_port, wait_healthy

CLUSTERKB = Path(sys.executable).with_name("clusterkb")


class ProxyTrap:
    """A loopback listener set as every HTTP(S) proxy: any outbound request lands here."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.requests.append(conn.recv(200))
                except OSError:
                    self.requests.append(b"")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def test_the_app_starts_without_any_outbound_request(tmp_path: Path) -> None:
    trap = ProxyTrap()
    port = free_port()
    env = {
        **os.environ,
        "CLUSTERKB_HOME": str(tmp_path / "home"),
        "HTTP_PROXY": trap.url,
        "HTTPS_PROXY": trap.url,
        "http_proxy": trap.url,
        "https_proxy": trap.url,
        "NO_PROXY": "localhost,127.0.0.1",
        "no_proxy": "localhost,127.0.0.1",
    }
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(CLUSTERKB), "serve", "--no-build", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(f"http://localhost:{port}", server)
    finally:
        server.terminate()
        server.wait(timeout=15)
        trap.close()
    text = log.read_text(errors="replace")
    assert trap.requests == [], f"the app reached out: {trap.requests!r}\n{text[-2000:]}"
    assert f"http://localhost:{port}" in text
