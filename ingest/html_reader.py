"""Web pages (.html/.htm) as documents: the visible text, headings as sections, a title.

Scripts, styles, navigation, page headers and footers are dropped: they are the same on
every page of a site and say nothing about the page. Server-side code (`<?php … ?>`) is not
text either. Language is left to detection: the `lang` attribute is often a template default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from ingest.metadata import Extracted
from ingest.textfiles import clean_text, decode_text
from kb.models import CELLS, Page, Section

_SKIPPED = frozenset(
    {"script", "style", "nav", "header", "footer", "noscript", "template", "svg", "head"}
)
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_TITLE_LEVELS = 2  # the page's title is its first h1 or h2
# Elements that end a line of text; list items and table rows are lines of one block.
_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "br", "dd", "div", "dl", "dt"}
    | {"figcaption", "figure", "form", "hr", "html", "li", "main", "ol", "p", "pre"}
    | {"section", "table", "tbody", "thead", "tfoot", "tr", "ul", *_HEADINGS}
)
_LINE_ITEMS = frozenset({"li", "tr", "dt", "dd"})
_LISTS = frozenset({"ul", "ol", "dl", "table"})
_CELLS = frozenset({"td", "th"})
# `<?php … ?>` may hold ">" (html.parser would end it there) and sits inside attributes too.
_SERVER_CODE = re.compile(r"<\?.*?(?:\?>|\Z)", re.DOTALL)


@dataclass
class _Line:
    text: str
    heading: int = 0  # heading level, 0 for body text
    item: int = 0  # the list or table a line item belongs to (0: none); no blank line within
    after_break: bool = False  # follows a <br>: no blank line before it


class _PageReader(HTMLParser):
    """Collects visible lines; `drop_chrome` False keeps nav/header/footer (a fallback)."""

    def __init__(self, drop_chrome: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self.drop_chrome = drop_chrome
        self.lines: list[_Line] = []
        self.title = ""
        self._skip: list[str] = []
        self._buffer: list[str] = []
        self._heading = 0
        self._item = 0
        self._lists = 0
        self._after_break = False
        self._in_title = False
        self._pre = 0

    def _skipping(self, tag: str) -> bool:
        return tag in _SKIPPED and (self.drop_chrome or tag in {"script", "style", "head"})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
            return
        if self._skipping(tag):
            self._skip.append(tag)
            return
        if self._skip:
            return
        if tag in _CELLS and self._buffer:
            self._buffer.append(CELLS)
        if tag in _BLOCKS:
            self._block(tag)
        if tag in _HEADINGS:
            self._heading = _HEADINGS[tag]
        if tag == "pre":
            self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip and tag in _BLOCKS:
            self._block(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            return
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
            return
        if tag in _BLOCKS:
            self._flush()
        if tag in _HEADINGS:
            self._heading = 0
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self._buffer.append(data)

    def _block(self, tag: str) -> None:
        """A new line starts: the text so far is one line."""
        self._flush()
        if tag == "br":
            self._after_break = True
        elif tag in _LISTS:
            self._lists += 1
            self._item = 0
        else:
            self._item = self._lists if tag in _LINE_ITEMS else 0

    def _flush(self) -> None:
        raw = "".join(self._buffer)
        self._buffer = []
        if self._pre:
            texts = [line.rstrip() for line in raw.strip("\n").split("\n")]
        else:
            texts = [" ".join(raw.split()).strip(" ;")]
        for text in texts:
            if text.strip():
                self.lines.append(_Line(text, self._heading, self._item, self._after_break))
                self._after_break = True  # the lines of one <pre> block
        self._after_break = False

    def close(self) -> None:
        super().close()
        self._flush()


def _layout(lines: list[_Line]) -> tuple[str, tuple[Section, ...]]:
    """The text, a blank line between blocks, and a section at each heading's offset."""
    parts: list[str] = []
    sections: list[Section] = []
    offset = 0
    previous: _Line | None = None
    for line in lines:
        if previous is not None:
            tight = line.after_break or (line.item and line.item == previous.item)
            joiner = "\n" if tight else "\n\n"
            parts.append(joiner)
            offset += len(joiner)
        if line.heading:
            sections.append(Section(heading=line.text, start=offset, level=line.heading))
        parts.append(line.text)
        offset += len(line.text)
        previous = line
    return "".join(parts), tuple(sections)


def _read(html: str, drop_chrome: bool) -> _PageReader:
    reader = _PageReader(drop_chrome=drop_chrome)
    reader.feed(html)
    reader.close()
    return reader


def read_html(data: bytes) -> Extracted:
    """The visible text of a web page as one unpaged document, with its headings as sections.

    Its title is the first h1/h2 (a `<title>` often carries the site's name as well), else
    the `<title>`.
    """
    html = _SERVER_CODE.sub("", clean_text(decode_text(data)))
    reader = _read(html, drop_chrome=True)
    if not any(line.text.strip() for line in reader.lines):
        # A page whose whole body sits in a <header> or an unclosed <nav>: keep it all.
        reader = _read(html, drop_chrome=False)
    text, sections = _layout(reader.lines)
    heading = next((ln.text for ln in reader.lines if 0 < ln.heading <= _TITLE_LEVELS), "")
    title = " ".join(reader.title.split())
    return Extracted(
        text=text,
        pages=(Page(number=1, start=0, end=len(text)),),
        sections=sections,
        embedded_title=re.sub(r"\s+", " ", heading or title).strip(),
        first_heading=sections[0].heading if sections else "",
    )
