"""The countries a passage is filed under when its text names none: its section's, its
document's, or none for a general statement (ingest/annotate.py, kb.countries)."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from pypdf import PdfReader

from ingest.annotate import annotate, document_countries, with_document_countries
from ingest.chunking import chunk_document, cut_as_ingest
from ingest.errors import IngestError
from ingest.loaders import load_document
from kb.config import Settings
from kb.evaluation.realdocs import best_passage
from kb.evaluation.realdocs_set import load_realdocs_set, resolve_span
from kb.models import Document, Passage

REPO = Path(__file__).resolve().parents[1]
REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"
LABELS = REPO / "corpus" / "eval" / "realdocs.yaml"
# Chosen on the dev split (0.83 measured) before the test split was measured.
DEV_FLOOR = 0.8

REPORT = """\
# Programas de proveedores

## Argentina

El programa PRODEPRO apoyó a proveedores mineros de Argentina en San Juan y Catamarca.

En 2019 el programa sumó una línea de crédito para las pymes proveedoras.

## Chile

CORFO financió los primeros programas de clúster en Chile.

En 2016 el gobierno redujo el presupuesto de los programas de fomento.

## Conceptos

Un clúster es una concentración geográfica de empresas e instituciones (Porter, 1990).
"""


def _words(text: str) -> int:
    return len(text.split()) + 2


def _passages(tmp_path: Path, text: str) -> tuple[Document, list[Passage]]:
    path = tmp_path / "informe.md"
    path.write_text(text, encoding="utf-8")
    document = load_document(path, Settings(home=tmp_path / "home"))
    return document, annotate(document, chunk_document(document, _words, 128, 20, 0))


def _holding(passages: list[Passage], words: str) -> Passage:
    return next(p for p in passages if words in p.text)


def test_a_passage_naming_no_country_is_about_the_country_of_its_section(tmp_path: Path) -> None:
    _, passages = _passages(tmp_path, REPORT)
    assert _holding(passages, "En 2019").countries == ("Argentina",)
    assert _holding(passages, "En 2016").countries == ("Chile",)


def test_a_general_statement_in_a_report_without_front_matter_is_about_no_country(
    tmp_path: Path,
) -> None:
    document, passages = _passages(tmp_path, REPORT)
    definition = _holding(passages, "Un clúster es")
    assert definition.countries == () and definition.country == ""
    # The report as a whole is still about both countries.
    assert set(document_countries(document, passages)) == {"Argentina", "Chile"}


ONE_COUNTRY = """\
# Proveedores mineros

## Diagnóstico

Los proveedores mineros de Argentina exportan poco y la Argentina compra afuera sus equipos.
San Juan, Catamarca, Salta, Jujuy, Santa Cruz y Neuquén concentran la minería argentina.

La inestabilidad macroeconómica frena las inversiones en proveedores locales.

El gobierno tomó como modelo a Australia y su minería exportadora.

El gobierno francés, en cambio, subsidió a sus fabricantes de equipos.

## Contexto regional

En América Latina la minería crece más rápido que la industria.

## Marco conceptual

Los eslabonamientos productivos se miden por las compras a proveedores locales.

## Corea del Sur

Las grandes empresas organizaron redes de proveedores con apoyo estatal.
"""


def test_a_passage_naming_no_country_in_a_report_on_one_country_is_about_it(
    tmp_path: Path,
) -> None:
    # No year, no "the country": a reader still takes it as a statement about Argentina.
    _, passages = _passages(tmp_path, ONE_COUNTRY)
    assert _holding(passages, "La inestabilidad").countries == ("Argentina",)


def test_a_passage_about_a_world_region_or_under_a_concepts_heading_is_about_none(
    tmp_path: Path,
) -> None:
    _, passages = _passages(tmp_path, ONE_COUNTRY)
    assert _holding(passages, "En América Latina").countries == ()
    assert _holding(passages, "Los eslabonamientos").countries == ()


def test_the_government_that_looks_abroad_is_still_the_reports_own(tmp_path: Path) -> None:
    _, passages = _passages(tmp_path, ONE_COUNTRY)
    assert set(_holding(passages, "como modelo").countries) == {"Argentina", "Australia"}
    # Whose government is said: only France.
    assert _holding(passages, "francés").countries == ("France",)


def test_a_section_titled_with_a_country_files_its_passages_under_it(tmp_path: Path) -> None:
    _, passages = _passages(tmp_path, ONE_COUNTRY)
    assert _holding(passages, "Las grandes empresas").countries == ("South Korea",)


def test_front_matter_countries_apply_to_every_passage_that_names_none(tmp_path: Path) -> None:
    _, passages = _passages(tmp_path, "---\ntitle: Informe\ncountry: Chile\n---\n" + REPORT)
    assert _holding(passages, "Un clúster es").countries == ("Chile",)
    assert _holding(passages, "CORFO").countries == ("Chile",)
    assert _holding(passages, "PRODEPRO").countries == ("Argentina",)


def test_countries_a_person_gives_split_by_section(tmp_path: Path) -> None:
    document, _ = _passages(tmp_path, REPORT)
    meta = replace(
        document.meta,
        countries=("Argentina", "Chile"),
        country="Argentina",
        provenance=(("country", "person"),),
    )
    document = replace(document, meta=meta)
    passages = annotate(document, chunk_document(document, _words, 128, 20, 0))
    assert _holding(passages, "En 2016").countries == ("Chile",)
    # A person's word holds even for a general statement: it gets both countries.
    assert set(_holding(passages, "Un clúster es").countries) == {"Argentina", "Chile"}


def test_the_countries_read_from_the_text_are_recorded_as_read_from_the_text(
    tmp_path: Path,
) -> None:
    document, passages = _passages(tmp_path, REPORT)
    described = with_document_countries(document, passages)
    assert set(described.meta.countries) == {"Argentina", "Chile"}
    assert described.meta.country == described.meta.countries[0]
    assert dict(described.meta.provenance)["country"] == "text"
    # Annotating again with them recorded files the passages the same way: a guess from the
    # text is not taken for a person's word.
    chunks = chunk_document(described, _words, 128, 20, 0)
    assert [p.countries for p in annotate(described, chunks)] == [p.countries for p in passages]


def test_a_document_naming_no_country_files_its_passages_under_none(tmp_path: Path) -> None:
    _, passages = _passages(tmp_path, "En 2020 las empresas del clúster exportaron más.\n")
    assert passages and all(p.countries == () for p in passages)


GLOBAL = """\
# Bioeconomía en Santa Fe

## Introducción

Las empresas de Rosario y de la provincia de Santa Fe crecieron con la biotecnología.

La bioeconomía se caracteriza por el aprovechamiento de recursos biológicos en muchas ramas.

En estos años hubo un giro en el debate global sobre las políticas de desarrollo productivo.

Las exportaciones de semillas crecieron un 20% entre 2015 y 2020.
"""


def test_a_definition_or_a_global_statement_is_about_no_country(tmp_path: Path) -> None:
    _, passages = _passages(tmp_path, GLOBAL)
    assert _holding(passages, "se caracteriza por").countries == ()
    assert _holding(passages, "debate global").countries == ()
    assert _holding(passages, "semillas crecieron").countries == ("Argentina",)


REFERENCES = """\
# Proveedores mineros

## Diagnóstico

Los proveedores mineros de Argentina exportan poco y compran afuera sus equipos.

## Referencias

- Phelps, N. (2015). The enclave: mining industry in Chile. Economic Geography 91, 119-146.
- Murguia, D. (2023). Proveedores nacionales de la minería argentina. Buenos Aires: Fundar.
- Schteingart, D. (2017). Trayectorias nacionales comparadas: el caso noruego. UNSAM.
"""


def test_a_reference_list_is_about_no_country(tmp_path: Path) -> None:
    # The countries in the titles of cited works are what those works are about.
    _, passages = _passages(tmp_path, REFERENCES)
    listing = _holding(passages, "Phelps")
    assert listing.kind == "references"
    assert listing.countries == ()
    assert _holding(passages, "Los proveedores").countries == ("Argentina",)


@cache
def _real_passages(path: Path) -> tuple[Passage, ...]:
    from kb.encoders import get_embedder

    settings, embedder = Settings(), get_embedder("e5-small")
    try:
        document = load_document(path, settings)
    except IngestError:
        return ()  # a refused file: its spans are not judged
    chunks = cut_as_ingest(document, embedder, settings)
    return tuple(annotate(document, chunks))


@cache
def _page_text(path: Path, page: int) -> str:
    if path.suffix != ".pdf":
        return path.read_bytes().decode("utf-8")
    return PdfReader(path).pages[page - 1].extract_text()


def whole_passage_accuracy(split: str) -> tuple[int, int]:
    """(spans whose holding passage is about exactly the countries it is labelled with, spans)."""
    labels = load_realdocs_set(LABELS).in_split(split)
    by_sha = {d.sha256: labels.realdocs_dir / d.file for d in labels.documents}

    def page_text(sha: str, page: int) -> str | None:
        path = by_sha.get(sha)
        return _page_text(path, page) if path and path.is_file() else None

    hits = 0
    for entry in labels.passages:
        span = resolve_span(entry, page_text)
        held = best_passage(span, _real_passages(by_sha[entry.file_sha256])) if span else None
        wanted = entry.passage.countries if entry.passage else entry.countries
        hits += held is not None and set(held.countries) == set(wanted)
    return hits, len(labels.passages)


@pytest.mark.slow
@pytest.mark.skipif(not REALDOCS.is_dir(), reason=f"real documents not found: {REALDOCS}")
def test_passages_of_real_reports_are_filed_under_the_labelled_countries() -> None:
    hits, total = whole_passage_accuracy("dev")
    print(f"\ndev: {hits}/{total} passages about the labelled countries")
    assert total >= 20 and hits / total >= DEV_FLOOR
