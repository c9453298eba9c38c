"""The search page marks the sentence that answers the query on each card (AppTest)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kb.storage.knowledge import KnowledgeBase
from tests.test_app import REPO, build, new_app, search

pytestmark = pytest.mark.slow

REPORT = (
    "---\ntitle: Clústeres en Chile\ncountry: Chile\n---\n\n"
    "El programa regional de clústeres empezó en 2004 con diez mesas de trabajo. "
    "La falta de coordinación entre agencias públicas retrasó los proyectos. "
    "Las empresas valoraron los talleres de capacitación.\n"
)


@pytest.fixture
def home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[KnowledgeBase]:
    root = tmp_path_factory.mktemp("highlightkb")
    (root / "docs").mkdir()
    (root / "docs" / "chile.md").write_text(REPORT, encoding="utf-8")
    kb = build(root / "home", [root / "docs"])
    monkeypatch.setenv("CLUSTERKB_HOME", str(kb.settings.home))
    monkeypatch.setenv("CLUSTERKB_CORPUS_DIR", str(REPO / "corpus"))
    yield kb


def test_search_card_marks_the_answering_sentence(home: KnowledgeBase) -> None:
    at = search(new_app(), "coordinación entre agencias públicas")
    assert not at.exception, at.exception
    quotes = [m.value for m in at.markdown if m.value.startswith("> ")]
    assert quotes, "a search must show a card"
    card = quotes[0]
    assert "**La falta de coordinación entre agencias públicas retrasó los proyectos.**" in card
    assert card.count("**") == 2  # one sentence marked, the others as written
