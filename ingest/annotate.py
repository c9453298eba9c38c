"""What each passage says of itself: the countries it is about, what kind of text it is, and
the printed page numbers it is cited by.

Countries (`kb.passage_countries.passage_countries`, the one rule, also applied when a person
changes a document's countries):
- a passage that names countries (or their places, agencies, programmes) is about them;
- one that names none is about the countries its section's title names, else inherits the
  document's countries: those a person or the file's front matter gives, else those that
  take at least a tenth of the country mentions of its body passages
  (`kb.countries.main_countries`); a report on several countries passes on only the one(s)
  the nearest preceding body passage of the same section names, so the nameless passages
  of a section on Chile are about Chile, and where none does, only its main country;
- countries read from the text are a guess, so a body passage that names a world region
  instead ("América Latina"), or reads as a definition or a theory (its words or its
  section's title), stays about no country unless it says "the country", "the government",
  "the province"… (`kb.passage_countries.inherits`), and so does one that goes on from such a
  statement in the same section without stating a dated fact; a table of contents, an
  acronym or reference list stay about no country either.
Countries given in front matter or by a person are taken at their word: every passage that
names none inherits them, as in the bundled corpus.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from ingest.boilerplate import passage_kind
from ingest.language import passage_lang
from kb.countries import main_countries
from kb.models import Document, DocumentMeta, Passage
from kb.passage_countries import body_countries, passage_countries

DERIVED = "text"
"""Provenance of document countries read from the text (not given by a person or the file)."""


def declared_countries(meta: DocumentMeta) -> tuple[str, ...]:
    """The document's countries as a person or the file's front matter gives them; () when
    none are given or they were read from the text."""
    if dict(meta.provenance).get("country") == DERIVED:
        return ()
    return meta.countries or ((meta.country,) if meta.country else ())


def document_countries(document: Document, passages: Sequence[Passage] = ()) -> tuple[str, ...]:
    """The countries `document` is about as a whole: as given, else the main countries of its
    body passages (of its whole text when no passages are given)."""
    given = declared_countries(document.meta)
    if given:
        return given
    return body_countries(passages) if passages else main_countries(document.text)


def with_document_countries(document: Document, passages: Sequence[Passage]) -> Document:
    """`document` with its countries read from `passages` when none were given (provenance
    "text"): what the manifest and the document list show as its main country."""
    if declared_countries(document.meta):
        return document
    found = document_countries(document, passages)
    origins = {f: o for f, o in document.meta.provenance if f != "country"}
    if found:
        origins["country"] = DERIVED
    meta = replace(
        document.meta,
        countries=found,
        country=found[0] if found else "",
        provenance=tuple(origins.items()),
    )
    return replace(document, meta=meta)


def _label(document: Document, number: int) -> str:
    for page in document.pages:
        if page.number == number:
            return page.label
    return ""


def annotate(document: Document, passages: list[Passage]) -> list[Passage]:
    """`passages` with their own countries, kind and printed page labels."""
    kinded = [
        replace(
            p,
            kind=passage_kind(p.text, p.section),
            lang=passage_lang(p.text, document.meta.lang),
        )
        for p in passages
    ]
    countries = passage_countries(kinded, declared_countries(document.meta))
    out = []
    for p, found in zip(kinded, countries, strict=True):
        out.append(
            replace(
                p,
                countries=found,
                country=found[0] if found else "",
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
