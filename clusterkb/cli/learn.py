"""`clusterkb learn …`: the learning path for new officials, and quizzes in the terminal."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from clusterkb.cli.common import console, err, fail, open_kb_or_exit, write_json
from kb.learning.path import LANGS, LearningPathError, PathStep
from kb.learning.quiz import Question, QuizScore, check_answer, score
from kb.learning.quotes import citation, quotation
from kb.texts import Texts

learn_app = typer.Typer(
    help="Learning path and quizzes for new officials.",
    no_args_is_help=True,
    add_completion=False,
)
PATH_QUOTE_CHARS = 400
REVEAL_QUOTE_CHARS = 500
QUIT_WORDS = frozenset({"q", "quit", "salir"})

_UI = Texts(Path(__file__).with_name("learn_texts.yaml"))

LangOption = Annotated[str, typer.Option("--lang", help="Interface language: es or en.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for the app.")]


def _ui(key: str, lang: str, **values: object) -> str:
    return _UI.get(key, lang, **values)


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise fail(f"--lang must be one of {', '.join(LANGS)}")
    return lang


def _plain(text: str, style: str = "") -> None:
    """Print text as written: passages may hold brackets Rich would read as markup."""
    console.print(text, style=style or None, markup=False, highlight=False)


# --- learn path -------------------------------------------------------------------------


def path_to_dict(steps: Sequence[PathStep]) -> list[dict[str, object]]:
    """The JSON shape of the learning path, as printed by `clusterkb learn path --json`."""
    return [
        {
            "number": s.number,
            "id": s.step.id,
            "title": s.title,
            "goal": s.goal,
            "fallback": s.fallback,
            "passages": [
                {
                    **hit.to_dict(),
                    "quotation": quotation(hit.passage.text, PATH_QUOTE_CHARS),
                    "citation": citation(hit.passage, s.lang),
                }
                for hit in s.hits
            ],
        }
        for s in steps
    ]


def _print_path(steps: Sequence[PathStep], lang: str) -> None:
    for s in steps:
        console.rule(f"[bold]{s.number}. {escape(s.title)}[/bold]")
        _plain(s.goal, "italic")
        if s.fallback:
            _plain(_ui("fallback", lang), "dim")
        if not s.hits:
            _plain(_ui("no_passages", lang))
        for hit in s.hits:
            _plain(f"  • {quotation(hit.passage.text, PATH_QUOTE_CHARS)}")
            _plain(f"    {citation(hit.passage, lang)} · {hit.passage.id}", "dim")


@learn_app.command("path")
def path_cmd(lang: LangOption = "es", as_json: JsonOption = False) -> None:
    """The learning path, step by step: what to take away and the passages to read."""
    from kb.learning.path import build_path, load_path

    lang = _check_lang(lang)
    try:
        learning = load_path()
    except LearningPathError as exc:
        raise fail(str(exc)) from exc
    steps = build_path(open_kb_or_exit(), lang, learning)
    if as_json:
        write_json(path_to_dict(steps))
    else:
        _print_path(steps, lang)


# --- learn quiz -------------------------------------------------------------------------

Ask = Callable[[str], str | None]
Say = Callable[[str, str], None]


def _read_choice(ask: Ask, say: Say, count: int, lang: str) -> int | None:
    """The learner's 0-based choice; None when they quit or the input ends."""
    while True:
        raw = ask(_ui("prompt", lang, count=count))
        if raw is None:
            return None
        answer = raw.strip().lower()
        if answer in QUIT_WORDS:
            return None
        if answer.isdigit() and 1 <= int(answer) <= count:
            return int(answer) - 1
        say(_ui("invalid", lang, count=count), "yellow")


def run_quiz(questions: Sequence[Question], ask: Ask, say: Say, lang: str = "es") -> QuizScore:
    """Ask each question, say at once whether the answer is right, reveal the source passage,
    and end with the score; `ask` returns None at the end of the input."""
    choices: list[int | None] = []
    for number, question in enumerate(questions, start=1):
        say("", "")
        say(_ui("question", lang, number=number, total=len(questions)), "bold")
        say(question.stem, "")
        for index, option in enumerate(question.options, start=1):
            say(f"  {index}. {option}", "")
        choice = _read_choice(ask, say, len(question.options), lang)
        if choice is None:
            break
        choices.append(choice)
        if check_answer(question, choice):
            say(_ui("right", lang), "green")
        else:
            right = f"{question.answer + 1}. {question.options[question.answer]}"
            say(_ui("wrong", lang, answer=right), "red")
        say(question.explanation, "")
        say(f"{_ui('source', lang)}: {question.citation}", "dim")
        say(f"  {quotation(question.passage.text, REVEAL_QUOTE_CHARS)}", "dim")
    result = score(questions, choices)
    line = _ui(
        "score", lang, correct=result.correct, answered=result.answered, percent=result.percent
    )
    if result.answered < result.total:
        line += _ui("unanswered", lang, left=result.total - result.answered, total=result.total)
    say("", "")
    say(line, "bold")
    return result


def _prompt(text: str) -> str | None:
    """One answer from stdin (a terminal or a pipe); None at the end of the input."""
    if not sys.stdin.isatty():
        # Piped answers are not echoed by anyone: show each after its prompt, so the
        # transcript reads like a session at the terminal.
        line = sys.stdin.readline()
        _plain(f"{text}: {line.strip()}")
        return line or None
    try:
        return str(typer.prompt(text, default="", show_default=False))
    except typer.Abort:  # click turns EOF (and Ctrl-C) into Abort
        return None


@learn_app.command()
def quiz(
    n: Annotated[int, typer.Option("--n", min=1, help="How many questions.")] = 10,
    seed: Annotated[
        int | None, typer.Option(help="Same seed, same knowledge base: same quiz.")
    ] = None,
    lang: LangOption = "es",
    as_json: JsonOption = False,
) -> None:
    """A quiz built from the tagged knowledge base; interactive unless --json."""
    from kb.learning.questions import quiz_from_kb

    lang = _check_lang(lang)
    # No seed given: a fresh quiz each time, shown so a trainer can hand the same one out.
    seed = seed if seed is not None else random.SystemRandom().randrange(1_000_000)
    questions = quiz_from_kb(open_kb_or_exit(), n=n, seed=seed, lang=lang)
    if as_json:
        data = {"seed": seed, "lang": lang, "questions": [q.to_dict() for q in questions]}
        write_json(data)
        return
    if not questions:
        err.print(escape(_ui("empty", lang)))
        raise typer.Exit(1)
    _plain(_ui("seed", lang, n=len(questions), seed=seed), "bold")
    _plain(_ui("quit_hint", lang), "dim")
    run_quiz(questions, _prompt, _plain, lang)
