"""Markdown reduced to the plain prose a reader sees: headings become sections, markup goes.

Passages are shown, quoted and exported as text, so nothing of the source syntax may survive
(`##`, `**`, `[text](url)`, list bullets, table pipes). Ordered-list numbers are kept: they
are words of the text ("the summary lists six: 1. …"). Tags that do harm when rendered
(`<script>`, `<style>`, unknown ones) are left as literal text: the app escapes them.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

from ingest.subheadings import reads_as_subheading
from kb.models import CELLS, Section

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_REFERENCE_DEFINITION = re.compile(
    r"^ {0,3}\[(?!\^)[^\]]+\]:[ \t]*<?\S+>?(?:[ \t]+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?[ \t]*$"
)
_FOOTNOTE_DEFINITION = re.compile(r"^ {0,3}\[\^[^\]\s]+\]:[ \t]*")
_FOOTNOTE_MARK = re.compile(r"\[\^[^\]\s]+\]")
_BLOCK_QUOTE = re.compile(r"^ {0,3}(?:>[ \t]?)+")
_BULLET = re.compile(r"^[ \t]*[-*+][ \t]+(?:\[[ xX]\][ \t]+)?")
_TABLE_DELIMITER = re.compile(r"^(?=[^|]*\|)(?=[^-]*-)[ \t|:-]+$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)

_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_IMAGE = re.compile(r"[ \t]*!\[[^\]]*\](?:\((?:[^()]|\([^()]*\))*\)|\[[^\]]*\])")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^()]*\))*\)")
_REFERENCE_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]+|[^@<>\s]+@[^@<>\s]+\.[a-zA-Z]{2,})>")
# Formatting tags only: their text is the prose. Anything else stays visible as typed.
_FORMAT_TAG = re.compile(
    r"</?(?:a|abbr|b|big|blockquote|br|center|cite|code|dd|del|div|dl|dt|em|figcaption|figure"
    r"|font|h[1-6]|hr|i|img|ins|kbd|li|mark|ol|p|pre|s|section|small|span|strike|strong|sub"
    r"|sup|table|tbody|td|tfoot|th|thead|tr|u|ul)\b[^<>]*/?>",
    re.IGNORECASE,
)
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)")
_EMPHASIS = re.compile(
    r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])|(?<!\w)_(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)"
)
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_PLACEHOLDER = "\x00{}\x00"  # clean text holds no NUL: code spans wait here untouched
_PLACEHOLDER_BACK = re.compile("\x00(\\d+)\x00")


def inline_prose(text: str) -> str:
    """One line of Markdown without inline markup: emphasis, code, links, images, tags."""
    codes: list[str] = []

    def keep_code(match: re.Match[str]) -> str:
        codes.append(match.group(2).strip())
        return _PLACEHOLDER.format(len(codes) - 1)

    text = _CODE_SPAN.sub(keep_code, text)
    text = _FOOTNOTE_MARK.sub("", text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _REFERENCE_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _FORMAT_TAG.sub("", text)
    for pattern in (_STRONG, _EMPHASIS):
        previous = None
        while previous != text:  # nested emphasis: ***x***, **a _b_ c**
            previous = text
            text = pattern.sub(lambda m: m.group(1) or m.group(2) or "", text)
    text = _STRIKE.sub(r"\1", text).replace("**", "")
    text = _ESCAPE.sub(r"\1", text)
    text = _ENTITY.sub(lambda m: html.unescape(m.group(0)).replace("\xa0", " "), text)
    return _PLACEHOLDER_BACK.sub(lambda m: codes[int(m.group(1))], text)


def _table_row(line: str) -> str:
    cells = re.split(r"(?<!\\)\|", line.strip())
    if cells and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip():
        cells = cells[:-1]
    return CELLS.join(c for c in (inline_prose(cell).strip() for cell in cells) if c)


def _block_line(line: str) -> str:
    """A body line without its block markers (quote, bullet), inline markup reduced."""
    line = _FOOTNOTE_DEFINITION.sub("", _BLOCK_QUOTE.sub("", line))
    line = _BULLET.sub("", line)
    return inline_prose(line)


def _atx_heading(line: str) -> re.Match[str] | None:
    """`line` as an ATX heading ("## Resultados"), in a block quote or not."""
    return _ATX_HEADING.match(_BLOCK_QUOTE.sub("", line))


def _heading(line: str, following: str | None) -> str | None:
    """The heading text if `line` (with the line after it) is an ATX or setext heading; an
    ATX heading may sit in a block quote ("> ### Recuadro 1. …", a box's title)."""
    atx = _atx_heading(line)
    if atx:
        return inline_prose(atx.group(2)).strip()
    if (
        following is not None
        and line.strip()
        and _SETEXT_UNDERLINE.match(following)
        and not _BULLET.match(line)
        and not _BLOCK_QUOTE.match(line)
        and not _FENCE.match(line)
    ):
        return inline_prose(line).strip()
    return None


def _level(line: str, following: str | None) -> int:
    """A heading's level: its number of #s, or 1 under "===" and 2 under "---"."""
    atx = _atx_heading(line)
    if atx:
        return len(atx.group(1))
    return 1 if following and following.strip().startswith("=") else 2


_BOX_START = -1
"""Marks a heading inside a block quote (a box: "> ### Recuadro 1. …")."""
_BOX_END = -2
"""Marks where that block quote ends: the section around the box goes on."""
_BOX_TITLE = -3
"""A block quote's first line set wholly in bold ("> **Recuadro 1. …**"): a line of text
that titles the box without cutting it off from the text around it (`Section.cuts`)."""
_ALL_BOLD = re.compile(r"^(?:\*\*[^*]+\*\*|__[^_]+__)[ \t]*$")


def _box_title(line: str, quote_began: bool) -> str | None:
    """The title of a box whose block quote opens with `line` in bold ("> **Box 2. Chile**")."""
    if not quote_began or not _BLOCK_QUOTE.match(line):
        return None
    inner = _BLOCK_QUOTE.sub("", line).strip()
    if not _ALL_BOLD.match(inner):
        return None
    title = inline_prose(inner).strip()
    return title if reads_as_subheading(title) else None


def _prose_lines(text: str) -> list[tuple[str, int]]:
    """Each output line, and its heading level (0 for a line that is not a heading,
    `_BOX_TITLE` for a box's bold title; the `_BOX_START` and `_BOX_END` marks are no lines)."""
    lines = _COMMENT.sub("", text).split("\n")
    out: list[tuple[str, int]] = []
    fence: str | None = None
    in_box = in_quote = False
    i = 0
    while i < len(lines):
        line = lines[i]
        following = lines[i + 1] if i + 1 < len(lines) else None
        i += 1
        quote_began, in_quote = not in_quote, bool(_BLOCK_QUOTE.match(line))
        if in_box and line.strip() and not in_quote:
            out.append(("", _BOX_END))
            in_box = False
        fence_match = _FENCE.match(line)
        if fence is not None:  # code is kept as written, without its fences
            if fence_match and fence_match.group(1).startswith(fence):
                fence = None
                out.append(("", 0))
            else:
                out.append((line, 0))
            continue
        if fence_match:
            fence = fence_match.group(1)[0] * 3
            out.append(("", 0))
            continue
        heading = _heading(line, following)
        if heading is not None:
            if not _atx_heading(line):
                i += 1  # the setext underline
            if heading and _BLOCK_QUOTE.match(line):
                out.append(("", _BOX_START))
                in_box = True
            out.append((heading, _level(line, following) if heading else 0))
            continue
        title = _box_title(line, quote_began)
        if title:  # a box of its own, even right after another one
            out += [("", _BOX_END)] if in_box else []
            out += [("", _BOX_START), (title, _BOX_TITLE)]
            in_box = True
            continue
        if _RULE.match(line) or _REFERENCE_DEFINITION.match(line):
            out.append(("", 0))
            continue
        if "|" in line and following is not None and _TABLE_DELIMITER.match(following):
            out.append((_table_row(line), 0))
            i += 1
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                out.append((_table_row(lines[i]), 0))
                i += 1
            continue
        out.append((_block_line(line), 0))
    return out


def markdown_to_prose(text: str) -> tuple[str, tuple[Section, ...]]:
    """Plain text of a Markdown body, and a `Section` per heading at its offset in that text.

    Headings stay as lines of plain text (their words are searched and quoted like the
    rest); blank lines are tidied as `tidy_blank_lines` does, so the offsets are final.
    """
    kept: list[tuple[str, int]] = []
    last = ""  # the last line kept, marks aside
    for line, level in _prose_lines(text):
        line = line.rstrip()
        if _is_line(level) and not line.strip() and not last:
            continue  # at most one blank line in a row, none at the start
        kept.append((line, level))
        last = line if _is_line(level) else last
    while kept and not kept[-1][0]:
        kept.pop()
    return "\n".join(line for line, level in kept if _is_line(level)), _sections(kept)


def _is_line(level: int) -> bool:
    """Whether a kept entry is a line of the text (the box marks are not)."""
    return level >= 0 or level == _BOX_TITLE


def _sections(kept: list[tuple[str, int]]) -> tuple[Section, ...]:
    """A `Section` per heading at its offset; after a box in a block quote, the section the
    box sat in starts again where the text goes on (its heading is not repeated)."""
    sections: list[Section] = []
    around: list[Section] = []  # the sections open here, outermost first
    outside: list[Section] = []  # those open before the box began
    resume: list[Section] | None = None  # to reopen at the next line of text
    box_cuts = True  # whether the box was cut off from the text around it
    offset = 0
    for line, level in kept:
        if level == _BOX_START:
            if resume is not None:  # one box right after another
                around, resume = list(resume), None
            outside, box_cuts = list(around), True
            continue
        if level == _BOX_END:
            resume = outside
            continue
        if level == _BOX_TITLE:
            depth = around[-1].level + 1 if around else 1
            section = Section(heading=line.strip(), start=offset, level=depth, cuts=False)
            around.append(section)
            sections.append(section)
            box_cuts = False
            offset += len(line) + 1
            continue
        if level > 0:
            section = Section(heading=line.strip(), start=offset, level=level)
            while around and around[-1].level >= level:
                around.pop()
            around.append(section)
            sections.append(section)
            resume = None
        elif resume is not None and line.strip():
            if resume:
                sections.append(replace(resume[-1], start=offset, cuts=box_cuts))
            around, resume = list(resume), None
        offset += len(line) + 1
    return tuple(sections)
