"""Quiz records: question kinds, their texts, a question with its options, and scoring.

The questions themselves are built in `kb.learning.questions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kb.countries import agency_names
from kb.learning.quotes import citation
from kb.models import Passage
from kb.texts import Texts

KIND_PROBLEM_COUNTRY = "problem_country"
KIND_INSTRUMENT_GOAL = "instrument_goal"
KIND_UNVERIFIED_OUTCOME = "unverified_outcome"
KIND_PASSAGE_PROBLEM = "passage_problem"
KINDS: tuple[str, ...] = (
    KIND_PROBLEM_COUNTRY,
    KIND_INSTRUMENT_GOAL,
    KIND_UNVERIFIED_OUTCOME,
    KIND_PASSAGE_PROBLEM,
)
OPTIONS = 4
UNVERIFIED = "unverified"
# Agencies and general overviews have passages too, but they are no answer to "which country".
NOT_COUNTRIES = frozenset({"", "General"}) | agency_names()
# The taxonomy sets the regulatory framework beside the OECD table, not in it: its goal is
# no answer to "which goal of the OECD table".
OUTSIDE_OECD_TABLE = frozenset({"framework"})

# Keyed by question kind (the stem) and "why_" + kind (the explanation).
_TEXTS = Texts(Path(__file__).with_name("quiz_texts.yaml"))


def question_text(key: str, lang: str) -> str:
    return _TEXTS.get(key, lang)


def either(items: Sequence[str], lang: str) -> str:
    """'A, B o C' / 'A, B or C'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {question_text('or', lang)} {items[-1]}"


@dataclass(frozen=True)
class Question:
    """One multiple-choice question; `answer` indexes `options`, all checkable from tags."""

    kind: str
    stem: str
    options: tuple[str, ...]
    option_ids: tuple[str, ...]
    """What each option stands for: a country, a goal id or a tag id."""
    answer: int
    subject: str
    """What the stem asks about: a problem or instrument id, a country, or a passage id."""
    source_passage_id: str
    passage: Passage
    explanation: str
    lang: str = "es"

    @property
    def citation(self) -> str:
        return citation(self.passage, self.lang)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of a question, as printed by `clusterkb learn quiz --json`."""
        p = self.passage
        return {
            "kind": self.kind,
            "stem": self.stem,
            "options": list(self.options),
            "option_ids": list(self.option_ids),
            "answer": self.answer,
            "subject": self.subject,
            "source_passage_id": self.source_passage_id,
            "explanation": self.explanation,
            "citation": {
                "text": self.citation,
                "doc_id": p.doc_id,
                "title": p.title,
                "country": p.country,
                "page_start": p.page_start,
                "page_end": p.page_end,
                "lang": p.lang,
            },
            "passage": p.text,
        }


@dataclass(frozen=True)
class QuizScore:
    correct: int
    answered: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.answered) if self.answered else 0


def check_answer(question: Question, choice_index: int) -> bool:
    """Whether `choice_index` (0-based) is the right option."""
    return choice_index == question.answer


def score(questions: Sequence[Question], choices: Sequence[int | None]) -> QuizScore:
    """Right answers among those given; `choices` may stop early (the learner left)."""
    given = [(q, c) for q, c in zip(questions, choices, strict=False) if c is not None]
    correct = sum(1 for q, c in given if check_answer(q, c))
    return QuizScore(correct=correct, answered=len(given), total=len(questions))
