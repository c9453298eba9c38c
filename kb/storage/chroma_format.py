"""How a passage is kept in a Chroma record (text, scalar metadata, tags as JSON), and how
search filters become a Chroma `where`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from kb.models import BODY, FACET_KEYS, Passage, SearchFilters, Tag


def storable(text: str) -> str:
    """`text` as Chroma can store it: a lone surrogate (from a YAML escape or an undecodable
    command-line argument) cannot be encoded and would make Chroma refuse the whole batch."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def passage_metadata(passage: Passage) -> dict[str, Any]:
    """Chroma metadata for a passage: scalars only, lists non-empty, no None values."""
    meta: dict[str, Any] = {
        "doc_id": storable(passage.doc_id),
        "index": passage.index,
        "start": passage.start,
        "end": passage.end,
        "page_start": passage.page_start,
        "page_end": passage.page_end,
        "section": storable(passage.section),
        "title": storable(passage.title),
        "country": storable(passage.country),
        "source": storable(passage.source),
        "lang": storable(passage.lang),
        "kind": passage.kind,
        "page_label_start": storable(passage.page_label_start),
        "page_label_end": storable(passage.page_label_end),
        "paged": passage.paged,
        "ocr": passage.ocr,
        "publisher": storable(passage.publisher),
        "above": storable(passage.above),
    }
    if passage.countries:  # Chroma refuses empty lists: an absent key means "no country".
        meta["countries"] = [storable(c) for c in passage.countries]
    if passage.year is not None:
        meta["year"] = int(passage.year)
    for facet, key in FACET_KEYS.items():
        ids = [storable(i) for i in passage.tag_ids(facet)]
        if ids:  # Chroma refuses empty lists: an absent key means "no tags".
            meta[key] = ids
    if passage.tags:
        meta["tags_json"] = storable(
            json.dumps(
                [[t.facet, t.tag_id, t.origin, t.reason, t.score] for t in passage.tags],
                ensure_ascii=False,
            )
        )
    return meta


OPTIONAL_KEYS: tuple[str, ...] = ("year", "countries", *FACET_KEYS.values(), "tags_json")
"""Metadata keys a passage may lack (no year, no tags of a facet)."""


def replacing(meta: dict[str, Any]) -> dict[str, Any]:
    """`meta` for an upsert or update that replaces a record's metadata.

    Chroma merges new metadata into the old: a key left out keeps its old value, so a removed
    tag would stay (in filters and in the tag list). None tells Chroma to drop the key.
    """
    return {**dict.fromkeys(OPTIONAL_KEYS), **meta}


def passage_from_record(pid: str, text: str, meta: dict[str, Any]) -> Passage:
    tags = tuple(
        Tag(facet=f, tag_id=t, origin=o, reason=r, score=float(s))
        for f, t, o, r, s in json.loads(meta.get("tags_json") or "[]")
    )
    return Passage(
        id=pid,
        doc_id=str(meta.get("doc_id", "")),
        index=int(meta.get("index", 0)),
        text=text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        page_start=int(meta.get("page_start", 1)),
        page_end=int(meta.get("page_end", 1)),
        section=str(meta.get("section", "")),
        title=str(meta.get("title", "")),
        country=str(meta.get("country", "")),
        source=str(meta.get("source", "")),
        lang=str(meta.get("lang", "")),
        year=int(meta["year"]) if "year" in meta else None,
        tags=tags,
        countries=tuple(str(c) for c in meta.get("countries") or ()),
        kind=str(meta.get("kind") or BODY),
        page_label_start=str(meta.get("page_label_start", "")),
        page_label_end=str(meta.get("page_label_end", "")),
        paged=bool(meta.get("paged", True)),
        ocr=bool(meta.get("ocr", False)),
        publisher=str(meta.get("publisher", "")),
        above=str(meta.get("above", "")),
    )


def _any_of(key: str, values: Sequence[str], op: str) -> dict[str, Any]:
    clauses = [{key: {op: v}} for v in values]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def chroma_where(filters: SearchFilters) -> dict[str, Any] | None:
    """Translate filters to a Chroma `where`: values of one field ORed, fields ANDed."""
    clauses: list[dict[str, Any]] = []
    if filters.countries:
        clauses.append(_any_of("countries", filters.countries, "$contains"))
    if filters.langs:
        clauses.append({"lang": {"$in": list(filters.langs)}})
    if filters.doc_ids:
        clauses.append({"doc_id": {"$in": list(filters.doc_ids)}})
    for facet, values in sorted(filters.tags.items()):
        if values:
            clauses.append(_any_of(FACET_KEYS[facet], values, "$contains"))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
