"""Ingest and search end to end: what a person sees after `clusterkb ingest` and `search`."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from ingest.pipeline import ingest_paths
from kb.models import SearchFilters
from kb.retrieval.search import search
from kb.storage.knowledge import KnowledgeBase

CHILE = """---
title: "Chile: programas territoriales"
country: Chile
source: "Informe de prueba"
year: 2010
language: es
---
# Chile

## Problemas

La falta de coordinación entre las instituciones públicas que financian los programas
retrasó la ejecución de los proyectos territoriales.

## Resultados

Los programas redujeron la asimetría de información sobre financiamiento y capacitación.
"""

BRAZIL = """---
title: "Brasil: arranjos produtivos locais"
country: Brasil
source: "Relatório de teste"
year: 2004
language: es
---
# Brasil

La política de aglomeraciones productivas locales empezó en 2004 con un grupo de trabajo
permanente del ministerio de industria. Sus objetivos fueron múltiples y poco claros.
"""

ENGLISH = """---
title: "El Salvador programme"
country: El Salvador
source: "Test report"
year: 2000
language: en
---
# El Salvador

The cluster programme started in 2000 and reached about two thousand beneficiaries,
but no impact evaluation backs the productivity gains it reports.
"""


def make_pdf(path: Path, pages: list[str]) -> Path:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.core_properties.title = "Guía de facilitadores"
    document.add_heading("Facilitadores de clúster", level=1)
    document.add_paragraph(
        "Los facilitadores o intermediarios identifican empresas que podrían trabajar juntas "
        "y organizan las primeras reuniones entre ellas."
    )
    document.add_heading("Observatorios técnicos", level=2)
    document.add_paragraph(
        "Un observatorio técnico vigila las tendencias tecnológicas del sector y las comunica "
        "a las firmas del clúster."
    )
    document.save(str(path))
    return path


@pytest.fixture
def corpus(tmp_path: Path, write) -> Path:  # type: ignore[no-untyped-def]
    folder = tmp_path / "reports"
    write(folder / "chile.md", CHILE)
    write(folder / "brazil.md", BRAZIL)
    write(folder / "salvador.md", ENGLISH)
    return folder


def doc_ids(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.passage.doc_id for h in hits]


def test_pdf_phrase_printed_only_on_page_three_is_cited_on_page_three(
    real_kb: KnowledgeBase, tmp_path: Path
) -> None:
    pdf = make_pdf(
        tmp_path / "informe.pdf",
        [
            "Introducción general sobre asociaciones público privadas y desarrollo empresarial.",
            "Capítulo sobre financiamiento de pequeñas empresas y garantías públicas.",
            "Los viveros de ostras del golfo exigieron laboratorios de certificación sanitaria.",
        ],
    )
    report = ingest_paths(real_kb, [pdf])
    assert report.added and not report.failed
    hits = search(real_kb, "certificación sanitaria de ostras", k=3)
    assert hits[0].passage.page_start == 3
    assert "ostras" in hits[0].passage.text


def test_markdown_and_docx_are_searchable_with_metadata_and_sections(
    real_kb: KnowledgeBase, corpus: Path, tmp_path: Path
) -> None:
    make_docx(corpus / "guia.docx")
    report = ingest_paths(real_kb, [corpus])
    assert len(report.added) == 4 and not report.failed
    hit = search(real_kb, "coordinación entre instituciones que financian", k=1)[0]
    assert hit.passage.doc_id == "chile"
    assert hit.passage.country == "Chile" and hit.passage.year == 2010
    assert "Problemas" in hit.passage.section
    docx_hit = search(real_kb, "observatorio que vigila tendencias tecnológicas", k=1)[0]
    assert docx_hit.passage.doc_id == "guia"
    assert "Observatorios técnicos" in docx_hit.passage.section
    assert search(real_kb, "aglomeraciones productivas", k=1)[0].passage.country == "Brazil"


def test_english_query_finds_spanish_passage(real_kb: KnowledgeBase, corpus: Path) -> None:
    ingest_paths(real_kb, [corpus])
    hits = search(
        real_kb,
        "poor coordination among public agencies",
        k=1,
        filters=SearchFilters(langs=("es",)),
    )
    assert doc_ids(hits) == ["chile"]


def test_second_ingest_of_unchanged_files_writes_nothing(
    fake_kb: KnowledgeBase, corpus: Path
) -> None:
    first = ingest_paths(fake_kb, [corpus])
    count = fake_kb.store.count()
    second = ingest_paths(fake_kb, [corpus])
    assert len(first.added) == 3
    assert not second.changed and len(second.unchanged) == 3 and second.passages == 0
    assert fake_kb.store.count() == count


def test_changed_file_replaces_all_its_passages(
    fake_kb: KnowledgeBase, corpus: Path, write
) -> None:  # type: ignore[no-untyped-def]
    ingest_paths(fake_kb, [corpus])
    old_ids = set(fake_kb.manifest.docs["chile"].passage_ids)
    write(corpus / "chile.md", CHILE.replace("asimetría de información", "brecha de salmones"))
    report = ingest_paths(fake_kb, [corpus])
    assert len(report.updated) == 1 and len(report.unchanged) == 2
    new_ids = set(fake_kb.manifest.docs["chile"].passage_ids)
    assert not (old_ids & new_ids)
    assert not (old_ids & fake_kb.store.all_ids())
    hits = search(fake_kb, "salmones", k=3, mode="lexical")
    assert doc_ids(hits)[0] == "chile"
    assert not search(fake_kb, "asimetría", k=3, mode="lexical")


def test_prune_removes_documents_whose_files_are_gone(fake_kb: KnowledgeBase, corpus: Path) -> None:
    ingest_paths(fake_kb, [corpus])
    removed_ids = set(fake_kb.manifest.docs["brazil"].passage_ids)
    (corpus / "brazil.md").unlink()
    kept = ingest_paths(fake_kb, [corpus])
    assert "brazil" in fake_kb.manifest.docs and not kept.removed  # without --prune: kept
    report = ingest_paths(fake_kb, [corpus], prune=True)
    assert len(report.removed) == 1
    assert "brazil" not in fake_kb.manifest.docs
    assert not (removed_ids & fake_kb.store.all_ids())
    assert not (removed_ids & set(fake_kb.lexical.ids))
    assert not search(fake_kb, "aglomeraciones ministerio", k=5, mode="lexical")


def test_country_and_language_filters_apply_to_both_rankers(
    fake_kb: KnowledgeBase, corpus: Path
) -> None:
    ingest_paths(fake_kb, [corpus])
    for mode in ("dense", "lexical", "hybrid"):
        only_brazil = search(
            fake_kb,
            "programas política",
            k=10,
            mode=mode,
            filters=SearchFilters(countries=("Brazil",)),
        )
        assert only_brazil and set(doc_ids(only_brazil)) == {"brazil"}
        english = search(
            fake_kb, "programme evaluation", k=10, mode=mode, filters=SearchFilters(langs=("en",))
        )
        assert english and {h.passage.lang for h in english} == {"en"}


def test_bad_file_is_reported_and_the_rest_is_ingested(
    fake_kb: KnowledgeBase, corpus: Path
) -> None:
    (corpus / "roto.pdf").write_bytes(b"%PDF-1.7 this is not really a pdf")
    (corpus / "vacio.txt").write_bytes(b"")
    report = ingest_paths(fake_kb, [corpus])
    failed = dict(report.failed)
    assert len(report.added) == 3
    assert any(p.endswith("roto.pdf") for p in failed)
    assert any(p.endswith("vacio.txt") and "empty" in r for p, r in failed.items())


def test_english_minilm_backend_ingests_and_searches(tmp_path: Path, corpus: Path) -> None:
    from kb.storage.knowledge import open_kb
    from tests.conftest import settings_for

    kb = open_kb(settings_for(tmp_path, embedding_model="minilm"))
    assert kb.embedder.name == "minilm" and kb.embedder.max_tokens == 256
    ingest_paths(kb, [corpus])
    hit = search(kb, "impact evaluation of the programme", k=1, mode="dense")[0]
    assert hit.passage.doc_id == "salvador"
    assert kb.store.collection.metadata["embedding_model"] == "minilm"
