"""The `clusterkb` command as a person uses it: ingest a folder, search, batch, stats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterkb.cli import app
from kb.config import get_settings

HIT_FIELDS = {
    "id", "text", "doc_id", "title", "country", "source", "lang", "page_start", "page_end",
    "section", "score", "problems", "instruments", "outcomes", "evidence",
}  # fmt: skip

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CLUSTERKB_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "chile.md").write_text(
        "---\ntitle: Chile\ncountry: Chile\nsource: Informe\nyear: 2010\nlanguage: es\n---\n"
        "## Problemas\n\nFalta de continuidad de las políticas ante un cambio de gobierno.\n",
        encoding="utf-8",
    )
    (reports / "peru.md").write_text(
        "---\ntitle: Perú\ncountry: Perú\nsource: Agenda\nyear: 2012\nlanguage: es\n---\n"
        "El consejo de competitividad se propuso identificar y priorizar clústers.\n",
        encoding="utf-8",
    )
    yield reports
    get_settings.cache_clear()


def test_ingest_then_search_json_has_every_documented_field(home: Path) -> None:
    first = runner.invoke(app, ["ingest", str(home)])
    assert first.exit_code == 0, first.output
    assert "2 added" in first.output
    again = runner.invoke(app, ["ingest", str(home)])
    assert "2 unchanged" in again.output and "already up to date" in again.output
    result = runner.invoke(app, ["search", "cambio de gobierno", "--k", "1", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 1 and set(hits[0]) >= HIT_FIELDS
    assert hits[0]["country"] == "Chile" and hits[0]["page_start"] == 1
    assert hits[0]["problems"] == ["policy_discontinuity"]


def test_batch_prints_one_json_line_per_query(home: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["ingest", str(home)])
    queries = tmp_path / "queries.txt"
    queries.write_text("priorizar clústers\n\ncambio de gobierno\n", encoding="utf-8")
    result = runner.invoke(app, ["search", "--batch", str(queries), "--k", "1"])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["query"] for r in rows] == ["priorizar clústers", "cambio de gobierno"]
    assert rows[0]["hits"][0]["country"] == "Peru"


def test_country_filter_and_unknown_tag_message(home: Path) -> None:
    runner.invoke(app, ["ingest", str(home)])
    only_peru = runner.invoke(app, ["search", "políticas", "--country", "Peru", "--json"])
    assert {h["country"] for h in json.loads(only_peru.stdout)} == {"Peru"}
    typo = runner.invoke(app, ["search", "x", "--problem", "coordinaton"])
    assert typo.exit_code == 2 and "unknown problem tag" in typo.output


def test_stats_names_model_store_and_counts(home: Path) -> None:
    runner.invoke(app, ["ingest", str(home)])
    result = runner.invoke(app, ["stats", "--json"])
    data = json.loads(result.stdout)
    assert data["documents"] == 2 and data["passages"] >= 2
    assert data["embedding_model"] == "e5-small-int8" and data["mode"] == "embedded"
    assert data["countries"] == {"Chile": 1, "Peru": 1}


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    for command in ("ingest", "search", "compare", "map", "tag", "tags", "eval", "stats", "serve"):
        assert command in result.output
