"""On a small labelled set, hybrid search finds everything: keyword search alone misses
paraphrases in another language, and fusion never does worse than the better ranker."""

from __future__ import annotations

from pathlib import Path

from ingest.pipeline import ingest_paths
from kb.models import SearchFilters
from kb.retrieval.search import search
from kb.storage.knowledge import KnowledgeBase

DOCS = {
    "compras": "Las pymes del clúster de muebles organizaron compras coordinadas de madera "
    "para negociar mejores precios con los aserraderos.",
    "marca": "La región lanzó una marca colectiva para promocionar sus vinos en ferias "
    "internacionales y atraer compradores extranjeros.",
    "fondo": "El programa FOMIPYME-7Q otorgó garantías públicas a fondos de capital de riesgo "
    "que invierten en empresas nuevas de biotecnología.",
    "fondo2": "El programa FOMIPYME-3K otorgó garantías públicas a fondos de capital de riesgo "
    "que invierten en empresas jóvenes de software.",
    "fondo3": "El programa FOMIPYME-9X otorgó garantías públicas a fondos de capital semilla "
    "que invierten en empresas nuevas de alimentos.",
    "continuidad": "Cada cambio de gobierno interrumpió los programas, que debieron empezar "
    "de nuevo con otros equipos y otras prioridades.",
    "universidad": "Las universidades de la zona crearon carreras técnicas a pedido de las "
    "empresas mineras y ofrecieron pasantías a sus estudiantes.",
}
# (query, expected document)
LABELLED = [
    ("garantías del programa FOMIPYME-3K", "fondo2"),  # near-identical codes: exact words win
    ("joint buying of raw materials by small firms", "compras"),  # English paraphrase
    ("political turnover breaks programme continuity", "continuidad"),
    ("vinos ferias internacionales marca", "marca"),
    ("links between higher education and mining companies", "universidad"),
]


def recall_at_1(kb: KnowledgeBase, mode: str) -> float:
    found = 0
    for query, expected in LABELLED:
        hits = search(kb, query, k=1, mode=mode, filters=SearchFilters())
        found += bool(hits) and hits[0].passage.doc_id == expected
    return found / len(LABELLED)


def test_hybrid_finds_what_either_ranker_alone_misses(
    real_kb: KnowledgeBase, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / f"{name}.md").write_text(f"---\nlanguage: es\n---\n{text}\n", encoding="utf-8")
    ingest_paths(real_kb, [folder])
    scores = {mode: recall_at_1(real_kb, mode) for mode in ("dense", "lexical", "hybrid")}
    assert scores["hybrid"] == 1.0, scores
    assert scores["lexical"] < 1.0, scores  # paraphrases in another language defeat BM25
    assert scores["hybrid"] >= max(scores["dense"], scores["lexical"]), scores
