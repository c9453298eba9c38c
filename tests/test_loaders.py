"""Loading files into Documents: what a user sees for good files and for bad ones."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.loaders import SUPPORTED_SUFFIXES, iter_files, load_document
from ingest.metadata import slugify
from ingest.pdf import read_pdf
from kb.config import Settings
from kb.countries import normalise_country
from tests.docs_factory import (
    EN_TEXT,
    ES_TEXT,
    blank_pdf,
    encrypted_pdf,
    pdf_bytes,
    write_docx,
    write_pdf,
    zip_bomb_docx,
    zip_bytes,
)

SETTINGS = Settings()
PAGE_LINES = [
    ["Capitulo uno: los clusters en Chile y Argentina.", "La coordinacion fue debil."],
    ["Capitulo dos: instrumentos para proveedores locales.", "Hubo fondos concursables."],
    ["Capitulo tres: resultados.", "Esta frase exclusiva aparece solo en la tercera pagina."],
]


def load(path: Path, settings: Settings = SETTINGS):
    return load_document(path, settings)


def reason_of(path: Path, settings: Settings = SETTINGS) -> str:
    with pytest.raises(IngestError) as caught:
        load_document(path, settings)
    error = caught.value
    assert error.path == str(path)
    assert str(error).endswith(f": {error.reason}")
    return error.reason


# --------------------------------------------------------------------------- PDF


def test_pdf_pages_are_numbered_and_hold_their_own_text(tmp_path: Path) -> None:
    doc = load(write_pdf(tmp_path / "informe.pdf", PAGE_LINES))
    assert [p.number for p in doc.pages] == [1, 2, 3]
    spans = [doc.text[p.start : p.end] for p in doc.pages]
    assert "Capitulo dos" in spans[1]
    phrase = "frase exclusiva aparece solo en la tercera"
    assert [phrase in span for span in spans] == [False, False, True]
    assert doc.page_at(doc.text.index(phrase)) == 3
    assert doc.text == "\n\n".join(spans)


def test_pdf_bookmarks_become_sections_at_their_page(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "b.pdf", PAGE_LINES, bookmarks=["Uno", "Dos", "Tres"])
    doc = load(path)
    assert [s.heading for s in doc.sections] == ["Uno", "Dos", "Tres"]
    assert [s.start for s in doc.sections] == [p.start for p in doc.pages]
    assert doc.section_at(doc.text.index("tercera")) == "Tres"


def test_pdf_headings_told_by_their_size_become_sections(tmp_path: Path) -> None:
    # Reports exported from online editors bookmark headings under anchor ids that name
    # nothing; their headings are set in larger type than the body.
    pages = [
        ["Portada del informe", "Texto de la portada."],
        ["El caso de Chile", "La coordinacion entre agencias fue debil.", "Texto del cuerpo."],
        ["Lecciones", "Sigue el cuerpo del informe en letra normal.", "Mas texto del cuerpo."],
    ]
    anchors = ["_jahyx98qwjcx", "_pkb73q67vg1p", "_gz85qu9eu39l"]
    doc = load(write_pdf(tmp_path / "h.pdf", pages, bookmarks=anchors, heading_size=18))
    assert [s.heading for s in doc.sections] == ["El caso de Chile", "Lecciones"]
    assert doc.section_at(doc.text.index("coordinacion")) == "El caso de Chile"
    assert doc.section_at(doc.text.index("Sigue el cuerpo")) == "Lecciones"
    # Body-size type is never a heading; neither is the cover's large title.
    same = write_pdf(tmp_path / "flat.pdf", pages, bookmarks=anchors, heading_size=11)
    assert not any(s.heading for s in load(same).sections)


def test_pdf_heading_sizes_nest_a_section_under_the_larger_heading_before_it(
    tmp_path: Path,
) -> None:
    pages = [
        ["Portada del informe", "Texto de la portada."],
        ["Peru", "El pais exporta cobre y oro.", "Texto del cuerpo."],
        ["Respuestas de politica", "El gobierno creo un fondo de proveedores.", "Mas texto."],
        ["Mexico", "Mexico fabrica automoviles.", "Texto del cuerpo."],
        ["Instrumentos", "Se crearon parques industriales.", "Mas texto del cuerpo."],
    ]
    doc = load(write_pdf(tmp_path / "n.pdf", pages, heading_size=[0, 20, 15, 20, 15]))
    assert [(s.heading, s.level) for s in doc.sections] == [
        ("Peru", 1), ("Respuestas de politica", 2), ("Mexico", 1), ("Instrumentos", 2)
    ]  # fmt: skip
    assert doc.headings_above(doc.text.index("fondo de proveedores")) == ("Peru",)
    assert doc.headings_above(doc.text.index("parques industriales")) == ("Mexico",)
    assert doc.headings_above(doc.text.index("exporta cobre")) == ()


def test_a_pdf_heading_that_opens_with_punctuation_is_a_section(tmp_path: Path) -> None:
    pages = [
        ["Portada del informe", "Texto de la portada."],
        ["Alemania", "Alemania creó la plataforma Industrie 4.0.", "Texto del cuerpo."],
        ["¿Y la Argentina?", "La Argentina no parte de cero.", "Mas texto del cuerpo."],
    ]
    doc = load(write_pdf(tmp_path / "q.pdf", pages, heading_size=[0, 18, 18]))
    assert [s.heading for s in doc.sections] == ["Alemania", "¿Y la Argentina?"]


def test_pdf_text_outside_the_page_is_not_cited_on_that_page(tmp_path: Path) -> None:
    hidden = "Texto de otra pagina colocado fuera del area visible."
    path = write_pdf(tmp_path / "overflow.pdf", PAGE_LINES, hidden={0: hidden, 1: hidden})
    doc = load(path)
    assert hidden not in doc.text
    assert "Capitulo uno" in doc.text and "Capitulo dos" in doc.text


def test_pdf_text_is_cleaned(tmp_path: Path) -> None:
    lines = ["La politica de desarro-", "llo productivo    requiere", "coordinacion.", "7"]
    doc = load(write_pdf(tmp_path / "clean.pdf", [lines]))
    assert "desarrollo productivo requiere" in doc.text
    assert not doc.text.rstrip().endswith("7")  # a bare page number is a footer, not content


def test_pdf_title_and_year_from_metadata(tmp_path: Path) -> None:
    doc = load(write_pdf(tmp_path / "x_1.pdf", PAGE_LINES, title="Politica de clusters"))
    assert doc.meta.title == "Politica de clusters"
    assert doc.meta.year is not None and doc.meta.year >= 2024
    working_name = load(write_pdf(tmp_path / "mi_informe.pdf", PAGE_LINES, title="doc3.indd"))
    assert working_name.meta.title == "mi informe"


def test_encrypted_pdf_with_password_is_refused(tmp_path: Path) -> None:
    path = encrypted_pdf(tmp_path / "locked.pdf", "secret", PAGE_LINES)
    assert reason_of(path) == "encrypted PDF (password required)"


def test_encrypted_pdf_with_empty_password_opens(tmp_path: Path) -> None:
    doc = load(encrypted_pdf(tmp_path / "open.pdf", "", PAGE_LINES))
    assert len(doc.pages) == 3 and "tercera" in doc.text


def test_pdf_without_text_layer_is_refused(tmp_path: Path) -> None:
    assert reason_of(blank_pdf(tmp_path / "scan.pdf")) == "no text layer; OCR is not supported"


def test_truncated_pdf_is_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "cut.pdf"
    path.write_bytes(pdf_bytes(PAGE_LINES)[:900])
    assert reason_of(path).startswith("corrupt or unreadable PDF: ")


def test_zip_named_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(zip_bytes({"a.txt": b"hello"}))
    assert reason_of(path) == "not a PDF (looks like a ZIP archive)"


def test_html_saved_as_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "download.pdf"
    path.write_text("<!DOCTYPE html><html><body>404 Not Found</body></html>")
    assert reason_of(path) == "not a PDF (looks like an HTML page)"


def test_pdf_parser_time_limit(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"PDF parsing timed out after 0\.01 s"):
        read_pdf(pdf_bytes(PAGE_LINES), tmp_path / "slow.pdf", timeout_s=0.01)


def test_pdf_parser_memory_limit(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="PDF parser crashed or ran out of memory"):
        read_pdf(pdf_bytes(PAGE_LINES), tmp_path / "big.pdf", memory_mb=16)


def test_pdf_type_comes_from_bytes_not_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(pdf_bytes(PAGE_LINES))
    assert len(load(path).pages) == 3


# --------------------------------------------------------------------------- Markdown / text

FRONT_MATTER_MD = f"""---
title: Clústeres en Brasil
country: Brasil
source: "CEPAL (2020), Políticas de clusters"
year: 2020
---

# Introducción

{ES_TEXT}

## Lecciones ##

Texto de lecciones.

```
# not a heading inside code
```
"""


def test_markdown_front_matter_and_headings(tmp_path: Path) -> None:
    path = tmp_path / "Clústeres Brasil.md"
    path.write_text(FRONT_MATTER_MD, encoding="utf-8")
    doc = load(path)
    meta = doc.meta
    assert (meta.title, meta.country, meta.year) == ("Clústeres en Brasil", "Brazil", 2020)
    assert meta.source == "CEPAL (2020), Políticas de clusters"
    assert meta.lang == "es"
    assert meta.doc_id == "clusteres_brasil"
    assert meta.path == str(path) and len(meta.sha256) == 64
    assert "---" not in doc.text and "title:" not in doc.text
    # Markdown is reduced to prose: headings stay as lines of text and become the sections.
    assert doc.text.startswith("Introducción") and "## Lecciones" not in doc.text
    assert [s.heading for s in doc.sections] == ["Introducción", "Lecciones"]
    assert doc.text[doc.sections[0].start :].startswith("Introducción")
    assert doc.text[doc.sections[1].start :].startswith("Lecciones")
    assert doc.section_at(doc.text.index("Texto de lecciones")) == "Lecciones"
    assert [(p.number, p.start, p.end) for p in doc.pages] == [(1, 0, len(doc.text))]


def test_agency_and_language_from_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "ocde.md"
    path.write_text(f"---\nagency: OCDE\nlanguage: Spanish\ndate: 2019-05-02\n---\n{EN_TEXT}\n")
    meta = load(path).meta
    assert (meta.country, meta.lang, meta.year) == ("OECD", "es", 2019)
    assert meta.title == "ocde"  # no title anywhere: the file name


def test_language_is_detected_when_absent(tmp_path: Path) -> None:
    (tmp_path / "es.md").write_text(f"# Clústeres\n\n{ES_TEXT}\n")
    (tmp_path / "en.txt").write_text(EN_TEXT)
    assert load(tmp_path / "es.md").meta.lang == "es"
    english = load(tmp_path / "en.txt").meta
    assert (english.lang, english.country, english.year) == ("en", "", None)


def test_first_heading_is_the_title_when_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "notas_de_campo.md"
    path.write_text(f"Intro line.\n\n# Hilando cadenas\n\n{ES_TEXT}\n")
    assert load(path).meta.title == "Hilando cadenas"


def test_plain_text_front_matter_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"---\ntitle: Nota\ncountry: Perú\n---\n{ES_TEXT}\n# not a heading in .txt\n")
    doc = load(path)
    assert (doc.meta.title, doc.meta.country) == ("Nota", "Peru")
    assert doc.text.startswith("Los clústeres") and doc.sections == ()


def test_latin1_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "viejo.txt"
    path.write_bytes(f"Educación y año de la región. {ES_TEXT}".encode("latin-1"))
    doc = load(path)
    assert doc.text.startswith("Educación y año de la región")
    assert doc.meta.lang == "es"


def test_html_stays_literal_text(tmp_path: Path) -> None:
    path = tmp_path / "page.md"
    path.write_text(f"<script>alert(1)</script>\n<p>{ES_TEXT}</p>\n")
    assert load(path).text.startswith("<script>alert(1)</script>")


def test_malformed_front_matter_is_kept_as_text(tmp_path: Path) -> None:
    path = tmp_path / "odd.md"
    path.write_text(f"---\ntitle: [unclosed\n---\n{ES_TEXT}\n")
    doc = load(path)
    assert doc.text.startswith("---") and doc.meta.title == "odd"


# --------------------------------------------------------------------------- DOCX


def test_docx_headings_tables_and_core_title(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "informe.docx",
        [
            ("title", "Programa de clústeres"),
            ("h1", "Contexto"),
            ("p", ES_TEXT),
            ("h2", "Instrumentos"),
            ("p", "Fondos para proveedores."),
        ],
        core_title="Informe de evaluación",
        table=[["Instrumento", "Resultado"], ["Fondo", "Más ventas"]],
    )
    doc = load(path)
    assert doc.meta.title == "Informe de evaluación"
    assert doc.meta.lang == "es"
    assert [s.heading for s in doc.sections] == [
        "Programa de clústeres",
        "Contexto",
        "Instrumentos",
    ]
    for section in doc.sections:
        assert doc.text[section.start :].startswith(section.heading)
    assert doc.text.index("Fondos para proveedores") < doc.text.index("Más ventas")
    assert doc.section_at(doc.text.index("Fondo\n")) == "Instrumentos"
    assert [s.level for s in doc.sections] == [1, 1, 2]
    assert doc.headings_above(doc.text.index("Fondos para")) == ("Contexto",)


def test_zip_bomb_docx_is_refused_before_parsing(tmp_path: Path) -> None:
    reason = reason_of(zip_bomb_docx(tmp_path / "bomb.docx"))
    assert reason.startswith("suspicious DOCX archive (possible zip bomb): compression ratio")


def test_docx_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    members = {"word/document.xml": b"<w:document/>"}
    members.update({f"word/media/{i}.xml": b"x" for i in range(2001)})
    path = tmp_path / "many.docx"
    path.write_bytes(zip_bytes(members))
    assert reason_of(path).startswith("suspicious DOCX archive (possible zip bomb): 2002 entries")


def test_docx_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_text("just some text")
    assert reason_of(path).startswith("not a DOCX file: not a ZIP archive")


def test_truncated_docx_is_refused(tmp_path: Path) -> None:
    good = write_docx(tmp_path / "good.docx", [("p", ES_TEXT)])
    path = tmp_path / "cut.docx"
    path.write_bytes(good.read_bytes()[:2000])
    assert reason_of(path).startswith("corrupt DOCX")


# --------------------------------------------------------------------------- any file


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.touch()
    assert reason_of(path) == "empty file"


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_text("x" * 2048)
    reason = reason_of(path, Settings(max_file_mb=0.001))
    assert reason == "file is 0.002 MB, over the 0.001 MB limit (CLUSTERKB_MAX_FILE_MB)"


def test_images_and_binaries_are_unsupported(tmp_path: Path) -> None:
    png = tmp_path / "chart.md"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    blob = tmp_path / "blob.txt"
    blob.write_bytes(b"abc\0\1\2" * 100)
    assert reason_of(png) == "unsupported file type (a PNG image)"
    assert reason_of(blob) == "unsupported file type (binary data)"


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert reason_of(tmp_path / "nope.md") == "file not found"
    assert reason_of(tmp_path) == "is a folder, not a file"


def test_control_characters_in_names_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "bell\x07name.md"
    path.touch()
    with pytest.raises(IngestError) as caught:
        load(path)
    message = str(caught.value)
    assert "\x07" not in message and "bell\\x07name.md: empty file" in message
    path.write_text(ES_TEXT)
    assert load(path).meta.doc_id == "bell_name"


def test_long_and_dotted_names_are_safe(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    long_path = tmp_path / ("Informe " + "muy " * 58 + "largo.md")
    long_path.write_text(ES_TEXT)
    doc = load(long_path)
    assert len(doc.meta.doc_id) <= 80 and doc.meta.doc_id.startswith("informe_muy_")
    dotted = tmp_path / "sub" / ".." / "sub" / "..md"
    dotted.write_text(ES_TEXT)
    assert load(dotted).meta.doc_id == "doc"


def test_iter_files_finds_supported_files_only(tmp_path: Path) -> None:
    for name in ["a.md", "B.PDF", "sub/c.docx", "sub/d.txt", "e.png", ".hidden.md"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    for name in [".git/f.md", "corpus/eval/queries.md", "sub/~$lock.docx"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = iter_files([tmp_path, tmp_path / "a.md"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "B.PDF",
        "a.md",
        "sub/c.docx",
        "sub/d.txt",
    ]
    assert {".pdf", ".md", ".markdown", ".txt", ".docx"} == SUPPORTED_SUFFIXES


# --------------------------------------------------------------------------- metadata


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Brasil", "Brazil"),
        ("Perú", "Peru"),
        ("México", "Mexico"),
        ("el salvador", "El Salvador"),
        ("OCDE", "OECD"),
        ("Organisation for Economic Co-operation and Development", "OECD"),
        ("Comisión Económica para América Latina y el Caribe (CEPAL)", "CEPAL"),
        ("ECLAC", "CEPAL"),
        ("Banco Mundial", "World Bank"),
        ("PNUD", "UNDP"),
        ("BID", "IDB"),
        ("Brasil (MDIC)", "Brazil"),
        ("", ""),
        ("Narnia", "Narnia"),
    ],
)
def test_country_names_are_normalised(given: str, expected: str) -> None:
    assert normalise_country(given) == expected


def test_slugs_are_safe_ids() -> None:
    assert slugify("Política Industrial (2024) — versión final") == (
        "politica_industrial_2024_version_final"
    )
    assert slugify("../../etc/passwd") == "etc_passwd"
    assert slugify("???") == "doc"


def test_zip_bomb_check_does_not_flag_normal_docx(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "ok.docx", [("p", ES_TEXT * 50)])
    with zipfile.ZipFile(path) as archive:
        assert len(archive.infolist()) < 2000
    assert load(path).meta.lang == "es"
