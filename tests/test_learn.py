"""Training for new officials: the learning path, quizzes built from the tags, and the CLI."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from conftest import REPO, HashingEmbedder, settings_for
from typer.testing import CliRunner

from ingest.pipeline import ingest_paths
from kb.citations import pages_cited
from kb.learning.path import LEARNING_PATH, LearningPathError, build_path, load_path, parse_path
from kb.learning.questions import make_quiz, quiz_from_kb
from kb.learning.quiz import (
    KIND_INSTRUMENT_GOAL,
    KIND_PASSAGE_PROBLEM,
    KIND_PROBLEM_COUNTRY,
    KIND_UNVERIFIED_OUTCOME,
    KINDS,
    NOT_COUNTRIES,
    OUTSIDE_OECD_TABLE,
    Question,
    check_answer,
    score,
)
from kb.models import Passage, Tag
from kb.storage.keyword_rows import LexicalRow
from kb.storage.knowledge import KnowledgeBase
from kb.storage.vectors import PassageStore
from kb.tags.tagger import default_tagger
from kb.tags.taxonomy import load_taxonomy

CASE_COUNTRIES = ("Argentina", "Brazil", "Chile", "El Salvador")


@pytest.fixture(scope="module")
def corpus_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The bundled corpus, tagged, in a knowledge base like `fake_kb` (hashing encoder, no
    model); built once per module because ingesting the corpus takes a few seconds."""
    settings = settings_for(
        tmp_path_factory.mktemp("learn"), chunk_tokens=60, chunk_overlap_tokens=10
    )
    embedder = HashingEmbedder()
    kb = KnowledgeBase(settings, embedder, PassageStore(settings, embedder.name, embedder.dim))
    ingest_paths(kb, [REPO / "corpus"], tagger=default_tagger(kb))
    return kb


def _rows(kb: KnowledgeBase) -> list[LexicalRow]:
    return list(kb.lexical.rows)


# --- learning path ----------------------------------------------------------------------


def test_path_file_has_every_step_in_both_languages() -> None:
    learning = load_path()
    ids = [s.id for s in learning.steps]
    assert len(ids) == len(set(ids))
    for step in learning.steps:
        for lang in ("es", "en"):
            assert step.title[lang].strip() and step.goal[lang].strip() and step.query[lang]
    covered = {c for s in learning.steps for c in s.filters.countries}
    assert set(CASE_COUNTRIES) <= covered
    assert ids[0] == "concepts" and ids[-1] == "recommendations"


def test_malformed_step_is_named_in_the_error(tmp_path: Path) -> None:
    data = yaml.safe_load(LEARNING_PATH.read_text(encoding="utf-8"))
    del data["steps"][2]["goal"]["en"]
    with pytest.raises(LearningPathError, match=r"step 3 \(roles\).*goal.*en"):
        parse_path(data)
    data = yaml.safe_load(LEARNING_PATH.read_text(encoding="utf-8"))
    data["steps"][0]["filters"] = {"problem": ["no_such_tag"]}
    with pytest.raises(LearningPathError, match=r"step 1 \(concepts\).*no_such_tag"):
        parse_path(data)
    broken = tmp_path / "path.yaml"
    broken.write_text("steps:\n  - id: intro\n    title: {es: Hola}\n", encoding="utf-8")
    with pytest.raises(LearningPathError, match=r"step 1 \(intro\).*title.*en"):
        load_path(broken)


def test_build_path_finds_passages_in_the_readers_language(corpus_kb: KnowledgeBase) -> None:
    spanish = build_path(corpus_kb, "es")
    assert [s.step.id for s in spanish] == [s.id for s in load_path().steps]
    for step in spanish:
        assert step.hits, f"no passages for step {step.step.id}"
        assert all(h.passage.lang == "es" for h in step.hits)
        wanted = step.step.filters.countries
        assert all(set(h.passage.countries) & set(wanted) for h in step.hits if wanted)
    english = {s.step.id: s for s in build_path(corpus_kb, "en")}
    assert english["case_chile"].title == "Case: Chile"
    assert all(h.passage.lang == "en" for h in english["case_chile"].hits)
    # The concept overview exists only in Spanish: shown anyway, flagged as a fallback.
    assert english["concepts"].hits and english["concepts"].fallback


# --- quiz -------------------------------------------------------------------------------


def _assert_consistent(question: Question, rows: list[LexicalRow]) -> None:
    """The answer is right and every distractor wrong, judged from the tags alone."""
    taxonomy = load_taxonomy()
    p = question.passage
    assert p.id == question.source_passage_id
    right = question.option_ids[question.answer]
    wrong = [o for i, o in enumerate(question.option_ids) if i != question.answer]
    if question.kind == KIND_PROBLEM_COUNTRY:
        problem = question.subject
        assert right in p.countries and problem in p.tag_ids("problem")
        carriers = {c for r in rows if problem in r.tags.get("problem", ()) for c in r.countries}
        assert not carriers.intersection(wrong)
        assert not NOT_COUNTRIES.intersection(question.option_ids)
    elif question.kind == KIND_INSTRUMENT_GOAL:
        instrument = question.subject
        assert instrument in p.tag_ids("instrument")
        assert taxonomy.get("instrument", instrument).goal == right
        assert all(g in taxonomy.goals and g != right for g in wrong)
        aims = {taxonomy.goals[g]["aim"] for g in question.option_ids}
        assert not aims & OUTSIDE_OECD_TABLE
    elif question.kind == KIND_UNVERIFIED_OUTCOME:
        country = question.subject
        assert country in p.countries
        assert "unverified" in p.tag_ids("evidence") and right in p.tag_ids("outcome")
        claimed = {
            o
            for r in rows
            if country in r.countries and "unverified" in r.tags.get("evidence", ())
            for o in r.tags.get("outcome", ())
        }
        assert not claimed.intersection(wrong)
        assert all(o in taxonomy.tag_ids("outcome") for o in wrong)
    else:
        assert question.kind == KIND_PASSAGE_PROBLEM
        assert right in p.tag_ids("problem")
        assert not set(wrong) & set(p.tag_ids("problem"))
        assert all(t in taxonomy.tag_ids("problem") for t in wrong)
    assert p.title in question.explanation and pages_cited(p, question.lang) in question.explanation


def test_every_answer_and_distractor_agrees_with_the_tags(corpus_kb: KnowledgeBase) -> None:
    rows = _rows(corpus_kb)
    seen_kinds: set[str] = set()
    for seed in range(5):
        questions = quiz_from_kb(corpus_kb, n=12, seed=seed)
        assert len(questions) == 12
        for question in questions:
            _assert_consistent(question, rows)
            assert len(question.options) == 4 and len(set(question.options)) == 4
            assert len(set(question.option_ids)) == 4
            assert check_answer(question, question.answer)
            assert sum(check_answer(question, i) for i in range(4)) == 1
            seen_kinds.add(question.kind)
        # One question per subject: no stem is asked twice in a quiz.
        assert len({q.stem for q in questions}) == len(questions)
    assert seen_kinds == set(KINDS)


def test_same_seed_same_quiz_other_seed_other_quiz(corpus_kb: KnowledgeBase) -> None:
    first = [q.to_dict() for q in quiz_from_kb(corpus_kb, n=10, seed=42)]
    again = [q.to_dict() for q in quiz_from_kb(corpus_kb, n=10, seed=42)]
    other = [q.to_dict() for q in quiz_from_kb(corpus_kb, n=10, seed=43)]
    assert first == again
    assert first != other
    # Row order must not matter: the quiz depends on the knowledge base, not how it is read.
    rows = _rows(corpus_kb)
    passages = {p.id: p for p in corpus_kb.store.get([r.id for r in rows])}
    forward = make_quiz(rows, passages, n=10, seed=42)
    backward = make_quiz(list(reversed(rows)), passages, n=10, seed=42)
    assert [q.to_dict() for q in forward] == [q.to_dict() for q in backward] == first


def test_english_quiz_uses_english_labels(corpus_kb: KnowledgeBase) -> None:
    taxonomy = load_taxonomy()
    questions = quiz_from_kb(corpus_kb, n=12, seed=3, lang="en")
    for question in questions:
        right = question.option_ids[question.answer]
        if question.kind == KIND_INSTRUMENT_GOAL:
            assert question.options[question.answer] == taxonomy.goal_label(right, "en")
            assert question.stem.startswith("Which goal of the OECD table")
        elif question.kind == KIND_UNVERIFIED_OUTCOME:
            assert question.options[question.answer] == taxonomy.label("outcome", right, "en")
        elif question.kind == KIND_PASSAGE_PROBLEM:
            assert question.options[question.answer] == taxonomy.label("problem", right, "en")
            assert question.passage.lang == "en"  # the quoted passage is in the reader's language
        else:
            assert question.options[question.answer] == right  # English country names
            label = taxonomy.label("problem", question.subject, "en")
            assert question.stem == f"Which country reported the problem “{label}”?"
    spanish = quiz_from_kb(corpus_kb, n=12, seed=3, lang="es")
    assert all(q.stem.startswith("¿") for q in spanish)
    assert any("Brasil" in q.options for q in spanish if q.kind == KIND_PROBLEM_COUNTRY)


def _passage(pid: str, country: str, *tags: tuple[str, str]) -> Passage:
    return Passage(
        id=pid,
        doc_id=f"doc_{pid}",
        index=0,
        text=f"Texto del pasaje {pid}.",
        start=0,
        end=20,
        page_start=2,
        page_end=2,
        section="",
        title=f"Informe {pid}",
        country=country,
        lang="es",
        tags=tuple(Tag(f, t, "human", "test") for f, t in tags),
    )


def test_a_facet_that_cannot_supply_three_distractors_gives_no_question() -> None:
    # Three countries only: "which country?" would have at most two wrong options.
    passages = [
        _passage("a", "Chile", ("problem", "coordination")),
        _passage("b", "Brazil", ("problem", "unclear_objectives")),
        _passage("c", "Peru", ("problem", "coordination"), ("instrument", "cluster_mapping")),
    ]
    rows = [LexicalRow.of(p) for p in passages]
    questions = make_quiz(rows, {p.id: p for p in passages}, n=10, seed=1)
    kinds = {q.kind for q in questions}
    assert KIND_PROBLEM_COUNTRY not in kinds
    assert {KIND_INSTRUMENT_GOAL, KIND_PASSAGE_PROBLEM} <= kinds
    goal = next(q for q in questions if q.kind == KIND_INSTRUMENT_GOAL)
    assert goal.option_ids[goal.answer] == "identify_clusters"
    assert "«Informe c», Perú, p. 2" in goal.explanation


def test_score_counts_right_answers_among_those_given() -> None:
    passages = [_passage("a", "Chile", ("problem", "coordination"))]
    rows = [LexicalRow.of(p) for p in passages]
    (question,) = make_quiz(rows, {p.id: p for p in passages}, n=5, seed=0)
    wrong = (question.answer + 1) % 4
    assert not check_answer(question, wrong)
    twice = [question, replace(question, stem="again"), replace(question, stem="third")]
    result = score(twice, [question.answer, wrong])
    assert (result.correct, result.answered, result.total, result.percent) == (1, 2, 3, 50)


# --- CLI --------------------------------------------------------------------------------


def test_interactive_loop_reads_answers_and_reveals_sources(corpus_kb: KnowledgeBase) -> None:
    from clusterkb.cli.learn import run_quiz

    questions = quiz_from_kb(corpus_kb, n=3, seed=9)
    answers = io.StringIO(f"x\n{questions[0].answer + 1}\n{(questions[1].answer + 1) % 4 + 1}\n")
    said: list[str] = []

    def ask(prompt: str) -> str | None:
        line = answers.readline()
        return line or None  # "" is the end of the input

    result = run_quiz(questions, ask, lambda text, style: said.append(text), "es")
    assert (result.correct, result.answered, result.total) == (1, 2, 3)
    out = "\n".join(said)
    assert "Escriba un número del 1 al 4" in out
    assert "✔ Correcto." in out and "✘ Incorrecto." in out
    assert questions[0].citation in out and questions[1].citation in out
    assert out.rstrip().endswith("Puntaje: 1/2 (50 %) · 1 pregunta(s) sin responder de 3")


def test_quiz_command_scores_answers_from_stdin(
    corpus_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    import clusterkb.cli.learn
    from clusterkb.cli import app

    monkeypatch.setattr(
        clusterkb.cli.learn, "open_kb_or_exit", lambda allow_model_change=False: corpus_kb
    )
    questions = quiz_from_kb(corpus_kb, n=3, seed=11, lang="en")
    right = [q.answer + 1 for q in questions]
    stdin = f"{right[0]}\n{right[1] % 4 + 1}\n{right[2]}\n"
    runner = CliRunner()
    result = runner.invoke(
        app, ["learn", "quiz", "--n", "3", "--seed", "11", "--lang", "en"], stdin
    )
    assert result.exit_code == 0, result.output
    assert "✔ Right." in result.output and "✘ Wrong." in result.output
    assert "Score: 2/3 (67%)" in result.output
    # The input ends early: the score so far.
    early = runner.invoke(app, ["learn", "quiz", "--n", "3", "--seed", "11", "--lang", "en"], "1\n")
    assert early.exit_code == 0, early.output
    assert "2 of 3 question(s) not answered" in early.output
    as_json = runner.invoke(app, ["learn", "quiz", "--n", "3", "--seed", "11", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert '"source_passage_id"' in as_json.output and '"answer"' in as_json.output


def test_path_command_prints_steps_with_citations(
    corpus_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    import clusterkb.cli.learn
    from clusterkb.cli import app

    monkeypatch.setattr(
        clusterkb.cli.learn, "open_kb_or_exit", lambda allow_model_change=False: corpus_kb
    )
    result = CliRunner().invoke(app, ["learn", "path", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "1. Concepts and definitions" in result.output
    # Steps cite their reports; the bundled reports are Markdown, cited without a page.
    assert "Case: El Salvador" in result.output and "“" in result.output
    assert "p. 1" not in result.output
    bad = CliRunner().invoke(app, ["learn", "path", "--lang", "fr"])
    assert bad.exit_code == 2
