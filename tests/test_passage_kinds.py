"""Tables of contents, acronym and reference lists and boilerplate are told from body text,
and rank below it: found when nothing else matches, never drafted into a brief."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.boilerplate import passage_kind
from ingest.pipeline import ingest_paths
from kb.briefs.draft import draft_brief
from kb.models import KINDS
from kb.retrieval.search import search
from kb.storage.knowledge import KnowledgeBase

TOC_DOTS = """Índice
Introducción .......................... 5
1. Antecedentes del programa ............. 9
2. Instrumentos de apoyo a los clústeres .. 14
3. Resultados y evaluación ............... 27
Bibliografía .......................... 41"""

TOC_NUMBERS_FIRST = """Contents
3 Foreword
7 Executive summary
12 Cluster policy in Chile
25 Supplier development programmes
38 Lessons for policy makers"""

# pypdf often prints a contents page's headings in one run and their page numbers in another.
TOC_SPLIT_LAYOUT = """Índice
Resumen ejecutivo
Introducción
Programas de desarrollo de proveedores
Lecciones
5
7
12
30"""

ACRONYMS = """Siglas y acrónimos
BID Banco Interamericano de Desarrollo
CORFO Corporación de Fomento de la Producción
PRODEPRO Programa de Desarrollo de Proveedores
PyME Pequeña y mediana empresa
SENAI Serviço Nacional de Aprendizagem Industrial"""

REFERENCES_APA = """Bibliografía
Porter, M. E. (1990). The competitive advantage of nations. Free Press.
Cooke, P., y Morgan, K. (1998). The associational economy. Oxford University Press.
Ketels, C. (2013). Recent research on competitiveness and clusters: what are the
implications for regional policy? Cambridge Journal of Regions, 6(2), 269-284.
Schmitz, H. y Nadvi, K. (1999). Clustering and industrialization: introduction. World
Development, 27(9), 1503-1514. https://doi.org/10.1016/S0305-750X(99)00072-8"""

REFERENCES_ES_WEB = """CEPAL (2010). Clústers y políticas de articulación productiva.
Recuperado de https://repositorio.cepal.org/handle/11362/3757
Ministerio de Producción (2017). Evaluación del programa de clústeres. Disponible en
www.produccion.gob.ar/evaluacion
OCDE (2007). Competitive regional clusters: national policy approaches. París: OCDE."""

LICENCE = """© 2023 Fundación Ejemplo. Todos los derechos reservados.
Esta obra se encuentra sujeta a una licencia Creative Commons 4.0 Atribución-NoComercial.
ISBN 978-987-0000-00-0"""

COOKIES = """Este sitio web utiliza cookies para mejorar su experiencia. Al continuar navegando
acepta nuestra política de cookies y nuestra política de privacidad. Aceptar"""

MENU = """Inicio
Quiénes somos
Programas
Noticias
Publicaciones
Contacto
English"""

FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit."

BODY_WITH_CITATIONS = (
    "Los programas de desarrollo de proveedores de la minería chilena, impulsados por CORFO "
    "desde 2008, lograron vincular a pequeñas empresas con las grandes operadoras (Porter, "
    "1990; Cooke y Morgan, 1998). Sin embargo, la evaluación de Ketels (2013) muestra que "
    "la falta de coordinación entre agencias públicas limitó sus resultados, y que el apoyo "
    "duró demasiado poco para consolidar las redes entre firmas."
)

BODY_TABLE = """Cuadro 2. Empresas participantes por país
Argentina 120
Brasil 45
Chile 87
Perú 12
El Salvador 30"""

BODY_LIST = """Los instrumentos más usados fueron:
1. Subsidios a la asociatividad para redes de empresas.
2. Asistencia técnica a proveedores locales.
3. Centros de servicios tecnológicos compartidos por el clúster."""

BODY_ACRONYM_START = """CORFO financió en 2010 a doce clústeres regionales en Chile.
La Corporación evaluó luego su impacto sobre la productividad de las empresas, con
resultados positivos en exportaciones pero no en empleo, según el informe de 2015."""


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (TOC_DOTS, "toc"),
        (TOC_NUMBERS_FIRST, "toc"),
        (TOC_SPLIT_LAYOUT, "toc"),
        (ACRONYMS, "acronyms"),
        (REFERENCES_APA, "references"),
        (REFERENCES_ES_WEB, "references"),
        (LICENCE, "front"),
        (COOKIES, "front"),
        (MENU, "front"),
        (FILLER, "front"),
        ("Bibliografía", "references"),
        (BODY_WITH_CITATIONS, "body"),
        (BODY_TABLE, "body"),
        (BODY_LIST, "body"),
        (BODY_ACRONYM_START, "body"),
        ("", "body"),
    ],
    ids=lambda v: v if isinstance(v, str) and v in KINDS else None,
)
def test_passage_kind(text: str, kind: str) -> None:
    assert passage_kind(text) == kind


INTERVIEWEES = """Marina Baima, Secretaría de Ciencia y Tecnología, Provincia de Santa Fe, 05/08/22
Leonardo Pérez, Polo Tecnológico de Rosario, 19/08/22
Alejandro Vila, CONICET, 30/08/22"""


@pytest.mark.parametrize(
    ("section", "kind"),
    [
        ("Anexo 1: Entrevistas", "references"),
        ("Anexo 1. Entrevistas realizadas", "references"),
        ("Annex B. Interviews", "references"),
        ("Bibliografía", "references"),
        ("Abreviaturas", "acronyms"),
        ("Anexo 2. Oportunidades de promoción en el Norte Grande", "body"),
        ("Entrevistas a productores de leche", "body"),
    ],
)
def test_a_passage_under_a_lists_heading_is_of_that_list(section: str, kind: str) -> None:
    # The page that goes on with a list no longer shows its heading; its section still does.
    assert passage_kind(INTERVIEWEES) == "body"
    assert passage_kind(INTERVIEWEES, section) == kind


REPORT = """---
title: Desarrollo de proveedores en Chile
country: Chile
year: 2015
---

# Siglas

CORFO Corporación de Fomento de la Producción
PDP Programa de Desarrollo de Proveedores
SENCE Servicio Nacional de Capacitación y Empleo
PYME Pequeña y mediana empresa

# El programa

El Programa de Desarrollo de Proveedores (PDP) de CORFO apoyó a empresas mineras y a sus
pymes proveedoras con subsidios para planes de mejora, asistencia técnica y capacitación.
Su evaluación mostró mejoras de calidad en los proveedores, aunque la coordinación entre
las agencias públicas fue débil.
"""


@pytest.fixture
def chile_kb(fake_kb: KnowledgeBase, tmp_path: Path) -> KnowledgeBase:
    path = tmp_path / "reports" / "chile_pdp.md"
    path.parent.mkdir()
    path.write_text(REPORT, encoding="utf-8")
    report = ingest_paths(fake_kb, [path])
    assert not report.failed, report.failed
    return fake_kb


def test_acronym_list_ranks_below_the_text_about_the_programme(chile_kb: KnowledgeBase) -> None:
    hits = search(chile_kb, "Programa de Desarrollo de Proveedores CORFO", k=5)
    kinds = [h.passage.kind for h in hits]
    assert kinds[0] == "body" and "acronyms" in kinds
    assert kinds.index("acronyms") > max(i for i, k in enumerate(kinds) if k == "body")
    acronyms = next(h.passage for h in hits if h.passage.kind == "acronyms")
    assert not acronyms.tags  # kept out of tags, the evidence map and quizzes


def test_an_acronym_list_is_still_found_when_nothing_else_matches(
    chile_kb: KnowledgeBase,
) -> None:
    only = search(chile_kb, "SENCE", k=5, mode="lexical")
    assert [h.passage.kind for h in only] == ["acronyms"]


def test_a_drafted_brief_leaves_lists_out(chile_kb: KnowledgeBase) -> None:
    brief = draft_brief(chile_kb, "Programa de Desarrollo de Proveedores CORFO", k=5)
    kinds = {p.kind for p in chile_kb.passages(brief.passage_ids)}
    assert brief.passage_ids and kinds == {"body"}
