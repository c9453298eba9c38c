"""The sentence of a passage that answers a query: split into sentences with offsets, scored
with the KB's encoder and BM25 over the passage's own sentences, fused by normalised scores.

A highlight is a span `[start, end)` of the passage text, so a reader sees the exact words and
a brief can quote them. One or two sentences per passage; two only when the second is nearly
as good, and adjacent ones are merged into one span.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from kb.textnorm import query_stems, stems

# Chosen on the dev part of corpus/eval/highlights.yaml (`clusterkb eval --highlights`).
DENSE_WEIGHT = 0.5
CARRY = 0.8
"""Share of a sentence's score passed on to the sentence after it."""
HEADING_WORDS = 12
MAX_SENTENCES = 60
"""Sentences embedded per search at most: the rest are ranked by BM25 alone."""
EMBED_CHARS = 400
"""Long 'sentences' (tables, lists without stops) are embedded by their start only."""
BM25_K1 = 1.2
BM25_B = 0.75
CACHED_SENTENCES = 20_000
"""Sentence vectors a process keeps across searches (384 floats each: about 30 MB)."""


@dataclass(frozen=True)
class Highlight:
    """`text[start:end]` of the passage answers the query; `score` in [0, 1], higher first."""

    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "score": round(self.score, 4)}


# --- sentence splitting ---------------------------------------------------------------

# Words that end in a stop without ending a sentence (folded, without the stop): titles,
# references, Latin, and the parts of "EE. UU." / "S. A.".
ABBREVIATIONS = frozenset(
    re.findall(
        r"\S+",
        """
        dr dra drs dras sr sra sres sras srta lic ing arq prof profa mr mrs ms jr
        p pp pag pág págs pags cap caps art arts inc ltd ltda cia cía corp núm num nro nº
        vol vols ed eds ej ejs etc vs cf fig figs op cit ibid aprox approx apdo av avda tel
        ee uu ff aa s.a e.g i.e eg ie cca mín máx dpto depto
        jan feb apr jun jul aug sep sept oct nov dec ene abr dic
        """,
    )
)
_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)|[.!?…]+[\"'”’»)\]]*$")
_WORD_BEFORE = re.compile(r"([^\W\d_][\w.]*|\d+)\W*$")
_BULLET = re.compile(r"\s*(?:[-*•·▪●◦–—]|\d{1,2}[.)]|[a-z][.)])\s")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_HEADING_LINE = 60
"""A line this short that ends without a stop and is followed by a capital is a heading."""


def split_sentences(text: str) -> list[tuple[int, int]]:
    """The sentences of `text` as `[start, end)` offsets, trimmed of surrounding white space;
    `text[start:end]` is each sentence as written."""
    cuts = sorted({0, len(text), *_stop_cuts(text), *_line_cuts(text)})
    spans: list[tuple[int, int]] = []
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        piece = text[lo:hi]
        left = len(piece) - len(piece.lstrip())
        right = len(piece.rstrip())
        if right > left:
            spans.append((lo + left, lo + right))
    return spans


def _stop_cuts(text: str) -> list[int]:
    cuts = []
    for m in _END.finditer(text):
        if _ends_sentence(text, m.start(), m.end()):
            cuts.append(m.end())
    return cuts


def _ends_sentence(text: str, stop: int, after: int) -> bool:
    """Whether the stop at `stop` ends a sentence: not an abbreviation, not a list number, and
    followed by something that starts one."""
    nxt = text[after:].lstrip()
    if nxt and not (nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in "\"'“‘«¿¡([-•*"):
        return False
    if text[stop] != ".":
        return True
    m = _WORD_BEFORE.search(text[:stop])
    word = m.group(1).lower() if m else ""
    if word.rstrip(".") in ABBREVIATIONS or word in ABBREVIATIONS:
        return False
    if len(word) == 1 and word.isalpha():  # an initial: "J. Pérez"
        return False
    if word.isdigit() and len(word) <= 2:
        # "1. Introducción": a number opening a line or a sentence numbers a list or heading.
        before = text[: stop - len(word)].rstrip(" \t")
        return bool(before) and before[-1] not in "\n.!?:;"
    return True


def _line_cuts(text: str) -> list[int]:
    """Breaks that end a sentence without a stop: blank lines, list items, short headings."""
    cuts = [m.start() for m in _PARAGRAPH.finditer(text)]
    pos = 0
    for line in text.split("\n")[:-1]:
        end = pos + len(line)
        following = text[end + 1 :]
        if _BULLET.match(following) or (
            line.strip()
            and len(line.strip()) <= _HEADING_LINE
            and line.rstrip()[-1] not in ".,;:-–"
            and following.lstrip()[:1].isupper()
        ):
            cuts.append(end)
        pos = end + 1
    return cuts


# --- scoring ---------------------------------------------------------------------------

Encode = Callable[[Sequence[str]], np.ndarray]


def bm25_scores(query: str, sentences: Sequence[str], lang: str) -> list[float]:
    """BM25 of each sentence for `query`, the sentences of one passage being the collection;
    words stemmed as the keyword index stems them (the query in every language)."""
    wanted = set(query_stems(query))
    docs = [stems(s, lang) for s in sentences]
    if not wanted or not docs:
        return [0.0] * len(sentences)
    n = len(docs)
    avg = max(1.0, sum(len(d) for d in docs) / n)
    df = Counter(t for d in docs for t in set(d) if t in wanted)
    idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
    scores = []
    for d in docs:
        tf = Counter(t for t in d if t in wanted)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(d) / avg)
        scores.append(sum(idf[t] * f * (BM25_K1 + 1) / (f + norm) for t, f in tf.items()))
    return scores


def _normalised(values: Sequence[float]) -> list[float]:
    """Scaled into [0, 1] by the passage's best and worst; all equal gives all zero."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    return [0.0 if hi <= lo else (v - lo) / (hi - lo) for v in values]


def fused_scores(dense: Sequence[float | None], lexical: Sequence[float]) -> list[float]:
    """Each sentence's score: normalised similarity and normalised BM25, weighted; a sentence
    not embedded counts with the passage's lowest similarity."""
    known = [d for d in dense if d is not None]
    floor = min(known) if known else 0.0
    dn = _normalised([floor if d is None else d for d in dense]) if known else []
    ln = _normalised(lexical)
    if not dn:
        return ln
    if not any(lexical):
        return dn
    return [DENSE_WEIGHT * a + (1 - DENSE_WEIGHT) * b for a, b in zip(dn, ln, strict=True)]


def pick(
    spans: Sequence[tuple[int, int]], scores: Sequence[float], texts: Sequence[str]
) -> list[Highlight]:
    """The answering sentence first, and the sentence that matches the query best when it is
    another one (merged into one span when it comes just before).

    Reports state the topic in words of the query and answer in the next sentence ("The
    causes are...", "Such evaluations..."), so each sentence carries a share of its
    predecessor's score. Headings are never the answer unless the passage is all headings."""
    if not spans:
        return []
    carried = list(scores)
    for i in range(1, len(scores)):
        carried[i] = scores[i] + CARRY * scores[i - 1]
    prose = [i for i, t in enumerate(texts) if not _is_heading(t)] or list(range(len(spans)))
    top = max(prose, key=lambda i: (carried[i], -i))
    best = max(prose, key=lambda i: (scores[i], -i))
    score = max(0.0, min(1.0, carried[top] / (1 + CARRY)))
    if best == top:
        return [Highlight(*spans[top], score)]
    if best == top - 1:
        return [Highlight(spans[best][0], spans[top][1], score)]
    second = max(0.0, min(1.0, scores[best] / (1 + CARRY)))
    return [Highlight(*spans[top], score), Highlight(*spans[best], second)]


def _is_heading(text: str) -> bool:
    """A short line without a closing stop: a title, not a sentence that can answer."""
    return text.rstrip()[-1:] not in '.!?:;…)"”»' and len(text.split()) < HEADING_WORDS


class SentenceVectors:
    """Vectors of sentences already embedded, by text, the least recently used dropped first.

    A sentence's vector does not depend on the query, so a passage found again by another
    search (or shown in another column, or by another user) costs nothing to highlight.
    Shared by the threads of a server: every access holds a lock."""

    def __init__(self, capacity: int = CACHED_SENTENCES) -> None:
        self.capacity = capacity
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def encode(self, encode: Encode, texts: Sequence[str]) -> np.ndarray:
        """The vectors of `texts` in order; only the ones not kept yet go to `encode`."""
        with self._lock:
            known = {t: self._vectors[t] for t in dict.fromkeys(texts) if t in self._vectors}
            for text in known:
                self._vectors.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            fresh = np.asarray(encode(missing), dtype=np.float32)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._vectors[text] = vector
                    self._vectors.move_to_end(text)
                while len(self._vectors) > self.capacity:
                    self._vectors.popitem(last=False)
            known.update(zip(missing, fresh, strict=True))
        return np.stack([known[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)


_SHARED: dict[tuple[str, int], SentenceVectors] = {}
_SHARED_LOCK = threading.Lock()


def shared_sentence_vectors(model: str, dim: int) -> SentenceVectors:
    """The process's cache of sentence vectors for the encoder called `model`."""
    with _SHARED_LOCK:
        return _SHARED.setdefault((model, dim), SentenceVectors())


@dataclass
class Highlighter:
    """Highlights for the hits of one search: sentences of every passage embedded in one batch
    (at most MAX_SENTENCES, the lexically best of each passage first), cached by passage id.
    With `vectors`, sentences embedded by earlier searches are not embedded again."""

    query: str
    query_vector: np.ndarray | None
    encode: Encode | None
    budget: int = MAX_SENTENCES
    vectors: SentenceVectors | None = None

    def __post_init__(self) -> None:
        self._cache: dict[str, list[Highlight]] = {}

    def for_passages(self, passages: Sequence[tuple[str, str, str]]) -> dict[str, list[Highlight]]:
        """Highlights of each `(id, text, lang)`, by id."""
        todo = [(pid, text, lang) for pid, text, lang in passages if pid not in self._cache]
        todo = list({pid: (pid, text, lang) for pid, text, lang in todo}.values())
        splits = [split_sentences(text) for _, text, _ in todo]
        lexical = [
            bm25_scores(self.query, [text[a:b] for a, b in spans], lang)
            for (_, text, lang), spans in zip(todo, splits, strict=True)
        ]
        dense = self._dense(todo, splits, lexical)
        for (pid, text, _), spans, lex, den in zip(todo, splits, lexical, dense, strict=True):
            texts = [text[a:b] for a, b in spans]
            self._cache[pid] = pick(spans, fused_scores(den, lex), texts)
        return {pid: self._cache[pid] for pid, _, _ in passages}

    def _dense(
        self,
        todo: Sequence[tuple[str, str, str]],
        splits: Sequence[Sequence[tuple[int, int]]],
        lexical: Sequence[Sequence[float]],
    ) -> list[list[float | None]]:
        out: list[list[float | None]] = [[None] * len(spans) for spans in splits]
        if self.query_vector is None or self.encode is None or not todo:
            return out
        chosen = _chosen(splits, lexical, self.budget)
        texts = [todo[p][1][a:b][:EMBED_CHARS] for p, i in chosen for a, b in [splits[p][i]]]
        if not texts:
            return out
        if self.vectors is None:
            vectors = np.asarray(self.encode(texts), dtype=np.float32)
        else:
            vectors = self.vectors.encode(self.encode, texts)
        q = np.asarray(self.query_vector, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1) * max(float(np.linalg.norm(q)), 1e-12)
        sims = (vectors @ q) / np.maximum(norms, 1e-12)
        for (p, i), sim in zip(chosen, sims, strict=True):
            out[p][i] = float(sim)
        return out


def _chosen(
    splits: Sequence[Sequence[tuple[int, int]]], lexical: Sequence[Sequence[float]], budget: int
) -> list[tuple[int, int]]:
    """Which (passage, sentence) pairs to embed: an even share of `budget` per passage, each
    passage's sentences taken in order of BM25 (then position) until its share is spent."""
    if not splits:
        return []
    share = max(1, budget // len(splits))
    chosen: list[tuple[int, int]] = []
    for p, spans in enumerate(splits):
        order = sorted(range(len(spans)), key=lambda i: (-lexical[p][i], i))
        chosen.extend((p, i) for i in sorted(order[:share]))
    return chosen[:budget]


def highlight(
    query: str,
    text: str,
    lang: str = "es",
    query_vector: np.ndarray | None = None,
    encode: Encode | None = None,
) -> list[Highlight]:
    """The sentences of `text` that best answer `query` (BM25 alone without an encoder)."""
    return Highlighter(query, query_vector, encode).for_passages([("", text, lang)])[""]
