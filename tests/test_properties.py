"""Properties that must hold for any input: chunk offsets, rank fusion, store metadata, and
the PDF loader facing damaged files."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ingest.chunking import (
    HEADER_TOKENS,
    chunk_document,
    is_table,
    make_splitter,
    split_spans,
)
from ingest.errors import IngestError
from ingest.loaders import load_document
from ingest.pdf import join_pages
from kb.config import Settings
from kb.models import FACETS, Document, DocumentMeta, Passage, SearchFilters, Section, Tag
from kb.retrieval.fusion import reciprocal_rank_fusion
from kb.storage.chroma_format import passage_metadata
from kb.storage.vectors import PassageStore
from tests.docs_factory import pdf_bytes
from tests.helpers.fuzz import fuzz

MAX_TOKENS = 128
WORDS = ["clúster", "política", "empresa", "región", "a", "de", "la", "x" * 30, "2024", "ñandú"]
PUNCT = [" ", " ", " ", "  ", ". ", ", ", "; ", "? ", "! ", "… ", ".» ", "\n", "\n\n", "\t", "-"]


def word_tokens(text: str) -> int:
    return len(text.split()) + 2


def char_tokens(text: str) -> int:
    return len(text) // 4 + 1


@st.composite
def documents(draw: st.DrawFn) -> Document:
    """Pages of words and breaks (joined as the PDF reader joins them), headings at lines."""
    page_texts = []
    for _ in range(draw(st.integers(1, 3))):
        pieces = draw(
            st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(PUNCT)), max_size=160)
        )
        page_texts.append("".join(pieces))
    text, pages = join_pages(page_texts)
    assume(text.strip())
    # Headings are lines with words, and a section starts where its heading line starts.
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    headed = [i for i in line_starts if text[i:].split("\n", 1)[0].strip()]
    chosen = draw(st.lists(st.sampled_from(headed), max_size=4, unique=True)) if headed else []
    sections = tuple(Section(text[s:].split("\n", 1)[0].strip(), s) for s in sorted(chosen))
    meta = DocumentMeta("doc", "Título", "Chile", "Fuente", 2020, "es", "/x.md", "ab" * 32)
    return Document(meta, text, pages, sections)


@fuzz(300)
@given(
    documents(),
    st.sampled_from([word_tokens, char_tokens]),
    st.integers(16, 90),
    st.integers(0, 30),
)
def test_passages_are_exact_ordered_substrings_covering_the_text(
    doc: Document, count: Callable[[str], int], chunk_tokens: int, overlap: int
) -> None:
    passages = chunk_document(doc, count, MAX_TOKENS, chunk_tokens, overlap)
    covered = np.zeros(len(doc.text), dtype=bool)
    for n, p in enumerate(passages):
        assert doc.text[p.start : p.end] == p.text and p.text.strip()
        assert p.index == n and p.id.endswith(f":{n:04d}")
        assert p.page_start == p.page_end == doc.page_at(p.end - 1)  # one page per citation
        assert count(p.text) <= MAX_TOKENS - HEADER_TOKENS
        covered[p.start : p.end] = True
    starts = [p.start for p in passages]
    assert starts == sorted(set(starts))
    uncovered = [ch for ch, seen in zip(doc.text, covered, strict=True) if not seen]
    assert "".join(uncovered).strip() == ""


@fuzz(300)
@given(
    st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(PUNCT)), max_size=200).map("".join),
    st.sampled_from([word_tokens, char_tokens]),
    st.integers(16, 90),
    st.integers(0, 30),
)
def test_span_splitter_cuts_exactly_where_langchain_does(
    text: str, count: Callable[[str], int], chunk_tokens: int, overlap: int
) -> None:
    overlap = min(overlap, chunk_tokens // 4)  # as chunk_document does
    assume(not is_table(text))  # a table is cut between rows first, which langchain does not do
    spans = split_spans(text, count, chunk_tokens, overlap)
    expected = make_splitter(count, chunk_tokens, overlap).split_text(text)
    assert [text[a:b] for a, b in spans] == expected


RANKINGS = st.dictionaries(
    st.text(min_size=1, max_size=6),
    st.lists(st.sampled_from([f"p{i}" for i in range(12)]), max_size=15),
    max_size=4,
)


@fuzz(300)
@given(RANKINGS, st.integers(1, 100), st.randoms())
def test_fusion_ranks_every_item_once_whatever_the_order_of_the_rankers(
    rankings: dict[str, list[str]], k: int, rnd: Any
) -> None:
    fused = reciprocal_rank_fusion(rankings, k=k)
    ids = [pid for pid, _ in fused]
    assert sorted(ids) == sorted({pid for ranked in rankings.values() for pid in ranked})
    scores = [score for _, score in fused]
    assert scores == sorted(scores, reverse=True)
    names = list(rankings)
    rnd.shuffle(names)
    shuffled = reciprocal_rank_fusion({n: rankings[n] for n in names}, k=k)
    if len(rankings) <= 2:  # what search fuses (dense and lexical): exactly the same list
        assert shuffled == fused
    else:  # sums taken in another order may differ in the last bit, nothing more
        again = dict(shuffled)
        assert again.keys() == dict(fused).keys()
        assert all(math.isclose(again[pid], score, rel_tol=1e-12) for pid, score in fused)


ANY_TEXT = st.text(max_size=40)  # any code point but lone surrogates
HOSTILE_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)


def tags(text: st.SearchStrategy[str]) -> st.SearchStrategy[Tag]:
    return st.builds(
        Tag,
        st.sampled_from(FACETS),
        text.filter(str.strip),
        st.sampled_from(["rule", "similarity", "human"]),
        text,
        st.floats(-1.0, 1.0, allow_nan=False),
    )


def passages(text: st.SearchStrategy[str]) -> st.SearchStrategy[Passage]:
    return st.builds(
        Passage,
        id=st.from_regex(r"[a-z0-9_]{1,20}:[0-9a-f]{8}:[0-9]{4}", fullmatch=True),
        doc_id=text,
        index=st.integers(0, 100_000),
        text=text.filter(str.strip),
        start=st.integers(0, 10**9),
        end=st.integers(0, 10**9),
        page_start=st.integers(1, 10**5),
        page_end=st.integers(1, 10**5),
        section=text,
        title=text,
        country=text,
        source=text,
        lang=text,
        year=st.none() | st.integers(-5000, 5000),
        tags=st.lists(tags(text), max_size=6).map(tuple),
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> PassageStore:
    return PassageStore(Settings(home=tmp_path_factory.mktemp("kbhome")), "fuzz", 2)


def assert_chroma_shape(meta: dict[str, Any]) -> None:
    for key, value in meta.items():
        assert isinstance(key, str) and value is not None
        if isinstance(value, list):
            assert value and all(isinstance(v, str) for v in value)
        else:
            assert isinstance(value, str | int | float | bool)


VECTOR = np.array([[0.6, 0.8]], dtype=np.float32)


@fuzz(60)
@given(passages(HOSTILE_TEXT))
def test_any_passage_metadata_is_accepted_by_chroma(store: PassageStore, passage: Passage) -> None:
    meta = passage_metadata(passage)
    assert_chroma_shape(meta)
    store.upsert([passage], VECTOR)
    (back,) = store.get([passage.id])
    assert passage_metadata(back) == meta


@fuzz(60)
@given(passages(ANY_TEXT), passages(ANY_TEXT), st.lists(tags(ANY_TEXT), max_size=3).map(tuple))
def test_a_rewritten_passage_reads_back_as_written(
    store: PassageStore, first: Passage, second: Passage, new_tags: tuple[Tag, ...]
) -> None:
    second = replace(second, id=first.id)
    store.upsert([first], VECTOR)
    assert store.get([first.id]) == [first]
    store.upsert([second], VECTOR)  # e.g. fewer tags, no year: nothing of `first` may stay
    assert store.get([first.id]) == [second]
    retagged = replace(second, tags=new_tags)
    store.update_tags([retagged])
    assert store.get([first.id]) == [retagged]
    got = store.collection.get(ids=[first.id], include=["metadatas"])["metadatas"][0]
    assert json.loads(got.get("tags_json", "[]")) == [
        [t.facet, t.tag_id, t.origin, t.reason, t.score] for t in new_tags
    ]


def test_a_removed_tag_no_longer_matches_a_tag_filter(store: PassageStore) -> None:
    tagged = Passage(
        "informe:0123abcd:0000", "informe", 0, "La coordinación falló.", 0, 22, 1, 1, "",
        tags=(Tag("problem", "coordination", "rule", "coordinación"),),
    )  # fmt: skip
    store.upsert([tagged], VECTOR)
    wanted = SearchFilters(tags={"problem": ("coordination",)})
    assert [pid for pid, _ in store.nearest(VECTOR[0], 5, wanted)] == [tagged.id]
    store.update_tags([replace(tagged, tags=())])
    assert store.nearest(VECTOR[0], 5, wanted) == []
    assert store.get([tagged.id])[0].tags == ()


VALID_PDF = pdf_bytes(
    [["Capitulo uno: los clusters de ostras.", "La coordinacion fue debil."], ["Capitulo dos."]]
)


@st.composite
def damaged_pdfs(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID_PDF)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if action == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[max(at, 1) :]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[at : at + draw(st.integers(1, 200))]
    return bytes(data)


@fuzz(20)
@given(damaged_pdfs())
def test_damaged_pdfs_load_or_fail_with_a_reason(tmp_path_factory: Any, data: bytes) -> None:
    path = Path(tmp_path_factory.mktemp("pdf")) / "dañado.pdf"
    path.write_bytes(data)
    try:
        doc = load_document(path, Settings(pdf_timeout_s=20))
    except IngestError as exc:
        assert exc.reason and exc.path == str(path)
    else:
        assert doc.text.strip() and doc.pages
