"""The tagger on unseen text: the labelled set, out-of-fold scoring, the learned model, training
from corrections, boilerplate, and `clusterkb tag` using the ingest tagger."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from ingest.pipeline import ingest_paths
from kb.evaluation import tag_cv
from kb.evaluation.tags_unseen import load_unseen_set, resolve_unseen
from kb.models import FACETS, Passage
from kb.storage.knowledge import KnowledgeBase
from kb.tags.edit import correct_tags
from kb.tags.learned import TagModel, _best_threshold, fit, statistics, with_examples
from kb.tags.model_store import load_model, save_model, saved_model_path
from kb.tags.tagger import LEARNED, Tagger, default_tagger, tagger_for
from kb.tags.train import fit_labelled, train
from tests.conftest import REALDOCS, REPO, HashingEmbedder

UNSEEN = REPO / "corpus" / "eval" / "tags_unseen.yaml"
Write = Callable[[Path, str], Path]


@pytest.fixture(scope="module")
def paraphrases_only() -> list[Any]:
    """The labelled set with the reports folder missing: only the paraphrases resolve."""
    examples, unresolved = resolve_unseen(load_unseen_set(UNSEEN, realdocs_dir=Path("/nowhere")))
    assert unresolved and all("not found" in u.reason for u in unresolved)
    return examples


def test_missing_reports_folder_skips_real_spans_and_keeps_paraphrases(
    paraphrases_only: list[Any],
) -> None:
    assert len(paraphrases_only) >= 100
    assert {ex.entry.source for ex in paraphrases_only} == {"paraphrase"}
    assert {ex.entry.lang for ex in paraphrases_only} == {"es", "en", "pt"}


@pytest.mark.skipif(not REALDOCS.is_dir(), reason="the real reports are not here")
def test_every_real_span_resolves_with_its_hashes() -> None:
    examples, unresolved = resolve_unseen(load_unseen_set(UNSEEN))
    assert not unresolved, unresolved[:3]
    assert len(examples) >= 500


def test_a_document_lives_in_one_fold_only() -> None:
    folds: dict[str, set[int]] = defaultdict(set)
    for entry in load_unseen_set(UNSEEN).entries:
        folds[entry.group].add(entry.fold)
    assert all(len(f) == 1 for f in folds.values()), {g: f for g, f in folds.items() if len(f) > 1}


def test_cross_validation_never_trains_on_a_tested_document(
    paraphrases_only: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    trained_on: list[set[str]] = []

    def spy(*args: Any, **kwargs: Any) -> TagModel:
        trained_on.append(set(args[5]))
        return fit(*args, **kwargs)

    monkeypatch.setattr(tag_cv, "fit", spy)
    embedder = HashingEmbedder()
    vectors = embedder.embed_passages([ex.text for ex in paraphrases_only])
    keys = tag_cv.tag_keys(tag_cv.load_taxonomy())
    gold = tag_cv.label_matrix(paraphrases_only, keys)
    tag_cv.out_of_fold_learned(paraphrases_only, vectors, gold, keys, embedder.name)
    folds = sorted({ex.entry.fold for ex in paraphrases_only})
    assert len(trained_on) == len(folds)
    for fold, refs in zip(folds, trained_on, strict=True):
        tested = {ex.id for ex in paraphrases_only if ex.entry.fold == fold}
        tested_groups = {ex.entry.group for ex in paraphrases_only if ex.entry.fold == fold}
        train_groups = {ex.entry.group for ex in paraphrases_only if ex.id in refs}
        assert refs and not refs & tested
        assert not train_groups & tested_groups


def _tag_all_model(embedder: HashingEmbedder) -> TagModel:
    """A model that gives every passage the problem tag `coordination`."""
    keys = ["problem:coordination"]
    vectors = embedder.embed_passages(["uno dos", "tres cuatro", "cinco seis"])
    model = fit(
        embedder.name, keys, vectors, np.ones((3, 1), bool), [1, 2, 3], ["a", "b", "c"], "x"
    )
    return TagModel(**{**model.__dict__, "thresholds": np.array([-np.inf])})


def test_boilerplate_gets_no_tags_even_when_the_model_would_tag_it() -> None:
    embedder = HashingEmbedder()
    tagger = Tagger(embedder, model=_tag_all_model(embedder))
    text = "Índice\nCapítulo uno 4\nCapítulo dos 9"
    base = dict(doc_id="d", text=text, start=0, end=len(text), page_start=1, page_end=1, section="")
    toc = Passage(id="d:1", index=0, kind="toc", **base)  # type: ignore[arg-type]
    body = Passage(id="d:2", index=1, **base)  # type: ignore[arg-type]
    tagged = tagger([toc, body], embedder.embed_passages([text, text]))
    assert tagged[0].tags == ()
    assert any(t.origin == LEARNED for t in tagged[1].tags)


def test_learned_tags_say_why(paraphrases_only: list[Any]) -> None:
    embedder = HashingEmbedder()
    tagger = Tagger(embedder, model=_tag_all_model(embedder))
    (tag,) = [t for t in tagger.tag_text("Cada ministerio armó su propio programa.")]
    assert tag.origin == LEARNED
    assert "closest labelled" in tag.reason and "(" in tag.reason


def test_model_file_round_trips(tmp_path: Path, paraphrases_only: list[Any]) -> None:
    model = fit_labelled(HashingEmbedder(), paraphrases_only[:40])
    save_model(model, tmp_path / "m.npz")
    again = load_model(tmp_path / "m.npz")
    assert again.keys == model.keys and again.fingerprint == model.fingerprint
    vectors = HashingEmbedder().embed_passages(["coordinación entre ministerios", "otra cosa"])
    assert again.predict(vectors) == model.predict(vectors)


def test_a_correction_switches_on_its_own_tag_only() -> None:
    """One analyst's correction must not wake every tag the model had left off."""
    embedder = HashingEmbedder()
    keys = ["problem:coordination", "problem:skills_shortage", "outcome:innovation"]
    texts = ["uno dos", "tres cuatro", "cinco seis", "siete ocho"]
    model = fit(
        embedder.name,
        keys,
        embedder.embed_passages(texts),
        np.zeros((4, 3), bool),
        [1, 2, 3, 4],
        ["a", "b", "c", "d"],
        "x",
        prior=statistics(embedder.embed_passages(["x y", "z w"]), np.ones((2, 3), bool)),
    )
    model = TagModel(**{**model.__dict__, "thresholds": np.array([0.5, np.inf, np.inf])})
    corrected = np.array([[False, True, False]])
    refit = with_examples(model, embedder.embed_passages(["nueve diez"]), corrected, ["p"], "y")
    assert np.isfinite(refit.thresholds).tolist() == [True, True, False]


def test_a_tag_the_rules_already_find_stays_off_in_the_learned_tagger() -> None:
    """Thresholds are chosen for rules and learned together: where the rules already give a
    tag on every passage that has it, any cut only adds false positives."""
    gold = np.array([True, True, False, False, False, False])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
    assert np.isfinite(_best_threshold(scores, gold))
    assert _best_threshold(scores, gold, ruled=gold) == np.inf


def test_with_rules_the_cut_is_chosen_among_the_passages_they_leave() -> None:
    """Alone, the learned tagger must reach down past a false positive to the low-scoring
    positive; the rules find that one, so beside them the cut stops above the false one."""
    gold = np.array([True, True, False, True, False])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    ruled = np.array([False, False, False, True, False])
    assert 0.5 < _best_threshold(scores, gold) < 0.6
    assert 0.7 < _best_threshold(scores, gold, ruled) < 0.8


DAIRY = (
    "Los tambos de la cuenca lechera no consiguen operarios de ordeñe ni técnicos de frío: "
    "los jóvenes se van y nadie forma reemplazos para las salas de ordeñe."
)
DAIRY_OTHER = (
    "En la cuenca lechera del sur los tambos tampoco encuentran operarios de ordeñe ni "
    "técnicos de frío, y nadie forma reemplazos."
)
UNRELATED = "El puerto exporta granos a granel hacia Asia por barcazas en el río."


def _report(title: str, paragraphs: list[str]) -> str:
    body = "\n\n".join(f"## Parte {i}\n\n{p}" for i, p in enumerate(paragraphs))
    return f'---\ntitle: "{title}"\ncountry: Argentina\nyear: 2020\nlanguage: es\n---\n{body}\n'


def test_corrections_on_one_document_teach_similar_passages_of_another(
    fake_kb: KnowledgeBase, tmp_path: Path, write: Write, paraphrases_only: list[Any]
) -> None:
    one = tmp_path / "docs" / "uno.md"
    write(one, _report("Uno", [DAIRY, DAIRY.replace("jóvenes", "hijos"), UNRELATED]))
    write(tmp_path / "docs" / "dos.md", _report("Dos", [DAIRY_OTHER, UNRELATED + " Y trigo."]))
    ingest_paths(fake_kb, [tmp_path / "docs"], tagger=default_tagger(fake_kb))

    def stored() -> list[Passage]:
        return fake_kb.store.get(sorted(fake_kb.manifest.passage_ids()))

    target = [p for p in stored() if "ordeñe" in p.text and p.doc_id == "uno"]
    assert target, [p.doc_id for p in stored()]
    other = [p for p in stored() if "sur" in p.text]
    assert all("skills_shortage" not in p.tag_ids("problem") for p in other)
    for p in target:
        correct_tags(fake_kb, p.id, add=["problem:skills_shortage"], note="faltan operarios")

    report = train(fake_kb, paraphrases_only)
    assert report.corrected_passages == len(target)
    assert saved_model_path(fake_kb.settings).is_file()

    after = {p.id: p for p in stored()}
    (similar,) = [after[p.id] for p in other]
    assert "skills_shortage" in similar.tag_ids("problem")
    (learned,) = [t for t in similar.tags if t.tag_id == "skills_shortage"]
    assert learned.origin == LEARNED
    unrelated = [p for p in after.values() if "barcazas" in p.text]
    assert all("skills_shortage" not in p.tag_ids("problem") for p in unrelated), [
        (p.text, p.tags) for p in unrelated
    ]
    # The corrected passages keep the analyst's tag (corrections win over the model).
    assert all(
        any(t.origin == "human" for t in after[p.id].tags if t.tag_id == "skills_shortage")
        for p in target
    )
    # A new ingest uses the saved model.
    write(tmp_path / "docs" / "tres.md", _report("Tres", [DAIRY_OTHER.replace("sur", "norte")]))
    ingest_paths(fake_kb, [tmp_path / "docs"], tagger=default_tagger(fake_kb))
    fresh = [p for p in stored() if "norte" in p.text]
    assert fresh and "skills_shortage" in fresh[0].tag_ids("problem")


def test_tag_command_uses_the_ingest_tagger(
    fake_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, paraphrases_only: list[Any]
) -> None:
    from clusterkb.cli import app
    from kb import config, encoders

    embedder = fake_kb.embedder
    model = fit_labelled(embedder, paraphrases_only)
    save_model(model, saved_model_path(fake_kb.settings))
    monkeypatch.setenv("CLUSTERKB_HOME", str(fake_kb.settings.home))
    monkeypatch.setattr(encoders, "get_embedder", lambda *a, **k: embedder)
    config.get_settings.cache_clear()
    text = (
        "Cada ministerio armó su propio programa para las mismas empresas, y nunca se "
        "pusieron de acuerdo sobre quién pagaba qué."
    )
    result = CliRunner().invoke(app, ["tag", text, "--json"])
    config.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    printed = [(t["facet"], t["tag"], t["origin"]) for t in json.loads(result.output)]
    ingest_tagger = tagger_for(fake_kb.settings, embedder)
    assert ingest_tagger.model is not None
    expected = [(t.facet, t.tag_id, t.origin) for t in default_tagger(fake_kb).tag_text(text)]
    assert printed == expected
    # ...and the text tagged as a stored passage gets the same tags.
    passage = Passage("d:1", "d", 0, text, 0, len(text), 1, 1, "")
    (as_passage,) = ingest_tagger([passage], embedder.embed_passages([text]))
    assert [(t.facet, t.tag_id, t.origin) for t in as_passage.tags] == expected
    assert all(t[0] in FACETS for t in printed)


def test_a_missing_reports_folder_is_one_clear_line() -> None:
    from kb.evaluation.tags_unseen import summarise_unresolved

    _, unresolved = resolve_unseen(load_unseen_set(UNSEEN, realdocs_dir=Path("/nowhere")))
    (line,) = summarise_unresolved(unresolved)
    assert "/nowhere" in line and str(len(unresolved)) in line
