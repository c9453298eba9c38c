"""A report's title and year as printed on its cover.

The cover's lines come with their printed font size when the reader knows it (PDF) and
without it otherwise. Names, dates, publisher lines, series labels and front-matter headings
are set aside; of what is left, the largest block of lines is the title, unless another one
is repeated on clearly more of the following pages (a series name is often printed largest).
The words people may need to add are in `cover.yaml`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.textfiles import clean_text
from kb.files import read_yaml
from kb.textnorm import name_key

COVER_TERMS_PATH = Path(__file__).with_name("cover.yaml")
CoverPage = tuple[tuple[str, float], ...]
"""The text pieces of a page in reading order, each with its printed font size (points)."""

MAX_COVER_LINES = 80
MAX_TITLE_WORDS = 35
MAX_TITLE_CHARS = 300
PROMINENT = 1.2
"""On a page full of text, a title is printed at least this many times larger than most of it."""
SPARSE_PAGE_CHARS = 600
"""A page with less text than this is a cover: any of its lines may be the title."""
MIN_REPEATS = 2
"""A block printed again on at least this many other pages, and on more of them than the
largest block, is the title instead (the largest is then a series or collection name)."""
COVER_PAGES = 3
"""Pages whose sized pieces the PDF reader sends: the cover, the title page and one more."""
_SAME_SIZE = 0.05
_MIN_YEAR = 1950
_YEAR = r"(?:19|20)\d{2}"


class CoverTermsError(ValueError):
    """cover.yaml is not valid YAML or misses a list."""


@dataclass(frozen=True)
class CoverTerms:
    """The term lists of cover.yaml, each as a set of `name_key` forms."""

    headings: frozenset[str]
    series: frozenset[str]
    document_kinds: frozenset[str]
    months: frozenset[str]
    continuing_words: frozenset[str]
    name_particles: frozenset[str]
    placeholder_titles: frozenset[str]
    working_words: frozenset[str]


@lru_cache(maxsize=4)
def load_cover_terms(path: Path = COVER_TERMS_PATH) -> CoverTerms:
    """The term lists at `path` (cached per path)."""
    data: Any = read_yaml(path, CoverTermsError)
    lists = {}
    for key in CoverTerms.__dataclass_fields__:
        values = data.get(key) if isinstance(data, dict) else None
        if not isinstance(values, list):
            raise CoverTermsError(f"{path}: `{key}` must be a list")
        lists[key] = frozenset(name_key(str(v)) for v in values)
    return CoverTerms(**lists)


@dataclass(frozen=True)
class Line:
    text: str
    size: float = 0.0
    """Printed font size; 0 when unknown."""


def lines_from_pieces(pieces: Iterable[tuple[str, float]]) -> list[Line]:
    """Lines of a page from its sized pieces; a line's size is the one most of its letters have."""
    lines: list[Line] = []
    parts: list[str] = []
    weights: dict[float, int] = {}
    for piece, size in [*pieces, ("\n", 0.0)]:
        for index, part in enumerate(clean_text(piece).split("\n")):
            if index:  # a line ends here
                text = " ".join("".join(parts).split())
                if text:
                    lines.append(Line(text, max(weights, key=weights.__getitem__, default=0.0)))
                parts, weights = [], {}
            parts.append(part)
            letters = sum(ch.isalnum() for ch in part)
            if letters:
                weights[size] = weights.get(size, 0) + letters
    return lines[:MAX_COVER_LINES]


def lines_from_text(text: str) -> list[Line]:
    """Lines of a page whose font sizes are unknown."""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return [Line(line) for line in lines if line][:MAX_COVER_LINES]


def cover_pages_from_json(value: object) -> tuple[CoverPage, ...]:
    """Sized pieces of the first pages as the PDF worker sends them ([[text, size], …] per
    page); anything malformed is dropped."""
    pages: list[CoverPage] = []
    for page in value if isinstance(value, list) else []:
        pieces = [
            (piece[0], float(piece[1]))
            for piece in (page if isinstance(page, list) else [])
            if isinstance(piece, list)
            and len(piece) == 2
            and isinstance(piece[0], str)
            and isinstance(piece[1], (int, float))
            and 0 <= piece[1] < 10_000
        ]
        pages.append(tuple(pieces))
    return tuple(pages)


# ----------------------------------------------------------------------------- years


def plausible_year(year: int | None, today: dt.date | None = None) -> int | None:
    """`year` when a report could carry it (1950 up to next year), else None."""
    latest = (today or dt.date.today()).year + 1
    return year if year is not None and _MIN_YEAR <= year <= latest else None


def printed_year(lines: Iterable[str]) -> int | None:
    """The publication year printed in these lines: a date line ("Noviembre 2023", "Santiago,
    marzo de 2020"), a copyright ("© 2024") or a place and year, in that order of trust."""
    terms = load_cover_terms()
    found: dict[int, int] = {}  # trust rank -> first year of that rank
    for line in lines:
        key = name_key(line)
        years = [int(w) for w in key.split() if re.fullmatch(_YEAR, w)]
        if not years:
            continue
        copyright_ = re.search(rf"(?:©|\(c\)|copyright)\D{{0,60}}?({_YEAR})", line, re.I)
        if _is_date(line, terms):
            dated = any(w in terms.months for w in key.split())
            found.setdefault(0 if dated else 2, years[0])
        elif copyright_:
            found.setdefault(1, int(copyright_.group(1)))
    for rank in sorted(found):
        year = plausible_year(found[rank])
        if year is not None:
            return year
    return None


# ----------------------------------------------------------------------------- titles


def _is_date(line: str, terms: CoverTerms) -> bool:
    """A line that only dates the report: "Noviembre 2023", "Buenos Aires, marzo de 2020"."""
    words = name_key(line).split()
    if not any(re.fullmatch(_YEAR, w) for w in words):
        return False
    rest = [w for w in words if not w.isdigit() and w not in terms.months]
    if len(rest) <= 1:
        return True
    placed = any(w in terms.months for w in words) or re.search(rf",\s*{_YEAR}\W*$", line)
    return len(rest) <= 4 and bool(placed)


def _is_label(key: str, terms: CoverTerms) -> bool:
    """A kind of publication, with or without its number ("Documento de trabajo N° 2")."""
    bare = re.sub(r"(?:\s+(?:n|no|nro|num|numero|nr|vol|volumen|volume))?(?:\s+\d+)+$", "", key)
    return bare in terms.document_kinds or bare in terms.series or key in terms.headings


_NAME_WORD = re.compile(r"^[A-ZÁÉÍÓÚÑÇÂÊÔÃÕÜÀ][\w'’.-]*$")


def _is_name(part: str, terms: CoverTerms) -> bool:
    words = part.strip(" ,;").split()
    names = [w for w in words if w.lower() not in terms.name_particles]
    return 2 <= len(names) <= 4 and all(_NAME_WORD.match(w) for w in names)


def _names_line(text: str, terms: CoverTerms) -> bool:
    """A list of people ("Ana Pérez, Juan de la Cruz y Rui Costa")."""
    parts = [p for p in re.split(r",|;|\s+(?:y|e|and|&)\s+", text) if p.strip()]
    return bool(parts) and all(_is_name(p, terms) for p in parts)


def _skip(line: str, terms: CoverTerms, is_publisher: Callable[[str], bool]) -> bool:
    """Lines that cannot be part of a title."""
    key = name_key(line)
    if sum(ch.isalpha() for ch in line) < 2 or not key:
        return True
    if re.search(r"www\.|https?:|@|\.(?:org|com|net|gob|gov)\b", line, re.I):
        return True
    if line.lstrip()[:1] in "•▪●■◦-–—*" or re.match(r"^\d+(?:\.\d+)*\.?\s", line):
        return True  # list items and numbered headings belong to the body
    if re.search(r"<[a-z/!?][^>]*>", line, re.IGNORECASE):
        return True  # markup left in a text file is not a title to show
    return _is_date(line, terms) or _is_label(key, terms) or is_publisher(line)


@dataclass
class _Block:
    lines: list[str]
    size: float
    order: int
    after_series: bool

    @property
    def text(self) -> str:
        joined = ""
        for line in self.lines:
            if joined.endswith("-") and line[:1].islower():
                joined = joined[:-1] + line  # a word broken at the line end
            else:
                joined = f"{joined} {line}" if joined else line
        return " ".join(joined.split()).strip(" ,;:-–—")


def _continues(previous: str, line: str, terms: CoverTerms) -> bool:
    """Without font sizes: does `line` carry on the title begun in `previous`?"""
    last = name_key(previous).split()[-1:] or [""]
    return (
        line[:1].islower() or previous.rstrip()[-1:] in ",:-" or last[0] in terms.continuing_words
    )


def _blocks(lines: Sequence[Line], is_publisher: Callable[[str], bool]) -> list[_Block]:
    terms = load_cover_terms()
    blocks: list[_Block] = []
    open_block: _Block | None = None
    series_next = False
    for index, line in enumerate(lines):
        text = line.text
        near = [lines[i].text for i in (index - 1, index + 1) if 0 <= i < len(lines)]
        names = _names_line(text, terms) and (
            "," in text or any(_names_line(n, terms) for n in near)
        )
        if names or _skip(text, terms, is_publisher):
            open_block = None
            series_next = name_key(text) in terms.series
            continue
        same = open_block is not None and (
            abs(open_block.size - line.size) <= _SAME_SIZE * max(line.size, 1.0)
            if line.size
            else _continues(open_block.lines[-1], text, terms)
        )
        if open_block is not None and same:
            open_block.lines.append(text)
            continue
        open_block = _Block([text], line.size, index, series_next)
        blocks.append(open_block)
        series_next = False
    return blocks


def _acceptable(block: _Block, min_words: int) -> bool:
    text = block.text
    words = len(text.split())
    if not min_words <= words <= MAX_TITLE_WORDS or len(text) > MAX_TITLE_CHARS:
        return False
    # A sentence (or several) is body text, not a title.
    return not text.endswith((".", ";")) and not re.search(r"[.;] [A-ZÁÉÍÓÚ]", text)


def _dominant_size(lines: Sequence[Line]) -> float:
    weights: dict[float, int] = {}
    for line in lines:
        weights[line.size] = weights.get(line.size, 0) + len(line.text)
    return max(weights, key=lambda s: weights[s]) if weights else 0.0


def _repeats(text: str, later_pages: Sequence[str]) -> int:
    key = re.sub(r"[^a-z0-9]", "", name_key(text))
    return sum(key in page for page in later_pages)


def title_on_page(
    lines: Sequence[Line],
    later_pages: Sequence[str],
    is_publisher: Callable[[str], bool],
) -> str:
    """The title printed on one cover page, or '' when none stands out.

    `later_pages` are the document's other pages as `name_key` text without spaces.
    """
    blocks = _blocks(lines, is_publisher)
    sized = any(line.size for line in lines)
    if sized and sum(len(line.text) for line in lines) >= SPARSE_PAGE_CHARS:
        floor = _dominant_size(lines) * PROMINENT
        blocks = [b for b in blocks if b.size >= floor]
    for min_words in (3, 2):
        fit = [b for b in blocks if _acceptable(b, min_words)]
        if not fit:
            continue
        fit.sort(key=lambda b: (b.after_series, -b.size, b.order))
        repeats = {id(b): _repeats(b.text, later_pages) for b in fit}
        best = fit[0]
        rival = max(fit, key=lambda b: repeats[id(b)])
        if repeats[id(rival)] >= max(MIN_REPEATS, repeats[id(best)] + 1):
            best = rival
        return best.text
    return ""


def cover_title(
    pages: Sequence[Sequence[Line]],
    all_pages: Sequence[str],
    is_publisher: Callable[[str], bool],
) -> str:
    """The title printed on the cover (the first page, or the second when the first shows
    none: an image cover); `all_pages` is the text of every page of the document, as printed
    (running headers kept: a title is often one)."""
    keys = [re.sub(r"[^a-z0-9]", "", name_key(text)) for text in all_pages]
    for number, lines in enumerate(pages[:2]):
        later = keys[:number] + keys[number + 1 :]
        title = title_on_page(lines, later, is_publisher)
        if title:
            return title
    return ""


def placeholder_title(title: str) -> bool:
    """True for an embedded title that is a template default or a working file name."""
    terms = load_cover_terms()
    key = name_key(title)
    return key in terms.placeholder_titles or bool(set(key.split()) & terms.working_words)
