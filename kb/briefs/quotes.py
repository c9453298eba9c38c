"""What a brief quotes of each passage: its chosen sentences as offsets, the sentences a reader
may pick among, the words of a quotation, and the key messages that open the brief.

Everything here is pure: passages and the brief in, offsets and text out. A quotation is only
ever text cut from the stored passage at the kept offsets, so it can be checked against it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kb.briefs.brief import Brief, BriefItem, KeyMessage, Span
from kb.countries import load_countries
from kb.models import Passage
from kb.retrieval.highlights import Highlight, bm25_scores, split_sentences
from kb.textnorm import name_key

ELLIPSIS = "[…]"
"""Stands where text of the passage is left out between two quoted parts."""
KEY_MESSAGES = 5
KEY_MESSAGES_MIN = 3
"""Past this many, a key message must add a country or a problem the others lack."""
KEY_MIN_WORDS = 8
"""A shorter 'sentence' is a heading or a label, not a message."""
NOT_PLACES = frozenset({"general", "global", "regional", "internacional", "international"})
"""Document labels that name no country: a passage filed under them speaks of no place."""


def fold(text: str) -> str:
    """`text` on one line: a quotation's line breaks are the page's, not the author's."""
    return " ".join(text.split())


def whole(text: str) -> tuple[Span, ...]:
    """The passage as one span, without its surrounding white space."""
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return ((start, end),) if end > start else ()


def quoted_spans(item: BriefItem, text: str) -> tuple[Span, ...]:
    """The parts of `text` the item quotes: its spans that still fit the passage, else all."""
    spans = tuple((a, b) for a, b in item.spans or () if b <= len(text) and text[a:b].strip())
    return spans or whole(text)


def trimmed(text: str, span: Span) -> Span | None:
    """`span` without the white space at its ends; None when nothing but white space."""
    a, b = span
    part = text[a:b]
    if not part.strip():
        return None
    return a + len(part) - len(part.lstrip()), b - len(part) + len(part.rstrip())


def leave_out(text: str, spans: Sequence[Span], cut: Span) -> tuple[Span, ...]:
    """The quoted `spans` with the text at `cut` taken out of them: a key message is quoted
    at the top of the brief, so the passage's quotation further down skips it ('[…]' stands
    where it was when text is quoted on both sides of it)."""
    kept: list[Span] = []
    for a, b in sorted(spans):
        parts = [(a, b)]
        if a < cut[1] and cut[0] < b:  # overlaps the cut: keep what lies on either side
            parts = [(a, min(b, cut[0])), (max(a, cut[1]), b)]
        for start, end in parts:
            span = trimmed(text, (start, end)) if start < end else None
            if span is not None:
                kept.append(span)
    return tuple(kept)


def pieces(text: str, spans: Sequence[Span]) -> list[str]:
    """The quoted parts, adjacent ones (only white space between) joined into one."""
    parts: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if parts and not text[parts[-1][1] : a].strip():
            parts[-1] = (parts[-1][0], max(b, parts[-1][1]))
        else:
            parts.append((a, b))
    return [fold(text[a:b]) for a, b in parts]


def quotation(text: str, spans: Sequence[Span]) -> str:
    """The quoted parts on one line, '[…]' between parts that leave text out."""
    return f" {ELLIPSIS} ".join(pieces(text, spans))


def sentences(text: str) -> list[Span]:
    """Every sentence of the passage, as offsets: what the author picks among."""
    return split_sentences(text)


def sentences_within(text: str, spans: Sequence[Span]) -> list[Span]:
    """The sentences that lie inside the quoted spans."""
    return [(a, b) for a, b in sentences(text) if any(s <= a and b <= e for s, e in spans)]


def spans_of(highlights: Sequence[Highlight]) -> tuple[Span, ...]:
    """A passage's highlights as spans to quote, in reading order."""
    return tuple(sorted((h.start, h.end) for h in highlights))


def places(passage: Passage) -> list[str]:
    """The countries and agencies the passage is about (its own, not only its document's)."""
    known = load_countries().by_name
    return [
        c
        for c in dict.fromkeys(passage.countries or (passage.country,))
        if c.strip() and (c in known or name_key(c) not in NOT_PLACES)
    ]


def _is_message(text: str) -> bool:
    line = fold(text)
    return len(line.split()) >= KEY_MIN_WORDS and line[-1:] in '.!?…)"”»'


def key_sentence(passage: Passage, spans: Sequence[Span], question: str) -> Span | None:
    """The sentence of the quoted spans that says most of the question's words (the first one
    on a tie), among those that read as a sentence."""
    text = passage.text
    found = [s for s in sentences_within(text, spans) if _is_message(text[s[0] : s[1]])]
    if not found:
        return None
    scores = bm25_scores(question, [text[a:b] for a, b in found], passage.lang or "es")
    best = max(range(len(found)), key=lambda i: (scores[i], -i))
    return found[best]


def choose_key_messages(
    brief: Brief,
    passages: Mapping[str, Passage],
    preferred: Mapping[str, Sequence[Span]] | None = None,
    limit: int = KEY_MESSAGES,
) -> list[KeyMessage]:
    """Up to `limit` key messages, one sentence per passage: the brief's first passage, then
    each time the one that adds most countries and problems not yet covered (brief order on
    a tie). Sentences come from `preferred` spans of a passage (its best highlight) when given,
    else from its quoted spans."""
    candidates: list[tuple[KeyMessage, set[str], set[str]]] = []
    for item in brief.items:
        passage = passages.get(item.passage_id)
        if passage is None:
            continue
        within = (preferred or {}).get(passage.id) or quoted_spans(item, passage.text)
        span = key_sentence(passage, within, brief.asked)
        if span is None and preferred:
            span = key_sentence(passage, quoted_spans(item, passage.text), brief.asked)
        if span is not None:
            message = KeyMessage(passage.id, *span)
            candidates.append((message, set(places(passage)), set(passage.tag_ids("problem"))))
    chosen: list[KeyMessage] = []
    countries: set[str] = set()
    problems: set[str] = set()
    while candidates and len(chosen) < limit:
        gains = [2 * len(c[1] - countries) + len(c[2] - problems) for c in candidates]
        best = 0 if not chosen else max(range(len(candidates)), key=lambda i: (gains[i], -i))
        if len(chosen) >= KEY_MESSAGES_MIN and gains[best] == 0:
            break
        message, its_places, its_problems = candidates.pop(best)
        chosen.append(message)
        countries |= its_places
        problems |= its_problems
    return chosen
