from __future__ import annotations

from pathlib import Path

from kb.lexical import LexicalIndex
from kb.models import Passage, SearchFilters, Tag
from kb.textnorm import query_stems


def passage(pid: str, text: str, country: str = "Chile", lang: str = "es", tags=()) -> Passage:  # type: ignore[no-untyped-def]
    return Passage(
        pid,
        pid.split(":")[0],
        0,
        text,
        0,
        len(text),
        1,
        1,
        "",
        country=country,
        lang=lang,
        tags=tuple(tags),
    )


PASSAGES = [
    passage(
        "a:1",
        "Falta de coordinación entre instituciones públicas.",
        tags=[Tag("problem", "coordination", "rule", "coordinación")],
    ),
    passage("b:1", "Las empresas coordinaron compras conjuntas.", country="Brazil"),
    passage("c:1", "Lack of coordination between agencies.", lang="en", country="El Salvador"),
]


def test_spanish_and_english_inflections_meet_on_stems() -> None:
    index = LexicalIndex.build(PASSAGES)
    ids = [pid for pid, _ in index.search("coordinar instituciones", 5, SearchFilters())]
    assert ids[0] == "a:1" and "c:1" in ids
    assert "coordin" in query_stems("coordination")


def test_filters_mask_rows_before_ranking() -> None:
    index = LexicalIndex.build(PASSAGES)
    by_country = index.search("coordinación", 5, SearchFilters(countries=("Brazil",)))
    assert [pid for pid, _ in by_country] == ["b:1"]
    by_tag = index.search("coordinación", 5, SearchFilters(tags={"problem": ("coordination",)}))
    assert [pid for pid, _ in by_tag] == ["a:1"]


def test_saved_index_answers_like_the_built_one(tmp_path: Path) -> None:
    index = LexicalIndex.build(PASSAGES)
    index.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded is not None
    q = SearchFilters()
    assert loaded.search("coordination", 5, q) == index.search("coordination", 5, q)


def test_words_absent_from_the_index_give_no_hits_not_an_error() -> None:
    assert LexicalIndex.build(PASSAGES).search("zzzz qqqq", 5, SearchFilters()) == []
    assert LexicalIndex.build([]).search("coordinación", 5, SearchFilters()) == []
