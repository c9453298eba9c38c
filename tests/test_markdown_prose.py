"""Markdown reports are read as the prose a reader sees: no `##`, `**`, links or pipes reach a
passage, a card or an export, and their passages are cited without a page."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.loaders import load_document
from ingest.markdown_prose import markdown_to_prose
from kb.config import Settings

REPO = Path(__file__).resolve().parents[1]
MARKUP = re.compile(r"^#+\s|\*\*|__|\]\(|!\[|^\s*[-*+]\s|^\s*\||`|<b>|</", re.MULTILINE)

REPORT = """---
title: Clústeres en Chile
country: Chile
---

# Clústeres en **Chile**

## Programa de *desarrollo* de proveedores ##

El programa de [CORFO](https://www.corfo.cl "CORFO") apoyó a **pymes proveedoras** de la
minería con `subsidios` y asistencia técnica.![logo](logo.png)

- **Coordinación:** las agencias públicas no se coordinaron.
* _Continuidad_: el apoyo duró poco.
1. Evaluar el programa.

> Una lección: <b>definir</b> qué se promueve &amp; medirlo.

| Año | Empresas |
|-----|---------:|
| 2008 | 120 |

Resultados
----------

La productividad de los proveedores mejoró.
"""


def load(tmp_path: Path, text: str, name: str = "informe.md"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_document(path, Settings(home=tmp_path / "home"))


def test_markdown_reads_as_plain_prose(tmp_path: Path) -> None:
    doc = load(tmp_path, REPORT)
    assert not MARKUP.search(doc.text), MARKUP.search(doc.text)
    for words in (
        "Clústeres en Chile",
        "El programa de CORFO apoyó a pymes proveedoras",
        "con subsidios y asistencia técnica.",
        "Coordinación: las agencias públicas no se coordinaron.",
        "Continuidad: el apoyo duró poco.",
        "1. Evaluar el programa.",
        "Una lección: definir qué se promueve & medirlo.",
        "Año; Empresas\n2008; 120",
    ):
        assert words in doc.text, words
    assert "corfo.cl" not in doc.text and "logo" not in doc.text


def test_headings_become_sections_at_their_text(tmp_path: Path) -> None:
    doc = load(tmp_path, REPORT)
    headings = [s.heading for s in doc.sections]
    assert headings == [
        "Clústeres en Chile",
        "Programa de desarrollo de proveedores",
        "Resultados",
    ]
    for section in doc.sections:
        assert doc.text[section.start :].startswith(section.heading)
    assert doc.section_at(doc.text.index("La productividad")) == "Resultados"


def test_code_stays_as_written_and_plain_text_keeps_its_asterisks(tmp_path: Path) -> None:
    text, sections = markdown_to_prose("Texto.\n\n```\nx = a * b  # no es un título\n```\n")
    assert "x = a * b  # no es un título" in text and not sections
    plain = load(tmp_path, "Nota con **asteriscos** literales y 5 * 3 = 15.\n", "nota.txt")
    assert "**asteriscos**" in plain.text  # a .txt file is not Markdown


def test_text_sources_have_no_pages_to_cite(tmp_path: Path) -> None:
    assert not load(tmp_path, REPORT).meta.paged
    assert not load(tmp_path, "Una nota breve sobre clústeres en Chile.\n", "nota.txt").meta.paged


def test_bundled_corpus_keeps_titles_and_countries_without_markup() -> None:
    for path in sorted((REPO / "corpus").glob("*.md")):
        front = path.read_text(encoding="utf-8").split("---")[1]
        title = re.search(r'^title: "?(.+?)"?$', front, re.MULTILINE)
        doc = load_document(path)
        assert title and doc.meta.title == title.group(1), path.name
        assert doc.meta.country, path.name
        assert not MARKUP.search(doc.text), (path.name, MARKUP.search(doc.text))


def test_a_box_in_a_block_quote_is_a_section_that_ends_with_the_quote(tmp_path: Path) -> None:
    doc = load(
        tmp_path,
        "# Informe\n\n## 4. Instrumentos\n\nNeuquén creó un registro.\n\n"
        "> ### Recuadro 1. Noruega\n>\n> El país creó Statoil.\n\n"
        "La provincia adoptó la idea.\n\n## 5. Desafíos\n\nFaltan datos.\n",
    )
    assert "#" not in doc.text
    assert doc.section_at(doc.text.index("Statoil")) == "Recuadro 1. Noruega"
    # After the box, the text is its section's again, cited as such.
    assert doc.section_at(doc.text.index("La provincia")) == "4. Instrumentos"
    assert doc.headings_above(doc.text.index("La provincia")) == ("Informe",)
    assert doc.section_at(doc.text.index("Faltan")) == "5. Desafíos"


def test_a_box_titled_in_bold_is_cited_under_its_title_without_moving_a_cut(
    tmp_path: Path,
) -> None:
    body = (
        "# Informe\n\n## 6. Fondos\n\nNoruega ahorra la renta.\n\n"
        "> **Recuadro 1. Alberta**\n>\n> La provincia redujo el aporte.\n\n"
        "> **Recuadro 2. Mongolia**\n>\n> El país creó un fondo.\n\n"
        "Chile tiene una regla.\n\n## 7. Gobernanza\n\nFaltan datos.\n"
    )
    doc = load(tmp_path, body)
    assert "*" not in doc.text
    assert doc.section_at(doc.text.index("La provincia")) == "Recuadro 1. Alberta"
    assert doc.section_at(doc.text.index("El país")) == "Recuadro 2. Mongolia"
    assert doc.headings_above(doc.text.index("El país")) == ("Informe", "6. Fondos")
    # after the boxes, the section around them goes on, and the last one stays its own
    assert doc.section_at(doc.text.index("Chile tiene")) == "6. Fondos"
    assert doc.section_at(doc.text.index("Faltan")) == "7. Gobernanza"
    # the passages are those of the same text with the boxes' titles in plain type
    plain = load(tmp_path, body.replace("**", ""), "plain.md")
    assert plain.text == doc.text
    cut = [s.start for s in doc.sections if s.cuts]
    assert cut == [s.start for s in plain.sections]
