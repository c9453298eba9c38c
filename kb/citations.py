"""How a passage is cited, the same in the app, the CLI, quizzes, the learning path and briefs.

A PDF page is cited by the number printed on it, with the PDF's own page beside it where the
two differ ("p. 12 (PDF p. 13)"), and by the PDF page alone where none is printed. Markdown,
text and web pages have no pages: they are cited without one, since "p. 1" would read as the
first page of the publication they summarise.
"""

from __future__ import annotations

from pathlib import Path

from kb.countries import country_name
from kb.models import Passage
from kb.texts import Texts

TEXTS = Texts(Path(__file__).with_name("citations.yaml"))


def _span(first: str, last: str, lang: str) -> str:
    if first == last:
        return TEXTS.get("page", lang, a=first)
    return TEXTS.get("pages", lang, a=first, b=last)


def pages_cited(passage: Passage, lang: str = "es") -> str:
    """'p. 12', 'pp. 12–13', 'p. 12 (PDF p. 13)'…; '' for a source without pages."""
    if not passage.paged:
        return ""
    first = passage.page_start
    last = passage.page_end if passage.page_end >= first else first
    pdf = (str(first), str(last))
    printed = (passage.page_label_start.strip(), passage.page_label_end.strip())
    if first == last:
        printed = (printed[0], printed[0])
    if all(printed) and printed != pdf:
        pages = TEXTS.get("pdf", lang, printed=_span(*printed, lang), pdf=_span(*pdf, lang))
    else:
        pages = _span(*pdf, lang)
    return TEXTS.get("ocr", lang, pages=pages) if passage.ocr else pages


def source_line(passage: Passage, lang: str = "es") -> str:
    """'Title — Country (year), p. 12 (PDF p. 13)': a passage's citation as one line of text."""
    country = country_name(passage.country, lang)
    head = " — ".join(part for part in (passage.title or passage.doc_id, country) if part)
    year = f" ({passage.year})" if passage.year else ""
    pages = pages_cited(passage, lang)
    return f"{head}{year}, {pages}" if pages else f"{head}{year}"
