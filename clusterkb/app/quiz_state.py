"""The quiz of one session: its questions and the answers given so far."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import streamlit as st

from clusterkb.app.text import md_line
from kb.learning.questions import quiz_from_kb
from kb.learning.quiz import Question, QuizScore, score
from kb.storage.knowledge import KnowledgeBase

QUIZ_KEY = "quiz"


@dataclass
class QuizState:
    questions: list[Question]
    n: int
    seed: int
    lang: str
    answers: list[int | None] = field(default_factory=list)
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    """Part of the answer widgets' keys: a new quiz never inherits the last one's choices."""

    @property
    def score(self) -> QuizScore:
        return score(self.questions, self.answers)


def quiz() -> QuizState | None:
    current = st.session_state.get(QUIZ_KEY)
    return current if isinstance(current, QuizState) else None


def start_quiz(kb: KnowledgeBase, n: int, seed: int, lang: str) -> QuizState:
    """A new quiz of up to `n` questions (same seed, same knowledge base: same quiz)."""
    questions = quiz_from_kb(kb, n=n, seed=seed, lang=lang)
    state = QuizState(questions, n, seed, lang, [None] * len(questions))
    st.session_state[QUIZ_KEY] = state
    return state


def needs_new(state: QuizState | None, lang: str) -> bool:
    """No quiz yet, or one in another language that nobody has started answering."""
    return state is None or (state.lang != lang and not any(a is not None for a in state.answers))


def answer(index: int, widget_key: str) -> None:
    """Radio callback: record the option chosen for question `index` (first answer counts)."""
    state = quiz()
    choice = st.session_state.get(widget_key)
    if state is None or not isinstance(choice, int) or state.answers[index] is not None:
        return
    state.answers[index] = choice


def answered_options(question: Question, given: int, yours: str, right: str) -> str:
    """The options of an answered question as a Markdown list: the one chosen marked and in
    bold with `yours`, the right one (when another was chosen) followed by `right`."""
    lines = []
    for index, option in enumerate(question.options):
        text = md_line(option)
        if index == given:
            text = f":material/radio_button_checked: **{text}** — {md_line(yours)}"
        else:
            text = f":material/radio_button_unchecked: {text}"
        if index == question.answer and index != given:
            text += f" — {md_line(right)}"
        lines.append(f"- {text}")
    return "\n".join(lines)
