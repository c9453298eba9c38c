"""Quality guard: retrieval on the bundled corpus must stay above the agreed floors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterkb.cli import app
from kb.config import get_settings

# (query language, document languages searched) -> (recall@5 floor, MRR floor)
FLOORS = {
    ("es", ""): (0.95, 0.85),
    ("en", "es"): (0.90, 0.75),
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    home = tmp_path_factory.mktemp("eval-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("CLUSTERKB_HOME", str(home))
    get_settings.cache_clear()
    runner = CliRunner()
    out = {}
    try:
        for langs in ("", "es"):
            args = ["eval", "--mode", "hybrid", "--json"] + (["--lang", langs] if langs else [])
            result = runner.invoke(app, args)
            assert result.exit_code == 0, result.output
            out[langs] = json.loads(result.stdout)
    finally:
        mp.undo()
        get_settings.cache_clear()
    return out


@pytest.mark.parametrize(("query_lang", "doc_langs"), list(FLOORS))
def test_hybrid_search_meets_the_floors(
    reports: dict[str, dict[str, object]], query_lang: str, doc_langs: str
) -> None:
    report = reports[doc_langs]
    rows = [r for r in report["rows"] if r["query_lang"] == query_lang]  # type: ignore[attr-defined,index]
    assert len(rows) == 1
    row = rows[0]
    recall_floor, mrr_floor = FLOORS[(query_lang, doc_langs)]
    failed = [f["id"] for f in report["failures"]]  # type: ignore[attr-defined,index]
    assert row["queries"] >= 24
    assert row["recall_at_k"] >= recall_floor, f"recall@5 {row['recall_at_k']}; missed {failed}"
    assert row["mrr"] >= mrr_floor, f"MRR {row['mrr']}"


def test_labelled_queries_are_half_spanish_half_english() -> None:
    from kb.evaluation.retrieval import load_queries

    queries = load_queries(Path(__file__).resolve().parents[1] / "corpus/eval/queries.yaml")
    langs = [q.lang for q in queries]
    assert len(queries) >= 60
    assert abs(langs.count("es") - langs.count("en")) <= len(queries) // 5
