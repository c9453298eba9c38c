"""Portuguese is a first-class language: detected, stemmed with its own stop words, found by
inflected Portuguese queries, and reached from Spanish or English through tag labels (and
Spanish passages from Portuguese queries)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from kb.retrieval.expansion import expand_query
from kb.retrieval.search import search
from kb.storage.knowledge import KnowledgeBase
from kb.tags.taxonomy import load_taxonomy
from kb.textnorm import stems

# Front matter without a language: the document's language must be detected.
PT_REPORT = """---
title: Arranjo produtivo de laticínios
country: Brasil
---
# Governança do arranjo

A coordenação entre as cooperativas leiteiras e o governo estadual foi fraca durante anos,
e os produtores rurais cobraram uma agenda comum para o arranjo produtivo local.
"""
ES_REPORT = """---
title: Programa de clústeres en Chile
country: Chile
language: es
---
# Lecciones

La escasa coordinación entre ministerios retrasó los proyectos del clúster minero,
según la evaluación de la agencia regional.
"""
FILLER_REPORT = """---
title: Turismo
country: Perú
language: es
---
# Turismo

Los operadores turísticos del valle ampliaron la oferta hotelera con apoyo municipal.
"""

Write = Callable[[Path, str], Path]


@pytest.fixture
def kb(fake_kb: KnowledgeBase, tmp_path: Path, write: Write) -> KnowledgeBase:
    folder = tmp_path / "reports"
    write(folder / "laticinios.md", PT_REPORT)
    write(folder / "chile.md", ES_REPORT)
    write(folder / "turismo.md", FILLER_REPORT)
    report = ingest_paths(fake_kb, [folder])
    assert report.failed == []
    return fake_kb


def first_doc(kb: KnowledgeBase, query: str) -> str:
    hits = search(kb, query, k=3, mode="lexical")
    return hits[0].passage.doc_id if hits else ""


def test_portuguese_report_is_detected_as_portuguese(kb: KnowledgeBase) -> None:
    langs = {p.doc_id: p.lang for p in kb.store.iter_all()}
    assert langs["laticinios"] == "pt"


@pytest.mark.parametrize(
    "query",
    [
        "coordenações estaduais",  # plural of the passage's singular
        "coordenacoes estaduais",  # the same typed without accents
    ],
)
def test_portuguese_query_with_another_inflection_finds_the_passage(
    kb: KnowledgeBase, query: str
) -> None:
    assert first_doc(kb, query) == "laticinios"


def test_portuguese_stop_words_do_not_count() -> None:
    words = stems("Os produtores das cooperativas não foram ouvidos pelo governo", "pt")
    assert not {"os", "das", "nao", "foram", "pelo"} & set(words)
    assert len(words) == 4  # produtores, cooperativas, ouvidos, governo


@pytest.mark.parametrize("query", ["falta de coordinación", "lack of coordination"])
def test_spanish_and_english_queries_reach_portuguese_text_through_tag_labels(
    kb: KnowledgeBase, query: str
) -> None:
    assert "coordenação" in expand_query(query)
    hits = search(kb, query, k=3, mode="lexical")
    assert "laticinios" in {h.passage.doc_id for h in hits}


def test_portuguese_query_reaches_spanish_text_through_tag_labels(kb: KnowledgeBase) -> None:
    # "coordenação" shares no stem with "coordinación": only the tag's labels join them.
    query = "falta de coordenação"
    assert "Falta de coordinación" in expand_query(query)
    hits = search(kb, query, k=3, mode="lexical")
    assert "chile" in {h.passage.doc_id for h in hits}


def test_every_tag_has_a_portuguese_label() -> None:
    taxonomy = load_taxonomy()
    missing = [t.id for t in taxonomy.all_tags() if not t.label.get("pt")]
    assert missing == []
    assert all(t.label["pt"] in t.labels() for t in taxonomy.all_tags())
