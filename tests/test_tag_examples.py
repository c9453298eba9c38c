"""Written examples per tag (kb/tags/examples/): every tag has some in each language, a bad
file is named, and the learned tagger learns from them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from kb.tags.examples import LANGS, ExamplesError, examples_hash, load_examples
from kb.tags.taxonomy import load_taxonomy
from kb.tags.train import definition_prior, tag_keys
from tests.conftest import HashingEmbedder

TAXONOMY = load_taxonomy()


def test_every_tag_has_examples_in_spanish_english_and_portuguese() -> None:
    counts = Counter((e.key, e.lang) for e in load_examples(TAXONOMY))
    for tag in TAXONOMY.all_tags():
        for lang in LANGS:
            assert counts[(f"{tag.facet}:{tag.id}", lang)] >= 3, (tag.id, lang)
    # and untagged report prose, so the tagger also sees what carries no tag
    assert all(counts[("", lang)] >= 5 for lang in LANGS)


def test_an_unknown_tag_id_names_the_file_and_the_id(tmp_path: Path) -> None:
    (tmp_path / "extra.yaml").write_text('coordinaton:\n  es: ["texto"]\n', encoding="utf-8")
    with pytest.raises(ExamplesError, match=r"extra\.yaml: 'coordinaton'"):
        load_examples(TAXONOMY, tmp_path)


def test_a_language_other_than_the_three_is_refused(tmp_path: Path) -> None:
    (tmp_path / "extra.yaml").write_text('coordination:\n  fr: ["texte"]\n', encoding="utf-8")
    with pytest.raises(ExamplesError, match="extra.yaml: coordination"):
        load_examples(TAXONOMY, tmp_path)


def test_the_learned_tagger_counts_each_example_as_a_passage_of_its_tag(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        'coordination:\n  es: ["Los dos ministerios nunca acordaron quién pagaba."]\n'
        '  pt: ["Cada secretaria lançou o seu próprio edital."]\n'
        'none:\n  en: ["The region has a temperate climate."]\n',
        encoding="utf-8",
    )
    keys = tag_keys(TAXONOMY)
    embedder = HashingEmbedder()
    bare = definition_prior(embedder, TAXONOMY, keys, examples_dir=tmp_path / "empty")
    taught = definition_prior(embedder, TAXONOMY, keys, examples_dir=tmp_path)
    gained = taught.positives - bare.positives
    assert gained[keys.index("problem:coordination")] == 2
    assert gained.sum() == 2  # the untagged example is a negative for every tag
    assert taught.xtx[-1, -1] == bare.xtx[-1, -1] + 3  # three more rows were learnt from


def test_changing_an_example_changes_the_training_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text('coordination:\n  es: ["uno"]\n', encoding="utf-8")
    before = examples_hash(tmp_path)
    path.write_text('coordination:\n  es: ["dos"]\n', encoding="utf-8")
    assert examples_hash(tmp_path) != before
