"""Tell body text from matter that is searchable but evidence of nothing: tables of contents,
acronym lists, reference lists, front matter and navigation.

Each kind has a score from the shape of the passage's lines and the phrases of
`boilerplate.yaml`; a score of 1 or more makes the kind, the highest score wins, and body
is the default. A passage that is only partly a list (the first entries of a bibliography
after the last paragraph) stays body unless the list dominates it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kb.files import read_yaml
from kb.models import BODY
from kb.textnorm import fold

TERMS_PATH = Path(__file__).with_name("boilerplate.yaml")

# --- tables of contents: "Introducción ..... 5", "2.1 Antecedentes 12", or pypdf's layout of
# headings in one run and their page numbers in another (lines that are a bare number).
_ROMAN = r"(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"  # front-matter pages: "xii"
_DOT_LEADER = re.compile(r"(?:\.\s?){4,}|…{2,}|_{4,}|·{3,}")
_ENDS_IN_PAGE = re.compile(rf"[^\W\d_][^\d]*?(?:\s|\.|…)\s*(?:\d{{1,3}}|{_ROMAN})$", re.IGNORECASE)
_PAGE_FIRST = re.compile(r"^\d{1,3}\s+[A-ZÁÉÍÓÚÑ¿¡][^.]*[^.\s]$")  # "19 Instrumentos para…"
_BARE_NUMBER = re.compile(rf"^(?:\d{{1,3}}|{_ROMAN})(?:\s+\d{{1,3}})*$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?;:…]$|[.!?]\s+[A-ZÁÉÍÓÚÑ¿¡]")

# --- acronym lists: "BID  Banco Interamericano de Desarrollo", "CRC: Cooperative Research…"
_ACRONYM_LINE = re.compile(
    r"^(?P<short>[A-ZÁÉÍÓÚÑ][\w+&/.\-]{0,11})\s*(?:[:=–—-]\s+|\s)\s*(?P<long>[A-ZÁÉÍÓÚÑa-z(].{3,})$"
)

# --- reference lists: "Porter, M. E. (1990).", "Comisión Europea (2017).", "Duflo, Esther. 2017.",
# DOIs and URLs. An in-text citation "(Porter, M., 1990)" has its year outside parentheses.
_ENTRY = re.compile(
    r"[A-ZÁÉÍÓÚÑ][\w'’\-]+,\s(?:[A-ZÁÉÍÓÚÑ]\.\s?-?){1,3}[^()\n]{0,160}?"
    r"\((?:19|20)\d{2}[a-z]?\)"
    r"|^(?:[A-ZÁÉÍÓÚÑ][\w.&'’\-]*[ \t](?:(?:de|del|la|las|los|y|e|and|of|for|the|do|da|dos)[ \t])?)"
    r"{1,6}\((?:19|20)\d{2}[a-z]?\)[.,][ \t]"
    r"|^[A-ZÁÉÍÓÚÑ][\w'’\-]+,\s[^\n]{1,160}?\.\s(?:19|20)\d{2}[a-z]?\.\s",
    re.MULTILINE,
)
_YEAR_IN_PARENS = re.compile(r"\((?:19|20)\d{2}[a-z]?\)")
_LINKS = re.compile(r"https?://|www\.|\bdoi\b|doi\.org", re.IGNORECASE)
_PAGES_RANGE = re.compile(r"\bpp?\.\s?\d+\s?[-–]\s?\d+|\b\d+\s?\(\d+\)\s?[,:]\s?\d+")
_LIST_MARK = re.compile(r"^[\s•·▪●*\-–]*(?:\d{1,3}[.)]?\s+)?", re.MULTILINE)

# --- navigation: many short lines that are links or menu items, no sentence among them
_MENU_WORDS = 4  # words in a menu label at most


@dataclass(frozen=True)
class Terms:
    """The phrase lists of `boilerplate.yaml`, folded."""

    toc_headings: frozenset[str]
    acronym_headings: frozenset[str]
    reference_headings: frozenset[str]
    informant_headings: frozenset[str]
    reference_markers: tuple[str, ...]
    front_phrases: tuple[str, ...]
    front_hints: tuple[str, ...]
    navigation_words: frozenset[str]
    note_words: frozenset[str]


@lru_cache(maxsize=1)
def load_terms(path: Path = TERMS_PATH) -> Terms:
    """The phrase lists, read once."""
    data = read_yaml(path)

    def folded(key: str) -> tuple[str, ...]:
        return tuple(_words(str(item)) for item in data.get(key) or ())

    return Terms(
        toc_headings=frozenset(folded("toc_headings")),
        acronym_headings=frozenset(folded("acronym_headings")),
        reference_headings=frozenset(folded("reference_headings")),
        informant_headings=frozenset(folded("informant_headings")),
        reference_markers=folded("reference_markers"),
        front_phrases=folded("front_phrases"),
        front_hints=folded("front_hints"),
        navigation_words=frozenset(folded("navigation_words")),
        note_words=frozenset(str(w).lower() for w in data.get("note_words") or ()),
    )


def _words(text: str) -> str:
    """Folded words separated by single spaces ("Índice  general:" → "indice general")."""
    return " ".join(re.findall(r"[^\W_]+", fold(text)))


def _count_phrases(words: str, phrases: tuple[str, ...]) -> int:
    """How many of `phrases` occur in `words` as whole words."""
    padded = f" {words} "
    return sum(f" {phrase} " in padded for phrase in phrases)


@dataclass(frozen=True)
class _Shape:
    """What the kinds are judged on: the passage's non-blank lines and their folded words."""

    lines: tuple[str, ...]
    headings: frozenset[str]  # lines short enough to be a heading, as folded words
    words: str
    word_count: int


def _shape(text: str) -> _Shape:
    lines = tuple(line.strip(" \t•·▪●-–*") for line in text.splitlines())
    lines = tuple(line for line in lines if line)
    headings = frozenset(_words(re.sub(r"\d+$", "", ln)) for ln in lines if len(ln) <= 60)
    words = _words(text)
    return _Shape(lines, headings, words, len(words.split()))


def _page_numbers(lines: tuple[str, ...]) -> list[int]:
    """The page number each contents-like line gives (at its end or its start)."""
    numbers = []
    for line in lines:
        if _ENDS_IN_PAGE.search(line) or _PAGE_FIRST.match(line):
            found = re.search(r"(\d+)$", line) or re.match(r"(\d+)", line)
            if found:
                numbers.append(int(found.group(1)))
    return numbers


def _toc_score(shape: _Shape, terms: Terms) -> float:
    lines = shape.lines
    if len(lines) < 3:
        return 0.0
    sentences = sum(bool(_SENTENCE_END.search(ln)) and len(ln.split()) > 6 for ln in lines)
    short = sum(len(ln.split()) <= 16 for ln in lines) / len(lines)  # a title, not a paragraph
    if sentences > len(lines) * 0.2 or short < 0.8:
        return 0.0
    numbers = _page_numbers(lines)
    rising = sum(b >= a for a, b in zip(numbers, numbers[1:], strict=False))
    # A contents list's pages rise; a small table's figures ("Chile 12 / Perú 8") do not.
    paged = len(numbers) if len(numbers) < 3 or rising >= 0.7 * (len(numbers) - 1) else 0
    paged += sum(bool(_DOT_LEADER.search(ln)) for ln in lines)
    bare = sum(bool(_BARE_NUMBER.match(ln)) for ln in lines)
    headed = bool(shape.headings & terms.toc_headings)
    score = min(paged + bare, len(lines)) / len(lines) / 0.5  # half the lines give a page
    if headed:
        score += 1.0 if paged + bare >= 2 or short >= 0.9 else 0.5
    return score


def _acronyms_score(shape: _Shape, terms: Terms) -> float:
    lines = shape.lines
    if len(lines) < 2:
        return 0.0
    entries = 0
    for line in lines:
        match = _ACRONYM_LINE.match(line)
        if not match or len(line) > 140:
            continue
        short = match.group("short")
        capitals = sum(ch.isupper() for ch in short)
        if capitals >= 2 and capitals >= len(re.sub(r"[^\w]", "", short)) * 0.5:
            entries += 1
    headed = bool(shape.headings & terms.acronym_headings)
    # An acronym list is short lines; paragraphs opening with a name are not one.
    long_lines = sum(len(line) > 120 for line in lines)
    if entries < 2 or long_lines > 0.1 * len(lines):
        return 0.0
    return entries / len(lines) / 0.5 + (1.0 if headed else 0.0)


def _references_score(shape: _Shape, terms: Terms) -> float:
    # A figure's source note ("Fuente: … Bortz, G. et al. (2022).") cites, but is no list.
    lines = [ln for ln in shape.lines if ln.split()[0].lower().rstrip(":") not in terms.note_words]
    text = _LIST_MARK.sub("", "\n".join(lines))
    entries = len(_ENTRY.findall(text))
    years = len(_YEAR_IN_PARENS.findall(text))
    links = len(_LINKS.findall(text))
    if entries + years + links < 2:
        return 0.0
    ranges = len(_PAGES_RANGE.findall(text))
    markers = _count_phrases(_words(text), terms.reference_markers)
    # Signals per 40 words: an entry of a reference list is about 25-40 words and carries
    # an author with initials and a year in parentheses, often a journal, pages or a link.
    density = (3 * entries + years + links + ranges + markers) / max(shape.word_count, 1) * 40
    headed = bool(shape.headings & terms.reference_headings)
    score = density / 3.0 + (0.5 if headed else 0.0)
    # Body text followed by a footnote or two that cite: the prose decides.
    prose = sum(len(ln.split()) for ln in lines if _is_prose(ln))
    return min(score, 0.9) if entries < 2 and prose >= 0.5 * shape.word_count else score


def _is_prose(line: str) -> bool:
    """A long line of running text that cites nothing."""
    return (
        len(line.split()) >= 12
        and not _YEAR_IN_PARENS.search(line)
        and not _LINKS.search(line)
        and not re.search(r"\b(?:19|20)\d{2}\b", line)
    )


def _is_menu_item(line: str) -> bool:
    """A link or menu label: a few words, capitalised, not a sentence nor a wrapped line."""
    return (
        len(line.split()) <= _MENU_WORDS
        and line[:1].isupper()
        and not _SENTENCE_END.search(line)
        and not line.endswith((",", "-", "–"))
        and not line[-1:].isdigit()
    )


def _front_score(shape: _Shape, terms: Terms) -> float:
    hits = _count_phrases(shape.words, terms.front_phrases) + 0.5 * _count_phrases(
        shape.words, terms.front_hints
    )
    lines = shape.lines
    score = 0.0
    if hits:
        # One phrase is enough in a short passage; a long one needs several.
        score = hits / max(1.0, shape.word_count / 80)
    # Navigation: a run of menu labels naming the site's pages. A table's rows or a figure's
    # labels are short lines too, but name no "Inicio" or "Contacto", and a cell or a side
    # tab broken over lines has lines continuing the one before (lower-case start).
    wrapped = sum(ln[:1].islower() for ln in lines)
    menu = sum(_is_menu_item(ln) for ln in lines)
    navigation = sum(_words(ln) in terms.navigation_words for ln in lines)
    if (
        len(lines) >= 6
        and menu >= 0.8 * len(lines)
        and wrapped <= 0.1 * len(lines)
        and navigation >= 2
    ):
        score = max(score, 1.0)
    return score


def _heading_only(shape: _Shape, terms: Terms) -> str | None:
    """The kind a passage that is only a list's heading ("Bibliografía") belongs to."""
    if len(shape.lines) > 2:
        return None
    for kind, headings in (
        ("toc", terms.toc_headings),
        ("acronyms", terms.acronym_headings),
        ("references", terms.reference_headings),
    ):
        if shape.headings & headings:
            return kind
    return None


def kind_scores(text: str) -> dict[str, float]:
    """The score of each non-body kind for `text` (1 or more: the passage is of that kind)."""
    terms = load_terms()
    shape = _shape(text)
    scores = {
        "toc": _toc_score(shape, terms),
        "acronyms": _acronyms_score(shape, terms),
        "references": _references_score(shape, terms),
        "front": _front_score(shape, terms),
    }
    alone = _heading_only(shape, terms)
    if alone:
        scores[alone] = max(scores[alone], 1.0)
    return scores


def passage_kind(text: str, section: str = "") -> str:
    """`body`, or one of `kb.models.KINDS` for a table of contents, acronym or reference list
    or front matter / navigation / boilerplate; a passage under a list's heading ("Bibliografía",
    "Anexo 1: Entrevistas") is of that list's kind."""
    scores = kind_scores(text)
    kind, score = max(scores.items(), key=lambda item: item[1])
    return kind if score >= 1.0 else section_kind(section) or BODY


_ANNEX = re.compile(r"^(?:anexo|anexos|annex|appendix|apendice|apendices)(?: [a-z0-9]{1,4})?\b ?")


def section_kind(heading: str) -> str | None:
    """The list a section heading announces (an annex's number dropped), or None."""
    terms = load_terms()
    words = _words(heading)
    for candidate in (words, _ANNEX.sub("", words)):
        for kind, headings in (
            ("toc", terms.toc_headings),
            ("acronyms", terms.acronym_headings),
            ("references", terms.reference_headings | terms.informant_headings),
        ):
            if candidate in headings:
                return kind
    return None
