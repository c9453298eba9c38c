"""Guard of the tagger's out-of-fold level on unseen text (corpus/eval/tags_unseen.yaml).

The issue's floors (problem and instrument F1 0.80, outcome and evidence 0.70, recall 0.80 at
precision 0.75, paraphrase recall 0.70) are not reached; these are the levels the grouped
cross-validation by document reached, so that a change that loses ground fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from ingest.boilerplate import passage_kind
from kb.config import get_settings
from kb.encoders import get_embedder
from kb.evaluation.tag_cv import OutOfFoldReport, evaluate_out_of_fold
from kb.evaluation.tags_unseen import load_unseen_set, resolve_unseen
from kb.tags.taxonomy import load_taxonomy
from kb.tags.train import definition_prior, labelled_vectors, tag_keys
from tests.conftest import REALDOCS, REPO

UNSEEN = REPO / "corpus" / "eval" / "tags_unseen.yaml"

# (system, scope, measure) -> level reached, less 0.02 (the encoder's vectors move a little
# between builds): measured with the default e5-small-int8 (combined F1 0.448) and with
# e5-small (0.444), which both reach every level.
REACHED: dict[tuple[str, str, str], float] = {
    ("combined", "overall", "f1"): 0.42,
    ("combined", "overall", "recall"): 0.40,
    ("combined", "overall", "precision"): 0.44,
    ("combined", "problem", "f1"): 0.27,
    ("combined", "instrument", "f1"): 0.49,
    ("combined", "outcome", "f1"): 0.29,
    ("combined", "evidence", "f1"): 0.47,
    ("combined", "paraphrase", "recall"): 0.19,
    ("learned", "overall", "f1"): 0.33,
    ("learned", "evidence", "f1"): 0.45,
    ("learned", "paraphrase", "recall"): 0.17,
    ("rules", "overall", "f1"): 0.34,
}


@pytest.fixture(scope="module")
def report(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> OutOfFoldReport:
    if not REALDOCS.is_dir():
        pytest.skip("the real reports are not here")
    examples, unresolved = resolve_unseen(load_unseen_set(UNSEEN))
    assert not unresolved
    settings = get_settings()
    embedder = get_embedder(settings.embedding_model, settings.threads)
    # pytest's cache keeps the vectors between runs; without it, a fresh folder.
    cached = getattr(request.config, "cache", None)  # None with -p no:cacheprovider
    folder = cached.mkdir("tags_unseen") if cached else tmp_path_factory.mktemp("tags_unseen")
    cache = folder / f"{embedder.name.replace('/', '_')}.npz"
    vectors = labelled_vectors(embedder, [ex.text for ex in examples], cache)
    taxonomy = load_taxonomy()
    prior = definition_prior(
        embedder, taxonomy, tag_keys(taxonomy), cache.with_name(f"definitions_{cache.name}")
    )
    return evaluate_out_of_fold(examples, vectors, embedder.name, kind_of=passage_kind, prior=prior)


def _figure(report: OutOfFoldReport, system: str, scope: str, measure: str) -> Any:
    scores = report.systems[system]
    counts = {"overall": scores.overall, "paraphrase": scores.paraphrase}.get(scope)
    return getattr(counts if counts is not None else scores.facets[scope], measure)


@pytest.mark.slow
@pytest.mark.parametrize("key", list(REACHED), ids=["-".join(k) for k in REACHED])
def test_out_of_fold_level_holds(report: OutOfFoldReport, key: tuple[str, str, str]) -> None:
    figure = _figure(report, *key)
    assert figure >= REACHED[key], f"{key} = {figure:.4f} (reached {REACHED[key]})"


@pytest.mark.slow
def test_rules_are_scored_only_where_they_were_not_tuned(report: OutOfFoldReport) -> None:
    seen = sum(e.seen_by_rules for e in load_unseen_set(UNSEEN).entries)
    assert report.systems["rules"].passages == report.passages - seen
    assert report.systems["learned"].passages == report.passages
