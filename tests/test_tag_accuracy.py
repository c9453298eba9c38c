"""Quality guard: tagging accuracy on the hand-labelled passages must stay above the floors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from clusterkb.cli.evaluate import print_tag_report
from ingest.loaders import load_document
from ingest.reference_text import load_reference
from kb.encoders import get_embedder
from kb.evaluation.tag_set import TagSetError, load_tag_set, resolve, span_entry, span_hash
from kb.evaluation.tagging import FLOORS, TagEvalReport, run_tag_eval
from kb.models import FACETS, Document, DocumentMeta, Page
from kb.tags.taxonomy import load_taxonomy
from tests.conftest import REALDOCS, REPO, HashingEmbedder

LABELS = REPO / "corpus" / "eval" / "tags.yaml"
REAL_KEYS = {"id", "file", "page", "span", "sha256", "tags"}


@pytest.fixture(scope="module")
def e5_report() -> TagEvalReport:
    # Threshold search is left out: it needs every passage encoded, the floors do not.
    return run_tag_eval(
        get_embedder("e5-small"), LABELS, load_document, choose=False, reference=load_reference
    )


@pytest.mark.slow
def test_default_encoder_meets_the_floors(e5_report: TagEvalReport) -> None:
    missed = {f: round(c.f1, 3) for f, c in e5_report.facets.items() if c.f1 < FLOORS.get(f, 0.0)}
    assert not missed, f"micro-F1 under the floor: {missed} (floors {FLOORS})"


@pytest.mark.slow
def test_no_labelled_passage_drifted(e5_report: TagEvalReport) -> None:
    # A missing real report is allowed (reported); a changed extraction is not.
    drifted = [s for s in e5_report.skipped if s.reason != "file not found"]
    assert not drifted, drifted
    if REALDOCS.is_dir():
        assert not e5_report.skipped


def test_label_file_is_big_mixed_and_covers_every_tag() -> None:
    tag_set = load_tag_set(LABELS)
    sources = Counter(e.source for e in tag_set.entries)
    assert len(tag_set.entries) >= 80
    assert min(sources.values()) >= 0.4 * len(tag_set.entries), sources
    taxonomy = load_taxonomy()
    for facet in FACETS:
        labelled = set().union(*(e.expected[facet] for e in tag_set.entries))
        unlabelled = set(taxonomy.tag_ids(facet)) - labelled
        assert not unlabelled, f"label at least one passage with {facet}: {sorted(unlabelled)}"


def test_real_reports_are_referenced_never_quoted() -> None:
    raw = yaml.safe_load(LABELS.read_text(encoding="utf-8"))["passages"]
    real = [entry for entry in raw if "file" in entry]
    assert real
    for entry in real:
        assert set(entry) == REAL_KEYS, entry["id"]
        start, end = entry["span"]
        assert 0 <= start < end and len(entry["sha256"]) == 64


# ------------------------------------------------------------------ the loader, on small files


def _doc(text: str, pages: tuple[Page, ...] | None = None) -> Document:
    meta = DocumentMeta("d", "t", "", "", None, "es", "d", "0" * 64)
    return Document(meta, text, pages or (Page(1, 0, len(text)),))


PAGE_TWO = "Otra página. La falta de coordinación frenó el programa. Fin."
REPORT = _doc("Portada.\n\n" + PAGE_TWO, (Page(1, 0, 10), Page(2, 10, 10 + len(PAGE_TWO))))
SPAN = (PAGE_TWO.index("La falta"), PAGE_TWO.index(" Fin."))


def _write_labels(folder: Path, entries: list[dict[str, object]]) -> Path:
    (folder / "corpus").mkdir(parents=True, exist_ok=True)
    (folder / "corpus" / "informe.md").write_text(
        "# Informe\n\nPrimer párrafo sin nada.\n\nSe recomienda evaluar el programa.\n",
        encoding="utf-8",
    )
    (folder / "real").mkdir(exist_ok=True)
    (folder / "real" / "present.pdf").write_bytes(b"%PDF-1.4 stand-in")
    data = {"version": 1, "corpus_dir": "corpus", "realdocs_dir": "real", "passages": entries}
    path = folder / "tags.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _labels(**given: list[str]) -> dict[str, list[str]]:
    return {f: given.get(f, []) for f in FACETS}


def _fake_load(path: Path) -> Document:
    if path.suffix == ".pdf":
        return REPORT
    from ingest.loaders import load_document

    return load_document(path)


def _real(entry_id: str, name: str, sha: str) -> dict[str, object]:
    tags = _labels(problem=["coordination"])
    return {
        "id": entry_id,
        "file": name,
        "page": 2,
        "span": list(SPAN),
        "sha256": sha,
        "tags": tags,
    }


def test_entries_resolve_and_absent_or_changed_files_are_reported(tmp_path: Path) -> None:
    good = span_hash(PAGE_TWO[SPAN[0] : SPAN[1]])
    path = _write_labels(
        tmp_path,
        [
            {"id": "c1", "doc": "informe", "anchor": "Se recomienda", "tags": _labels()},
            _real("r1", "present.pdf", good),
            _real("r2", "absent.pdf", good),
            _real("r3", "present.pdf", "0" * 64),
        ],
    )
    resolved, skipped = resolve(load_tag_set(path), _fake_load)
    texts = {r.entry.id: r.text for r in resolved}
    assert texts == {
        "c1": "Se recomienda evaluar el programa.",
        "r1": "La falta de coordinación frenó el programa.",
    }
    assert {s.id: s.reason for s in skipped} == {
        "r2": "file not found",
        "r3": "text changed (sha256 differs): re-check the span",
    }


def test_an_unreadable_file_is_reported_not_fatal(tmp_path: Path) -> None:
    def broken(path: Path) -> Document:
        raise RuntimeError(f"{path.name}: PDF parser crashed")

    path = _write_labels(tmp_path, [_real("r1", "present.pdf", "0" * 64)])
    resolved, skipped = resolve(load_tag_set(path), broken)
    assert not resolved
    assert [s.reason for s in skipped] == ["cannot read: present.pdf: PDF parser crashed"]


def test_report_counts_scores_and_says_what_was_skipped(tmp_path: Path) -> None:
    good = span_hash(PAGE_TWO[SPAN[0] : SPAN[1]])
    path = _write_labels(
        tmp_path,
        [
            {
                "id": "c1",
                "doc": "informe",
                "anchor": "Se recomienda",
                "tags": _labels(evidence=["recommendation"], problem=["weak_evaluation"]),
            },
            _real("r1", "present.pdf", good),
            _real("r2", "absent.pdf", good),
        ],
    )
    report = run_tag_eval(HashingEmbedder(), path, load=_fake_load)
    assert report.sources == {"corpus": 1, "realdocs": 1}
    assert report.facets["problem"].tp == 1 and report.facets["problem"].fn == 1
    assert report.facets["evidence"].f1 == 1.0
    assert report.per_tag["problem"]["weak_evaluation"].recall == 0.0
    assert [s.id for s in report.skipped] == ["r2"]
    assert set(report.choice) == set(FACETS)
    data = report.to_dict()
    assert data["passages"] == 2 and data["skipped"][0]["reason"] == "file not found"
    console = Console(record=True, width=140)
    print_tag_report(report, console, errors=True)
    shown = console.export_text()
    assert "Tagging on 2 labelled passages (corpus 1, realdocs 1)" in shown
    assert "1 labelled passage(s) skipped" in shown and "absent.pdf" in shown
    assert "missed weak_evaluation" in shown


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": "x", "doc": "d", "anchor": "a", "tags": {"problem": []}}, "no label for"),
        (
            {"id": "x", "doc": "d", "anchor": "a", "tags": _labels(problem=["nonsense"])},
            "unknown problem tag",
        ),
        ({"id": "x", "tags": _labels()}, "either doc"),
    ],
)
def test_malformed_label_entries_are_refused(
    tmp_path: Path, entry: dict[str, object], message: str
) -> None:
    path = _write_labels(tmp_path, [entry])
    with pytest.raises(TagSetError, match=message):
        load_tag_set(path)


def test_span_entry_references_a_passage_without_its_text(tmp_path: Path) -> None:
    ref = span_entry(tmp_path / "present.pdf", 2, "La falta", "el programa.", _fake_load)
    assert ref == {
        "file": "present.pdf",
        "page": 2,
        "span": [SPAN[0], SPAN[1]],
        "sha256": span_hash("La falta de coordinación frenó el programa."),
    }
    with pytest.raises(TagSetError):
        span_entry(tmp_path / "present.pdf", 2, "no está", "x", _fake_load)
