"""A Chroma server on a free loopback port, for the same searches through `HttpClient`."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def chroma_executable() -> str | None:
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.exists() else shutil.which("chroma")


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Ask a child to stop, then kill it if it has not stopped within `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def chroma_server(path: Path, timeout: float = 120.0) -> Iterator[tuple[str, int]]:
    """(url, pid) of `chroma run` serving the store folder `path`; stopped on exit."""
    exe = chroma_executable()
    if exe is None:
        raise RuntimeError("the `chroma` command (shipped with chromadb) is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chroma server did not start on {url}") from None
                time.sleep(0.2)
        yield url, proc.pid
    finally:
        stop_process(proc)


def process_peak_rss_mb(pid: int) -> float:
    """Peak resident memory of another process (VmHWM), 0 when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0
