"""Tagging: known passages get the tags an analyst expects, each with its reason."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from ingest.loaders import load_document
from kb.models import FACETS, Passage
from kb.tags.tagger import (
    SIMILARITY_THRESHOLDS,
    Tagger,
    compile_pattern,
    rule_tags,
    sentences_of,
)
from kb.tags.taxonomy import TAXONOMY_PATH, load_taxonomy
from tests.conftest import REPO, HashingEmbedder

CORPUS = REPO / "corpus"


@cache
def paragraphs(doc_id: str) -> tuple[str, ...]:
    text = load_document(CORPUS / f"{doc_id}.md").text
    return tuple(p.strip() for p in re.split(r"\n\s*\n", text) if p.strip())


def paragraph(doc_id: str, anchor: str) -> str:
    """The one paragraph of a bundled report that contains `anchor`."""
    (found,) = [p for p in paragraphs(doc_id) if anchor in p]
    return found


def tags_of(text: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for tag in Tagger(HashingEmbedder()).tag_text(text):
        out.setdefault(tag.facet, set()).add(tag.tag_id)
    return out


def test_chile_problems_paragraph_gets_its_three_problems() -> None:
    text = paragraph("chile_cepal_es", "Falta de coordinación entre las instituciones públicas")
    problems = tags_of(text)["problem"]
    assert {"coordination", "policy_discontinuity", "low_private_commitment"} <= problems


def test_chile_productivity_claim_is_an_unverified_productivity_outcome() -> None:
    tags = tags_of(paragraph("chile_cepal_es", "En cuanto a la productividad, se estima"))
    assert "unverified" in tags["evidence"]
    assert "evaluated" not in tags["evidence"]
    assert tags["outcome"] == {"productivity"}


def test_evaluated_result_is_told_from_a_claim_without_evaluation() -> None:
    evaluated = tags_of(paragraph("argentina_cepal_es", "La evaluación de estos proyectos mostró"))
    claimed = tags_of(paragraph("el_salvador_cepal_es", "habría tenido un impacto positivo"))
    assert evaluated["evidence"] == {"evaluated"}
    assert evaluated["outcome"] == {"institutional_networks"}
    assert claimed["evidence"] == {"unverified"}


def test_oecd_instrument_paragraph_gets_its_instruments_and_no_problem() -> None:
    tags = tags_of(paragraph("oecd_cluster_policies_es", "Compras coordinadas."))
    assert {"sme_support", "coordinated_purchasing", "quality_standards"} <= tags["instrument"]
    # "compras coordinadas" is an instrument, not a coordination problem
    assert "problem" not in tags


def test_english_passage_is_tagged_like_its_spanish_twin() -> None:
    es = tags_of(paragraph("argentina_cepal_es", "Acceso limitado y tardío al financiamiento"))
    en = tags_of(paragraph("argentina_cepal_en", "Limited and late access to finance"))
    assert es["problem"] == en["problem"]
    assert "communication_gaps" in en["problem"]


def test_a_list_of_aims_is_not_an_outcome_but_a_reported_effect_is() -> None:
    aims = tags_of("Los objetivos del programa son aumentar las exportaciones y la productividad.")
    effect = tags_of(
        "La evaluación mostró que el programa aumentó las exportaciones de las firmas."
    )
    assert "outcome" not in aims
    assert "exports_and_scale" in effect["outcome"]
    assert "evaluated" in effect["evidence"]


def test_advice_phrased_as_obligation_is_a_recommendation() -> None:
    assert (
        "recommendation" in tags_of("La política debe incluir instrumentos flexibles.")["evidence"]
    )
    assert "recommendation" in tags_of("Policies should be co-created with firms.")["evidence"]
    # "se deben a" means "are due to": not advice
    assert "evidence" not in tags_of("Los problemas se deben a la baja escala de las firmas.")


def test_every_tag_carries_an_origin_and_a_reason() -> None:
    tagger = Tagger(HashingEmbedder())
    seen = 0
    for path in sorted(CORPUS.glob("*.md")):
        for text in paragraphs(path.stem):
            for tag in tagger.tag_text(text):
                assert tag.origin in {"rule", "similarity", "human"}
                assert tag.reason.strip(), tag
                assert len(tag.reason) < 600  # long matches are shortened for people
                seen += 1
    assert seen > 100


def test_same_input_gives_the_same_tags() -> None:
    texts = [p for path in sorted(CORPUS.glob("*_es.md")) for p in paragraphs(path.stem)]
    first = [Tagger(HashingEmbedder()).tag_text(t) for t in texts]
    load_taxonomy.cache_clear()  # a fresh read of the taxonomy file must not change anything
    second = [Tagger(HashingEmbedder()).tag_text(t) for t in texts]
    assert first == second


def test_a_tag_added_to_a_copy_of_the_taxonomy_tags_text_without_code(tmp_path: Path) -> None:
    data = yaml.safe_load(TAXONOMY_PATH.read_text(encoding="utf-8"))
    data["facets"]["problem"]["tags"].append(
        {
            "id": "water_scarcity",
            "label": {"es": "Escasez hídrica", "en": "Water scarcity"},
            "definition": {"es": "Falta de agua para producir.", "en": "Too little water."},
            "terms": {"es": ["escasez hídrica"], "en": ["water scarcity"]},
            "patterns": {"es": ["\\bsequ[ií]as?\\b && \\bproducci[oó]n\\b"], "en": []},
        }
    )
    path = tmp_path / "taxonomy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    tagger = Tagger(HashingEmbedder(), load_taxonomy(path))

    tags = tagger.tag_text("La escasez hídrica frena al clúster vitivinícola de Mendoza.")
    (added,) = [t for t in tags if t.tag_id == "water_scarcity"]
    assert (added.facet, added.origin) == ("problem", "rule")
    assert "escasez hídrica" in added.reason
    sentence_rule = tagger.tag_text("Las sequías redujeron la producción. Hubo lluvias.")
    assert "water_scarcity" in {t.tag_id for t in sentence_rule}
    apart = tagger.tag_text("Hubo sequías en el norte. La producción creció en el sur.")
    assert "water_scarcity" not in {t.tag_id for t in apart}


def test_combined_pattern_needs_its_parts_in_one_sentence_and_not_the_excluded() -> None:
    pattern = compile_pattern(r"evaluaci[oó]n && mostr && !\bno\s+existe")
    text = "La evaluación mostró avances. No existe otra fuente."
    assert pattern.search(text, sentences_of(text)) == "evaluación … mostr"
    denied = "No existe evaluación que mostrara avances."
    assert pattern.search(denied, sentences_of(denied)) is None
    with pytest.raises(ValueError):
        compile_pattern("!solo_excluye")


def test_similarity_tags_say_so_when_a_threshold_is_set() -> None:
    embedder = HashingEmbedder()
    tagger = Tagger(embedder, thresholds={"problem": -1.0})  # every problem is "similar"
    vector = embedder.embed_passages(["texto cualquiera"])[0]
    tags = tagger.tag_text("texto cualquiera", vector)
    similar = [t for t in tags if t.origin == "similarity"]
    assert {t.facet for t in similar} == {"problem"}
    assert all(t.reason.startswith("similarity ") for t in similar)
    assert len(similar) == len(load_taxonomy().tag_ids("problem"))


def test_thresholds_exist_for_the_default_encoder_and_tagger_uses_them() -> None:
    assert set(SIMILARITY_THRESHOLDS["e5-small"]) == set(FACETS)
    embedder = HashingEmbedder(name="e5-small")
    assert Tagger(embedder).thresholds == SIMILARITY_THRESHOLDS["e5-small"]
    assert Tagger(HashingEmbedder()).thresholds == {}


def test_ingest_batch_tagging_equals_single_text_tagging() -> None:
    embedder = HashingEmbedder()
    tagger = Tagger(embedder)
    texts = list(paragraphs("risks_lessons_es"))
    passages = [Passage(f"d:{i}", "d", i, t, 0, len(t), 1, 1, "") for i, t in enumerate(texts)]
    batch = tagger(passages, embedder.embed_passages(texts))
    assert [p.tags for p in batch] == [tagger.tag_text(t) for t in texts]
    infrastructure = paragraph("risks_lessons_es", "Un error frecuente es exagerar el potencial")
    assert "infrastructure_without_capacity" in {t.tag_id for t in rule_tags(infrastructure)}
