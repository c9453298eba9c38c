"""Document text as literal Markdown, and the short citation lines the app prints."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb.briefs.export_markdown import escape
from kb.citations import source_line
from kb.models import Passage

# Streamlit's own Markdown on top of CommonMark: `$…$` is a formula, `:name:` an emoji or a
# `:material/…:` icon, `:red[…]` coloured text. A backslash keeps `$` and `:` literal for the
# parser, but emoji and icon names are looked up in the text after parsing, so a word joiner
# (U+2060, invisible and zero-width) after the opening colon breaks the `:name:` shape.
_STREAMLIT_SPECIAL = re.compile(r"([$:])")
# Names without digits only: passage ids (`doc:f6c02660:0001`) keep no invisible character.
_SHORTCODE = re.compile(r":(?=[^\W\d]*[^\W\d_][^\W\d]*(?:/[^\W\d]+)?:)")
WORD_JOINER = "\u2060"


def md(text: str) -> str:
    """`text` with every Markdown, HTML and Streamlit markup character escaped: it renders
    exactly as typed."""
    broken = _SHORTCODE.sub(":" + WORD_JOINER, text)
    return _STREAMLIT_SPECIAL.sub(r"\\\1", escape(broken))


def md_line(text: str) -> str:
    """One line of escaped text (labels, headings): newlines folded into spaces."""
    return md(" ".join(text.split()))


def quote(text: str) -> str:
    """`text` escaped and set as a Markdown block quote."""
    # Two trailing spaces keep the document's line breaks (lists, short lines) as breaks.
    lines = md(text.strip()).split("\n")
    return "\n".join(f"> {line}  " if line.strip() else ">" for line in lines)


def citation(passage: Passage, lang: str) -> str:
    """'Title — Country (year), p. 3' as plain text (escape it before rendering as Markdown)."""
    return source_line(passage, lang)


# Marks put into the text before escaping, where a highlight opens and closes: private-use
# characters, which no document text is expected to hold and escaping leaves alone.
_OPEN, _CLOSE = "\ue000", "\ue001"


def marked_quote(text: str, spans: Sequence[tuple[int, int]], max_chars: int | None = None) -> str:
    """`text` escaped as a Markdown block quote (as `quote`), the characters of `spans`
    (offsets into `text`) in bold. With `max_chars`, a longer text is cut to a window that
    keeps the first span in view."""
    text = text.replace(_OPEN, "").replace(_CLOSE, "")
    start, end = _window(len(text), spans, max_chars)
    out, at = [], start
    for a, b in sorted((max(a, start), min(b, end)) for a, b in spans):
        a = max(a, at)  # overlapping spans: mark each character once
        if a < b:
            out += [text[at:a], _OPEN, text[a:b], _CLOSE]
            at = b
    out.append(text[at:end])
    shown = ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")
    return "\n".join(_bold_line(line, state) for line, state in _marked_lines(quote(shown)))


def _marked_lines(quoted: str) -> list[tuple[str, bool]]:
    """Each line with whether a highlight is open where it starts."""
    lines, inside = [], False
    for line in quoted.split("\n"):
        lines.append((line, inside))
        for ch in line:
            inside = True if ch == _OPEN else False if ch == _CLOSE else inside
    return lines


def _bold_line(line: str, open_at_start: bool) -> str:
    """The line with its marks as `**`, a highlight running over lines closed at each end
    (Markdown emphasis does not cross a line of the quote)."""
    prefix = "> " if line.startswith("> ") else ""
    body = line[len(prefix) :].rstrip()
    if not body.replace(_OPEN, "").replace(_CLOSE, "").strip():
        return line.replace(_OPEN, "").replace(_CLOSE, "")
    inside = open_at_start
    for ch in body:
        inside = True if ch == _OPEN else False if ch == _CLOSE else inside
    body = ("**" if open_at_start else "") + body + ("**" if inside else "")
    body = body.replace(_OPEN, "**").replace(_CLOSE, "**")
    return f"{prefix}{body}  "


def _window(
    length: int, spans: Sequence[tuple[int, int]], max_chars: int | None
) -> tuple[int, int]:
    if max_chars is None or length <= max_chars:
        return 0, length
    first = min(spans) if spans else (0, 0)
    start = 0 if first[1] <= max_chars else max(0, first[0] - max_chars // 4)
    return start, min(length, start + max_chars)
