"""Recommendation briefs: a title, a question, an ordered basket of cited passages and the
key messages that open the brief.

Each item keeps the sentences the author quotes from its passage as character offsets into
the stored passage text (`spans`), so every quotation can be checked against the source.
Key messages are exact sentences of the brief's passages, also as offsets, in the author's
order. Editing functions are pure (they return a new `Brief`); saving and loading live in
`kb.briefs.store`, which writes `Brief.to_dict()` and reads it back with `Brief.from_dict`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

FORMAT_VERSION = 2
"""2: items carry `spans`, the brief a `question` and `key_messages`. Files of version 1
load with every item undecided (quoted whole) and no key messages."""
MAX_SLUG = 80
LANGS: tuple[str, ...] = ("es", "en")

Span = tuple[int, int]


class BriefError(ValueError):
    """A brief operation cannot be done (unknown brief or passage, bad position or name).

    The message is English (the CLI prints it); `code` and `values` say the same for an
    interface that words it in its own language (`brief_error_<code>` with the values)."""

    code = "invalid"

    def __init__(self, message: str, code: str | None = None, **values: object) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.values = {key: str(value) for key, value in values.items()}


def _spans(value: object) -> tuple[Span, ...] | None:
    """Spans from a file or a caller: sorted, non-empty, non-overlapping `[start, end)` pairs;
    None stays None (the author has not chosen: the whole passage is quoted)."""
    if value is None:
        return None
    if not isinstance(value, Iterable) or isinstance(value, str | bytes):
        raise BriefError(f"spans must be a list of [start, end] pairs, not {value!r}")
    pairs = []
    for pair in value:
        start, end = (int(x) for x in pair)
        if not 0 <= start < end:
            raise BriefError(f"a span must have 0 <= start < end, not [{start}, {end}]")
        pairs.append((start, end))
    pairs.sort()
    for (_, end), (start, _) in zip(pairs, pairs[1:], strict=False):
        if start < end:
            raise BriefError("spans of one passage must not overlap")
    return tuple(pairs)


@dataclass
class BriefItem:
    passage_id: str
    note: str = ""
    spans: tuple[Span, ...] | None = None
    """The quoted parts of the passage, as offsets into its text; None until chosen (the
    whole passage is quoted)."""

    def __post_init__(self) -> None:
        self.spans = _spans(self.spans)


@dataclass(frozen=True)
class KeyMessage:
    """One exact sentence of a passage of the brief: `passage.text[start:end]`."""

    passage_id: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"passage_id": self.passage_id, "start": self.start, "end": self.end}


def _key_message(value: object) -> KeyMessage:
    if isinstance(value, KeyMessage):
        return value
    if isinstance(value, Mapping):
        pid, start, end = value["passage_id"], value["start"], value["end"]
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 3:
        pid, start, end = value
    else:
        raise BriefError(f"not a key message: {value!r}")
    if not 0 <= int(start) < int(end):
        raise BriefError(f"a key message must have 0 <= start < end, not [{start}, {end}]")
    return KeyMessage(str(pid), int(start), int(end))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")  # orders quick edits


@dataclass
class Brief:
    name: str
    title: str
    purpose: str
    items: list[BriefItem] = field(default_factory=list)
    lang: str = "es"
    created: str = field(default_factory=_now)
    updated: str = field(default_factory=_now)
    question: str = ""
    """The question the brief answers: its sentences are highlighted for it."""
    key_messages: list[KeyMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Whoever builds a brief from a file (dicts and lists) gets the same typed values.
        self.items = [
            i if isinstance(i, BriefItem) else BriefItem(**_item_fields(i)) for i in self.items
        ]
        self.key_messages = [_key_message(m) for m in self.key_messages]

    @property
    def passage_ids(self) -> list[str]:
        return [item.passage_id for item in self.items]

    def item(self, passage_id: str) -> BriefItem:
        return self.items[_index(self, passage_id)]

    @property
    def asked(self) -> str:
        """The question to highlight sentences for: the question, else the title."""
        return (self.question or self.title).strip()

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "name": self.name,
            "title": self.title,
            "question": self.question,
            "purpose": self.purpose,
            "items": [
                {
                    "passage_id": i.passage_id,
                    "note": i.note,
                    "spans": None if i.spans is None else [list(s) for s in i.spans],
                }
                for i in self.items
            ],
            "key_messages": [m.to_dict() for m in self.key_messages],
            "lang": self.lang,
            "created": self.created,
            "updated": self.updated,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Brief:
        """A brief from `to_dict` output of this or an older version; BriefError otherwise."""
        try:
            return cls(
                name=str(data["name"]),
                title=str(data.get("title", "")),
                purpose=str(data.get("purpose", "")),
                items=[BriefItem(**_item_fields(i)) for i in data["items"]],
                lang=str(data.get("lang", "es")),
                created=str(data.get("created", "")),
                updated=str(data.get("updated", "")),
                question=str(data.get("question", "")),
                key_messages=[_key_message(m) for m in data.get("key_messages", [])],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BriefError(f"not a brief ({exc})") from exc


def _item_fields(value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise BriefError(f"not a brief item: {value!r}")
    return {
        "passage_id": str(value["passage_id"]),
        "note": str(value.get("note", "")),
        "spans": value.get("spans"),
    }


def slug(name: str) -> str:
    """The file-safe key of a brief name: lowercase ASCII letters, digits, '-' and '_' only."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    key = re.sub(r"[^a-z0-9_]+", "-", ascii_name.lower()).strip("-_")
    key = key[:MAX_SLUG].rstrip("-_")
    if not key:
        raise BriefError(
            f"{name!r} is not a usable brief name: use letters or digits", "bad_name", name=name
        )
    return key


def new_brief(
    name: str, title: str = "", purpose: str = "", lang: str = "es", question: str = ""
) -> Brief:
    """An empty brief; the title defaults to the name."""
    slug(name)  # refuse unusable names at once, not at the first save
    return Brief(
        name=name.strip(),
        title=title.strip() or name.strip(),
        purpose=purpose,
        lang=lang,
        question=question.strip(),
    )


# --- pure edits -------------------------------------------------------------------------


def _index(brief: Brief, passage_id: str) -> int:
    for i, item in enumerate(brief.items):
        if item.passage_id == passage_id:
            return i
    raise BriefError(
        f"passage {passage_id!r} is not in brief {brief.name!r}", "not_in_brief", id=passage_id
    )


def add_item(
    brief: Brief, passage_id: str, note: str = "", spans: Sequence[Span] | None = None
) -> Brief:
    """Append a passage (quoting `spans` of it, or all of it); adding one already present keeps
    its place, its sentences and only updates a note."""
    passage_id = passage_id.strip()
    if not passage_id:
        raise BriefError("empty passage id")
    if passage_id in brief.passage_ids:
        return set_note(brief, passage_id, note) if note else brief
    item = BriefItem(passage_id, note, None if spans is None else tuple(spans))
    return replace(brief, items=[*brief.items, item])


def remove_item(brief: Brief, passage_id: str) -> Brief:
    """The brief without `passage_id` (and without its key message)."""
    i = _index(brief, passage_id)
    messages = [m for m in brief.key_messages if m.passage_id != passage_id]
    return replace(brief, items=brief.items[:i] + brief.items[i + 1 :], key_messages=messages)


def move_item(brief: Brief, passage_id: str, new_position: int) -> Brief:
    """Move a passage to `new_position` (1-based, as shown to people)."""
    i = _index(brief, passage_id)
    if not 1 <= new_position <= len(brief.items):
        raise BriefError(f"position must be between 1 and {len(brief.items)}, not {new_position}")
    items = brief.items[:i] + brief.items[i + 1 :]
    items.insert(new_position - 1, brief.items[i])
    return replace(brief, items=items)


def _with_item(brief: Brief, passage_id: str, **changes: Any) -> Brief:
    i = _index(brief, passage_id)
    items = list(brief.items)
    items[i] = replace(items[i], **changes)
    return replace(brief, items=items)


def set_note(brief: Brief, passage_id: str, note: str) -> Brief:
    """Set (or clear, with '') the author's note on a passage."""
    return _with_item(brief, passage_id, note=note)


def set_spans(brief: Brief, passage_id: str, spans: Sequence[Span] | None) -> Brief:
    """Quote these parts of the passage (offsets into its text); None quotes all of it."""
    return _with_item(brief, passage_id, spans=None if spans is None else tuple(spans))


def set_key_messages(brief: Brief, messages: Sequence[KeyMessage]) -> Brief:
    """Replace the key messages: each from a passage of the brief, at most one per passage
    (the first one of a passage is kept)."""
    known = set(brief.passage_ids)
    kept: dict[str, KeyMessage] = {}
    for message in messages:
        if message.passage_id not in known:
            raise BriefError(f"passage {message.passage_id!r} is not in brief {brief.name!r}")
        kept.setdefault(message.passage_id, message)
    return replace(brief, key_messages=list(kept.values()))


def set_key_message(brief: Brief, passage_id: str, span: Span | None) -> Brief:
    """The passage's key message becomes the sentence at `span` (keeping its place in the
    order, or last when it had none); None takes the passage's key message away."""
    _index(brief, passage_id)
    if span is None:
        return replace(
            brief, key_messages=[m for m in brief.key_messages if m.passage_id != passage_id]
        )
    message = _key_message((passage_id, *span))
    messages = [message if m.passage_id == passage_id else m for m in brief.key_messages]
    if message not in messages:
        messages.append(message)
    return replace(brief, key_messages=messages)


def move_key_message(brief: Brief, passage_id: str, new_position: int) -> Brief:
    """Move the key message of `passage_id` to `new_position` (1-based)."""
    ids = [m.passage_id for m in brief.key_messages]
    if passage_id not in ids:
        raise BriefError(f"passage {passage_id!r} has no key message")
    if not 1 <= new_position <= len(ids):
        raise BriefError(f"position must be between 1 and {len(ids)}, not {new_position}")
    messages = list(brief.key_messages)
    message = messages.pop(ids.index(passage_id))
    messages.insert(new_position - 1, message)
    return replace(brief, key_messages=messages)


def edit_brief(
    brief: Brief,
    title: str | None = None,
    purpose: str | None = None,
    lang: str | None = None,
    question: str | None = None,
) -> Brief:
    """Change the title, purpose, language or question (None keeps the current value)."""
    return replace(
        brief,
        title=brief.title if title is None else title,
        purpose=brief.purpose if purpose is None else purpose,
        lang=brief.lang if lang is None else lang,
        question=brief.question if question is None else question,
    )
