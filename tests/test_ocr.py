"""Scanned PDFs: pages without a text layer are read by Tesseract, marked as OCR, and become
searchable; without Tesseract the refusal says what to install; OCR keeps to the time limit."""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from ingest.errors import IngestError
from ingest.loaders import load_document
from ingest.ocr import INSTALL_HINT, tesseract_langs
from ingest.pdf import read_pdf
from ingest.pipeline import ingest_paths
from kb.config import Settings
from kb.retrieval.search import search
from kb.storage.knowledge import KnowledgeBase
from tests.conftest import REPO

REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"
SCANNED_REPORT = REALDOCS / "robustness" / "PROBLEM_image_only_fundar_comunicado_es.pdf"
FONT = REPO / "kb" / "briefs" / "fonts" / "DejaVuSans.ttf"
PT_LINES = [
    "A coordenação entre as instituições",
    "públicas e as cooperativas de leite",
    "melhorou a produtividade do arranjo.",
]
NO_TEXT_LAYER = f"no text layer; {INSTALL_HINT}"


def require_tesseract() -> None:
    """Skip without Tesseract and its language data, except in CI, which installs them."""
    _langs, missing = tesseract_langs()
    if not missing:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"Tesseract is needed for OCR tests in CI: {missing}")
    pytest.skip(f"Tesseract with Spanish and Portuguese data not found ({missing})")


def scanned_page(lines: list[str]) -> Image.Image:
    """A page image at 150 dpi (A4) with `lines` printed on it, as a scanner would give."""
    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 40)
    for i, line in enumerate(lines):
        draw.text((120, 200 + 70 * i), line, fill=0, font=font)
    return image


def pdf_with_scan(path: Path, *, text_page: str = "") -> Path:
    """A PDF whose last page is only an image; with `text_page`, a first page of real text."""
    pdf = FPDF(format="A4")
    if text_page:
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.multi_cell(0, 8, text_page)
    pdf.add_page()
    pdf.image(scanned_page(PT_LINES), x=0, y=0, w=210, h=297)
    path.write_bytes(bytes(pdf.output()))
    return path


def fake_tesseract(folder: Path, script: str) -> None:
    """A `tesseract` command on PATH that runs `script` (a POSIX shell body)."""
    folder.mkdir(parents=True, exist_ok=True)
    command = folder / "tesseract"
    command.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    command.chmod(command.stat().st_mode | stat.S_IXUSR)


@pytest.mark.skipif(not REALDOCS.is_dir(), reason=f"real documents folder not found: {REALDOCS}")
def test_scanned_report_is_found_by_words_printed_in_it(
    fake_kb: KnowledgeBase, tmp_path: Path, write: Callable[[Path, str], Path]
) -> None:
    require_tesseract()
    # A decoy that shares a word with the query, so the scan has to win on its own text.
    decoy = write(tmp_path / "otro.md", "# Clústeres\n\nLa campaña de promoción del clúster.")
    report = ingest_paths(fake_kb, [SCANNED_REPORT, decoy])
    assert report.failed == []
    hits = search(fake_kb, "discursos de odio durante la campaña electoral", k=3, mode="lexical")
    assert hits, "the scanned statement was not found by its words"
    best = hits[0].passage
    assert "comunicado" in best.doc_id
    assert best.ocr and best.paged and best.page_start == 1
    assert "odio" in best.text


def test_scanned_page_beside_text_pages_is_read_and_marked(tmp_path: Path) -> None:
    require_tesseract()
    path = pdf_with_scan(tmp_path / "mixto.pdf", text_page="Introduccion al arreglo productivo.")
    extracted = read_pdf(path.read_bytes(), path)
    first, second = extracted.pages
    assert not first.ocr and second.ocr
    assert "Introduccion" in extracted.text[first.start : first.end]
    # Portuguese words keep their accents: the Portuguese language data was used.
    scanned = extracted.text[second.start : second.end]
    assert "coordenação" in scanned and "instituições" in scanned


def test_without_tesseract_the_refusal_names_the_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    path = pdf_with_scan(tmp_path / "escaneado.pdf")
    with pytest.raises(IngestError) as caught:
        load_document(path, Settings())
    assert caught.value.reason == NO_TEXT_LAYER
    assert "tesseract-ocr-spa" in str(caught.value) and "tesseract-ocr-por" in str(caught.value)


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for Tesseract")
def test_without_portuguese_data_the_refusal_names_the_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    fake_tesseract(bin_dir, 'printf "List of available languages (2):\\neng\\nspa\\n"')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    path = pdf_with_scan(tmp_path / "escaneado.pdf")
    with pytest.raises(IngestError) as caught:
        load_document(path, Settings())
    assert caught.value.reason == NO_TEXT_LAYER


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="checks processes through /proc")
def test_ocr_stops_at_the_pdf_time_limit_and_leaves_nothing_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir, pid_file = tmp_path / "bin", tmp_path / "tesseract.pid"
    fake_tesseract(
        bin_dir,
        'case "$1" in --list-langs) printf "langs:\\neng\\npor\\nspa\\n"; exit 0;; esac\n'
        f'echo $$ > "{pid_file}"\nexec sleep 60',
    )
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    path = pdf_with_scan(tmp_path / "lento.pdf")
    started = time.monotonic()
    with pytest.raises(IngestError, match="time limit"):
        read_pdf(path.read_bytes(), path, timeout_s=6)
    assert time.monotonic() - started < 9
    pid = int(pid_file.read_text())
    assert _gone(pid), "the OCR command was left running after the time limit"


def _gone(pid: int, wait_s: float = 3.0) -> bool:
    """Whether process `pid` has ended (a zombie waiting to be reaped counts as ended)."""
    stat_file = Path(f"/proc/{pid}/stat")
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            state = stat_file.read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state in {"Z", "X"}:
            return True
        time.sleep(0.1)
    return False
