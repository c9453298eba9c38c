"""Subheadings set only in bold (in a PDF at the body's size or a little larger, in a DOCX as a
bold paragraph in the body style): they tell a reader which programme or country the text
under them is about, though no type size or heading style marks them as headings."""

from __future__ import annotations

from pathlib import Path

import docx
from fpdf import FPDF

from ingest.annotate import annotate
from ingest.chunking import chunk_document
from ingest.loaders import load_document
from kb.config import Settings
from kb.models import Document, Passage

FILLER = (
    "El programa reúne a las grandes empresas, a los proveedores y a las universidades en "
    "mesas de trabajo que definen proyectos de innovación abierta con metas a cinco años."
)


def _report(path: Path, blocks: list[tuple[str, str]], bold_body: bool = False) -> Path:
    """A report: a cover, then blocks of ("H", heading at 18 pt), ("B", a bold line at the body's
    size), ("C", a bold line a little larger), ("P", a body paragraph at 10 pt) or ("L", a
    paragraph opening with bold words on its first line)."""
    pdf = FPDF(format="A4")
    pdf.set_margins(22, 18, 22)
    pdf.add_page()
    pdf.set_font("helvetica", style="B", size=22)
    pdf.multi_cell(0, 10, "Proveedores mineros: experiencias internacionales")
    pdf.add_page()
    body_style = "B" if bold_body else ""
    for kind, text in blocks:
        if kind == "H":
            pdf.set_font("helvetica", style="B", size=18)
        elif kind in "BC":
            pdf.set_font("helvetica", style="B", size=10 if kind == "B" else 12)
        elif kind == "L":
            pdf.set_font("helvetica", style="B", size=10)
            pdf.write(5, text.split(" ", 1)[0] + " ")
            pdf.set_font("helvetica", style=body_style, size=10)
            pdf.multi_cell(0, 5, text.split(" ", 1)[1], new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            continue
        else:
            pdf.set_font("helvetica", style=body_style, size=10)
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    path.write_bytes(bytes(pdf.output()))
    return path


def _passages(document: Document) -> list[Passage]:
    return annotate(document, chunk_document(document, lambda t: len(t.split()), 60, 0, 0))


BLOCKS = [
    ("H", "Experiencias internacionales"),
    ("P", "Esta sección reseña programas de otros países productores. " + FILLER),
    ("B", "Programa Alta Ley (multisectorial, Chile)"),
    ("P", "Alta Ley nació en 2015 con fondos públicos y privados. " + FILLER),
    ("P", "Su hoja de ruta tecnológica ordenó las prioridades del sector. " + FILLER),
    ("B", "El CSIRO y los centros cooperativos (Australia)"),
    ("P", "La agencia federal de ciencia financia consorcios con la industria. " + FILLER),
    ("P", "Los centros cooperativos duran diez años y se evalúan a mitad de camino. " + FILLER),
]


def test_a_bold_subheading_is_a_section_and_names_its_passages_country(tmp_path: Path) -> None:
    document = load_document(_report(tmp_path / "proveedores.pdf", BLOCKS), Settings())
    assert [s.heading for s in document.sections] == [
        "Experiencias internacionales",
        "Programa Alta Ley (multisectorial, Chile)",
        "El CSIRO y los centros cooperativos (Australia)",
    ]
    passages = _passages(document)
    roadmap = next(p for p in passages if "hoja de ruta" in p.text)
    assert roadmap.section == "Programa Alta Ley (multisectorial, Chile)"
    assert roadmap.headings == (
        "Programa Alta Ley (multisectorial, Chile)",
        "Experiencias internacionales",
    )
    assert roadmap.countries == ("Chile",)
    halfway = next(p for p in passages if "mitad de camino" in p.text)
    assert halfway.countries == ("Australia",)
    # No passage runs from one programme into the next.
    assert not any("Alta Ley nació" in p.text and "agencia federal" in p.text for p in passages)
    intro = next(p for p in passages if "otros países productores" in p.text)
    assert intro.countries == ()


def test_bold_lead_words_captions_and_a_bold_body_are_no_subheadings(tmp_path: Path) -> None:
    blocks = [
        ("B", "Ana Torres y Luis Vega"),  # the authors on the title page, before any heading
        ("H", "Resultados"),
        ("B", "Gráfico 2. Empleo en Chile"),
        ("P", "El empleo creció en todas las regiones mineras. " + FILLER),
        ("L", "Resultados. Las empresas de Chile que participaron crecieron más. " + FILLER),
        ("P", "Las demás empresas crecieron menos. " + FILLER),
        ("B", "Los proveedores que exportan:"),
        ("P", "Son pocos y se concentran en servicios de ingeniería. " + FILLER),
    ]
    document = load_document(_report(tmp_path / "resultados.pdf", blocks), Settings())
    assert [s.heading for s in document.sections] == ["Resultados"]
    # Where the whole body is set in bold, bold tells nothing apart.
    bold = load_document(_report(tmp_path / "negrita.pdf", BLOCKS, bold_body=True), Settings())
    assert [s.heading for s in bold.sections] == ["Experiencias internacionales"]


def test_a_box_s_bold_title_is_a_section_a_figure_s_is_not(tmp_path: Path) -> None:
    blocks = [
        ("H", "Lecciones de otros países"),
        ("P", "Las experiencias ajenas sirven si se leen con cuidado. " + FILLER),
        ("B", "Recuadro 1. La experiencia de Australia"),
        ("P", "El programa federal financia consorcios durante diez años. " + FILLER),
        ("B", "Gráfico 2. Empleo en Chile"),
        ("P", "El empleo creció en todas las regiones mineras. " + FILLER),
    ]
    document = load_document(_report(tmp_path / "recuadro.pdf", blocks), Settings())
    assert [s.heading for s in document.sections] == [
        "Lecciones de otros países",
        "Recuadro 1. La experiencia de Australia",
    ]
    box = next(p for p in _passages(document) if "diez años" in p.text)
    assert box.countries == ("Australia",)


def test_a_larger_bold_subheading_stays_over_the_smaller_ones_under_it(tmp_path: Path) -> None:
    blocks = [
        ("H", "Síntesis por país"),
        ("C", "Guatemala"),
        ("B", "Antecedentes"),
        ("P", "La economía combina maquila y agroexportación. " + FILLER),
        ("B", "Instrumentos"),
        ("P", "Los programas de encadenamiento tienen poca cobertura. " + FILLER),
        ("C", "Paraguay"),
        ("B", "Antecedentes"),
        ("P", "La maquila creció con el régimen de exportación de la última década. " + FILLER),
    ]
    document = load_document(_report(tmp_path / "sintesis.pdf", blocks), Settings())
    coverage = document.text.index("poca cobertura")
    assert document.section_at(coverage) == "Instrumentos"
    assert document.headings_above(coverage) == ("Síntesis por país", "Guatemala")
    assert document.headings_above(document.text.index("La maquila creció")) == (
        "Síntesis por país",
        "Paraguay",
    )
    passages = _passages(document)
    assert next(p for p in passages if "poca cobertura" in p.text).countries == ("Guatemala",)


def test_a_bold_paragraph_of_a_docx_is_a_subheading_under_its_styled_heading(
    tmp_path: Path,
) -> None:
    document = docx.Document()
    document.add_heading("Proveedores mineros: experiencias internacionales", level=0)
    document.add_heading("Experiencias internacionales", level=1)
    for kind, text in BLOCKS[1:]:
        paragraph = document.add_paragraph()
        paragraph.add_run(text).bold = kind == "B"
    lead = document.add_paragraph()
    lead.add_run("Resultados. ").bold = True
    lead.add_run("Las empresas que participaron crecieron más que las demás.")
    document.add_paragraph().add_run("Los proveedores que exportan:").bold = True
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].paragraphs[0].add_run("Perú").bold = True
    table.rows[0].cells[1].text = "12 proveedores"
    path = tmp_path / "proveedores.docx"
    document.save(str(path))
    loaded = load_document(path, Settings())
    assert [(s.heading, s.level) for s in loaded.sections] == [
        ("Proveedores mineros: experiencias internacionales", 1),
        ("Experiencias internacionales", 1),
        ("Programa Alta Ley (multisectorial, Chile)", 2),
        ("El CSIRO y los centros cooperativos (Australia)", 2),
    ]
    passages = _passages(loaded)
    assert next(p for p in passages if "hoja de ruta" in p.text).countries == ("Chile",)
