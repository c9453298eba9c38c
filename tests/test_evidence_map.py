"""The evidence map (counts and gaps) and tag filters in search, as a policy analyst uses them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from kb.models import SearchFilters
from kb.retrieval.evidence_map import build_map
from kb.retrieval.search import search
from kb.storage.keyword_rows import LexicalRow
from kb.storage.knowledge import KnowledgeBase
from kb.tags.tagger import default_tagger
from kb.tags.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()
ROWS = [
    LexicalRow(
        "a:1", "a", ("Chile",), "es", {"problem": ["coordination"], "outcome": ["productivity"]}
    ),
    LexicalRow(
        "a:2",
        "a",
        ("Chile",),
        "es",
        {"problem": ["coordination", "weak_evaluation"], "outcome": ["productivity", "innovation"]},
    ),
    LexicalRow("b:1", "b", ("Brazil",), "es", {"problem": ["unclear_objectives"]}),
    LexicalRow("c:1", "c", (), "en", {"outcome": ["exports_and_scale"]}),
]


def test_counts_cover_every_pair_and_empty_cells_are_the_gaps() -> None:
    emap = build_map(ROWS, "problem", "outcome", TAXONOMY)
    problems, outcomes = TAXONOMY.tag_ids("problem"), TAXONOMY.tag_ids("outcome")
    assert (emap.rows, emap.cols) == (tuple(problems), tuple(outcomes))
    assert set(emap.cells) == {(p, o) for p in problems for o in outcomes}
    assert emap.count("coordination", "productivity") == 2
    assert emap.cells[("weak_evaluation", "innovation")] == ("a:2",)
    assert emap.count("unclear_objectives", "productivity") == 0
    filled = {("coordination", "productivity"), ("coordination", "innovation")}
    filled |= {("weak_evaluation", "productivity"), ("weak_evaluation", "innovation")}
    assert set(emap.gaps()) == set(emap.cells) - filled
    cells = emap.to_dict()["cells"]
    assert isinstance(cells, list) and len(cells) == len(problems) * len(outcomes)


def test_country_axis_and_country_filter() -> None:
    by_country = build_map(ROWS, "country", "problem", TAXONOMY)
    assert by_country.rows == ("Brazil", "Chile")  # a passage without country is no row
    assert by_country.count("Chile", "coordination") == 2
    assert by_country.count("Brazil", "unclear_objectives") == 1

    chosen = build_map(ROWS, "country", "problem", TAXONOMY, countries=["Chile", "Peru"])
    assert chosen.rows == ("Chile", "Peru")
    assert all(chosen.count("Peru", p) == 0 for p in TAXONOMY.tag_ids("problem"))
    assert ("Peru", "coordination") in chosen.gaps()
    only_chile = build_map(ROWS, "problem", "outcome", TAXONOMY, countries=["Chile"])
    assert only_chile.count("coordination", "productivity") == 2
    assert only_chile.count("unclear_objectives", "exports_and_scale") == 0


@pytest.mark.parametrize(("rows", "cols"), [("problem", "region"), ("sector", "outcome")])
def test_unknown_dimension_is_an_error(rows: str, cols: str) -> None:
    with pytest.raises(ValueError, match="unknown dimension"):
        build_map(ROWS, rows, cols, TAXONOMY)


def test_same_dimension_twice_is_an_error() -> None:
    with pytest.raises(ValueError, match="different dimensions"):
        build_map(ROWS, "problem", "problem", TAXONOMY)


# ------------------------------------------------------------------ on a knowledge base

DOCS = {
    "chile": (
        "Chile",
        "La falta de coordinación entre las instituciones públicas frenó el clúster.",
    ),
    "brasil": ("Brazil", "Hubo escasez de personal calificado para operar el clúster."),
    "peru": (
        "Peru",
        "La falta de coordinación frenó el clúster. Se recomienda crear una mesa de trabajo.",
    ),
}


@pytest.fixture
def tagged_kb(
    fake_kb: KnowledgeBase, tmp_path: Path, write: Callable[[Path, str], Path]
) -> KnowledgeBase:
    folder = tmp_path / "docs"
    for name, (country, body) in DOCS.items():
        front = f'---\ntitle: "Informe {name}"\ncountry: {country}\nlanguage: es\n---\n'
        write(folder / f"{name}.md", f"{front}# Informe\n\n{body}\n")
    ingest_paths(fake_kb, [folder], tagger=default_tagger(fake_kb))
    return fake_kb


def test_map_of_a_knowledge_base_counts_its_tagged_passages(tagged_kb: KnowledgeBase) -> None:
    emap = build_map(tagged_kb.lexical.rows, "problem", "country", TAXONOMY)
    assert emap.cols == ("Brazil", "Chile", "Peru")
    assert emap.count("coordination", "Chile") == 1
    assert emap.count("coordination", "Peru") == 1
    assert emap.count("skills_shortage", "Brazil") == 1
    assert ("coordination", "Brazil") in emap.gaps()
    evidence = build_map(tagged_kb.lexical.rows, "problem", "evidence", TAXONOMY, ["Peru"])
    assert evidence.count("coordination", "recommendation") == 1


def docs_found(kb: KnowledgeBase, tags: dict[str, tuple[str, ...]], mode: str) -> set[str]:
    hits = search(kb, "clúster", 10, SearchFilters(tags=tags), mode=mode)
    return {h.passage.doc_id for h in hits}


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_tag_filters_or_within_a_facet_and_across_facets(
    tagged_kb: KnowledgeBase, mode: str
) -> None:
    assert docs_found(tagged_kb, {}, mode) == {"chile", "brasil", "peru"}
    assert docs_found(tagged_kb, {"problem": ("coordination",)}, mode) == {"chile", "peru"}
    either = {"problem": ("coordination", "skills_shortage")}
    assert docs_found(tagged_kb, either, mode) == {"chile", "brasil", "peru"}
    both = {"problem": ("coordination",), "evidence": ("recommendation",)}
    assert docs_found(tagged_kb, both, mode) == {"peru"}
    none = {"problem": ("skills_shortage",), "evidence": ("recommendation",)}
    assert docs_found(tagged_kb, none, mode) == set()
