"""Page furniture: running headers, footers, side tabs and the printed page numbers in them.

Pure functions over each page's lines. What repeats at the top or bottom of a run of pages
is furniture, not content; a number printed in it is the page's label when the number minus
the page's position stays the same over a run of pages.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

EDGE_LINES = 8  # lines from the top and the bottom of a page where headers and footers sit
RUNNING_LINE_MAX = 60  # characters: a header or footer is a short line
# ... but a page's very first or last line may be a longer one: a report's title run as its
# header ("Industria 4.0 y políticas de clusters: qué aprender de Alemania, Corea").
OUTER_LINE_MAX = 100
MIN_PAGES = 3  # a line, or a page-number offset, seen on fewer pages is content, not furniture
MAX_GAP = 2  # sightings at most this many pages apart still make one run
MAX_LABEL = 9999
LONE_NUMBER_MAX = 999  # a bare "2023" at the foot of a cover is a year, not a page number


def line_key(line: str) -> str:
    """What a running line keeps from page to page: its letters, folded (digits dropped)."""
    return "".join(ch for ch in line.casefold() if ch.isalpha())


def _edges(lines: Sequence[str]) -> set[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return set(filled[:EDGE_LINES] + filled[-EDGE_LINES:])


def _outer(lines: Sequence[str]) -> list[str]:
    """A page's first and last lines that hold text."""
    filled = [line for line in lines if line.strip()]
    return filled[:1] + filled[-1:]


def _min_pages(count: int) -> int:
    return MIN_PAGES if count >= 2 * MIN_PAGES else max(2, math.ceil(count / 2))


def running_keys(
    pages: Sequence[Sequence[str]], counted: Sequence[bool] | None = None
) -> frozenset[str]:
    """Keys of short lines at the top or bottom of a run of pages: headers, footers, and the
    side tabs that name the chapter (an author's name on the cover and the back is not one).
    Only the `counted` pages are looked at (all by default)."""
    where: dict[str, list[int]] = defaultdict(list)
    for index, lines in enumerate(pages):
        if counted is not None and not counted[index]:
            continue
        keys = {
            line_key(lines[i]) for i in _edges(lines) if len(lines[i].strip()) <= RUNNING_LINE_MAX
        } | {line_key(line) for line in _outer(lines) if len(line.strip()) <= OUTER_LINE_MAX}
        for key in keys - {""}:
            where[key].append(index)
    needed = _min_pages(len(pages))
    return frozenset(key for key, seen in where.items() if _longest_run(seen) >= needed)


def _longest_run(indexes: Sequence[int]) -> int:
    """Most pages in a row (allowing one page without the line, e.g. a full-page chart)."""
    longest = run = 0
    for previous, index in zip([-MAX_GAP - 1, *indexes], indexes, strict=False):
        run = run + 1 if index - previous <= MAX_GAP else 1
        longest = max(longest, run)
    return longest


def _made_of(key: str, running: frozenset[str]) -> bool:
    """Whether `key` is one or more running keys run together ("Fundar" + "Volver al índice")."""
    reachable = [True] + [False] * len(key)
    for end in range(1, len(key) + 1):
        reachable[end] = any(reachable[start] and key[start:end] in running for start in range(end))
    return bool(key) and reachable[-1]


def strip_running_lines(lines: Sequence[str], running: frozenset[str], label: str) -> list[str]:
    """The page's lines without its running headers/footers and page-number lines."""
    edges = _edges(lines)
    filled = [i for i, line in enumerate(lines) if line.strip()]
    ends = {filled[0], filled[-1]} if filled else set()
    return [
        line for i, line in enumerate(lines) if not _furniture(line, i, edges, ends, running, label)
    ]


def _furniture(
    line: str, i: int, edges: set[int], ends: set[int], running: frozenset[str], label: str
) -> bool:
    text = line.strip()
    if not text or len(text) > (OUTER_LINE_MAX if i in ends else RUNNING_LINE_MAX):
        return False
    key = line_key(text)
    if key in running and not _has_digits(text):
        return True
    if (i in edges or key in running) and _prints(text, label, running):
        return True
    # A bare number at the very top or bottom of a page whose numbering is unknown.
    if i not in ends or label or not _LONE_NUMBER.fullmatch(text):
        return False
    return int(re.findall(r"\d+", text)[0]) <= LONE_NUMBER_MAX


def _prints(text: str, label: str, running: frozenset[str]) -> bool:
    """Whether a header/footer line prints the page's own label."""
    return bool(label) and label in {c.text for c in label_candidates(text, running)}


def _has_digits(text: str) -> bool:
    # "Gráfico 3" on one page and "Gráfico 4" on another share letters, not a running line.
    return any(ch.isdigit() for ch in text)


# ------------------------------------------------------------------ printed page labels

_LONE_NUMBER = re.compile(
    r"(?:(?:p[áa]g(?:ina)?\.?|page|p\.)\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?"
    r"(?:\s*(?:/|de|of)\s*\d{1,4})?",
    re.IGNORECASE,
)
_PAGE_WORD = re.compile(r"\b(?:p[áa]g(?:ina)?\.?|page|p\.)\s*(\d{1,4})\b", re.IGNORECASE)
_SIDE_NUMBER = re.compile(r"^(\d{1,4})\s*[|·•–—]\s*\S|\S\s*[|·•–—]\s*(\d{1,4})$")
_ROMAN = re.compile(r"[ivxlc]{1,7}|[IVXLC]{1,7}")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
_LEADING = re.compile(r"^(\d{1,4})\s*(\D.*)$")
_TRAILING = re.compile(r"^(.*\D)(\d{1,4})$")


@dataclass(frozen=True)
class Candidate:
    kind: str  # "arabic" | "roman"
    value: int
    text: str


def roman_value(text: str) -> int | None:
    """Value of a well-formed roman numeral (i … cxc), else None."""
    lower = text.lower()
    total = 0
    for ch, nxt in zip(lower, lower[1:] + " ", strict=True):
        value = _ROMAN_VALUES[ch]
        total += -value if _ROMAN_VALUES.get(nxt, 0) > value else value
    return total if total > 0 and _to_roman(total) == lower else None


def _to_roman(value: int) -> str:
    out = ""
    for amount, numeral in ((100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x")):
        while value >= amount:
            out, value = out + numeral, value - amount
    for amount, numeral in ((9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while value >= amount:
            out, value = out + numeral, value - amount
    return out


def _arabic(digits: str, glued: bool) -> list[Candidate]:
    # A number glued to a running line ("Nº3" + "5") may carry that line's own digits first.
    ends = range(len(digits)) if glued else range(1)
    return [Candidate("arabic", int(digits[i:]), str(int(digits[i:]))) for i in ends]


def label_candidates(line: str, running: frozenset[str]) -> list[Candidate]:
    """Page numbers a header/footer line may print: "12", "- 12 -", "Página 12", "p. 12",
    "12 | Título", a number run into a running header ("Volver al índice12"), "iv"."""
    text = line.strip()
    if _LONE_NUMBER.fullmatch(text):
        return _arabic(re.findall(r"\d+", text)[0], glued=False)
    if _ROMAN.fullmatch(text) and (value := roman_value(text)) is not None:
        return [Candidate("roman", value, text)]
    found = [m.group(1) for m in _PAGE_WORD.finditer(text)]
    found += [g for m in _SIDE_NUMBER.finditer(text) for g in m.groups() if g]
    out = [c for digits in found for c in _arabic(digits, glued=False)]
    if (lead := _LEADING.match(text)) and _made_of(line_key(lead.group(2)), running):
        out += _arabic(lead.group(1), glued=False)
    if (trail := _TRAILING.match(text)) and _made_of(line_key(trail.group(1)), running):
        out += _arabic(trail.group(2), glued=not trail.group(1)[-1].isspace())
    return out


def printed_labels(pages: Sequence[Sequence[str]], running: frozenset[str]) -> tuple[str, ...]:
    """The number printed on each page, kept only where the printed number minus the page's
    position stays the same over a run of pages ('' for unnumbered pages such as the cover)."""
    fixed = _same_on_several_pages(pages)
    per_page: list[list[Candidate]] = []
    for lines in pages:
        candidates = []
        for i in _edges(lines) | _running_anywhere(lines, running):
            text = lines[i].strip()
            if len(text) <= RUNNING_LINE_MAX and " ".join(text.casefold().split()) not in fixed:
                candidates += label_candidates(text, running)
        per_page.append([c for c in candidates if 0 < c.value <= MAX_LABEL])
    offsets: dict[tuple[str, int], list[int]] = defaultdict(list)
    for index, candidates in enumerate(per_page):
        for offset in {(c.kind, c.value - index) for c in candidates}:
            offsets[offset].append(index)
    support = {offset: _longest_run(seen) for offset, seen in offsets.items()}
    needed = _min_pages(len(pages))
    labels = []
    for index, candidates in enumerate(per_page):
        agreed = [c for c in candidates if support[(c.kind, c.value - index)] >= needed]
        best = max(agreed, key=lambda c: support[(c.kind, c.value - index)], default=None)
        labels.append(best.text if best else "")
    return tuple(labels)


def _same_on_several_pages(pages: Sequence[Sequence[str]]) -> set[str]:
    """Lines with words and a number printed identically on several pages ("Documento 2"):
    their number is not the page's."""
    seen: Counter[str] = Counter()
    for lines in pages:
        seen.update({" ".join(line.casefold().split()) for line in lines if _has_digits(line)})
    return {line for line, count in seen.items() if count > 1 and line_key(line)}


def _running_anywhere(lines: Sequence[str], running: frozenset[str]) -> set[int]:
    # pypdf may put a footer in the middle of the page text: a running line is one anywhere.
    return {i for i, line in enumerate(lines) if (key := line_key(line)) and key in running}
