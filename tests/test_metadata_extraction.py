"""Document metadata read from the document itself: title, year, publisher and language,
each with where it came from."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from fpdf import FPDF

from ingest.annotate import annotate
from ingest.chunking import chunk_document
from ingest.cover import Line, cover_title
from ingest.loaders import load_document
from ingest.metadata import Extracted, build_meta
from ingest.publishers import PublisherListError, only_publisher, parse_publishers
from kb.config import Settings
from kb.evaluation.realdocs_set import load_realdocs_set
from kb.models import Page
from kb.textnorm import fold
from tests.docs_factory import ES_TEXT, write_docx

SETTINGS = Settings()
REPO = Path(__file__).resolve().parents[1]
REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"

BODY = [
    "La coordinacion entre empresas y gobierno fue debil en los primeros anos del programa.",
    "Los proveedores locales recibieron apoyo tecnico y financiamiento para crecer.",
]
PT_TEXT = (
    "O arranjo produtivo local reúne produtores, cooperativas e a prefeitura para melhorar a "
    "qualidade do leite. A governança do arranjo é compartilhada entre os associados, que se "
    "reúnem todos os meses para decidir os investimentos e as ações de capacitação."
)


def cover_pdf(
    path: Path,
    cover: list[tuple[str, float]],
    pages: list[list[str]],
    *,
    title: str | None = None,
) -> Path:
    """A PDF whose first page prints `cover` lines at their font sizes, then body pages."""
    pdf = FPDF(format="A4")
    if title is not None:
        pdf.set_title(title)
    pdf.add_page()
    y = 25.0
    for text, size in cover:
        pdf.set_font("helvetica", size=size)
        pdf.text(x=20, y=y, text=text)
        y += size * 0.5 + 4
    for lines in pages:
        pdf.add_page()
        pdf.set_font("helvetica", size=11)
        for number, line in enumerate(lines):
            pdf.text(x=20, y=30 + 8 * number, text=line)
    path.write_bytes(bytes(pdf.output()))
    return path


def origins(meta: object) -> dict[str, str]:
    return dict(meta.provenance)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- titles

COVER = [
    ("Ana Perez", 12),
    ("Juan Gomez", 12),
    ("Noviembre 2023", 12),
    ("Politicas de clusters para", 30),
    ("el desarrollo regional", 30),
    ("Aprendizajes de cuatro provincias", 18),
    ("Comision Economica para America Latina y el Caribe (CEPAL)", 10),
]


def test_cover_title_beats_a_file_name_as_embedded_title(tmp_path: Path) -> None:
    path = cover_pdf(tmp_path / "informe.pdf", COVER, [BODY], title="informe_final_v3.indd")
    meta = load_document(path, SETTINGS).meta
    assert meta.title == "Politicas de clusters para el desarrollo regional"
    assert origins(meta)["title"] == "cover"


def test_a_real_embedded_title_is_kept(tmp_path: Path) -> None:
    path = cover_pdf(tmp_path / "x.pdf", COVER, [BODY], title="Clusters en el Cono Sur")
    meta = load_document(path, SETTINGS).meta
    assert (meta.title, origins(meta)["title"]) == ("Clusters en el Cono Sur", "file_properties")


def test_without_a_cover_title_the_file_name_is_the_title(tmp_path: Path) -> None:
    path = cover_pdf(tmp_path / "notas_de_campo.pdf", [], [BODY, BODY], title="Untitled")
    meta = load_document(path, SETTINGS).meta
    assert (meta.title, origins(meta)["title"]) == ("notas de campo", "file_name")


def test_the_largest_cover_lines_are_the_title() -> None:
    def sized(size: float, *lines: str) -> list[Line]:
        return [Line(line, size) for line in lines]

    lines = [
        *sized(14, "Serie", "Desarrollo productivo en America Latina"),
        *sized(40, "Politicas de clusters:", "lecciones de Chile"),
        *sized(18, "Una mirada a veinte anos de programas"),
        *sized(11, "Buenos Aires, 2021"),
    ]
    assert cover_title([lines], [], only_publisher) == "Politicas de clusters: lecciones de Chile"


def test_a_series_name_printed_largest_gives_way_to_the_repeated_title() -> None:
    # The title page and the contents page print the title again; the series name once.
    lines = [
        Line("Documento de trabajo N° 4", 8),
        Line("Pensar la industria del futuro", 40),
        Line("Cadenas de valor y proveedores mineros", 20),
    ]
    later = ["cadenasdevaloryproveedoresmineros pensarlaindustriadelfuturo", "indice"]
    later.append("cadenasdevaloryproveedoresmineros introduccion")
    later.append("cadenasdevaloryproveedoresmineros capitulo")
    title = cover_title([lines], later, only_publisher)
    assert title == "Cadenas de valor y proveedores mineros"


# --------------------------------------------------------------------------- years


def test_year_printed_on_the_cover_beats_the_file_date(tmp_path: Path) -> None:
    meta = load_document(cover_pdf(tmp_path / "a.pdf", COVER, [BODY]), SETTINGS).meta
    # fpdf stamps today's date as the creation date; the cover says November 2023.
    assert (meta.year, origins(meta)["year"]) == (2023, "cover")


def test_year_from_a_copyright_line_after_the_cover(tmp_path: Path) -> None:
    cover = [("Politicas de clusters para el desarrollo", 28)]
    pages = [BODY, ["© 2019 Naciones Unidas. Todos los derechos reservados."]]
    meta = load_document(cover_pdf(tmp_path / "b.pdf", cover, pages), SETTINGS).meta
    assert (meta.year, origins(meta)["year"]) == (2019, "text")


def test_without_a_printed_year_the_file_date_counts(tmp_path: Path) -> None:
    meta = load_document(cover_pdf(tmp_path / "c.pdf", [], [BODY]), SETTINGS).meta
    assert meta.year is not None and meta.year >= 2024
    assert origins(meta)["year"] == "file_properties"


# --------------------------------------------------------------------------- publishers


def test_publisher_from_the_cover_is_stored_under_its_listed_name(tmp_path: Path) -> None:
    meta = load_document(cover_pdf(tmp_path / "d.pdf", COVER, [BODY]), SETTINGS).meta
    assert (meta.publisher, origins(meta)["publisher"]) == ("CEPAL", "cover")


def test_publisher_from_the_back_cover_web_address(tmp_path: Path) -> None:
    pages = [BODY, BODY, ["Banco Interamericano de Desarrollo", "www.iadb.org"]]
    meta = load_document(cover_pdf(tmp_path / "e.pdf", [], pages), SETTINGS).meta
    assert (meta.publisher, origins(meta)["publisher"]) == ("IDB", "text")


def test_agencies_cited_in_a_reference_list_are_not_the_publisher(tmp_path: Path) -> None:
    references = [
        f"OCDE ({year}). Estudio sobre clusters numero {n}. Paris: OCDE."
        for n, year in enumerate(range(2001, 2009))
    ]
    pages = [BODY, BODY, references]
    meta = load_document(cover_pdf(tmp_path / "f.pdf", [], pages), SETTINGS).meta
    assert meta.publisher == ""
    assert "publisher" not in origins(meta)


def with_company(path: Path, company: str) -> Path:
    """`path` (a DOCX) with its extended properties naming `company`, as Word writes them."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    app = members["docProps/app.xml"].decode("utf-8")
    members["docProps/app.xml"] = re.sub(
        r"</Properties>", f"<Company>{company}</Company></Properties>", app
    ).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_publisher_from_the_docx_company_property(tmp_path: Path) -> None:
    blocks = [("title", "Programa de proveedores"), ("p", ES_TEXT)]
    plain = load_document(write_docx(tmp_path / "a.docx", blocks), SETTINGS).meta
    assert plain.publisher == ""  # the author python-docx writes is not an organisation
    path = with_company(
        write_docx(tmp_path / "b.docx", blocks), "Banco Interamericano de Desarrollo"
    )
    meta = load_document(path, SETTINGS).meta
    assert (meta.publisher, origins(meta)["publisher"]) == ("IDB", "file_properties")
    assert (meta.title, origins(meta)["title"]) == ("Programa de proveedores", "cover")


def test_a_ministry_is_a_publisher_by_pattern(tmp_path: Path) -> None:
    path = tmp_path / "m.md"
    path.write_text(f"Ministerio de Desarrollo Productivo de la Nación\n\n{ES_TEXT}\n")
    meta = load_document(path, SETTINGS).meta
    assert meta.publisher == "Ministerio de Desarrollo Productivo de la Nación"


def test_front_matter_publisher_and_provenance(tmp_path: Path) -> None:
    path = tmp_path / "nota.md"
    path.write_text(
        "---\ntitle: Nota sobre clusters\nyear: 2015\nagency: OCDE\nlanguage: es\n---\n"
        f"{ES_TEXT}\n",
        encoding="utf-8",
    )
    meta = load_document(path, SETTINGS).meta
    assert (meta.title, meta.year, meta.publisher, meta.lang) == (
        "Nota sobre clusters",
        2015,
        "OECD",
        "es",
    )
    assert origins(meta) == {
        "title": "front_matter",
        "year": "front_matter",
        "publisher": "front_matter",
        "country": "front_matter",
        "lang": "front_matter",
    }


def test_a_malformed_publisher_entry_is_named() -> None:
    with pytest.raises(PublisherListError, match="CEPAL"):
        parse_publishers({"publishers": {"CEPAL": {"nombres": ["cepal"]}}})


# --------------------------------------------------------------------------- languages


def test_a_portuguese_passage_in_a_spanish_document(tmp_path: Path) -> None:
    path = tmp_path / "informe.md"
    spanish = f"{ES_TEXT} {ES_TEXT}"
    path.write_text(
        f"# Chile\n\n{spanish}\n\n# Brasil\n\n{PT_TEXT}\n\n# Argentina\n\n{spanish}\n\n"
        "# Nota\n\nVer anexo.\n",
        encoding="utf-8",
    )
    document = load_document(path, SETTINGS)
    assert document.meta.lang == "es"
    passages = annotate(document, chunk_document(document, lambda t: len(t.split()), 512, 80))
    langs = {p.section: p.lang for p in passages}
    assert langs == {"Chile": "es", "Brasil": "pt", "Argentina": "es", "Nota": "es"}


def test_a_portuguese_document_is_pt(tmp_path: Path) -> None:
    path = tmp_path / "apl.txt"
    path.write_text(f"{PT_TEXT}\n\n{PT_TEXT}\n", encoding="utf-8")
    meta = load_document(path, SETTINGS).meta
    assert (meta.lang, origins(meta)["lang"]) == ("pt", "text")


# --------------------------------------------------------------------------- real reports


def _fold(text: str) -> str:
    return " ".join(fold(text).split())


@pytest.mark.skipif(not REALDOCS.is_dir(), reason=f"real documents not found: {REALDOCS}")
def test_dev_reports_title_year_and_publisher() -> None:
    # Development documents only: the test split is measured, never tuned on.
    labelled = load_realdocs_set(REPO / "corpus" / "eval" / "realdocs.yaml").in_split("dev")
    wrong = []
    for doc in labelled.documents:
        if doc.publisher and "(" in doc.publisher:
            continue  # a description of many signatories, not a name to find
        meta = load_document(labelled.realdocs_dir / doc.file, SETTINGS).meta
        got = (_fold(meta.title), meta.year, meta.publisher or None)
        if got != (_fold(doc.title), doc.year, doc.publisher):
            wrong.append((doc.id, got))
    assert wrong == []


def test_build_meta_is_pure_over_what_the_reader_found(tmp_path: Path) -> None:
    text = "Informe anual\n\nMinisterio de Economía\n\n" + ES_TEXT
    extracted = Extracted(text=text, pages=(Page(1, 0, len(text)),), embedded_names=("CEPAL",))
    meta = build_meta(tmp_path / "informe.docx", b"x", extracted)
    assert (meta.publisher, origins(meta)["publisher"]) == ("CEPAL", "file_properties")
