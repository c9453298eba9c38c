"""Re-tagging the store page by page, with writes batched across pages, gives every passage the
tags it gets when re-tagged alone (corrections applied per document, as at ingest), and the
keyword index the same tag ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ingest.pipeline import ingest_paths
from kb.models import Passage
from kb.storage.corrections import apply_corrections, load_corrections
from kb.storage.keyword_rows import LexicalRow
from kb.storage.knowledge import KnowledgeBase
from kb.tags.edit import correct_tags
from kb.tags.learned import TagModel, fit
from kb.tags.tagger import LEARNED, default_tagger
from kb.tags.taxonomy import load_taxonomy
from kb.tags.train import retag_store, retagged, tag_keys
from tests.conftest import REPO

CORPUS = REPO / "corpus"
Write = Callable[[Path, str], Path]


def _stored(kb: KnowledgeBase) -> tuple[list[Passage], np.ndarray]:
    """Every committed passage with its vector, in passage-id order."""
    rows = sorted(
        (
            (p, v)
            for passages, vectors in kb.store.iter_with_vectors(sorted(kb.manifest.passage_ids()))
            for p, v in zip(passages, vectors, strict=True)
        ),
        key=lambda row: row[0].id,
    )
    return [p for p, _ in rows], np.vstack([v for _, v in rows])


def _model(kb: KnowledgeBase, share: float, seed: int) -> TagModel:
    """A model on the store's own vectors whose thresholds tag about `share` of the passages
    for every tag, so that many passages get learned tags with reasons and neighbours."""
    passages, vectors = _stored(kb)
    keys = tag_keys(load_taxonomy())
    rng = np.random.default_rng(seed)
    labels = rng.random((len(passages), len(keys))) < 0.1
    groups = [i % 5 for i in range(len(passages))]  # thresholds are replaced below
    model = fit(kb.embedder.name, keys, vectors, labels, groups, [p.id for p in passages], "t")
    cut = np.quantile(model.scores(vectors), 1.0 - share, axis=0)
    return replace(model, thresholds=cut.astype(np.float64))


def _one_at_a_time(kb: KnowledgeBase, model: TagModel) -> dict[str, Passage]:
    """The reference: each passage re-tagged alone, then each document's corrections applied to
    its passages in passage order (as an ingest applies them)."""
    passages, vectors = _stored(kb)
    taxonomy = load_taxonomy()
    alone = [
        retagged([p], v[None, :], model, taxonomy)[0]
        for p, v in zip(passages, vectors, strict=True)
    ]
    out = {p.id: p for p in alone}
    by_doc: dict[str, list[Passage]] = {}
    for p in alone:
        by_doc.setdefault(p.doc_id, []).append(p)
    for c in load_corrections(kb.settings.corrections_path):
        mine = sorted(by_doc.get(c.doc_id, []), key=lambda p: p.index)
        for p in apply_corrections([out[q.id] for q in mine], [c]).passages:
            out[p.id] = p
    return out


@pytest.fixture
def bundled(fake_kb: KnowledgeBase) -> KnowledgeBase:
    """The bundled corpus, rule-tagged at ingest, then re-tagged by a first model, with two
    corrections in the log."""
    ingest_paths(fake_kb, [CORPUS], tagger=default_tagger(fake_kb))
    retag_store(fake_kb, _model(fake_kb, 0.1, seed=1))
    passages, _ = _stored(fake_kb)
    body = [p for p in passages if p.is_body]
    correct_tags(fake_kb, body[3].id, add=["problem:coordination"])
    tagged = next(p for p in body[40:] if p.tags)
    correct_tags(fake_kb, tagged.id, remove=[f"{t.facet}:{t.tag_id}" for t in tagged.tags])
    return fake_kb


@pytest.mark.parametrize(("page_size", "write_batch"), [(2000, None), (7, 5)])
def test_batched_retag_equals_one_passage_at_a_time(
    bundled: KnowledgeBase, page_size: int, write_batch: int | None
) -> None:
    model = _model(bundled, 0.25, seed=2)
    before = {p.id: p for p in _stored(bundled)[0]}
    expected = _one_at_a_time(bundled, model)
    learned = sum(1 for p in expected.values() for t in p.tags if t.origin == LEARNED)
    assert learned > 100, "the comparison needs many learned tags"

    seen, changed = retag_store(bundled, model, page_size=page_size, write_batch=write_batch)

    after = {p.id: p for p in _stored(bundled)[0]}
    assert seen == len(before) == len(after) >= 100
    assert changed == sum(expected[i].tags != before[i].tags for i in before) > 0
    mismatched = [i for i in expected if after[i].tags != expected[i].tags]
    assert not mismatched, (mismatched[:3], after[mismatched[0]].tags, expected[mismatched[0]].tags)
    rows = {r.id: r for r in bundled.lexical.rows}
    assert {i: rows[i].tags for i in expected} == {
        i: LexicalRow.of(p).tags for i, p in expected.items()
    }


def test_retagging_again_with_the_same_model_changes_nothing(bundled: KnowledgeBase) -> None:
    model = _model(bundled, 0.25, seed=2)
    retag_store(bundled, model)
    stamp = bundled.lexical.ids
    assert retag_store(bundled, model, page_size=7, write_batch=5) == (len(stamp), 0)


REPEATED = (
    "Las mesas de coordinación entre ministerios se reunieron cada mes, pero ninguna tuvo "
    "presupuesto propio ni un responsable claro de dar seguimiento a los acuerdos. Las "
    "empresas del cluster dejaron de asistir al segundo año, cuando vieron que los acuerdos "
    "no llegaban a los programas de cada ministerio."
)
OTHER = (
    "El puerto exporta granos a granel hacia Asia por barcazas en el río; las cooperativas "
    "del sur venden a través de acopiadores que fijan el precio y el flete, y ninguna tiene "
    "silos propios para esperar un precio mejor ni contratos de largo plazo con los molinos."
)


def test_a_correction_applies_once_per_document_whatever_the_page_size(
    fake_kb: KnowledgeBase, tmp_path: Path, write: Write
) -> None:
    """A correction names the first passage of its document with its text, as at ingest: not
    also a later one with the same text that another page holds."""
    body = "\n\n".join(f"## Mesas\n\n{text}" for text in (REPEATED, OTHER, REPEATED))
    front = '---\ntitle: "Dos veces"\ncountry: Chile\nyear: 2020\nlanguage: es\n---\n'
    write(tmp_path / "docs" / "dos_veces.md", front + body + "\n")
    ingest_paths(fake_kb, [tmp_path / "docs"], tagger=default_tagger(fake_kb))
    passages = sorted(_stored(fake_kb)[0], key=lambda p: p.index)
    same = [p for p in passages if p.text == passages[0].text]
    assert len(same) == 2, [p.text for p in passages]
    correct_tags(fake_kb, same[0].id, add=["problem:coordination"])

    retag_store(fake_kb, _model(fake_kb, 0.25, seed=3), page_size=1)

    human = [p.id for p in _stored(fake_kb)[0] if any(t.origin == "human" for t in p.tags)]
    assert human == [same[0].id]
