"""The records that flow through ClusterKB: documents, passages, tags and search hits."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.retrieval.highlights import Highlight

FACETS: tuple[str, ...] = ("problem", "instrument", "outcome", "evidence")
BODY = "body"
KINDS: tuple[str, ...] = (BODY, "toc", "acronyms", "references", "front")
"""What a passage is: body text, or matter kept searchable but out of tags, maps and briefs
(table of contents, acronym list, reference list, front matter / navigation / boilerplate)."""
# Metadata / JSON key for each facet's list of tag ids.
FACET_KEYS: dict[str, str] = {
    "problem": "problems",
    "instrument": "instruments",
    "outcome": "outcomes",
    "evidence": "evidence",
}


@dataclass(frozen=True)
class Page:
    """One page of extracted text; `start` is its offset in `Document.text`."""

    number: int
    start: int
    end: int
    label: str = ""
    """The page number printed on the page (or set by the PDF's page labels); '' when none."""
    ocr: bool = False
    """The text was recognised from the page image (no text layer)."""


@dataclass(frozen=True)
class Section:
    """A heading and the offset in `Document.text` where its section starts."""

    heading: str
    start: int
    level: int = 0
    """1 for a chapter, 2 for a section of it…; 0 where the format does not tell."""
    cuts: bool = True
    """Whether passages are cut where it starts. A box whose title is only bold type in a
    Markdown block quote is cited under that title without moving any cut: the passages, their
    ids and the corrections and labels kept on them stay those of the earlier versions."""


@dataclass(frozen=True)
class DocumentMeta:
    doc_id: str
    title: str
    country: str
    source: str
    year: int | None
    lang: str
    path: str
    sha256: str
    publisher: str = ""
    countries: tuple[str, ...] = ()
    """What the document is about as a whole; a passage naming no country inherits these."""
    paged: bool = True
    """False for Markdown and text files: they have no pages to cite."""
    provenance: tuple[tuple[str, str], ...] = ()
    """(field, origin) for each metadata field: front_matter, file_properties, cover, text,
    file_name or person."""


@dataclass(frozen=True)
class Document:
    """Extracted text of one file, with page and section boundaries as offsets into `text`."""

    meta: DocumentMeta
    text: str
    pages: tuple[Page, ...]
    sections: tuple[Section, ...] = ()

    def page_at(self, offset: int) -> int:
        """Page number holding the character at `offset`."""
        number = self.pages[0].number if self.pages else 1
        for page in self.pages:
            if page.start <= offset:
                number = page.number
            else:
                break
        return number

    def headings_above(self, offset: int) -> tuple[str, ...]:
        """Headings of the sections enclosing the one holding `offset`, outermost first
        ("Perú" above "Respuestas de política"); none where levels are not known."""
        starts, above = self._enclosing
        i = bisect_right(starts, offset) - 1
        return above[i] if i >= 0 else ()

    @cached_property
    def cut_starts(self) -> list[int]:
        """Where the sections that cut passages start, in order (`Section.cuts`; once per
        document: every passage looks its first line up here)."""
        return sorted({s.start for s in self.sections if s.cuts})

    @cached_property
    def _enclosing(self) -> tuple[list[int], list[tuple[str, ...]]]:
        """Each section's start and the headings of the sections enclosing it (once per
        document: a long report has thousands of passages)."""
        starts: list[int] = []
        above: list[tuple[str, ...]] = []
        stack: list[tuple[int, str]] = []
        for section in self.sections:
            while stack and (section.level <= 0 or stack[-1][0] >= section.level):
                stack.pop()
            starts.append(section.start)
            above.append(tuple(heading for _, heading in stack))
            stack.append((section.level, section.heading))
        return starts, above

    def section_at(self, offset: int) -> str:
        """Heading of the section holding the character at `offset` ('' before any heading)."""
        heading = ""
        for section in self.sections:
            if section.start <= offset:
                heading = section.heading
            else:
                break
        return heading


@dataclass(frozen=True)
class Tag:
    """One tag on a passage, with why it was given."""

    facet: str
    tag_id: str
    origin: str  # "rule" | "similarity" | "human"
    reason: str
    score: float = 1.0


ABOVE = " / "
"""Joins the headings of `Passage.above`."""

CELLS = "; "
"""Joins the cells of a table's row in a document's text (Markdown and HTML tables)."""


@dataclass(frozen=True)
class Passage:
    """A piece of a document small enough to embed whole; `text == document.text[start:end]`."""

    id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int
    page_start: int
    page_end: int
    section: str
    title: str = ""
    country: str = ""
    source: str = ""
    lang: str = ""
    year: int | None = None
    tags: tuple[Tag, ...] = ()
    countries: tuple[str, ...] = ()
    """Every country the passage is about; `country` is the main one."""
    kind: str = BODY
    page_label_start: str = ""
    page_label_end: str = ""
    """Printed page numbers of `page_start`/`page_end` ('' when the page prints none)."""
    paged: bool = True
    ocr: bool = False
    publisher: str = ""
    above: str = ""
    """Headings of the sections enclosing the passage's, outermost first, joined by `ABOVE`
    ("Perú" above the section "Respuestas de política")."""

    @property
    def headings(self) -> tuple[str, ...]:
        """The passage's section heading and those above it, nearest first."""
        outer = self.above.split(ABOVE) if self.above else []
        return tuple(h for h in (self.section, *reversed(outer)) if h)

    def __post_init__(self) -> None:
        # The main country is always among the passage's countries.
        if self.country and self.country not in self.countries:
            object.__setattr__(self, "countries", (self.country, *self.countries))

    @property
    def is_body(self) -> bool:
        """Body text: tagged, mapped, quizzed and drafted (the other kinds are only searchable)."""
        return self.kind == BODY

    def tag_ids(self, facet: str) -> list[str]:
        return sorted({t.tag_id for t in self.tags if t.facet == facet})


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    ranks: dict[str, int] = field(default_factory=dict)
    """1-based rank of this passage in each ranker that returned it (dense, lexical)."""
    highlights: tuple[Highlight, ...] = ()
    """The sentences that answer the query, best first, as offsets into `passage.text`."""

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of a hit, as printed by `clusterkb search --json`."""
        p = self.passage
        out: dict[str, object] = {
            "id": p.id,
            "text": p.text,
            "doc_id": p.doc_id,
            "title": p.title,
            "country": p.country,
            "countries": list(p.countries),
            "source": p.source,
            "publisher": p.publisher,
            "lang": p.lang,
            "year": p.year,
            "page_start": p.page_start,
            "page_end": p.page_end,
            "page_label_start": p.page_label_start,
            "page_label_end": p.page_label_end,
            "kind": p.kind,
            "section": p.section,
            "score": round(self.score, 6),
            "highlights": [h.to_dict() for h in self.highlights],
        }
        for facet, key in FACET_KEYS.items():
            out[key] = p.tag_ids(facet)
        out["tag_reasons"] = [
            {"facet": t.facet, "tag": t.tag_id, "origin": t.origin, "reason": t.reason}
            for t in p.tags
        ]
        return out


@dataclass(frozen=True)
class SearchFilters:
    """Same-facet values are ORed; different fields are ANDed."""

    countries: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (self.countries or self.langs or self.doc_ids or any(self.tags.values()))
