"""Compose a brief into a format-neutral document: ordered sections of quotations and notes.

Extractive by construction: evidence enters only as the verbatim text of a passage with its
citation number; the only other text is headings, counts and tag labels from the taxonomy,
and what the author wrote (title, purpose, notes), which is always labelled as theirs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kb.briefs.brief import Brief
from kb.briefs.labels import LABELS
from kb.citations import pages_cited
from kb.models import Passage
from kb.tags.taxonomy import Taxonomy

CONTEXT_MAX = 3
"""Context stays short: at most this many quotations."""
EVIDENCE_TAGS: tuple[str, ...] = ("evaluated", "unverified", "not_achieved")
WEAK_EVIDENCE: tuple[str, ...] = ("unverified", "not_achieved")


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Subheading:
    text: str


@dataclass(frozen=True)
class Quotation:
    """The verbatim text of a passage, its citation number and who it speaks for."""

    text: str
    citation: int
    attribution: str = ""


@dataclass(frozen=True)
class Note:
    """Text the author wrote, labelled as such; `citation` is the passage it comments on."""

    label: str
    text: str
    citation: int | None = None


Block = Paragraph | Subheading | Quotation | Note


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Source:
    number: int
    passage_id: str
    title: str
    country: str
    citation: str
    pages: str

    def line(self) -> str:
        """'Title — Country. Citation. p. 3' (without the number), as every format prints it;
        a source without pages ends at its citation."""
        head = " — ".join(part for part in (self.title, self.country) if part.strip())
        parts = [head, self.citation.strip().rstrip("."), self.pages]
        return ". ".join(part for part in parts if part.strip())


@dataclass(frozen=True)
class BriefDocument:
    title: str
    lang: str
    sections: tuple[Section, ...]
    sources_heading: str
    sources: tuple[Source, ...]
    missing: tuple[str, ...] = ()
    """Lines naming passages the brief lists but the knowledge base no longer has."""


# XML 1.0 cannot hold C0 controls other than tab/newline/CR, and no format wants C1 controls,
# lone surrogates or the two non-characters; a stray \x07 in a report must not break an export.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def strip_control(text: str) -> str:
    """`text` without control characters (newline and tab kept; CR becomes a newline)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _group(
    passages: Sequence[Passage], keys: Callable[[Passage], Sequence[str]]
) -> dict[str, list[Passage]]:
    """Passages under each key, keys in order of first appearance (the author's order)."""
    groups: dict[str, list[Passage]] = {}
    for p in passages:
        for key in keys(p):
            groups.setdefault(key, []).append(p)
    return groups


def _labels(taxonomy: Taxonomy, facet: str, ids: Sequence[str], lang: str) -> str:
    return ", ".join(taxonomy.label(facet, i, lang) for i in ids)


def compose(
    brief: Brief,
    passages: Mapping[str, Passage],
    taxonomy: Taxonomy,
    lang: str | None = None,
    gaps: Sequence[tuple[str, str]] = (),
) -> BriefDocument:
    """The brief as ordered sections of quotations; passages missing from `passages` are listed."""
    lang = lang or brief.lang
    t = LABELS.table(lang)
    present = [passages[i] for i in brief.passage_ids if i in passages]
    numbers = {p.id: n for n, p in enumerate(present, start=1)}

    def quote(p: Passage, attribution: str = "") -> Quotation:
        return Quotation(p.text, numbers[p.id], attribution)

    def country_of(p: Passage) -> str:
        return p.country or t["no_country"]

    sections = [
        Section(t["purpose"], (Paragraph(brief.purpose.strip() or t["no_purpose"]),)),
        Section(t["context"], _context(present, quote, country_of, t)),
        Section(t["problems"], _problems(present, quote, country_of, taxonomy, lang, t)),
        Section(t["instruments"], _instruments(present, quote, country_of, taxonomy, lang, t)),
        Section(t["lessons"], _lessons(present, quote, country_of, t)),
        Section(t["recommendations"], _recommendations(brief, present, numbers, quote, t)),
        Section(t["evidence"], _evidence(present, quote, country_of, taxonomy, lang, gaps, t)),
    ]
    sources = tuple(
        Source(
            number=numbers[p.id],
            passage_id=p.id,
            title=p.title or p.doc_id,
            country=p.country,
            citation=p.source,
            pages=pages_cited(p, lang),
        )
        for p in present
    )
    missing = tuple(t["missing"].format(id=i) for i in brief.passage_ids if i not in passages)
    return BriefDocument(brief.title, lang, tuple(sections), t["sources"], sources, missing)


QuoteFn = Callable[..., Quotation]
CountryFn = Callable[[Passage], str]


def _context(
    present: list[Passage], quote: QuoteFn, country_of: CountryFn, t: dict[str, str]
) -> tuple[Block, ...]:
    if not present:
        return (Paragraph(t["empty"]),)
    countries = list(dict.fromkeys(country_of(p) for p in present))
    docs = {p.doc_id for p in present}
    scope = Paragraph(t["scope"].format(n=len(present), d=len(docs), c=", ".join(countries)))
    untagged = [p for p in present if not p.tag_ids("problem") and not p.tag_ids("instrument")]
    # Without untagged background passages, each country's first passage sets the scene.
    chosen = untagged or [group[0] for group in _group(present, lambda p: [p.country]).values()]
    return (scope, *(quote(p, country_of(p)) for p in chosen[:CONTEXT_MAX]))


def _problems(
    present: list[Passage],
    quote: QuoteFn,
    country_of: CountryFn,
    taxonomy: Taxonomy,
    lang: str,
    t: dict[str, str],
) -> tuple[Block, ...]:
    groups = _group(present, lambda p: p.tag_ids("problem"))
    if not groups:
        return (Paragraph(t["no_problems"]),)
    blocks: list[Block] = []
    for tag_id, group in groups.items():
        blocks.append(Subheading(taxonomy.label("problem", tag_id, lang)))
        blocks.extend(quote(p, country_of(p)) for p in group)
    return tuple(blocks)


def _instruments(
    present: list[Passage],
    quote: QuoteFn,
    country_of: CountryFn,
    taxonomy: Taxonomy,
    lang: str,
    t: dict[str, str],
) -> tuple[Block, ...]:
    groups = _group(present, lambda p: p.tag_ids("instrument"))
    if not groups:
        return (Paragraph(t["no_instruments"]),)
    blocks: list[Block] = []
    for tag_id, group in groups.items():
        blocks.append(Subheading(taxonomy.label("instrument", tag_id, lang)))
        try:
            goal = taxonomy.get("instrument", tag_id).goal
        except KeyError:  # a tag since removed from the taxonomy: show it, without a goal
            goal = None
        if goal:
            blocks.append(Paragraph(t["goal"].format(goal=taxonomy.goal_label(goal, lang))))
        problems = list(dict.fromkeys(i for p in group for i in p.tag_ids("problem")))
        outcomes = list(dict.fromkeys(i for p in group for i in p.tag_ids("outcome")))
        if problems:
            labels = _labels(taxonomy, "problem", problems, lang)
            blocks.append(Paragraph(t["addresses"].format(labels=labels)))
        if outcomes:
            labels = _labels(taxonomy, "outcome", outcomes, lang)
            blocks.append(Paragraph(t["outcomes"].format(labels=labels)))
        blocks.extend(quote(p, country_of(p)) for p in group)
    return tuple(blocks)


def _lessons(
    present: list[Passage], quote: QuoteFn, country_of: CountryFn, t: dict[str, str]
) -> tuple[Block, ...]:
    if not present:
        return (Paragraph(t["empty"]),)
    blocks: list[Block] = []
    for country, group in _group(present, lambda p: [country_of(p)]).items():
        blocks.append(Subheading(country))
        blocks.extend(quote(p) for p in group)
    return tuple(blocks)


def _recommendations(
    brief: Brief,
    present: list[Passage],
    numbers: dict[str, int],
    quote: QuoteFn,
    t: dict[str, str],
) -> tuple[Block, ...]:
    blocks: list[Block] = [
        quote(p, p.country) for p in present if "recommendation" in p.tag_ids("evidence")
    ]
    for item in brief.items:
        if not item.note.strip():
            continue
        if item.passage_id in numbers:
            blocks.append(Note(t["author_note"], item.note, numbers[item.passage_id]))
        else:
            text = t["missing_note"].format(note=item.note, id=item.passage_id)
            blocks.append(Note(t["author_note"], text))
    return tuple(blocks) or (Paragraph(t["no_recommendations"]),)


def _evidence(
    present: list[Passage],
    quote: QuoteFn,
    country_of: CountryFn,
    taxonomy: Taxonomy,
    lang: str,
    gaps: Sequence[tuple[str, str]],
    t: dict[str, str],
) -> tuple[Block, ...]:
    tally = {tag: sum(tag in p.tag_ids("evidence") for p in present) for tag in EVIDENCE_TAGS}
    counts = ", ".join(f"{taxonomy.label('evidence', tag, lang)} {n}" for tag, n in tally.items())
    untagged = sum(not set(p.tag_ids("evidence")) & set(EVIDENCE_TAGS) for p in present)
    blocks: list[Block] = [Paragraph(t["counts"].format(counts=counts, none=untagged))]
    for tag in WEAK_EVIDENCE:
        group = [p for p in present if tag in p.tag_ids("evidence")]
        if group:
            blocks.append(Subheading(taxonomy.label("evidence", tag, lang)))
            blocks.extend(quote(p, country_of(p)) for p in group)
    blocks.append(Subheading(t["gaps"]))
    for problem, outcome in gaps:
        blocks.append(
            Paragraph(
                t["gap"].format(
                    problem=taxonomy.label("problem", problem, lang),
                    outcome=taxonomy.label("outcome", outcome, lang),
                )
            )
        )
    if not gaps:
        blocks.append(Paragraph(t["no_gaps"]))
    return tuple(blocks)
