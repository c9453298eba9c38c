"""Quizzes built from the tagged knowledge base.

Pure functions of the knowledge base's rows and passages: every answer and every distractor
can be checked against the tags, and the same seed over the same knowledge base gives the
same quiz.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kb.countries import country_name
from kb.learning.quiz import (
    KIND_INSTRUMENT_GOAL,
    KIND_PASSAGE_PROBLEM,
    KIND_PROBLEM_COUNTRY,
    KIND_UNVERIFIED_OUTCOME,
    KINDS,
    NOT_COUNTRIES,
    OPTIONS,
    OUTSIDE_OECD_TABLE,
    UNVERIFIED,
    Question,
    either,
    question_text,
)
from kb.learning.quotes import citation, locate, matched_words, quotation
from kb.models import Passage
from kb.storage.keyword_rows import LexicalRow
from kb.tags.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from kb.storage.knowledge import KnowledgeBase


@dataclass(frozen=True)
class _Facts:
    """What the whole knowledge base says, for telling right options from wrong ones."""

    countries: tuple[str, ...]
    problem_countries: dict[str, frozenset[str]]
    """Problem id -> countries with at least one passage carrying it."""
    unverified_outcomes: dict[str, frozenset[str]]
    """Country -> outcome ids on its passages tagged evidence `unverified`."""
    instruments: tuple[str, ...]


def _countries(row: LexicalRow) -> list[str]:
    """The countries a passage is about (agencies and 'General' are no country)."""
    return [c for c in row.countries if c not in NOT_COUNTRIES]


def _facts(rows: Sequence[LexicalRow]) -> _Facts:
    problems: dict[str, set[str]] = {}
    unverified: dict[str, set[str]] = {}
    for row in rows:
        for country in _countries(row):
            for problem in row.tags.get("problem", ()):
                problems.setdefault(problem, set()).add(country)
            if UNVERIFIED in row.tags.get("evidence", ()):
                unverified.setdefault(country, set()).update(row.tags.get("outcome", ()))
    return _Facts(
        countries=tuple(sorted({c for r in rows for c in _countries(r)})),
        problem_countries={k: frozenset(v) for k, v in problems.items()},
        unverified_outcomes={k: frozenset(v) for k, v in unverified.items() if v},
        instruments=tuple(sorted({t for r in rows for t in r.tags.get("instrument", ())})),
    )


@dataclass(frozen=True)
class _Context:
    rows: tuple[LexicalRow, ...]
    passages: Mapping[str, Passage]
    facts: _Facts
    taxonomy: Taxonomy
    lang: str


def _pick(ctx: _Context, match: Callable[[LexicalRow], bool], rng: random.Random) -> Passage | None:
    """A passage matching `match`, in the reader's language when there is one."""
    found = [r for r in ctx.rows if r.id in ctx.passages and match(r)]
    preferred = [r for r in found if r.lang == ctx.lang] or found
    return ctx.passages[rng.choice(preferred).id] if preferred else None


def _carrying(tags: Mapping[str, str], country: str | None = None) -> Callable[[LexicalRow], bool]:
    """Matches rows carrying every facet's tag in `tags` (and from `country`, when given)."""

    def match(row: LexicalRow) -> bool:
        if country is not None and country not in row.countries:
            return False
        return all(tag in row.tags.get(facet, ()) for facet, tag in tags.items())

    return match


def _shuffled(items: Iterable[str], rng: random.Random) -> list[str]:
    out = sorted(items)
    rng.shuffle(out)
    return out


def _options(
    answer: str, wrong: Sequence[str], label: Callable[[str], str], rng: random.Random
) -> tuple[tuple[str, ...], tuple[str, ...], int] | None:
    """Labels, ids and answer index of `answer` plus three of `wrong`, shuffled."""
    if len(wrong) < OPTIONS - 1:
        return None
    ids = [answer, *rng.sample(sorted(wrong), OPTIONS - 1)]
    rng.shuffle(ids)
    labels = tuple(label(i) for i in ids)
    if len(set(labels)) < len(labels):  # two options reading the same would be unanswerable
        return None
    return labels, tuple(ids), ids.index(answer)


def _problem_country(ctx: _Context, problem: str, rng: random.Random) -> Question | None:
    carriers = ctx.facts.problem_countries.get(problem, frozenset())
    wrong = [c for c in ctx.facts.countries if c not in carriers]
    for country in _shuffled(carriers, rng):
        source = _pick(ctx, _carrying({"problem": problem}, country), rng)
        if source is None:
            continue
        made = _options(country, wrong, lambda c: country_name(c, ctx.lang), rng)
        if made is None:
            return None
        labels, ids, answer = made
        label = ctx.taxonomy.label("problem", problem, ctx.lang)
        others = [labels[i] for i in range(len(ids)) if i != answer]
        why = question_text("why_" + KIND_PROBLEM_COUNTRY, ctx.lang).format(
            country=labels[answer],
            problem=label,
            cite=citation(source, ctx.lang),
            others=either(others, ctx.lang),
        )
        stem = question_text(KIND_PROBLEM_COUNTRY, ctx.lang).format(problem=label)
        return Question(
            KIND_PROBLEM_COUNTRY,
            stem,
            labels,
            ids,
            answer,
            problem,
            source.id,
            source,
            why,
            ctx.lang,
        )
    return None


def _table_goals(taxonomy: Taxonomy) -> list[str]:
    return [g for g, d in taxonomy.goals.items() if d.get("aim") not in OUTSIDE_OECD_TABLE]


def _instrument_goal(ctx: _Context, instrument: str, rng: random.Random) -> Question | None:
    try:
        goal = ctx.taxonomy.get("instrument", instrument).goal
    except KeyError:  # a tag since removed from the taxonomy
        return None
    goals = _table_goals(ctx.taxonomy)
    if goal is None or goal not in goals:
        return None
    source = _pick(ctx, _carrying({"instrument": instrument}), rng)
    if source is None:
        return None
    made = _options(
        goal, [g for g in goals if g != goal], lambda g: ctx.taxonomy.goal_label(g, ctx.lang), rng
    )
    if made is None:
        return None
    labels, ids, answer = made
    label = ctx.taxonomy.label("instrument", instrument, ctx.lang)
    aim_id = str(ctx.taxonomy.goals[goal].get("aim", ""))
    aim = ctx.taxonomy.aims.get(aim_id, {})
    why = question_text("why_" + KIND_INSTRUMENT_GOAL, ctx.lang).format(
        instrument=label,
        goal=labels[answer],
        aim=aim.get(ctx.lang) or aim.get("es") or aim_id,
        cite=citation(source, ctx.lang),
    )
    stem = question_text(KIND_INSTRUMENT_GOAL, ctx.lang).format(instrument=label)
    return Question(
        KIND_INSTRUMENT_GOAL,
        stem,
        labels,
        ids,
        answer,
        instrument,
        source.id,
        source,
        why,
        ctx.lang,
    )


def _unverified_outcome(ctx: _Context, country: str, rng: random.Random) -> Question | None:
    claimed = ctx.facts.unverified_outcomes.get(country, frozenset())
    wrong = [o for o in ctx.taxonomy.tag_ids("outcome") if o not in claimed]
    for outcome in _shuffled(claimed, rng):
        wanted = {"evidence": UNVERIFIED, "outcome": outcome}
        source = _pick(ctx, _carrying(wanted, country), rng)
        if source is None:
            continue
        made = _options(outcome, wrong, lambda o: ctx.taxonomy.label("outcome", o, ctx.lang), rng)
        if made is None:
            return None
        labels, ids, answer = made
        name = country_name(country, ctx.lang)
        others = [labels[i] for i in range(len(ids)) if i != answer]
        why = question_text("why_" + KIND_UNVERIFIED_OUTCOME, ctx.lang).format(
            country=name,
            evidence=ctx.taxonomy.label("evidence", UNVERIFIED, ctx.lang),
            outcome=labels[answer],
            cite=citation(source, ctx.lang),
            others=either(others, ctx.lang),
        )
        stem = question_text(KIND_UNVERIFIED_OUTCOME, ctx.lang).format(country=name)
        return Question(
            KIND_UNVERIFIED_OUTCOME,
            stem,
            labels,
            ids,
            answer,
            country,
            source.id,
            source,
            why,
            ctx.lang,
        )
    return None


def _passage_problem(ctx: _Context, passage_id: str, rng: random.Random) -> Question | None:
    passage = ctx.passages.get(passage_id)
    if passage is None:
        return None
    carried = passage.tag_ids("problem")
    tags = {t.tag_id: t for t in passage.tags if t.facet == "problem"}
    # Ask only about tags whose words the quotation can show, so the passage answers it;
    # tags without words (similarity, human) are asked about with the passage's opening.
    shown = [t for t in carried if locate(passage.text, matched_words(tags[t])) is not None]
    wordless = [t for t in carried if not matched_words(tags[t])]
    if not (shown or wordless):
        return None
    problem = rng.choice(shown or wordless)
    wrong = [t for t in ctx.taxonomy.tag_ids("problem") if t not in carried]
    made = _options(problem, wrong, lambda t: ctx.taxonomy.label("problem", t, ctx.lang), rng)
    if made is None:
        return None
    labels, ids, answer = made
    words = matched_words(tags[problem])
    listed = ", ".join(f"«{w}»" if ctx.lang == "es" else f"“{w}”" for w in words[:3])
    because = question_text("because", ctx.lang).format(words=listed) if words else ""
    why = question_text("why_" + KIND_PASSAGE_PROBLEM, ctx.lang).format(
        cite=citation(passage, ctx.lang), problem=labels[answer], because=because
    )
    stem = question_text(KIND_PASSAGE_PROBLEM, ctx.lang).format(
        quote=quotation(passage.text, around=words)
    )
    return Question(
        KIND_PASSAGE_PROBLEM,
        stem,
        labels,
        ids,
        answer,
        passage.id,
        passage.id,
        passage,
        why,
        ctx.lang,
    )


_BUILDERS: dict[str, Callable[[_Context, str, random.Random], Question | None]] = {
    KIND_PROBLEM_COUNTRY: _problem_country,
    KIND_INSTRUMENT_GOAL: _instrument_goal,
    KIND_UNVERIFIED_OUTCOME: _unverified_outcome,
    KIND_PASSAGE_PROBLEM: _passage_problem,
}


def _subjects(ctx: _Context) -> dict[str, list[str]]:
    """Per kind, what a question may be about (one question per subject at most)."""
    tagged = [r for r in ctx.rows if r.tags.get("problem") and r.id in ctx.passages]
    in_lang = [r for r in tagged if r.lang == ctx.lang] or tagged
    return {
        KIND_PROBLEM_COUNTRY: sorted(ctx.facts.problem_countries),
        KIND_INSTRUMENT_GOAL: list(ctx.facts.instruments),
        KIND_UNVERIFIED_OUTCOME: sorted(ctx.facts.unverified_outcomes),
        KIND_PASSAGE_PROBLEM: [r.id for r in in_lang],
    }


def make_quiz(
    rows: Iterable[LexicalRow],
    passages: Mapping[str, Passage],
    n: int = 10,
    seed: int = 0,
    lang: str = "es",
    taxonomy: Taxonomy | None = None,
) -> list[Question]:
    """Up to `n` questions from the tagged rows (the whole knowledge base) and the passages
    they cite (by id); kinds take turns, and the same seed gives the same quiz."""
    ordered = tuple(sorted(rows, key=lambda r: r.id))  # input order must not change the quiz
    ctx = _Context(
        rows=ordered,
        passages=passages,
        facts=_facts(ordered),
        taxonomy=taxonomy or load_taxonomy(),
        lang=lang,
    )
    rng = random.Random(seed)
    pools = _subjects(ctx)
    for kind in KINDS:
        rng.shuffle(pools[kind])
    kinds = [kind for kind in KINDS if pools[kind]]
    rng.shuffle(kinds)
    questions: list[Question] = []
    while len(questions) < n and any(pools[kind] for kind in kinds):
        for kind in kinds:
            while len(questions) < n and pools[kind]:
                question = _BUILDERS[kind](ctx, pools[kind].pop(), rng)
                if question is not None:
                    questions.append(question)
                    break
    return questions


def quiz_from_kb(kb: KnowledgeBase, n: int = 10, seed: int = 0, lang: str = "es") -> list[Question]:
    """A quiz over the committed passages of `kb` (see `make_quiz`)."""
    visible = kb.visible_ids()
    rows = [r for r in kb.lexical.rows if r.id in visible and r.is_body]
    passages = kb.passages([r.id for r in rows if any(r.tags.values())])
    return make_quiz(rows, {p.id: p for p in passages}, n=n, seed=seed, lang=lang)
