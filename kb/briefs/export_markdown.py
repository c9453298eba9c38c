"""A composed brief as Markdown, with every piece of document text escaped so it stays text."""

from __future__ import annotations

import re

from kb.briefs.compose import (
    Block,
    BriefDocument,
    KeyPoint,
    Note,
    Paragraph,
    Quotation,
    Subheading,
    Table,
    strip_control,
)

# Every ASCII punctuation mark may be backslash-escaped in CommonMark; these are the ones that
# can start emphasis, code, links, images, HTML, entities, tables, strikethrough or close a
# heading. Parentheses and '!' only act after a '[', which is escaped.
_INLINE = re.compile(r"([\\`*_\[\]<>#|~&])")
# Line starts that open a block: list items, ordered lists, setext underlines, headings.
_LIST_START = re.compile(r"^([-+=])")
_ORDERED_START = re.compile(r"^(\d+)([.)])")


def escape(text: str) -> str:
    """`text` as literal Markdown: inline markup escaped, block markers at line starts too."""
    lines = []
    for line in strip_control(text).replace("\t", " ").split("\n"):
        # Leading spaces would turn a line into a code block.
        line = _INLINE.sub(r"\\\1", line.lstrip())
        line = _LIST_START.sub(r"\\\1", line)
        line = _ORDERED_START.sub(r"\1\\\2", line)
        lines.append(line)
    return "\n".join(lines)


def escape_line(text: str, in_list: bool = False) -> str:
    """One line for a heading or (`in_list`) a list item, where a leading '-' or '1.' nests."""
    line = " ".join(strip_control(text).split())
    return escape(line) if in_list else _INLINE.sub(r"\\\1", line)


def _quote(block: Quotation) -> str:
    body = escape(block.text.strip()) + f" [{block.citation}]"
    if block.attribution:
        body += f" — {escape_line(block.attribution)}"
    return "\n".join(f"> {line}".rstrip() for line in body.split("\n"))


def _key_point(block: KeyPoint) -> str:
    who = f" — {escape_line(block.attribution)}" if block.attribution else ""
    return f"- “{escape_line(block.text)}” [{block.citation}]{who}"


def _table(block: Table) -> str:
    def row(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(escape_line(c) for c in cells) + " |"

    rule = "| " + " | ".join("---" for _ in block.header) + " |"
    return "\n".join([row(block.header), rule, *(row(r) for r in block.rows)])


def _block(block: Block) -> str:
    if isinstance(block, Subheading):
        return f"### {escape_line(block.text)}"
    if isinstance(block, Quotation):
        return _quote(block)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Note):
        cite = f" [{block.citation}]" if block.citation is not None else ""
        return f"**{escape_line(block.label)}**{cite}: {escape(block.text.strip())}"
    assert isinstance(block, Paragraph)
    return escape(block.text.strip())


def _blocks(blocks: tuple[Block, ...]) -> list[str]:
    """Markdown of each block; consecutive key messages form one list."""
    parts: list[str] = []
    points: list[str] = []
    for block in blocks:
        if isinstance(block, KeyPoint):
            points.append(_key_point(block))
            continue
        if points:
            parts.append("\n".join(points))
            points = []
        parts.append(_block(block))
    if points:
        parts.append("\n".join(points))
    return parts


def to_markdown(doc: BriefDocument) -> str:
    """The brief as a Markdown document."""
    parts = [f"# {escape_line(doc.title)}", *_blocks(doc.intro)]
    for section in doc.sections:
        parts.append(f"## {escape_line(section.heading)}")
        parts.extend(_blocks(section.blocks))
    parts.append(f"## {escape_line(doc.sources_heading)}")
    parts.extend(f"{s.number}. {escape_line(s.line(), in_list=True)}" for s in doc.sources)
    parts.extend(escape(line) for line in doc.missing)
    return "\n\n".join(parts) + "\n"
