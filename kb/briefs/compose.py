"""Compose a brief into a format-neutral document shaped like a policy brief: key messages,
context, lessons by country (a table), recommendations, strength of evidence, sources.

Extractive by construction: evidence enters only as text cut from a stored passage at the
offsets the brief keeps, with its citation number. Each passage is quoted once, in the one
section it belongs to (recommendations, else lessons of its country, else context); the
table, the key messages and the evidence section refer to it by number. A key message's
sentence is quoted at the top only: the passage's quotation further down leaves it out
('[…]' where text is quoted on both sides), and a passage whose key message was all it
quoted is cited by number only. The only other text
is headings, counts and labels from the taxonomy and the country list, and what the author
wrote (title, question, purpose, notes), which is always labelled as theirs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kb.briefs.brief import Brief, BriefItem, KeyMessage, Span
from kb.briefs.labels import LABELS
from kb.briefs.quotes import fold, leave_out, places, quotation, quoted_spans
from kb.citations import pages_cited
from kb.countries import country_name
from kb.models import Passage
from kb.tags.taxonomy import Taxonomy

EVIDENCE_TAGS: tuple[str, ...] = ("evaluated", "unverified", "not_achieved")
WEAK_EVIDENCE: tuple[str, ...] = ("unverified", "not_achieved")
RECOMMENDATION = "recommendation"
GAPS_SHOWN = 6
"""Gaps named in the brief; the rest are counted (the evidence map shows them all)."""


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Subheading:
    text: str


@dataclass(frozen=True)
class Quotation:
    """Quoted text of a passage, its citation number and who it speaks for. `spans` are the
    offsets into the stored passage the text was cut from ('[…]' stands between parts)."""

    text: str
    citation: int
    attribution: str = ""
    passage_id: str = ""
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class KeyPoint:
    """A key message: one exact sentence of a passage (`passage.text[start:end]`)."""

    text: str
    citation: int
    attribution: str = ""
    passage_id: str = ""
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Note:
    """Text the author wrote, labelled as such; `citation` is the passage it comments on."""

    label: str
    text: str
    citation: int | None = None


@dataclass(frozen=True)
class Table:
    """Rows of short cells under a header row; cells are labels and citation numbers."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Paragraph | Subheading | Quotation | KeyPoint | Note | Table


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
    intro: tuple[Block, ...] = ()
    """What stands under the title: the question and the author's purpose."""


# XML 1.0 cannot hold C0 controls other than tab/newline/CR, and no format wants C1 controls,
# lone surrogates or the two non-characters; a stray \x07 in a report must not break an export.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def strip_control(text: str) -> str:
    """`text` without control characters (newline and tab kept; CR becomes a newline)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def cite(numbers: Sequence[int]) -> str:
    """'[1], [4]': citation numbers as every section refers to passages."""
    return ", ".join(f"[{n}]" for n in sorted(set(numbers)))


def home_of(passage: Passage) -> str:
    """The one section a passage is quoted in: 'recommendations', 'lessons' or 'context'."""
    if RECOMMENDATION in passage.tag_ids("evidence"):
        return "recommendations"
    return "lessons" if places(passage) else "context"


@dataclass(frozen=True)
class _Cited:
    """A passage of the brief with its number, item and what it quotes."""

    passage: Passage
    number: int
    item: BriefItem
    spans: tuple[Span, ...]

    def quote(self, lang: str, attribution: bool = True) -> Quotation:
        p = self.passage
        who = ", ".join(country_name(c, lang) for c in places(p)) if attribution else ""
        return Quotation(quotation(p.text, self.spans), self.number, who, p.id, self.spans)


def compose(
    brief: Brief,
    passages: Mapping[str, Passage],
    taxonomy: Taxonomy,
    lang: str | None = None,
    gaps: Sequence[tuple[str, str]] = (),
) -> BriefDocument:
    """The brief as a policy brief; passages missing from `passages` are listed."""
    lang = lang or brief.lang
    t = LABELS.table(lang)
    keys = _key_spans(brief, passages)
    cited = []
    for n, item in enumerate((i for i in brief.items if i.passage_id in passages), start=1):
        text = passages[item.passage_id].text
        spans = quoted_spans(item, text)
        if item.passage_id in keys:
            spans = leave_out(text, spans, keys[item.passage_id])
        cited.append(_Cited(passages[item.passage_id], n, item, spans))
    by_id = {c.passage.id: c for c in cited}
    sections = [
        Section(t["key_messages"], _key_messages(brief, by_id, lang, t)),
        Section(t["context"], _context(cited, lang, t)),
        Section(t["lessons"], _lessons(cited, taxonomy, lang, t)),
        Section(t["recommendations"], _recommendations(brief, cited, lang, t)),
        Section(t["evidence"], _evidence(cited, taxonomy, lang, gaps, t)),
    ]
    sources = _sources(cited, lang, t)
    missing = tuple(t["missing"].format(id=i) for i in brief.passage_ids if i not in passages)
    return BriefDocument(
        brief.title, lang, tuple(sections), t["sources"], sources, missing, _intro(brief, t)
    )


def _key_spans(brief: Brief, passages: Mapping[str, Passage]) -> dict[str, Span]:
    """Passage id -> the offsets of its key message (the first one that still fits it)."""
    found: dict[str, Span] = {}
    for m in brief.key_messages:
        passage = passages.get(m.passage_id)
        if (
            passage is not None
            and m.end <= len(passage.text)
            and passage.text[m.start : m.end].strip()
        ):
            found.setdefault(m.passage_id, (m.start, m.end))
    return found


def _sources(cited: list[_Cited], lang: str, t: Mapping[str, str]) -> tuple[Source, ...]:
    """One source per citation number; a document cited before gets its full citation once
    and is then named by that number, with its own pages."""
    first: dict[str, int] = {}
    sources = []
    for c in cited:
        p = c.passage
        seen = first.setdefault(p.doc_id, c.number)
        citation = p.source if seen == c.number else t["same_source"].format(n=seen)
        title = p.title or p.doc_id
        sources.append(
            Source(
                number=c.number,
                passage_id=p.id,
                title=title,
                country=", ".join(country_name(x, lang) for x in places(p)),
                citation=citation,
                pages=pages_cited(p, lang),
            )
        )
    return tuple(sources)


def _intro(brief: Brief, t: Mapping[str, str]) -> tuple[Block, ...]:
    blocks: list[Block] = []
    if brief.question.strip() and fold(brief.question) != fold(brief.title):
        blocks.append(Paragraph(t["question"].format(question=fold(brief.question))))
    if brief.purpose.strip():
        blocks.append(Note(t["purpose"], brief.purpose))
    return tuple(blocks)


def _key_messages(
    brief: Brief, by_id: Mapping[str, _Cited], lang: str, t: Mapping[str, str]
) -> tuple[Block, ...]:
    blocks: list[Block] = []
    for message in brief.key_messages:
        c = by_id.get(message.passage_id)
        text = c.passage.text[message.start : message.end] if c else ""
        if c is None or message.end > len(c.passage.text) or not text.strip():
            continue  # its passage left the brief or the knowledge base
        who = ", ".join(country_name(x, lang) for x in places(c.passage))
        blocks.append(KeyPoint(fold(text), c.number, who, c.passage.id, *_trim(message, text)))
    return tuple(blocks) or (Paragraph(t["no_key_messages"]),)


def _trim(message: KeyMessage, text: str) -> tuple[int, int]:
    """The message's offsets without white space around the sentence."""
    start = message.start + len(text) - len(text.lstrip())
    return start, message.end - len(text) + len(text.rstrip())


def _count(t: Mapping[str, str], noun: str, n: int) -> str:
    """E.g. "1 passage", "3 passages": the label's singular for one, its plural otherwise."""
    return t[f"{noun}_one" if n == 1 else f"{noun}_other"].format(n=n)


def _context(cited: list[_Cited], lang: str, t: Mapping[str, str]) -> tuple[Block, ...]:
    if not cited:
        return (Paragraph(t["empty"]),)
    names = dict.fromkeys(country_name(x, lang) for c in cited for x in places(c.passage))
    docs = {c.passage.doc_id for c in cited}
    scope = t["scope"].format(
        passages=_count(t, "passages", len(cited)),
        documents=_count(t, "documents", len(docs)),
        c=", ".join(names) or t["no_country"],
    )
    quotes = [
        c.quote(lang, attribution=False)
        for c in cited
        if c.spans and home_of(c.passage) == "context"
    ]
    return (Paragraph(scope), *quotes)


def _labels(taxonomy: Taxonomy, facet: str, ids: Sequence[str], lang: str) -> str:
    return ", ".join(taxonomy.label(facet, i, lang) for i in ids)


def _lessons(
    cited: list[_Cited], taxonomy: Taxonomy, lang: str, t: Mapping[str, str]
) -> tuple[Block, ...]:
    groups: dict[str, list[_Cited]] = {}
    for c in cited:
        for place in places(c.passage):
            groups.setdefault(place, []).append(c)
    if not groups:
        return (Paragraph(t["no_lessons"]),)

    def cell(group: list[_Cited], facet: str) -> str:
        ids = list(dict.fromkeys(i for c in group for i in c.passage.tag_ids(facet)))
        return _labels(taxonomy, facet, ids, lang) or "—"

    def strength(group: list[_Cited]) -> str:
        parts = []
        for tag in EVIDENCE_TAGS:
            numbers = [c.number for c in group if tag in c.passage.tag_ids("evidence")]
            if numbers:
                parts.append(f"{taxonomy.label('evidence', tag, lang)} {cite(numbers)}")
        return "; ".join(parts) or t["no_evidence_tag"]

    header = tuple(t[k] for k in ("col_country", "col_problems", "col_instruments"))
    header += (t["col_outcomes"], t["col_evidence"], t["col_sources"])
    rows = tuple(
        (
            country_name(place, lang),
            cell(group, "problem"),
            cell(group, "instrument"),
            cell(group, "outcome"),
            strength(group),
            cite([c.number for c in group]),
        )
        for place, group in groups.items()
    )
    blocks: list[Block] = [Table(header, rows)]
    # Each passage is quoted under the first country it speaks of; the table lists the rest.
    quoted: dict[str, list[_Cited]] = {}
    for c in cited:
        if c.spans and home_of(c.passage) == "lessons":
            quoted.setdefault(places(c.passage)[0], []).append(c)
    for place, group in quoted.items():
        blocks.append(Subheading(country_name(place, lang)))
        blocks.extend(c.quote(lang, attribution=len(places(c.passage)) > 1) for c in group)
    return tuple(blocks)


def _recommendations(
    brief: Brief, cited: list[_Cited], lang: str, t: Mapping[str, str]
) -> tuple[Block, ...]:
    blocks: list[Block] = []
    noted = set()
    for c in cited:
        if home_of(c.passage) != "recommendations":
            continue
        if c.spans:
            blocks.append(c.quote(lang))
        if c.item.note.strip():  # the author's note right beside the passage it annotates
            blocks.append(Note(t["author_note"], c.item.note, c.number))
            noted.add(c.passage.id)
    numbers = {c.passage.id: c.number for c in cited}
    for item in brief.items:
        if not item.note.strip() or item.passage_id in noted:
            continue
        if item.passage_id in numbers:
            blocks.append(Note(t["author_note"], item.note, numbers[item.passage_id]))
        else:
            text = t["missing_note"].format(note=item.note, id=item.passage_id)
            blocks.append(Note(t["author_note"], text))
    return tuple(blocks) or (Paragraph(t["no_recommendations"]),)


def _evidence(
    cited: list[_Cited],
    taxonomy: Taxonomy,
    lang: str,
    gaps: Sequence[tuple[str, str]],
    t: Mapping[str, str],
) -> tuple[Block, ...]:
    blocks: list[Block] = []
    for tag in EVIDENCE_TAGS:
        numbers = [c.number for c in cited if tag in c.passage.tag_ids("evidence")]
        if numbers:
            label = taxonomy.label("evidence", tag, lang)
            blocks.append(Paragraph(t["evidence_line"].format(label=label, refs=cite(numbers))))
    untagged = [
        c.number for c in cited if not set(c.passage.tag_ids("evidence")) & {*EVIDENCE_TAGS}
    ]
    if untagged:
        blocks.append(Paragraph(t["untagged_line"].format(refs=cite(untagged))))
    weak = [c.number for c in cited if set(c.passage.tag_ids("evidence")) & {*WEAK_EVIDENCE}]
    if weak:
        blocks.append(Paragraph(t["weak"].format(refs=cite(weak))))
    if gaps:
        named = "; ".join(
            t["gap"].format(
                problem=taxonomy.label("problem", problem, lang),
                outcome=taxonomy.label("outcome", outcome, lang),
            )
            for problem, outcome in gaps[:GAPS_SHOWN]
        )
        if len(gaps) > GAPS_SHOWN:
            named += t["more_gaps"].format(n=len(gaps) - GAPS_SHOWN)
        blocks.append(Paragraph(t["gaps"].format(gaps=named)))
    else:
        blocks.append(Paragraph(t["no_gaps"]))
    return tuple(blocks)
