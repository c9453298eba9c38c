"""The real-report label set (corpus/eval/realdocs.yaml): complete, split by document, and
still pointing at the same text of the real files (read here, never copied into the repo)."""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from kb.evaluation.realdocs_set import (
    LabelledSpan,
    RealdocsSetError,
    load_realdocs_set,
    resolve_span,
    text_sha256,
)

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "corpus" / "eval" / "realdocs.yaml"
REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"
LABELLED_FILES = {
    "fundar_bioeconomia_biocluster_rosario_es.pdf",
    "fundar_desarrollo_proveedores_mineria_es.pdf",
    "fundar_renaissance_industrial_policy_en.pdf",
    "fundar_luces_sombras_politica_industrial_es.pdf",
    "fundar_electromovilidad_comparada_es.pdf",
    "fundar_instrumentos_financieros_deuda_clima_es.pdf",
    "undp_paraguay_hilando_cadenas_clusters_textiles_es.md",
    "apl_leite_santana_livramento_about_pt.html",
    "apl_leite_santana_livramento_governanca_pt.html",
    "robustness/PROBLEM_illustrator_overflow_fundar_pdp_es.pdf",
    "robustness/PROBLEM_image_only_fundar_comunicado_es.pdf",
    "robustness/PROBLEM_large_122pages_fundar_estado_esencial_es.pdf",
}
SET = load_realdocs_set(LABELS)
needs_files = pytest.mark.skipif(
    not REALDOCS.is_dir(), reason=f"real documents folder not found: {REALDOCS}"
)


def test_every_real_report_is_labelled_once() -> None:
    assert {d.file for d in SET.documents} == LABELLED_FILES
    assert all(d.title and d.language for d in SET.documents)


def test_each_split_is_big_enough_in_both_languages() -> None:
    dev, test = SET.in_split("dev"), SET.in_split("test")
    assert len(SET.passages) >= 100 and len(test.passages) >= 40
    assert len(SET.questions) >= 36 and len(test.questions) >= 18
    for part in (dev, test):
        assert {q.lang for q in part.questions} == {"es", "en"}
        assert part.passages and part.questions


def test_split_is_by_document_with_multi_country_reports_in_test() -> None:
    dev, test = SET.in_split("dev"), SET.in_split("test")
    assert abs(len(dev.documents) - len(test.documents)) <= 2
    assert sum(len(d.countries) >= 2 for d in test.documents) >= 2
    split_of = {d.id: d.split for d in SET.documents}
    assert all(p.split == split_of[p.doc] for p in SET.passages)
    assert all(q.split == split_of[q.doc] for q in SET.questions)


@pytest.mark.parametrize("split", ["dev", "test"])
def test_labels_include_the_hard_cases(split: str) -> None:
    passages = SET.in_split(split).passages
    assert any(p.implicit for p in passages), "a country implied only by the section"
    assert any(not p.countries for p in passages), "a passage about no country"
    assert any(len(p.countries) >= 2 for p in passages), "a multi-country passage"
    assert {"toc", "references"} <= {p.kind for p in passages}
    assert any(q.printed_page is None for q in SET.in_split(split).questions)


def test_every_labelled_span_carries_the_label_of_its_whole_passage() -> None:
    # Passage accuracy is scored on the passage a user sees, labelled as a whole.
    assert all(p.passage is not None and p.passage.fingerprint for p in SET.passages)
    assert any(set(p.passage.countries) > set(p.countries) for p in SET.passages if p.passage), (
        "a passage that also speaks of its neighbours' countries"
    )


SHA_A, SHA_B = "a" * 64, "b" * 64
MINIMAL = f"""
realdocs_dir: .
documents:
  - {{id: d1, file: d1.pdf, sha256: {SHA_A}, split: test, pages: 2, title: T, year: null,
      language: es, countries: [Chile]}}
passages:
  - {{id: p1, doc: d1, file_sha256: {SHA_A}, page: 1, span: [0, 4], text_sha256: {SHA_B},
      countries: [Chile]}}
questions:
  - {{id: q1, doc: d1, lang: es, question: Q, answer: A, file_sha256: {SHA_A}, page: 2,
      printed_page: null}}
"""


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("", "", None),
        ("split: test", "split: frozen", "documents[0] d1"),
        ("doc: d1, file_sha256", "doc: d9, file_sha256", "passages[0] p1"),
        (f"file_sha256: {SHA_A}, page: 1", f"file_sha256: {SHA_B}, page: 1", "passages[0] p1"),
        ("span: [0, 4]", "span: [4, 0]", "passages[0] p1"),
        ("page: 2,", "page: 3,", "questions[0] q1"),
        ("lang: es", "lang: pt", "questions[0] q1"),
        ("\n      printed_page: null", "", "questions[0] q1"),
        ("countries: [Chile]}\nq", "countries: [Chile], implicit: yes please}\nq", "p1"),
        ("[Chile]}\nq", "[Chile], passage: {fingerprint: ab}}\nq", "p1 passage"),
        ("[Chile]}\nq", "[Chile], passage: {countries: [], x: 1}}\nq", "p1 passage"),
    ],
)
def test_loader_names_the_bad_entry(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(MINIMAL.replace(old, new, 1) if old else MINIMAL, encoding="utf-8")
    if message is None:
        loaded = load_realdocs_set(path)
        assert [q.printed_page for q in loaded.questions] == [None]
        return
    with pytest.raises(RealdocsSetError, match=re.escape(message)):
        load_realdocs_set(path)


def test_resolve_span_returns_the_text_only_while_it_is_unchanged() -> None:
    page = "Intro. Chile exporta cobre. Fin."
    span = LabelledSpan(
        "p", "d", "test", SHA_A, 1, 7, 27, text_sha256("Chile exporta cobre."), ("Chile",)
    )
    assert resolve_span(span, lambda sha, n: page if (sha, n) == (SHA_A, 1) else None) == (
        "Chile exporta cobre."
    )
    assert resolve_span(span, lambda sha, n: page.replace("cobre", "litio")) is None
    assert resolve_span(span, lambda sha, n: None) is None
    assert resolve_span(span, lambda sha, n: page[:10]) is None


@functools.cache
def _reader(path: Path) -> PdfReader:
    return PdfReader(path)


@functools.cache
def _page_text(sha256: str, page: int) -> str | None:
    doc = SET.document(sha256)
    if doc is None:
        return None
    path = REALDOCS / doc.file
    if path.suffix != ".pdf":
        return path.read_bytes().decode("utf-8") if page == 1 else None
    return _reader(path).pages[page - 1].extract_text()


@needs_files
def test_file_hashes_and_page_counts_match_the_real_files() -> None:
    for doc in SET.documents:
        path = REALDOCS / doc.file
        assert hashlib.sha256(path.read_bytes()).hexdigest() == doc.sha256, doc.file
        pages = len(_reader(path).pages) if path.suffix == ".pdf" else 1
        assert pages == doc.pages, doc.file


@needs_files
def test_every_labelled_span_still_resolves_in_the_real_files() -> None:
    drifted = [p.id for p in SET.passages if resolve_span(p, _page_text) is None]
    assert not drifted, f"extraction changed under these labels: {drifted}"
