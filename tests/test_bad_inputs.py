"""Bad and hostile files in an ingest: each is reported with its reason, the rest goes in, and
what the knowledge base held before is untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import IngestReport, ingest_paths
from kb.retrieval.search import search
from kb.storage.check import check
from kb.storage.knowledge import KnowledgeBase
from kb.storage.vectors import PassageStore
from tests.conftest import HashingEmbedder, settings_for
from tests.docs_factory import (
    ES_TEXT,
    blank_pdf,
    encrypted_pdf,
    pdf_bytes,
    write_docx,
    write_pdf,
    zip_bomb_docx,
    zip_bytes,
)
from tests.helpers.reports import MARKERS, write_report

PAGES = [
    ["Capitulo uno: los clusters de ostras del golfo.", "La coordinacion fue debil."],
    ["Capitulo dos: proveedores locales y fondos concursables para la certificacion."],
]


def open_kb(tmp_path: Path, **settings: object) -> KnowledgeBase:
    config = settings_for(tmp_path, chunk_tokens=60, chunk_overlap_tokens=10, **settings)
    embedder = HashingEmbedder()
    return KnowledgeBase(config, embedder, PassageStore(config, embedder.name, embedder.dim))


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    """A knowledge base that already holds one report (a.md), with a 0.2 MB file size cap."""
    base = open_kb(tmp_path, max_file_mb=0.2)
    ingest_paths(base, [write_report(tmp_path / "reports", "a", MARKERS["a"])])
    return base


def snapshot(kb: KnowledgeBase) -> dict[str, str]:
    """Every stored passage's text, by id."""
    return {p.id: p.text for p in kb.store.iter_all()}


def failures(report: IngestReport) -> dict[str, str]:
    return {Path(path).name: reason for path, reason in report.failed}


def added(report: IngestReport) -> set[str]:
    return {Path(path).name for path in report.added}


def test_each_bad_file_is_reported_and_the_good_ones_are_added(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    before = snapshot(kb)
    before_hits = [h.passage.id for h in search(kb, MARKERS["a"], k=10, mode="lexical")]
    folder = tmp_path / "reports"
    # Good files, among them an encrypted PDF that opens with the empty password.
    write_report(folder, "nuevo", MARKERS["c"])
    write_pdf(folder / "informe.pdf", PAGES)
    encrypted_pdf(folder / "abierto.pdf", "", PAGES)
    write_docx(folder / "guia.docx", [("h1", "Facilitadores"), ("p", ES_TEXT)])
    (folder / "antiguo.txt").write_bytes(
        f"Educación y año de la región; señal de coordinación. {ES_TEXT}".encode("cp1252")
    )
    # Bad files.
    (folder / "cortado.pdf").write_bytes(pdf_bytes(PAGES)[:900])
    encrypted_pdf(folder / "cerrado.pdf", "secreto", PAGES)
    blank_pdf(folder / "escaneado.pdf")
    (folder / "vacio.txt").write_bytes(b"")
    (folder / "archivo.pdf").write_bytes(zip_bytes({"a.txt": b"hola"}))
    (folder / "grande.txt").write_text("palabra " * 40_000, encoding="utf-8")
    zip_bomb_docx(folder / "bomba.docx", inflated_mb=20)

    report = ingest_paths(kb, [folder])

    reasons = failures(report)
    assert reasons.pop("cortado.pdf").startswith("corrupt or unreadable PDF: ")
    assert reasons.pop("cerrado.pdf") == "encrypted PDF (password required)"
    assert reasons.pop("escaneado.pdf") == "no text layer; OCR is not supported"
    assert reasons.pop("vacio.txt") == "empty file"
    assert reasons.pop("archivo.pdf") == "not a PDF (looks like a ZIP archive)"
    assert reasons.pop("grande.txt") == (
        "file is 0.31 MB, over the 0.2 MB limit (CLUSTERKB_MAX_FILE_MB)"
    )
    assert reasons.pop("bomba.docx").startswith("suspicious DOCX archive (possible zip bomb)")
    assert reasons == {}
    assert added(report) == {"nuevo.md", "informe.pdf", "abierto.pdf", "guia.docx", "antiguo.txt"}
    assert report.unchanged == [str((folder / "a.md").resolve())]

    after = snapshot(kb)
    assert {pid: after[pid] for pid in before} == before  # nothing stored before was touched
    assert [h.passage.id for h in search(kb, MARKERS["a"], k=10, mode="lexical")] == before_hits
    assert check(kb).ok
    legacy = search(kb, "señal de coordinación", k=1, mode="lexical")[0].passage
    assert legacy.doc_id == "antiguo" and "Educación y año de la región" in legacy.text
    assert search(kb, "ostras del golfo", k=1, mode="lexical")[0].passage.page_start == 1


def test_a_good_file_that_turns_bad_keeps_its_last_good_version(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    before = snapshot(kb)
    (tmp_path / "reports" / "a.md").write_bytes(b"\x00\x01\x02 binary junk \xff\xfe" * 50)
    report = ingest_paths(kb, [tmp_path / "reports"])
    assert list(failures(report)) == ["a.md"] and not report.changed
    assert snapshot(kb) == before
    assert {h.passage.doc_id for h in search(kb, MARKERS["a"], k=5)} == {"a"}


def test_hostile_file_names_are_ingested_under_safe_ids_and_titles(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    folder = tmp_path / "odd"
    names = {  # marker word -> file name
        "xqcontrol": "informe\x1b[31m\x07rojo\u202e.md",
        "xqlargo": "Informe " + "muy " * 58 + "largo.md",
        "xqbarras": "x\\..\\..\\windows\\system32.md",
        "xqpuntos": "...md",  # hidden by its leading dot: skipped in a folder, like ".git"
    }
    for marker, name in names.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"{ES_TEXT} {marker}", encoding="utf-8")
    report = ingest_paths(kb, [folder])
    assert not report.failed and len(report.added) == 3
    for marker in ("xqcontrol", "xqlargo", "xqbarras"):
        passage = search(kb, marker, k=1, mode="lexical")[0].passage
        assert len(passage.doc_id) <= 80 and passage.doc_id.isascii()
        assert all(ch.isalnum() or ch == "_" for ch in passage.doc_id)
        assert passage.title.isprintable()
    assert not search(kb, "xqpuntos", k=1, mode="lexical")


def test_a_path_through_dot_dot_is_the_same_document(kb: KnowledgeBase, tmp_path: Path) -> None:
    (tmp_path / "reports" / "sub").mkdir()
    roundabout = tmp_path / "reports" / "sub" / ".." / "a.md"
    report = ingest_paths(kb, [roundabout])
    assert report.unchanged and not report.added  # not a second copy of a.md
    assert list(kb.manifest.docs) == ["a"]


def test_a_pdf_parse_over_the_time_limit_is_refused_and_the_rest_goes_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERKB_PDF_TIMEOUT_S", "0.01")
    kb = open_kb(tmp_path)
    folder = tmp_path / "reports"
    write_report(folder, "nuevo", MARKERS["c"])
    write_pdf(folder / "lento.pdf", PAGES)
    report = ingest_paths(kb, [folder])
    assert failures(report) == {"lento.pdf": "PDF parsing timed out after 0.01 s"}
    assert added(report) == {"nuevo.md"}


def test_escapes_in_front_matter_cannot_stop_the_ingest(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    (folder / "raro.md").write_text(
        '---\ntitle: "Informe \\ud800 raro"\nsource: "Fuente \\0 nula \\x1b[31m"\n---\n'
        f"{ES_TEXT} xqraro\n",
        encoding="utf-8",
    )
    write_report(folder, "nuevo", MARKERS["c"])
    report = ingest_paths(kb, [folder])
    assert added(report) == {"raro.md", "nuevo.md"} and not report.failed
    odd = search(kb, "xqraro", k=1, mode="lexical")[0].passage
    assert odd.title == "Informe raro" and odd.source.isprintable()
