"""PDF page texts cleaned as one document: page furniture and printed page labels
(`ingest.page_furniture`), line-end hyphenation, sentences broken by a line or a page end.

Pure functions over the pages' texts. The document's own words decide whether a hyphen at a
line end splits a word or joins a compound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ingest.page_furniture import printed_labels, running_keys, strip_running_lines


@dataclass(frozen=True)
class CleanPages:
    texts: tuple[str, ...]
    labels: tuple[str, ...]
    """The printed page label of each page ('' where none is printed)."""
    continues: tuple[bool, ...]
    """Whether the page's last sentence runs on into the next page."""


def clean_pages(page_texts: Sequence[str], pdf_labels: Sequence[str] | None = None) -> CleanPages:
    """Pages without running headers/footers, with words and sentences joined, and labels.

    `pdf_labels` are the labels the PDF itself defines (/PageLabels); when absent, labels are
    the page numbers printed in headers and footers, where they agree across pages.
    """
    lines = [text.split("\n") for text in page_texts]
    running = running_keys(lines)
    labels = (
        tuple(str(label) for label in pdf_labels)
        if pdf_labels is not None and len(pdf_labels) == len(lines)
        else printed_labels(lines, running)
    )
    numbered = [bool(label) for label in labels]
    if sum(numbered) * 2 >= len(numbered):
        # Headers are what numbered pages repeat; the title on the cover, the inner cover and
        # the contents is left there.
        running = running_keys(lines, numbered)
        furniture = [running if label else frozenset[str]() for label in labels]
    else:
        furniture = [running] * len(lines)
    kept = [
        _tidy("\n".join(strip_running_lines(page, keys, label)))
        for page, keys, label in zip(lines, furniture, labels, strict=True)
    ]
    vocab = vocabulary(kept)
    kept = [respace_letters(text, vocab) for text in kept]
    kept = [_BREAK.sub(lambda m: _join_break(m, vocab), text) for text in kept]
    kept = [join_lost_hyphens(join_spaced_hyphens(text, vocab), vocab) for text in kept]
    continues = run_on_breaks(kept)
    texts = [reflow(text) for text in kept]
    texts = [lift_footnotes(t) if on else t for t, on in zip(texts, continues, strict=False)]
    # After the footnotes moved: "pro-" may now end the page, and "veedores" begins the next.
    texts = join_page_breaks(texts, vocab)
    return CleanPages(tuple(texts), labels, tuple(continues[: len(kept)]))


# ------------------------------------------------------------------ words and sentences

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# Hyphens typesetters put at a line end: ASCII, Unicode hyphen, non-breaking hyphen.
_HYPHEN = "[-\u2010\u2011]"
# "pro-\nveedores", "pro -\nveedores": a letter, an optional space, a hyphen, a line break.
_BREAK = re.compile(rf"([^\W\d_]+)( ?){_HYPHEN}[ \t]*\n[ \t]*(\w+)")
_PAGE_TAIL = re.compile(rf"([^\W\d_]+)( ?){_HYPHEN}\s*$")
_PAGE_HEAD = re.compile(r"^\s*(\w+)([^\w\s]*)[ \t]*")  # the word's end, with its comma


@dataclass(frozen=True)
class Vocabulary:
    words: frozenset[str]
    compounds: frozenset[str]
    """Hyphenated forms written within a line ("público-privada")."""
    inner: frozenset[str] = frozenset()
    """Words seen away from a line's ends: a piece of a word cut at a line end is not one."""


def vocabulary(texts: Iterable[str]) -> Vocabulary:
    """The words of a document, leaving out the pieces of words broken at a line end."""
    words: set[str] = set()
    compounds: set[str] = set()
    inner: set[str] = set()
    for text in texts:
        masked = _BREAK.sub(" ", _PAGE_TAIL.sub(" ", text))
        for line in masked.split("\n"):
            tokens = [token.casefold() for token in _WORD.findall(line)]
            for token in tokens:
                (compounds if "-" in token else words).add(token)
                words.update(token.split("-"))
            for token in tokens[1:-1]:
                inner.update(token.split("-"))
    return Vocabulary(frozenset(words), frozenset(compounds), frozenset(inner))


def join_word(head: str, spaced: bool, tail: str, vocab: Vocabulary) -> str | None:
    """How "head-" at a line end and "tail" on the next line read: one word or a compound;
    None for a dash between two words ("economía -\nque"), left as it is."""
    joined, compound = (head + tail).casefold(), f"{head}-{tail}".casefold()
    if spaced and (
        not tail[0].islower() or (joined not in vocab.words and _words(head, tail, vocab, 1))
    ):
        return None
    if tail[0].isdigit() and not head.isupper():
        return None  # "pro-" above a footnote "3 Según…": the word goes on elsewhere
    if joined in vocab.words and compound not in vocab.compounds:
        return head + tail  # "pro-\nveedores", "FOND-\nCE"
    if not tail[0].islower() or compound in vocab.compounds:
        return f"{head}-{tail}"  # "Norte-\nSur", "COVID-\n19", "público-\nprivada"
    if spaced or not _words(head, tail, vocab, 4):
        return head + tail
    return f"{head}-{tail}"  # two words of the document, never seen joined: "costo-beneficio"


def _words(head: str, tail: str, vocab: Vocabulary, shortest: int) -> bool:
    return all(len(w) >= shortest and w.casefold() in vocab.words for w in (head, tail))


def _join_break(match: re.Match[str], vocab: Vocabulary) -> str:
    word = join_word(match.group(1), bool(match.group(2)), match.group(3), vocab)
    return match.group(0) if word is None else word


def join_page_breaks(pages: Sequence[str], vocab: Vocabulary) -> list[str]:
    """Pages with a word broken over a page break completed on the page where it starts:
    hyphenated ("pro-" | "veedores") or with its hyphen lost ("pro" | "veedores")."""
    out = list(pages)
    for i in range(len(out) - 1):
        head_match = _PAGE_HEAD.match(out[i + 1])
        if not head_match or not head_match.group(1)[0].islower():
            continue
        tail = head_match.group(1)
        word: str | None = None
        if tail_match := _PAGE_TAIL.search(out[i]):
            word = join_word(tail_match.group(1), bool(tail_match.group(2)), tail, vocab)
        elif (tail_match := _PAGE_LAST_WORD.search(out[i])) and lost_hyphen(
            tail_match.group(1), tail, vocab
        ):
            word = tail_match.group(1) + tail
        if tail_match and word is not None:
            out[i] = out[i][: tail_match.start()] + word + head_match.group(2)
            out[i + 1] = out[i + 1][head_match.end() :]
    return out


_PAGE_LAST_WORD = re.compile(r"([^\W\d_]+)\s*$")
# A line ending in letters, the next starting in lowercase letters: a word maybe cut there.
_LINE_CUT = re.compile(r"([^\W\d_]+)[ \t]*\n[ \t]*(?=[^\W\d_])([^\W\d_]+)")
LOST_HYPHEN_MIN = 2  # letters on each side: "a\nprobar" is two words, not one


def lost_hyphen(head: str, tail: str, vocab: Vocabulary) -> bool:
    """Whether "head" at a line end and "tail" below are one word whose hyphen the PDF lost
    (a soft hyphen, a hyphen drawn as a picture): the joined word is one of the document's,
    and neither piece is ever written as a word of its own inside a line."""
    if min(len(head), len(tail)) < LOST_HYPHEN_MIN or not tail[0].islower():
        return False
    pieces = (head.casefold(), tail.casefold())
    return "".join(pieces) in vocab.words and not any(p in vocab.inner for p in pieces)


# "in- versiones": a column's last line and the next column's first put on one line.
_SPACED_BREAK = re.compile(rf"([^\W\d_]+){_HYPHEN}[ \t]+([^\W\d_]+)")


def join_spaced_hyphens(text: str, vocab: Vocabulary) -> str:
    """Words hyphenated at a line end that the PDF puts on one line with a space, joined
    where the document writes the whole word and never the hyphenated form."""

    def join(match: re.Match[str]) -> str:
        head, tail = match.group(1), match.group(2)
        joined, compound = (head + tail).casefold(), f"{head}-{tail}".casefold()
        if tail[0].islower() and joined in vocab.words and compound not in vocab.compounds:
            return head + tail
        return match.group(0)

    return _SPACED_BREAK.sub(join, text)


def join_lost_hyphens(text: str, vocab: Vocabulary) -> str:
    """Words cut at a line end without a hyphen joined again ("pro\nveedores")."""

    def join(match: re.Match[str]) -> str:
        head, tail = match.group(1), match.group(2)
        return head + tail if lost_hyphen(head, tail, vocab) else match.group(0)

    return _LINE_CUT.sub(join, text)


# Four or more single letters, one space apart: a letter-spaced heading ("I N D I C E").
_SPACED_LETTERS = re.compile(r"(?<!\S)(?:[^\W\d_] ){3,}[^\W\d_](?!\S)")
MAX_SPACED_LETTERS = 60


def respace_letters(text: str, vocab: Vocabulary) -> str:
    """Letter-spaced headings read as words: the letters are split into the document's own
    words ("C A P Í T U L O U N O" -> "CAPÍTULO UNO"); left as they are when they do not
    split into words the document uses."""

    def respace(match: re.Match[str]) -> str:
        letters = match.group(0).replace(" ", "")
        if len(letters) > MAX_SPACED_LETTERS:
            return match.group(0)
        words = _split_into_words(letters, vocab.words)
        return " ".join(words) if words else match.group(0)

    return _SPACED_LETTERS.sub(respace, text)


def _split_into_words(letters: str, words: frozenset[str]) -> list[str] | None:
    """`letters` cut into the fewest words of `words` (case kept), or None. A lone letter
    counts only where it is a word ("y", "a"), and never two in a row."""
    folded = letters.casefold()
    if len(folded) != len(letters):
        return None  # casefolding changed the length ("ß"): offsets would not line up
    best: list[list[str] | None] = [[]] + [None] * len(letters)
    for end in range(1, len(letters) + 1):
        for start in range(end):
            before, piece = best[start], folded[start:end]
            if before is None or piece not in words:
                continue
            if len(piece) == 1 and before and len(before[-1]) == 1:
                continue
            current = best[end]
            if current is None or len(before) + 1 < len(current):
                best[end] = [*before, letters[start:end]]
    found = best[-1]
    return found if found and any(len(word) > 1 for word in found) else None


def run_on_breaks(pages: Sequence[str]) -> list[bool]:
    """For each page, whether a sentence runs on from it into the next page; a sentence that
    resumes after pages with no text (a full-page picture) runs on over them too."""
    out = [False] * len(pages)
    last = -1  # the last page with text so far
    for index, text in enumerate(pages):
        if not text.strip():
            continue
        if last >= 0 and runs_on(pages[last], text):
            out[last:index] = [True] * (index - last)
        last = index
    return out


def runs_on(page: str, next_page: str) -> bool:
    """Whether `page` ends inside a sentence that `next_page` finishes."""
    end, start = page.rstrip(), next_page.lstrip()
    if not end or not start:
        return False
    return start[0].islower() or (end[-1] in ",-" and not start[0].isupper())


_FOOTNOTE = re.compile(r"(\d{1,3})(?:[\u2002\u2003]\s*|\s{1,3})[^\W\d]")
_ENDS_SENTENCE = tuple(".?!…:")
MAX_FOOTNOTES_SHARE = 0.4  # footnotes fill at most this share of a page's text


def lift_footnotes(text: str) -> str:
    """A page whose last sentence runs on, with the footnotes printed below that sentence
    moved above its paragraph, so the sentence reads on into the next page."""
    lines = text.split("\n")
    for notes, line in enumerate(lines):
        marker = _FOOTNOTE.match(line)
        before = [i for i in range(notes) if lines[i].strip()]
        if not marker or not before or lines[before[-1]].rstrip().endswith(_ENDS_SENTENCE):
            continue
        body, block = "\n".join(lines[:notes]), "\n".join(lines[notes:])
        # A footnote is called in the text above it ("productivo2", "local.2").
        called = re.search(rf"[^\W\d_][.,;:)»”]? ?{marker.group(1)}(?!\d)", body)
        if not called or len(block) > MAX_FOOTNOTES_SHARE * len(text):
            continue
        start = before[-1]
        while start > 0 and lines[start - 1].strip():
            if lines[start - 1].rstrip().endswith(_ENDS_SENTENCE):
                break
            start -= 1
        return "\n".join(lines[:start] + lines[notes:] + lines[start:notes]).strip("\n")
    return text


def reflow(text: str) -> str:
    """Lines broken inside a sentence joined by a space (the next line goes on in lowercase)."""
    return re.sub(r"(?<=[^\s.?!…])[ \t]*\n[ \t]*(?=[^\W\d_])", _line_join, text)


def _line_join(match: re.Match[str]) -> str:
    following = match.string[match.end()]
    return " " if following.islower() else match.group(0)


def _tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")
