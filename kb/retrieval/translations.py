"""Which passages are one passage in two languages.

A document's translations are the documents of the same country whose file name differs from
its own only by the language ending (`chile_cepal_es.md`, `chile_cepal_en.md`). Passages of
linked documents with as many passages each are paired by position: the same passage in
another language. Everything else stands for itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Protocol


class _Doc(Protocol):
    doc_id: str
    path: str
    country: str
    lang: str
    passage_ids: list[str]


def translation_group(path: str, lang: str) -> str:
    """The file name without its extension and its `_<lang>` ending ('' if it has none)."""
    stem = PurePath(path).stem
    suffix = f"_{lang}"
    if not lang or not stem.endswith(suffix) or len(stem) == len(suffix):
        return ""
    return stem[: -len(suffix)]


def passage_keys(docs: Mapping[str, _Doc]) -> dict[str, str]:
    """Passage id -> the key it shares with its translations (its own id when it has none)."""
    groups: dict[tuple[str, str], list[_Doc]] = defaultdict(list)
    for doc in docs.values():
        group = translation_group(doc.path, doc.lang)
        if group:
            groups[(group, doc.country)].append(doc)
    keys: dict[str, str] = {}
    for (group, country), members in groups.items():
        langs = {d.lang for d in members}
        sizes = {len(d.passage_ids) for d in members}
        if len(members) < 2 or len(langs) != len(members) or len(sizes) != 1:
            continue  # not translations of each other, or not passage for passage
        for doc in members:
            for position, pid in enumerate(doc.passage_ids):
                keys[pid] = f"{country}/{group}#{position}"
    return keys


def once_each(ids: Iterable[str], keys: Mapping[str, str]) -> list[str]:
    """`ids` in order, without a passage whose translation came earlier."""
    seen: set[str] = set()
    out = []
    for pid in ids:
        key = keys.get(pid, pid)
        if key not in seen:
            seen.add(key)
            out.append(pid)
    return out
