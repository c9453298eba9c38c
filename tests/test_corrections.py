"""Human tag corrections survive re-ingest, show in search at once, and are never lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.pipeline import IngestReport, ingest_paths
from kb.models import Passage, SearchFilters
from kb.retrieval.search import search
from kb.storage.corrections import load_corrections
from kb.storage.knowledge import KnowledgeBase
from kb.tags.edit import TagEditError, correct_tags, corrections_for
from kb.tags.tagger import default_tagger

CONTEXT = "El programa de clústers forestales comenzó en {year} en la región del Biobío."
TARGET = (
    "La falta de coordinación entre las instituciones públicas retrasó los proyectos "
    "del clúster forestal durante varios años."
)
RESULTS = "Las empresas del clúster aumentaron sus ventas en los mercados externos."


def report_text(year: int = 2005, problems: str = TARGET) -> str:
    return f"""---
title: "Clúster forestal del Biobío"
country: Chile
source: "Informe de prueba"
year: 2010
language: es
---
# Clúster forestal

## Contexto

{CONTEXT.format(year=year)}

## Problemas

{problems}

## Resultados

{RESULTS}
"""


Write = Callable[[Path, str], Path]


def ingest(kb: KnowledgeBase, folder: Path) -> IngestReport:
    return ingest_paths(kb, [folder], tagger=default_tagger(kb))


def passages(kb: KnowledgeBase) -> list[Passage]:
    return kb.store.get(sorted(kb.manifest.passage_ids()))


def holding(kb: KnowledgeBase, text: str) -> Passage:
    (found,) = [p for p in passages(kb) if text in p.text]
    return found


def hit_ids(kb: KnowledgeBase, problem: str, mode: str) -> list[str]:
    filters = SearchFilters(tags={"problem": (problem,)})
    return [h.passage.id for h in search(kb, "clúster forestal", 10, filters, mode=mode)]


def test_correction_round_trips_across_reingest(
    fake_kb: KnowledgeBase, tmp_path: Path, write: Write
) -> None:
    folder = tmp_path / "informes"
    path = write(folder / "biobio.md", report_text())
    assert ingest(fake_kb, folder).added
    before = holding(fake_kb, "retrasó los proyectos")
    assert "coordination" in before.tag_ids("problem")

    corrected = correct_tags(
        fake_kb,
        before.id,
        add=["problem:skills_shortage"],
        remove=["problem:coordination"],
        note="faltaban técnicos forestales",
        user="ana",
    )
    assert corrected.tag_ids("problem") == ["skills_shortage"]
    # Search sees the correction at once, in both rankers.
    for mode in ("lexical", "dense"):
        assert before.id in hit_ids(fake_kb, "skills_shortage", mode)
        assert before.id not in hit_ids(fake_kb, "coordination", mode)
    log = fake_kb.settings.corrections_path
    first_log = log.read_text(encoding="utf-8")
    assert len(first_log.splitlines()) == 1

    # A small edit elsewhere in the file: new content hash, so every passage gets a new id.
    write(path, report_text(year=2006))
    report = ingest(fake_kb, folder)
    assert report.updated and not report.unmatched_corrections
    after = holding(fake_kb, "retrasó los proyectos")
    assert after.id != before.id and after.text == before.text
    (human,) = [t for t in after.tags if t.tag_id == "skills_shortage"]
    assert (human.facet, human.origin) == ("problem", "human")
    assert "ana" in human.reason and "faltaban técnicos forestales" in human.reason
    assert "coordination" not in after.tag_ids("problem")
    assert before.id not in fake_kb.manifest.passage_ids()
    assert after.id in hit_ids(fake_kb, "skills_shortage", "lexical")
    assert [c.user for c in corrections_for(fake_kb, after)] == ["ana"]

    # The corrected text is gone: the correction is reported, not silently dropped.
    write(path, report_text(year=2006, problems="Sin problemas registrados."))
    report = ingest(fake_kb, folder)
    (unmatched,) = report.unmatched_corrections
    assert "problem:skills_shortage" in unmatched and "ana" in unmatched
    assert not [p for p in passages(fake_kb) if "skills_shortage" in p.tag_ids("problem")]

    # The log only ever grows: nothing above was rewritten.
    final_log = log.read_text(encoding="utf-8")
    assert final_log.startswith(first_log)
    assert len(load_corrections(log)) == 1


def test_later_corrections_append_and_apply_in_order(
    fake_kb: KnowledgeBase, tmp_path: Path, write: Write
) -> None:
    folder = tmp_path / "informes"
    write(folder / "biobio.md", report_text())
    ingest(fake_kb, folder)
    target = holding(fake_kb, "retrasó los proyectos")
    correct_tags(fake_kb, target.id, add=["problem:skills_shortage"], user="ana")
    lines = fake_kb.settings.corrections_path.read_text(encoding="utf-8")
    correct_tags(fake_kb, target.id, remove=["problem:skills_shortage"], user="luis")
    grown = fake_kb.settings.corrections_path.read_text(encoding="utf-8")
    assert grown.startswith(lines) and len(grown.splitlines()) == 2
    assert "skills_shortage" not in holding(fake_kb, "retrasó los proyectos").tag_ids("problem")


def test_unknown_tags_and_empty_corrections_are_refused(
    fake_kb: KnowledgeBase, tmp_path: Path, write: Write
) -> None:
    folder = tmp_path / "informes"
    write(folder / "biobio.md", report_text())
    ingest(fake_kb, folder)
    target = holding(fake_kb, "retrasó los proyectos")
    with pytest.raises(TagEditError, match="unknown problem tag"):
        correct_tags(fake_kb, target.id, add=["problem:no_such_tag"])
    with pytest.raises(TagEditError, match="nothing to change"):
        correct_tags(fake_kb, target.id)
    assert not fake_kb.settings.corrections_path.exists()
