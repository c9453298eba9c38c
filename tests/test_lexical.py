from __future__ import annotations

from pathlib import Path

from kb.models import Passage, SearchFilters, Tag
from kb.storage.keyword_index import LexicalIndex
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


MORE = [
    passage("d:1", "Coordinación de compras entre pymes del clúster lácteo.", country="Argentina"),
    passage("e:1", "Joint purchasing lowered costs for small dairy firms.", lang="en"),
]
QUERIES = ("coordinación", "compras conjuntas", "dairy firms", "instituciones públicas")


class Fetcher:
    """Stands in for the store: hands out passages by id and remembers what was asked."""

    def __init__(self, passages: list[Passage]) -> None:
        self.by_id = {p.id: p for p in passages}
        self.asked: list[str] = []

    def __call__(self, ids: list[str]) -> list[Passage]:
        self.asked.extend(ids)
        return [self.by_id[i] for i in ids if i in self.by_id]


def results(index: LexicalIndex) -> list[list[tuple[str, float]]]:
    return [index.search(q, 10, SearchFilters()) for q in QUERIES]


def test_an_update_stems_only_new_passages_and_scores_like_a_full_build(tmp_path: Path) -> None:
    path = tmp_path / "bm25"
    LexicalIndex.build(PASSAGES).save(path)
    now = [p for p in PASSAGES if p.id != "b:1"] + MORE  # one report removed, two added
    fetch = Fetcher(now)
    updated = LexicalIndex.updated(path, [p.id for p in now], fetch)
    assert sorted(fetch.asked) == ["d:1", "e:1"]
    assert updated.ids == sorted(p.id for p in now)
    assert results(updated) == results(LexicalIndex.build(now))
    # Saved and updated again, it still needs nothing it already has.
    updated.save(path)
    again = Fetcher(now)
    assert results(LexicalIndex.updated(path, [p.id for p in now], again)) == results(updated)
    assert again.asked == []


def test_a_tag_edit_keeps_the_stems_and_the_update_keeps_the_edit(tmp_path: Path) -> None:
    path = tmp_path / "bm25"
    LexicalIndex.build(PASSAGES).save(path)
    loaded = LexicalIndex.load(path)
    assert loaded is not None
    retagged = passage("b:1", PASSAGES[1].text, country="Brazil",
                       tags=[Tag("instrument", "coordinated_purchasing", "human", "")])  # fmt: skip
    loaded.with_passages([retagged]).save(path)
    fetch = Fetcher(PASSAGES + MORE)
    updated = LexicalIndex.updated(path, [p.id for p in PASSAGES + MORE], fetch)
    assert sorted(fetch.asked) == ["d:1", "e:1"]
    wanted = SearchFilters(tags={"instrument": ("coordinated_purchasing",)})
    assert [pid for pid, _ in updated.search("compras", 5, wanted)] == ["b:1"]
