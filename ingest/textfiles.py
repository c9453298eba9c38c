"""Reading text files: decoding, cleaning, YAML front matter; Markdown becomes plain prose."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

import yaml

from ingest.filetypes import UnsupportedType
from ingest.markdown_prose import markdown_to_prose
from kb.files import SAFE_LOADER
from kb.models import Section


def _parse_front_matter(block: str) -> object:
    """YAML by the fast C loader; what it refuses (e.g. an escaped lone surrogate, which the
    Python loader reads and the text cleaning later drops) gets a second try in Python."""
    try:
        return yaml.load(block, Loader=SAFE_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(block)


_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Single-byte Western code pages that detectors confuse with each other on short texts
# (cp1250 vs cp1252 turns "año" into "ańo"); Spanish/Portuguese/English files are cp1252.
_WESTERN_CODEPAGES = frozenset(
    {"cp1250", "cp1252", "cp1254", "cp1257", "cp1258", "cp437", "cp850", "cp858"}
    | {"latin_1", "iso8859_1", "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_9"}
    | {"iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16"}
    | {"mac_roman", "mac_latin2", "mac_iceland", "mac_turkish"}
)
# Characters that are invisible or layout-only and only get in the way of search.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f"), " ")
_LIGATURES = {
    ord("\ufb00"): "ff",
    ord("\ufb01"): "fi",
    ord("\ufb02"): "fl",
    ord("\ufb03"): "ffi",
    ord("\ufb04"): "ffl",
    ord("\ufb05"): "st",
    ord("\ufb06"): "st",
}
_TRANSLATION = {**_INVISIBLE, **_SPACES, **_LIGATURES}

_FRONT_MATTER_MAX = 65536  # bytes of YAML we are willing to parse at the top of a file
_BRACKET_TAG = re.compile(r"^[ \t]*\[\[([A-Za-z][\w-]*):(.*)\]\][ \t]*$")
_BRACKET_TAG_LINES = 60  # scraped pages put their [[key:value]] tags near the top


def decode_text(data: bytes) -> str:
    """Bytes to str: BOM-marked Unicode, else UTF-8, else the detected legacy encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_legacy(data)


def _decode_legacy(data: bytes) -> str:
    # Imported here: only the rare non-UTF-8 file pays for the detector.
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UnsupportedType("unsupported file type (not readable as text in any encoding)")
    if best.encoding in _WESTERN_CODEPAGES:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    return str(best)


def clean_text(text: str) -> str:
    """NFC text with Unix newlines, without control/invisible characters or ligatures."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_TRANSLATION)
    text = "".join(
        ch
        for ch in text
        if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cs", "Co", "Cn"}
    )
    return unicodedata.normalize("NFC", text)


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """YAML front matter (`---` … `---` at the very top) as a dict, and the text without it.

    A block that is not valid YAML mapping is left in the text: better to show odd lines
    than to silently drop what may be content.
    """
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return {}, text
    size = 0
    for index, line in enumerate(lines[1:], start=1):
        size += len(line) + 1
        if size > _FRONT_MATTER_MAX:
            return {}, text
        if line.rstrip() in {"---", "..."}:
            block = "\n".join(lines[1:index])
            try:
                fields = _parse_front_matter(block) if block.strip() else {}
            except yaml.YAMLError:
                return {}, text
            if not isinstance(fields, dict):
                return {}, text
            rest = "\n".join(lines[index + 1 :])
            return {str(k).strip().lower(): v for k, v in fields.items()}, rest
    return {}, text


def split_bracket_tags(text: str) -> tuple[dict[str, object], str]:
    """`[[key:value]]` lines near the top (as left by some web scrapers) as fields, removed."""
    lines = text.split("\n")
    fields: dict[str, object] = {}
    kept: list[str] = []
    for index, line in enumerate(lines):
        match = _BRACKET_TAG.match(line) if index < _BRACKET_TAG_LINES else None
        if match:
            fields.setdefault(match.group(1).lower(), match.group(2).strip())
        else:
            kept.append(line)
    if not fields:
        return {}, text
    return fields, "\n".join(kept)


def tidy_blank_lines(text: str) -> str:
    """At most one blank line in a row, no trailing spaces, no blank lines at either end."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n").rstrip()


@dataclass(frozen=True)
class TextContent:
    """A text file's cleaned body, its sections and the metadata fields found in it."""

    text: str
    sections: tuple[Section, ...]
    fields: dict[str, object]


def read_text(data: bytes, markdown: bool) -> TextContent:
    """Decode and clean a Markdown/plain-text file; front matter goes to `fields`."""
    text = clean_text(decode_text(data))
    fields, text = split_front_matter(text)
    tags, text = split_bracket_tags(text)
    for key, value in tags.items():
        fields.setdefault(key, value)
    text = tidy_blank_lines(text)
    sections: tuple[Section, ...] = ()
    if markdown:
        # Headings become sections and markup goes: passages show and export as prose.
        # A front matter block that could not be read stays as written, odd lines and all.
        head, body = _unread_front_matter(text)
        body, sections = markdown_to_prose(body)
        text = head + body
        sections = tuple(replace(s, start=s.start + len(head)) for s in sections)
    return TextContent(text=text, sections=sections, fields=fields)


def _unread_front_matter(text: str) -> tuple[str, str]:
    """A leading `---` … `---` block left in the text (not valid YAML), and the rest."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return "", text
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() in {"---", "..."}:
            head = "\n".join(lines[: index + 1]) + "\n"
            return head, "\n".join(lines[index + 1 :])
    return "", text
