"""How clean extracted text reads: passages with broken words, and printed page labels.

Pure functions over documents and their passages; the caller loads and chunks the files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from kb.evaluation.realdocs_set import PageQuestion
from kb.models import Document, Passage

_WORD = re.compile(r"[^\W\d_]+")
# A word cut by a hyphen and whitespace: "pro-\nveedores", "pro -\nveedores", "pro- veedores".
# The hyphen may be ASCII, Unicode's hyphen or its non-breaking hyphen.
_HYPHEN_BREAK = re.compile(r"([^\W\d_]+) ?[-\u2010\u2011]\s+([^\W\d_]+)")
_HYPHEN_END = re.compile(r"([^\W\d_]+) ?[-\u2010\u2011]\s*$")
_NEXT_WORD = re.compile(r"\s*([^\W\d_]+)")
# A page may well open in lowercase without continuing the previous one: an item of a list
# ("a) ", "iv. "), a web address, a name written with inner capitals ("iPhone", "eBay").
_LOWERCASE_OPENING = re.compile(
    r"(?:[a-z]|[ivxlc]{1,5})[.)]\s|www\.|https?://|[^\W\d_]+[A-Z]", re.ASCII
)


def document_words(text: str) -> frozenset[str]:
    """The words of a document, case-folded."""
    return frozenset(word.casefold() for word in _WORD.findall(text))


def broken_word(passage: Passage, document: Document, words: frozenset[str]) -> str | None:
    """Why the passage reads as broken, or None: a word split by a hyphen and whitespace whose
    joined form is a word of the document; a cut inside a word; or a passage that starts with
    a lowercase fragment continuing the previous page."""
    text, full = passage.text, document.text
    for match in _HYPHEN_BREAK.finditer(text):
        if _split_word(match.group(1), match.group(2), words):
            return f"hyphen break: {match.group(0)!r}"
    end_match = _HYPHEN_END.search(text)
    next_match = _NEXT_WORD.match(full, passage.end)
    if end_match and next_match and _split_word(end_match.group(1), next_match.group(1), words):
        return f"ends inside a word: {end_match.group(0)!r}"
    if passage.start > 0 and full[passage.start - 1].isalpha() and text[:1].isalpha():
        return "starts inside a word"
    if passage.end < len(full) and full[passage.end].isalpha() and text[-1:].isalpha():
        return "ends inside a word"
    if _fragment_opening(text) and _opens_page(document, passage.start):
        return f"starts the page with a fragment: {text[:20]!r}"
    return None


def _fragment_opening(text: str) -> bool:
    """Whether the text opens as the rest of a sentence: in lowercase, and not as a list item,
    a web address or a name with inner capitals."""
    return text[:1].islower() and not _LOWERCASE_OPENING.match(text)


def _split_word(head: str, tail: str, words: frozenset[str]) -> bool:
    return tail[:1].islower() and (head + tail).casefold() in words


def _opens_page(document: Document, offset: int) -> bool:
    """Whether `offset` is the first character of a page after the first."""
    return any(
        page.start <= offset and not document.text[page.start : offset].strip()
        for page in document.pages[1:]
    )


def broken_passages(
    chunked: Iterable[tuple[Document, Sequence[Passage]]],
) -> list[tuple[Passage, str]]:
    """Each broken passage of the documents with the reason it reads as broken."""
    found = []
    for document, passages in chunked:
        words = document_words(document.text)
        for passage in passages:
            reason = broken_word(passage, document, words)
            if reason is not None:
                found.append((passage, reason))
    return found


def broken_word_share(chunked: Iterable[tuple[Document, Sequence[Passage]]]) -> float:
    """Share of passages with a broken word (0.0 when there are no passages)."""
    pairs = list(chunked)
    total = sum(len(passages) for _, passages in pairs)
    return len(broken_passages(pairs)) / total if total else 0.0


def page_label_hits(
    questions: Iterable[PageQuestion], documents: Mapping[str, Document]
) -> list[tuple[PageQuestion, str, bool]]:
    """For each question whose file (by sha256) is among `documents`: the label found on the
    answer's page and whether it is the printed page (a page printing none must have '')."""
    out = []
    for question in questions:
        document = documents.get(question.file_sha256)
        if document is None:
            continue
        page = next((p for p in document.pages if p.number == question.page), None)
        label = page.label if page is not None else ""
        expected = "" if question.printed_page is None else str(question.printed_page)
        out.append((question, label, label == expected))
    return out


def page_label_accuracy(
    questions: Iterable[PageQuestion], documents: Mapping[str, Document]
) -> float | None:
    """Share of questions whose answer page carries its printed page label (None: none)."""
    hits = page_label_hits(questions, documents)
    return sum(ok for _, _, ok in hits) / len(hits) if hits else None
