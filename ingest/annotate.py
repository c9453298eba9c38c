"""What each passage says of itself: the countries it is about, what kind of text it is, and
the printed page numbers it is cited by.

The document's countries apply only to passages that name none, so a report on several
countries splits into its countries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from ingest.boilerplate import passage_kind
from kb.countries import countries_in
from kb.models import Document, Passage


def document_countries(document: Document) -> tuple[str, ...]:
    """The countries (or agency) a passage of `document` inherits when it names none."""
    meta = document.meta
    if meta.countries:
        return meta.countries
    return (meta.country,) if meta.country else ()


def _label(document: Document, number: int) -> str:
    for page in document.pages:
        if page.number == number:
            return page.label
    return ""


def annotate(document: Document, passages: list[Passage]) -> list[Passage]:
    """`passages` with their own countries, kind and printed page labels."""
    inherited = document_countries(document)
    out = []
    for p in passages:
        countries = countries_in(p.text) or inherited
        out.append(
            replace(
                p,
                countries=countries,
                country=countries[0] if countries else document.meta.country,
                kind=passage_kind(p.text),
                page_label_start=_label(document, p.page_start),
                page_label_end=_label(document, p.page_end),
                paged=document.meta.paged,
                ocr=any(pg.ocr for pg in document.pages if p.page_start <= pg.number <= p.page_end),
                publisher=document.meta.publisher,
            )
        )
    return out


def country_distribution(passages: list[Passage]) -> dict[str, int]:
    """Passages per country, most frequent first: the document's countries as a whole."""
    counts = Counter(c for p in passages for c in p.countries)
    return dict(counts.most_common())
