"""The same store code against a Chroma server (`chroma run` on a free loopback port)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from kb.models import SearchFilters
from kb.retrieval.search import search
from kb.storage.knowledge import KnowledgeBase
from kb.storage.vectors import PassageStore
from tests.conftest import HashingEmbedder, settings_for
from tests.helpers.net import free_port

CHROMA = Path(sys.executable).with_name("chroma")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    exe = str(CHROMA) if CHROMA.exists() else shutil.which("chroma")
    assert exe, "the chroma command ships with chromadb and must be installed"
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not start within 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_ingest_and_search_through_http_client(chroma_server: str, tmp_path: Path, write) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(tmp_path, chroma_url=chroma_server, collection="server-test")
    embedder = HashingEmbedder()
    kb = KnowledgeBase(settings, embedder, PassageStore(settings, embedder.name, embedder.dim))
    assert kb.store.location == chroma_server
    write(tmp_path / "r" / "a.md", "---\ncountry: Chile\n---\nCoordinación institucional débil.")
    write(tmp_path / "r" / "b.md", "---\ncountry: Peru\n---\nPriorizar clústers en la agenda.")
    report = ingest_paths(kb, [tmp_path / "r"])
    assert len(report.added) == 2
    assert kb.store.count() == 2
    hits = search(kb, "priorizar clústers", k=1)
    assert hits[0].passage.country == "Peru"
    only_chile = search(kb, "priorizar clústers", k=5, filters=SearchFilters(countries=("Chile",)))
    assert {h.passage.country for h in only_chile} == {"Chile"}
    again = ingest_paths(kb, [tmp_path / "r"])
    assert not again.changed
