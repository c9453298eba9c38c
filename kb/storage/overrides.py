"""A person's corrections of document metadata: an append-only log, kept apart from derived data.

Ingest derives a document's title, countries, year, source, publisher and language from the
file; an override says what a person decided instead. Overrides are re-applied to the
document's metadata at every ingest (before its passages are annotated, so passages inherit
them) and applied at once to the stored passages and manifest record when set.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from kb.config import Settings
from kb.countries import load_countries, normalise_country
from kb.files import append_json_line, read_json_lines
from kb.models import DocumentMeta, Passage
from kb.passage_countries import body_countries, passage_countries
from kb.storage.manifest import DocRecord
from kb.workspace.roles import local_user

FIELDS: tuple[str, ...] = ("title", "country", "year", "source", "publisher", "lang")
"""The fields a person can override; `country` is a list: the document's countries."""
PERSON = "person"
"""The provenance of an overridden field."""
YEARS = range(1800, 2101)
Value = str | int | list[str] | None
"""An override's value: text, a year, a list of countries, or None (override dropped)."""


class DocumentEditError(ValueError):
    """The edit cannot be made (unknown document, field or value); the message says why."""


@dataclass(frozen=True)
class Override:
    time: str
    user: str
    doc_id: str
    field: str
    value: Value
    """None records that the person dropped the override (the file's own value applies)."""


def overrides_path(settings: Settings) -> Path:
    """The log's place in the data folder."""
    return settings.overrides_path


def parse_value(field: str, raw: str) -> Value:
    """A value as typed on the command line ("Argentina,Chile", "2019") checked for `field`."""
    if field == "country":
        return check_value(field, [part for part in raw.split(",") if part.strip()])
    if field == "year":
        if not raw.strip().isdigit():
            raise DocumentEditError(f"year must be a number such as 2019, not {raw!r}")
        return check_value(field, int(raw.strip()))
    return check_value(field, raw)


def check_value(field: str, value: Value) -> Value:
    """`value` made canonical for `field` (stored country names, trimmed text); raises
    `DocumentEditError` with what is wrong."""
    if field not in FIELDS:
        raise DocumentEditError(f"unknown field {field!r} (fields: {', '.join(FIELDS)})")
    if field == "country":
        return _countries(value)
    if field == "year":
        if isinstance(value, bool) or not isinstance(value, int) or value not in YEARS:
            raise DocumentEditError(f"year must be between {YEARS[0]} and {YEARS[-1]}: {value!r}")
        return value
    if not isinstance(value, str) or not value.strip():
        raise DocumentEditError(f"{field} cannot be empty (to drop an override, clear it)")
    text = " ".join(value.split())
    if field == "lang":
        text = text.lower()
        if not re.fullmatch(r"[a-z]{2}", text):
            raise DocumentEditError(f"lang must be a two-letter code (es, en, pt…): {value!r}")
    return text


def _countries(value: Value) -> list[str]:
    items = value if isinstance(value, list) else [str(value or "")]
    known = load_countries().by_name
    names: list[str] = []
    for item in items:
        name = normalise_country(str(item))
        if not name:
            continue
        if name not in known:
            raise DocumentEditError(
                f"unknown country or agency {str(item).strip()!r}: check the spelling, "
                "or add it to kb/countries.yaml"
            )
        if name not in names:
            names.append(name)
    if not names:
        raise DocumentEditError("give at least one country, e.g. 'Argentina,Chile'")
    return names


def make_override(doc_id: str, field: str, value: Value, user: str | None = None) -> Override:
    """A log entry for `field` of `doc_id` (value None drops the override); checks the value."""
    if field not in FIELDS:
        raise DocumentEditError(f"unknown field {field!r} (fields: {', '.join(FIELDS)})")
    checked = None if value is None else check_value(field, value)
    return Override(
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        user=user or local_user(),
        doc_id=doc_id,
        field=field,
        value=checked,
    )


def append_override(path: Path, override: Override) -> None:
    """Append one line and flush it to disk; earlier lines are never rewritten."""
    append_json_line(path, asdict(override))


def load_overrides(path: Path) -> list[Override]:
    """Every entry of the log, oldest first (a torn last line from a crash is ignored)."""
    out = []
    for raw in read_json_lines(path):
        try:
            out.append(Override(**raw))
        except TypeError:  # a line from another version of the log
            continue
    return out


def history(log: Iterable[Override], doc_id: str) -> list[Override]:
    return [o for o in log if o.doc_id == doc_id]


def in_effect(log: Iterable[Override], doc_id: str) -> dict[str, Value]:
    """Field -> the value a person set for `doc_id`, the latest entry winning."""
    values: dict[str, Value] = {}
    for o in history(log, doc_id):
        if o.field not in FIELDS:
            continue
        if o.value is None:
            values.pop(o.field, None)
        else:
            values[o.field] = o.value
    return values


def meta_value(meta: DocumentMeta, field: str) -> Value:
    """`field` of a document's metadata, as an override expresses it."""
    if field == "country":
        return list(meta.countries) or ([meta.country] if meta.country else [])
    value: Value = getattr(meta, field)
    return value


def apply_to_meta(meta: DocumentMeta, values: Mapping[str, Value]) -> DocumentMeta:
    """`meta` with the overridden fields replaced and their provenance set to "person"."""
    if not values:
        return meta
    changes: dict[str, object] = {}
    for field, value in values.items():
        if field == "country" and isinstance(value, list):
            changes["countries"] = tuple(value)
            changes["country"] = value[0] if value else ""
        elif field in FIELDS:
            changes[field] = value
    origins = dict(meta.provenance) | dict.fromkeys(values, PERSON)
    return replace(meta, **changes, provenance=tuple(origins.items()))  # type: ignore[arg-type]


def pending(record: DocRecord, values: Mapping[str, Value]) -> set[str]:
    """Fields where `record` does not show what the log says: an override not yet applied
    (an interrupted edit), or a dropped one still shown."""
    origins = record.provenance
    out = {f for f in FIELDS if origins.get(f) == PERSON and f not in values}
    for field, value in values.items():
        if field == "country":
            shown = isinstance(value, list) and record.country in value
        else:
            shown = getattr(record, field) == value
        if origins.get(field) != PERSON or not shown:
            out.add(field)
    return out


def restamp(
    passages: Sequence[Passage],
    record: DocRecord,
    values: Mapping[str, Value],
    origins: Mapping[str, str],
) -> tuple[list[Passage], DocRecord]:
    """Passages and record carrying the new `values` of some fields (text, tags and vectors
    unchanged); `origins` says where each came from ("" when unknown)."""
    out = []
    if "country" in values:
        # The rule an ingest applies (kb.passage_countries), with the new countries.
        declared = () if origins.get("country") == "text" else tuple(_list(values["country"]))
        ids = [p.id for p in passages]
        found = dict(zip(ids, passage_countries(passages, declared), strict=True))
    for p in passages:
        change: dict[str, object] = {
            f: values[f] for f in ("title", "source", "year", "publisher") if f in values
        }
        if "lang" in values and p.lang == record.lang:
            change["lang"] = values["lang"]  # a passage in another language than the document's
        if "country" in values:
            countries = found[p.id]
            change["countries"] = countries
            change["country"] = countries[0] if countries else ""
        out.append(replace(p, **change))  # type: ignore[arg-type]
    fields: dict[str, object] = {f: v for f, v in values.items() if f != "country"}
    if "country" in values:
        main = _list(values["country"]) or list(body_countries(out))
        fields["country"] = main[0] if main else ""
        counts = Counter(c for p in out for c in p.countries)
        fields["countries"] = dict(counts.most_common())
    provenance = dict(record.provenance)
    for field in values:
        if origins.get(field):
            provenance[field] = origins[field]
        else:
            provenance.pop(field, None)
    return out, replace(record, **fields, provenance=provenance)  # type: ignore[arg-type]


def _list(value: Value) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
