"""Countries and agencies: the one list (data in `countries.yaml` beside this module).

Front matter names a country or an agency in many ways ("Brasil", "BR", "Banco Mundial");
documents are filed under one stored name ("Brazil", "World Bank"), which the interface
shows in its language. Passages are filed under the countries their text names
(`countries_in`, with the phrase tables of `kb.country_mentions`), else under their
section's or document's (`kb.passage_countries`; the rule is told in `ingest.annotate`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb.country_mentions import (
    Mentions,
    build_mentions,
    country_counts,
    phrase_key,
)
from kb.files import read_yaml
from kb.textnorm import name_key

COUNTRIES_PATH = Path(__file__).with_name("countries.yaml")
_SECTIONS = ("countries", "agencies")
_COUNTRY_TERMS = ("demonyms", "places", "agencies")
_ENTRY_KEYS = frozenset({"es", "en", "aliases", "acronyms", "prefixes", *_COUNTRY_TERMS})
_WORD_LISTS = (
    "not_countries",
    "regions",
    "language_cues",
    "languages",
    "firm_words",
    "firms_abroad_words",
)
_TOP_KEYS = frozenset({"compare_default", *_SECTIONS, *_WORD_LISTS})
# Shorter aliases are too ambiguous to spot inside longer phrases ("es", "pa", "per"),
# except the agency acronyms people actually write in a source line.
_MIN_ALIAS_IN_PHRASE = 4
_MAX_PHRASE_WORDS = 8
# A document is about the countries that take at least this share of its country mentions
# (a report on Argentina with a section on Chile: 0.12 of them; passing comparisons: < 0.05).
MAIN_COUNTRY_SHARE = 0.1


class CountryListError(ValueError):
    """The country list is not valid YAML or breaks its rules."""


@dataclass(frozen=True)
class Country:
    """A country or agency: its stored name, display names and the ways documents write it."""

    name: str
    agency: bool = False
    display: dict[str, str] = field(default_factory=dict)
    """Interface language -> name shown; a language not listed shows `name`."""
    aliases: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    demonyms: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    """Regions, provinces or states and cities, as written in the list."""
    agencies: tuple[str, ...] = ()
    """National agencies, firms of the state and programmes, as written in the list."""


@dataclass(frozen=True)
class CountryList:
    """Every known country and agency, with the lookups built from them."""

    entries: tuple[Country, ...]
    compare_default: tuple[str, ...] = ()
    by_name: dict[str, Country] = field(default_factory=dict, repr=False)
    by_alias: dict[str, str] = field(default_factory=dict, repr=False)
    """Alias key (see `kb.textnorm.name_key`) -> stored name."""
    in_phrase: frozenset[str] = frozenset()
    """Short aliases (acronyms) that still count inside a longer phrase."""
    prefixes: tuple[tuple[str, str], ...] = ()
    """(start of a long official name, stored name), in file order."""
    mentions: Mentions = field(default_factory=Mentions, repr=False)
    """What `countries_in` looks for in a passage."""


def strings_of(value: object, where: str) -> tuple[str, ...]:
    """A YAML value as a tuple of texts (one text or a list); raises on anything else."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    bad = [item for item in items if not isinstance(item, str)]
    if bad:
        raise CountryListError(f"{where}: {bad[0]!r} is not text (quote it)")
    return tuple(items)


def _entry(name: object, raw: object, agency: bool) -> Country:
    if not isinstance(name, str) or not name.strip():
        raise CountryListError(f"entry name {name!r} is not text")
    raw = raw or {}
    if not isinstance(raw, dict):
        raise CountryListError(f"{name}: expected {'/'.join(sorted(_ENTRY_KEYS))}")
    unknown = sorted(str(key) for key in set(raw) - _ENTRY_KEYS)
    if unknown:
        raise CountryListError(f"{name}: unknown key {unknown[0]!r}")
    terms = {key: _terms(raw.get(key), f"{name}.{key}") for key in _COUNTRY_TERMS}
    misplaced = [key for key, found in terms.items() if agency and found]
    if misplaced:
        raise CountryListError(
            f"{name}.{misplaced[0]}: only countries have {misplaced[0]} (an agency is a source)"
        )
    display = {lang: raw[lang] for lang in ("es", "en") if raw.get(lang) is not None}
    for lang, shown in display.items():
        if not isinstance(shown, str):
            raise CountryListError(f"{name}.{lang}: {shown!r} is not text (quote it)")
    return Country(
        name=name,
        agency=agency,
        display=display,
        aliases=tuple(name_key(a) for a in strings_of(raw.get("aliases"), f"{name}.aliases")),
        acronyms=tuple(name_key(a) for a in strings_of(raw.get("acronyms"), f"{name}.acronyms")),
        prefixes=tuple(name_key(p) for p in strings_of(raw.get("prefixes"), f"{name}.prefixes")),
        **terms,
    )


def _terms(value: object, where: str) -> tuple[str, ...]:
    """Words to find in passages, as written (their case decides how they match)."""
    terms = tuple(" ".join(term.split()) for term in strings_of(value, where))
    empty = [term for term in terms if not phrase_key(term)]
    if empty:
        raise CountryListError(f"{where}: {empty[0]!r} has no letters or digits")
    return terms


def parse_countries(data: Any) -> CountryList:
    """Build the country list from parsed YAML; raises `CountryListError`."""
    if not isinstance(data, dict):
        raise CountryListError("expected a mapping with countries and agencies")
    unknown_keys = sorted(str(key) for key in set(data) - _TOP_KEYS)
    if unknown_keys:
        raise CountryListError(
            f"unknown section {unknown_keys[0]!r} (expected {', '.join(sorted(_TOP_KEYS))})"
        )
    entries: list[Country] = []
    for section in _SECTIONS:
        block = data.get(section) or {}
        if not isinstance(block, dict):
            raise CountryListError(f"{section}: expected a mapping of names to entries")
        entries.extend(_entry(name, raw, section == "agencies") for name, raw in block.items())
    by_alias: dict[str, str] = {}
    for entry in entries:
        for alias in (*entry.aliases, *entry.acronyms):
            if by_alias.setdefault(alias, entry.name) != entry.name:
                raise CountryListError(f"alias {alias!r} names {by_alias[alias]} and {entry.name}")
    by_name = {entry.name: entry for entry in entries}
    default = strings_of(data.get("compare_default"), "compare_default")
    unknown = [name for name in default if name not in by_name]
    if unknown:
        raise CountryListError(f"compare_default: unknown name {unknown[0]!r}")
    return CountryList(
        entries=tuple(entries),
        compare_default=default,
        by_name=by_name,
        by_alias=by_alias,
        in_phrase=frozenset(a for entry in entries for a in entry.acronyms),
        prefixes=tuple((p, entry.name) for entry in entries for p in entry.prefixes),
        mentions=_mentions(entries, data),
    )


def _mentions(entries: list[Country], data: dict[Any, Any]) -> Mentions:
    """The phrase tables of `countries_in`: each country's names, demonyms, places and
    agencies; the agencies' names and `not_countries` as phrases to skip; `regions` as
    phrases above any one country."""
    lists = {key: _terms(data.get(key), key) for key in _WORD_LISTS}
    terms: list[tuple[str, str, str]] = []
    for entry in entries:
        if entry.agency:
            # A source or a funder: it names no country, nor takes a passage off its own.
            lists["not_countries"] += (*entry.aliases, *entry.acronyms)
            continue
        # Short aliases ("es", "us", "co") are ordinary words in running text.
        names = [a for a in entry.aliases if len(a) >= _MIN_ALIAS_IN_PHRASE]
        terms += [(term, entry.name, "name") for term in (*names, *entry.agencies)]
        terms += [(term, entry.name, "place") for term in entry.places]
        terms += [(term, entry.name, "demonym") for term in entry.demonyms]
    return build_mentions(
        terms,
        lists["not_countries"],
        lists["language_cues"],
        lists["firm_words"],
        lists["regions"],
        lists["languages"],
        lists["firms_abroad_words"],
    )


@lru_cache(maxsize=4)
def load_countries(path: Path = COUNTRIES_PATH) -> CountryList:
    """The country list at `path` (cached per path)."""
    return parse_countries(read_yaml(path, CountryListError))


def normalise_country(value: str) -> str:
    """English short name of a country, or an agency's acronym; unknown values kept as given.

    Accepts Spanish/Portuguese spellings and codes ("Brasil", "Perú", "MX", "OCDE",
    "Banco Mundial"); "" stays "".
    """
    known = load_countries()
    cleaned = " ".join(str(value).split())
    key = name_key(cleaned)
    if not key:
        return ""
    if key in known.by_alias:
        return known.by_alias[key]
    for prefix, name in known.prefixes:
        if key.startswith(prefix):
            return name
    found = _names_in_phrase(key.split(), known)
    if len(found) == 1:
        return found.pop()
    return cleaned


def _names_in_phrase(words: list[str], known: CountryList) -> set[str]:
    """Countries/agencies named anywhere in a phrase such as "Brasil (MDIC)"."""
    found: set[str] = set()
    for size in range(min(len(words), _MAX_PHRASE_WORDS), 0, -1):
        for start in range(len(words) - size + 1):
            phrase = " ".join(words[start : start + size])
            usable = len(phrase) >= _MIN_ALIAS_IN_PHRASE or phrase in known.in_phrase
            if usable and phrase in known.by_alias:
                found.add(known.by_alias[phrase])
    return found


def country_name(country: str, lang: str = "es") -> str:
    """How a stored country or agency name reads in `lang` (unknown names as they are)."""
    entry = load_countries().by_name.get(country)
    return entry.display.get(lang, country) if entry else country


def compare_default() -> tuple[str, ...]:
    """The countries a comparison starts with, as stored names."""
    return load_countries().compare_default


def agency_names() -> frozenset[str]:
    """Stored names of the agencies (OECD, CEPAL, …): sources, but no answer to "which country"."""
    return frozenset(c.name for c in load_countries().entries if c.agency)


def countries_in(
    text: str, known: CountryList | None = None, context: Collection[str] = ()
) -> tuple[str, ...]:
    """The countries `text` is about, by the names, demonyms, places and national agencies it
    mentions, the most mentioned first (ties: the first mentioned); () when it names none. A
    place of several countries counts for those `text` names otherwise, else for those of
    `context` (its document's)."""
    return tuple(country_counts(text, (known or load_countries()).mentions, context))


def main_countries(
    text: str, share: float = MAIN_COUNTRY_SHARE, known: CountryList | None = None
) -> tuple[str, ...]:
    """The countries a whole document is about: those with at least `share` of its country
    mentions, main first; a passing comparison with another country stays out."""
    return with_share(country_counts(text, (known or load_countries()).mentions), share)


def with_share(counts: dict[str, int], share: float = MAIN_COUNTRY_SHARE) -> tuple[str, ...]:
    """The countries holding at least `share` of the mentions `counts`, main first."""
    total = sum(counts.values())
    return tuple(c for c, n in counts.items() if n >= share * total)
