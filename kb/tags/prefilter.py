"""Cheap substring checks that let most rule regexes skip a passage without being run.

A taxonomy pattern such as `(conferencias?|seminarios?|talleres)\\s+sobre ...` can only match
where one of "conferencia", "seminario" or "taller" occurs. Python's regex engine does not
see that for an alternation and tries the pattern at every position of the passage, which
made the rules most of the tagging time. `leading_literals` reads the pattern's parse tree
for the literal text every match must start with; a passage that contains none of them
(compared in lower case) cannot match, so the regex is not run. Patterns whose start is not a
plain literal (a character class, an optional group) get no check and always run.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# The standard library's own regex parser (private, stable since 3.11; the public aliases
# `sre_parse` and `sre_constants` warn on import).
_parse: Any = importlib.import_module("re._parser")
_sre: Any = importlib.import_module("re._constants")

_ZERO_WIDTH = {_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT}
MIN_LITERAL = 3
"""Shorter prefixes occur in nearly every passage and would only add work."""


def leading_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Lower-case strings one of which starts every match of `pattern`, or None if unknown."""
    try:
        tree = _parse.parse(pattern.pattern, pattern.flags)
    except re.error:
        return None
    found = _sequence(list(tree))
    if not found or any(len(s) < MIN_LITERAL for s in found):
        return None
    return tuple(sorted(set(found)))


def _sequence(items: list[tuple[Any, Any]]) -> list[str] | None:
    """Literal starts of a sequence of parse items: skip zero-width items, then read the first."""
    index = 0
    while index < len(items) and items[index][0] in _ZERO_WIDTH:
        index += 1
    if index == len(items):
        return None
    op, arg = items[index]
    if op == _sre.LITERAL:
        text = ""
        while index < len(items) and items[index][0] == _sre.LITERAL:
            text += chr(items[index][1])
            index += 1
        return [text.lower()]
    if op == _sre.SUBPATTERN:
        return _sequence(list(arg[-1]))
    if op == _sre.BRANCH:
        starts: list[str] = []
        for branch in arg[1]:
            found = _sequence(list(branch))
            if found is None:
                return None
            starts += found
        return starts
    return None


def may_match(literals: tuple[str, ...] | None, lowered: str) -> bool:
    """False only when the regex cannot match the text whose lower case is `lowered`."""
    return literals is None or any(s in lowered for s in literals)


def lower_for_prefilter(text: str) -> str:
    """`text` in lower case, with the one letter Python's case-insensitive matching equates
    with an ASCII one that `str.lower` leaves apart (long s)."""
    return text.lower().replace("ſ", "s")
