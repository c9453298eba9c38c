"""Scores on the real-report labelled set: titles, countries per document and per passage,
printed page of the top 3 hits, and the share of passages with broken words.

Pure scoring: the caller injects the ingested documents, a page-text reader, a search and a
broken-word test, so the same code scores a temporary knowledge base or made-up passages.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from kb.countries import agency_names, normalise_country
from kb.evaluation.minhash import fingerprint, similarity
from kb.evaluation.realdocs_set import (
    LabelledSpan,
    PageQuestion,
    PageText,
    RealdocsSet,
    resolve_span,
)
from kb.models import Passage
from kb.textnorm import fold

if TYPE_CHECKING:
    from kb.storage.knowledge import KnowledgeBase

Search = Callable[[str], Sequence[Passage]]
"""Ranked passages for a question (only the first `TOP_K` are looked at)."""
BrokenWord = Callable[[Passage], bool]
"""Whether a passage reads as broken (kb.evaluation.text_quality.broken_word, given the
passage's document)."""

TOP_K = 3
TITLE_RATIO = 0.9
"""A title this close to the label (difflib ratio of the normalised strings) counts."""
DOC_COUNTRY_SHARE = 0.05
"""A document is about a country when at least this share of its body passages is. Chosen on
the dev split: a country a dev report covers in a section of its own holds 7-12% of the body
passages, a country it only mentions in passing at most 4%."""
SPAN_SHINGLE = 3
SPAN_FOUND = 0.5
"""A labelled span is found when the document's passages hold this share of its word triples."""
SAME_PASSAGE = 0.9
"""A whole-passage label applies to the passage now holding its span when their fingerprints
agree on at least this share (a few words more or less at either end still count; a
sentence more may name another country, so the passage must be labelled again)."""
# (metric, ">=" or "<=", floor): the figures a release must reach.
FLOORS: tuple[tuple[str, str, float], ...] = (
    ("passage_countries", ">=", 0.9),
    ("title", ">=", 0.9),
    ("page_at_3", ">=", 0.9),
    ("broken_words", "<=", 0.005),
)


@dataclass(frozen=True)
class IngestedDocument:
    """One document as the knowledge base holds it: file hash, shown title, all its passages."""

    sha256: str
    doc_id: str
    title: str
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class Ratio:
    hits: int
    total: int

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None


@dataclass(frozen=True)
class Miss:
    """One item scored wrong: what the labels say and what the knowledge base gave."""

    metric: str
    id: str
    expected: str
    got: str


@dataclass
class SplitReport:
    split: str
    documents: int = 0
    title: Ratio = Ratio(0, 0)
    doc_countries: Ratio = Ratio(0, 0)
    passage_countries: Ratio = Ratio(0, 0)
    """Per labelled span: the stored passage holding it carries the countries that passage is
    labelled with (read as a whole, as the app shows it)."""
    span_countries: Ratio = Ratio(0, 0)
    """Stricter and only indicative: the passage carries exactly the labelled span's countries,
    though the passage is longer and may also speak of its neighbours' countries."""
    annotator_agreement: Ratio = Ratio(0, 0)
    """Whole passages a second, blind annotator gave exactly the countries of the first
    (`kb.evaluation.realdocs_agreement`): the most the labels can show."""
    page_at_3: Ratio = Ratio(0, 0)
    broken_words: Ratio = Ratio(0, 0)
    """Passages with a broken word, over all passages of the split's documents."""
    spans_found: int = 0
    spans_not_found: int = 0
    spans_unreadable: int = 0
    """Labelled spans whose page text no longer matches its hash (stale labels)."""
    passages_recut: int = 0
    """Whole-passage labels whose passage the chunker now cuts differently (label again)."""
    refused: list[tuple[str, str]] = field(default_factory=list)
    """(labelled document id, reason) for documents the knowledge base does not hold."""
    misses: list[Miss] = field(default_factory=list)

    def figure(self, metric: str) -> float | None:
        value: Ratio = getattr(self, metric)
        return value.value

    def below_floor(self) -> list[str]:
        """Metrics that miss their floor (a metric with nothing to measure misses it too)."""
        out = []
        for metric, op, floor in FLOORS:
            value = self.figure(metric)
            if value is None or (value < floor if op == ">=" else value > floor):
                out.append(metric)
        return out

    def to_dict(self, misses: bool = True) -> dict[str, object]:
        """The JSON shape; `misses=False` leaves out the items scored wrong (frozen splits)."""
        out = asdict(self)
        if not misses:
            del out["misses"]
        for metric in (
            "title",
            "doc_countries",
            "passage_countries",
            "span_countries",
            "annotator_agreement",
            "page_at_3",
            "broken_words",
        ):
            out[metric]["value"] = self.figure(metric)
        out["floors"] = [{"metric": m, "op": op, "floor": f} for m, op, f in FLOORS]
        out["below_floor"] = self.below_floor()
        return out


def held_documents(kb: KnowledgeBase) -> list[IngestedDocument]:
    """What `kb` holds, as scored: each committed document's title and passages."""
    return [
        IngestedDocument(r.sha256, r.doc_id, r.title, tuple(kb.passages(r.passage_ids)))
        for r in kb.manifest.docs.values()
    ]


def _collapse(text: str) -> str:
    return " ".join(fold(text).split()).strip(" .:;,-–—\"'“”«»")


def title_matches(got: str, title: str, subtitle: str | None = None) -> bool:
    """The shown title is the labelled one (optionally followed by the subtitle), up to case,
    accents, spacing and a near-miss of a few characters."""
    shown = _collapse(got)
    if not shown:
        return False
    wanted = [title] + [f"{title}{sep}{subtitle}" for sep in (" ", ": ", ". ")] * bool(subtitle)
    for candidate in (_collapse(w) for w in wanted):
        if shown == candidate or difflib.SequenceMatcher(None, shown, candidate).ratio() >= (
            TITLE_RATIO
        ):
            return True
    return False


# A word cut at a line end: "pro -\nveedores", "pro-\n veedores", or a soft hyphen.
_LINE_HYPHEN = re.compile(r"(\w)[ \t]*[-\u2010\u00ad][ \t]*\n\s*(\w)")


def word_sequence(text: str) -> list[str]:
    """Folded words of `text` with line-end hyphenation joined: how spans meet passages."""
    joined = _LINE_HYPHEN.sub(r"\1\2", text.replace("\u00ad\n", "\n"))
    return re.findall(r"\w+", fold(joined).replace("\u00ad", ""))


def _shingles(words: Sequence[str]) -> set[tuple[str, ...]]:
    n = min(SPAN_SHINGLE, len(words))
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)} if n else set()


def best_passage(span_text: str, passages: Sequence[Passage]) -> Passage | None:
    """The passage holding most of the span (it may straddle two), or None when the passages
    together hold less than `SPAN_FOUND` of it."""
    wanted = _shingles(word_sequence(span_text))
    if not wanted:
        return None
    best: Passage | None = None
    best_share, covered = 0, set()
    for p in passages:
        common = wanted & _shingles(word_sequence(p.text))
        covered |= common
        if len(common) > best_share:
            best, best_share = p, len(common)
    return best if len(covered) >= SPAN_FOUND * len(wanted) else None


def _country_set(names: Iterable[str]) -> frozenset[str]:
    """Canonical country names; agencies are sources, not what a text is about."""
    agencies = agency_names()
    return frozenset(n for n in (normalise_country(x) for x in names) if n and n not in agencies)


def document_countries(passages: Sequence[Passage], share: float = DOC_COUNTRY_SHARE) -> set[str]:
    """The countries of at least `share` of the body passages (all passages when none is body)."""
    body = [p for p in passages if p.is_body] or list(passages)
    counts: dict[str, int] = {}
    for p in body:
        for c in _country_set(p.countries):
            counts[c] = counts.get(c, 0) + 1
    return {c for c, n in counts.items() if n >= share * len(body)}


def _number(label: str) -> int | None:
    label = label.strip()
    return int(label) if label.isdigit() else None


def cites_page(passage: Passage, question: PageQuestion) -> bool:
    """The passage's citation covers the answer's page: the printed page when the page prints
    one, else the PDF page."""
    if question.printed_page is None:
        return passage.page_start <= question.page <= passage.page_end
    lo, hi = _number(passage.page_label_start), _number(passage.page_label_end)
    lo, hi = lo if lo is not None else hi, hi if hi is not None else lo
    return lo is not None and hi is not None and lo <= question.printed_page <= hi


def _names(values: Iterable[str]) -> str:
    return ", ".join(sorted(values)) or "(none)"


def score_split(
    labels: RealdocsSet,
    documents: Sequence[IngestedDocument],
    page_text: PageText,
    search: Search,
    broken_word: BrokenWord,
    refused: Mapping[str, str] | None = None,
) -> SplitReport:
    """Score one split's labels (`labels.in_split(...)`) against what the knowledge base holds.

    `refused` maps a file sha256 to the reason ingest gave for not taking it.
    """
    split = labels.documents[0].split if labels.documents else ""
    report = SplitReport(split=split, documents=len(labels.documents))
    by_sha = {d.sha256: d for d in documents}
    refused = refused or {}
    titles = doc_hits = 0
    for label in labels.documents:
        held = by_sha.get(label.sha256)
        if held is None:
            report.refused.append((label.id, refused.get(label.sha256, "not ingested")))
            continue
        if title_matches(held.title, label.title, label.subtitle):
            titles += 1
        else:
            report.misses.append(Miss("title", label.id, label.title, held.title))
        got, wanted = document_countries(held.passages), _country_set(label.countries)
        if got == wanted:
            doc_hits += 1
        else:
            report.misses.append(Miss("doc_countries", label.id, _names(wanted), _names(got)))
    report.title = Ratio(titles, len(labels.documents))
    report.doc_countries = Ratio(doc_hits, len(labels.documents))
    report.passage_countries = _score_spans(labels, by_sha, page_text, report)
    report.page_at_3 = _score_questions(labels, by_sha, search, report)
    labelled = {d.sha256 for d in labels.documents}
    passages = [p for d in documents if d.sha256 in labelled for p in d.passages]
    report.broken_words = Ratio(sum(broken_word(p) for p in passages), len(passages))
    return report


def _score_spans(
    labels: RealdocsSet,
    by_sha: Mapping[str, IngestedDocument],
    page_text: PageText,
    report: SplitReport,
) -> Ratio:
    """Per labelled span, the passage holding most of it: its countries against the whole
    passage's label (`passage_countries`, returned) and against the span's (`span_countries`).
    A span without a whole-passage label is scored against the span's countries in both."""
    hits = span_hits = 0
    for span in labels.passages:
        text = resolve_span(span, page_text)
        held = by_sha.get(span.file_sha256)
        if text is None:
            report.spans_unreadable += 1
            report.misses.append(Miss("passage_countries", span.id, "readable span", "stale"))
            continue
        passage = best_passage(text, held.passages) if held else None
        if passage is None:
            report.spans_not_found += 1
            report.misses.append(Miss("passage_countries", span.id, "a passage", "not found"))
            continue
        report.spans_found += 1
        got, in_span = _country_set(passage.countries), _country_set(span.countries)
        shown = f"{_names(got)} ({passage.id})"
        if got == in_span:
            span_hits += 1
        else:
            report.misses.append(Miss("span_countries", span.id, _names(in_span), shown))
        wanted = _whole_passage_countries(span, passage, report)
        if wanted is None:
            continue
        if got == wanted:
            hits += 1
        else:
            report.misses.append(Miss("passage_countries", span.id, _names(wanted), shown))
    report.span_countries = Ratio(span_hits, len(labels.passages))
    return Ratio(hits, len(labels.passages))


def _whole_passage_countries(
    span: LabelledSpan, passage: Passage, report: SplitReport
) -> frozenset[str] | None:
    """The countries `passage` is labelled with, or None (a miss is noted) when the label was
    given to a passage cut differently."""
    if span.passage is None:
        return _country_set(span.countries)
    shared = similarity(fingerprint(word_sequence(passage.text)), span.passage.fingerprint)
    if shared < SAME_PASSAGE:
        report.passages_recut += 1
        report.misses.append(
            Miss(
                "passage_countries",
                span.id,
                "the labelled passage",
                f"{passage.id} is cut differently ({shared:.2f} shared): label it again",
            )
        )
        return None
    return _country_set(span.passage.countries)


def _score_questions(
    labels: RealdocsSet,
    by_sha: Mapping[str, IngestedDocument],
    search: Search,
    report: SplitReport,
) -> Ratio:
    """Per question: one of the first `TOP_K` hits is the right document and cites the page."""
    doc_sha = {d.doc_id: d.sha256 for d in by_sha.values()}
    hits = 0
    for q in labels.questions:
        top = list(search(q.question))[:TOP_K]
        if any(doc_sha.get(p.doc_id) == q.file_sha256 and cites_page(p, q) for p in top):
            hits += 1
            continue
        page = f"p. {q.printed_page}" if q.printed_page is not None else f"PDF p. {q.page}"
        got = "; ".join(_cited(p) for p in top) or "no hits"
        report.misses.append(Miss("page_at_3", q.id, f"{q.doc} {page}", got))
    return Ratio(hits, len(labels.questions))


def _cited(p: Passage) -> str:
    labels = "-".join(dict.fromkeys(x for x in (p.page_label_start, p.page_label_end) if x))
    return f"{p.doc_id} PDF p. {p.page_start}-{p.page_end} printed {labels or '(none)'}"
