"""Subheadings told only by bold type: a short line set in bold on its own, in a PDF (at the
body's size or a little larger) or a DOCX (a paragraph whose text is all bold)."""

from __future__ import annotations

import re

MAX_SUBHEADING_CHARS = 100
_LAST_OF_A_SENTENCE = (".", ",", ";", ":")
# A caption, a source line or a note set in bold is no subheading ("Gráfico 3. Exportaciones
# de Chile", "Fuente: elaboración propia"); a box's title ("Recuadro 1. La experiencia de
# Australia") is one: a box is a section of its own, with a country of its own.
_NOT_A_SUBHEADING = re.compile(
    r"^\W*(?:fuentes?|sources?|fontes?|notas?|notes?|gr[aá]ficos?|figuras?|figures?|cuadros?"
    r"|tablas?|tables?|tabelas?|quadros?|mapas?|maps?|diagramas?"
    r"|charts?|im[aá]gen(?:es)?|images?|fotos?|photos?)\b",
    re.IGNORECASE,
)


def reads_as_subheading(line: str) -> bool:
    """Whether a bold line reads as a subheading: 3-100 characters, opening with a capital or
    a number, not ending as a sentence or a list item does ("Requisitos:"), not a caption or
    a source line."""
    line = " ".join(line.split())
    first = next((ch for ch in line if ch.isalnum()), "")
    return (
        3 <= len(line) <= MAX_SUBHEADING_CHARS
        and (first.isupper() or first.isdigit())
        and not line.endswith(_LAST_OF_A_SENTENCE)
        and not _NOT_A_SUBHEADING.match(line)
    )
