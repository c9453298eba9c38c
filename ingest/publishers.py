"""Publishers and agencies named in a text, from the editable list in `publishers.yaml`."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb.files import read_yaml
from kb.textnorm import ascii_fold, name_key

PUBLISHERS_PATH = Path(__file__).with_name("publishers.yaml")
_ENTRY_KEYS = frozenset({"names", "acronyms", "domains", "generic"})
_NEVER = re.compile(r"(?!)")
# A line "only names a publisher" when no more than this many words are left without it.
_MAX_LEFTOVER_WORDS = 1


class PublisherListError(ValueError):
    """The publisher list is not valid YAML or breaks its rules."""


@dataclass(frozen=True)
class Publisher:
    """One listed publisher and the three ways a text can name it."""

    name: str
    names: re.Pattern[str]
    """Over `name_key(text)`: words only, lower-case ASCII."""
    domains: re.Pattern[str]
    """Over the lower-case ASCII text, dots and @ kept."""
    acronyms: re.Pattern[str]
    """Over the text as written."""
    generic: bool = False
    """An umbrella name ("United Nations"): chosen only when no other publisher is named."""

    def count(self, text: str) -> int:
        """How many times `text` names this publisher."""
        return (
            len(self.names.findall(name_key(text)))
            + len(self.domains.findall(ascii_fold(text)))
            + len(self.acronyms.findall(text))
        )


@dataclass(frozen=True)
class PublisherList:
    named: tuple[Publisher, ...]
    patterns: tuple[re.Pattern[str], ...]
    """Kinds of publisher that cannot be listed one by one (ministries, agencies)."""


def _strings(value: object, where: str) -> list[str]:
    items = value if isinstance(value, list) else [] if value is None else [value]
    if any(not isinstance(item, str) or not item.strip() for item in items):
        raise PublisherListError(f"{where}: every item must be non-empty text (quote it)")
    return [str(item) for item in items]


def _regex(parts: list[str], before: str, after: str) -> re.Pattern[str]:
    if not parts:
        return _NEVER
    # Longest first, so "banco mundial" is not cut short by a shorter alias.
    alternation = "|".join(re.escape(p) for p in sorted(set(parts), key=len, reverse=True))
    return re.compile(f"{before}(?:{alternation}){after}")


def _publisher(name: object, raw: object) -> Publisher:
    raw = raw or {}
    if not isinstance(name, str) or not isinstance(raw, dict):
        raise PublisherListError(f"{name!r}: expected names/acronyms/domains")
    unknown = sorted(str(key) for key in set(raw) - _ENTRY_KEYS)
    if unknown:
        raise PublisherListError(f"{name}: unknown key {unknown[0]!r}")
    names = [name_key(n) for n in _strings(raw.get("names"), f"{name}.names")]
    domains = [d.lower() for d in _strings(raw.get("domains"), f"{name}.domains")]
    acronyms = _strings(raw.get("acronyms"), f"{name}.acronyms")
    return Publisher(
        name=name,
        names=_regex(names, r"(?<![a-z0-9])", r"(?![a-z0-9])"),
        domains=_regex(domains, r"(?<![a-z0-9-])", r"(?![a-z0-9-])"),
        acronyms=_regex(acronyms, r"(?<![\w-])", r"(?![\w-])"),
        generic=raw.get("generic") is True,
    )


def parse_publishers(data: Any) -> PublisherList:
    """Compile the parsed YAML; raises `PublisherListError` on a malformed entry."""
    if not isinstance(data, dict) or not isinstance(data.get("publishers"), dict):
        raise PublisherListError("expected a mapping with `publishers:`")
    named = tuple(_publisher(name, raw) for name, raw in data["publishers"].items())
    patterns = []
    for index, pattern in enumerate(_strings(data.get("patterns"), "patterns")):
        try:
            patterns.append(re.compile(pattern))
        except re.error as exc:
            raise PublisherListError(f"patterns[{index}]: {exc}") from None
    return PublisherList(named=named, patterns=tuple(patterns))


@lru_cache(maxsize=4)
def load_publishers(path: Path = PUBLISHERS_PATH) -> PublisherList:
    """The publisher list at `path` (cached per path)."""
    return parse_publishers(read_yaml(path, PublisherListError))


def named_publishers(text: str) -> Counter[str]:
    """How many times `text` names each listed publisher."""
    counts: Counter[str] = Counter()
    for publisher in load_publishers().named:
        found = publisher.count(text)
        if found:
            counts[publisher.name] = found
    return counts


def pattern_publishers(text: str) -> list[str]:
    """Publishers matched by the free patterns ("Ministerio de Economía"), in text order."""
    found = [
        (match.start(), " ".join(match.group(0).split()))
        for pattern in load_publishers().patterns
        for match in pattern.finditer(text)
    ]
    return [name for _, name in sorted(found)]


def publisher_in(text: str) -> str:
    """The publisher `text` names most (listed ones before patterns); '' when none."""
    counts = named_publishers(text)
    generic = {p.name for p in load_publishers().named if p.generic}
    specific = Counter({name: n for name, n in counts.items() if name not in generic})
    for found in (specific, counts):
        if found:
            # most_common keeps list order among equal counts: the file order breaks ties.
            return found.most_common(1)[0][0]
    patterns = pattern_publishers(text)
    return patterns[0] if patterns else ""


def canonical_publisher(value: str) -> str:
    """The stored name of the publisher `value` names; `value` itself when it names none."""
    cleaned = " ".join(value.split())
    return publisher_in(cleaned) if only_publisher(cleaned) else cleaned


def only_publisher(line: str) -> bool:
    """True for a line that does no more than name a publisher ("CEPAL", "Banco Mundial")."""
    listed = load_publishers()
    text = line
    for pattern in listed.patterns:
        text = pattern.sub(" ", text)
    for publisher in listed.named:
        text = publisher.acronyms.sub(" ", text)
    text = ascii_fold(text)
    for publisher in listed.named:
        text = publisher.domains.sub(" ", text)
    key = name_key(text)
    for publisher in listed.named:
        key = publisher.names.sub(" ", key)
    if name_key(key) == name_key(line):
        return False  # nothing was a publisher
    return len([w for w in key.split() if len(w) > 2]) <= _MAX_LEFTOVER_WORDS
