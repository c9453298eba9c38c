"""Comparing countries: every requested country gets a column, even with nothing to show."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.pipeline import ingest_paths
from kb.models import SearchFilters
from kb.retrieval.compare import compare
from kb.retrieval.search import search
from kb.storage.knowledge import KnowledgeBase
from kb.tags.tagger import default_tagger

REPORTS = {
    "chile.md": ("Chile", "Falta de coordinación entre instituciones públicas que financian."),
    "brasil.md": ("Brasil", "Falta de coordinación y objetivos poco claros en la política."),
    "salvador.md": ("El Salvador", "La capacitación y asistencia técnica dieron resultados."),
}


def build(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    for name, (country, text) in REPORTS.items():
        front = f"---\ntitle: {country}\ncountry: {country}\nlanguage: es\n---\n"
        (folder / name).write_text(front + text + "\n", encoding="utf-8")
    ingest_paths(kb, [folder], tagger=default_tagger(kb))


def test_every_requested_country_is_a_column_even_without_passages(
    fake_kb: KnowledgeBase, tmp_path: Path
) -> None:
    build(fake_kb, tmp_path)
    result = compare(fake_kb, "falta de coordinación", ["Chile", "Brazil", "Mexico"], k=2)
    assert [c.country for c in result.columns] == ["Chile", "Brazil", "Mexico"]
    chile, brazil, mexico = result.columns
    assert chile.found and {h.passage.country for h in chile.hits} == {"Chile"}
    assert not mexico.found and mexico.hits == ()
    problems = {tc.tag_id: tc.count for tc in brazil.profile["problem"]}
    assert problems.get("coordination") == 1
    strongest = brazil.profile["problem"][0].strongest.passage
    assert strongest.country == "Brazil" and strongest.tag_ids("problem")


def test_default_compares_all_countries_in_the_store(
    fake_kb: KnowledgeBase, tmp_path: Path
) -> None:
    build(fake_kb, tmp_path)
    result = compare(fake_kb, "resultados")
    assert [c.country for c in result.columns] == ["Brazil", "Chile", "El Salvador"]
    data = result.to_dict()
    assert {c["country"] for c in data["countries"]} == {"Brazil", "Chile", "El Salvador"}


def test_cli_accepts_spanish_country_names(
    fake_kb: KnowledgeBase, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import json

    import clusterkb.cli.search
    from clusterkb.cli import app

    build(fake_kb, tmp_path)
    monkeypatch.setattr(
        clusterkb.cli.search, "open_kb_or_exit", lambda allow_model_change=False: fake_kb
    )
    out = CliRunner().invoke(
        app, ["compare", "coordinación", "--countries", "Brasil,Perú", "--json"]
    )
    assert out.exit_code == 0, out.output
    columns = json.loads(out.stdout)["countries"]
    assert [c["country"] for c in columns] == ["Brazil", "Peru"]
    assert columns[1]["found"] is False


def test_a_column_shows_what_a_search_in_that_country_finds_with_its_highlights(
    fake_kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(fake_kb, tmp_path)
    query = "falta de coordinación"
    queries: list[str] = []
    embed_query = fake_kb.embedder.embed_query
    monkeypatch.setattr(
        fake_kb.embedder, "embed_query", lambda text: queries.append(text) or embed_query(text)
    )
    result = compare(fake_kb, query, ["Chile", "Brazil"], k=2)
    assert queries == [query]  # embedded once for all the countries
    for column in result.columns:
        alone = search(fake_kb, query, k=2, filters=SearchFilters(countries=(column.country,)))
        assert [h.passage.id for h in column.hits] == [h.passage.id for h in alone]
        assert [h.highlights for h in column.hits] == [h.highlights for h in alone]
