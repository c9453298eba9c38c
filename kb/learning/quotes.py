"""Short quotations and citations of passages, for the learning path and quizzes."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb.citations import pages_cited
from kb.countries import country_name
from kb.models import Passage, Tag
from kb.textnorm import fold, stems

QUOTE_CHARS = 280

_BULLET = re.compile(r"^\s*[-+]\s+", re.MULTILINE)
# A sentence ends at . ! ? or … followed by space, but not after a list number ("1. ").
_SENTENCE_END = re.compile(r"(?<=[.!?…])(?<!\b\d\.)\s+|\n+")


def _heading(line: str) -> bool:
    """A short line without a sentence's end: a heading, not a sentence to quote."""
    ends = (".", "!", "?", ":", ";", "…", '"', "»", "”")
    return len(line.split()) <= 12 and not line.rstrip().endswith(ends)


def _sentences(text: str) -> list[str]:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    body = [ln for ln in lines if not ln.lstrip().startswith("#")] or lines
    if len(body) > 1 and _heading(body[0]):  # a passage opening with its section's heading
        body = body[1:]
    plain = _BULLET.sub("", "\n".join(body)).replace("*", "").replace("__", "")
    parts = _SENTENCE_END.split(plain)
    return [" ".join(part.split()) for part in parts if part.strip()]


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:") + "…"


def _position(sentence: str, needle: str) -> int | None:
    """Where `sentence` shows `needle`: literally, or (as the tagger matches) by stems."""
    folded = fold(sentence)
    at = folded.find(fold(needle))
    if at >= 0:
        return at
    for lang in ("es", "en"):
        want, have = stems(needle, lang), stems(sentence, lang)
        size = len(want)
        if want and any(have[i : i + size] == want for i in range(len(have) - size + 1)):
            return max(folded.find(want[0]), 0)  # stems are prefixes of the folded words
    return None


def _find(sentences: Sequence[str], words: Sequence[str]) -> tuple[int, int] | None:
    for needle in (w for w in words if w.strip()):
        for index, sentence in enumerate(sentences):
            at = _position(sentence, needle)
            if at is not None:
                return index, at
    return None


def locate(text: str, words: Sequence[str]) -> int | None:
    """Index of the first sentence of `text` (as `quotation` splits it) showing one of `words`."""
    found = _find(_sentences(text), words)
    return found[0] if found else None


def quotation(text: str, limit: int = QUOTE_CHARS, around: Sequence[str] = ()) -> str:
    """A short quotation of `text` (headings and markup dropped), from the first sentence
    showing one of the words in `around`, else from the start."""
    sentences = _sentences(text)
    if not sentences:
        return ""
    start, at = _find(sentences, around) or (0, 0)
    out = sentences[start]
    if at > limit * 2 // 3:  # the words are deep in a long sentence: start the quote near them
        cut = out.rfind(" ", 0, max(at - limit // 4, 0))
        out = "…" + out[cut + 1 :] if cut > 0 else out
    for sentence in sentences[start + 1 :]:
        if len(out) + 1 + len(sentence) > limit:
            break
        out += " " + sentence
    return _clip(out, limit)


def citation(passage: Passage, lang: str = "es") -> str:
    """Document title, country and page of a passage, as a reader cites it (no page for a
    source without pages)."""
    title = f"«{passage.title}»" if lang == "es" else f"“{passage.title}”"
    parts = [title, country_name(passage.country, lang), pages_cited(passage, lang)]
    return ", ".join(part for part in parts if part)


def matched_words(tag: Tag) -> list[str]:
    """The words a rule tag matched (from its reason), e.g. ['falta de coordinación']."""
    if tag.origin != "rule":
        return []
    seen: dict[str, str] = {}
    for word in re.findall(r"«([^»]+)»", tag.reason):
        seen.setdefault(fold(word), word)  # a term and a pattern often match the same words
    return list(seen.values())
