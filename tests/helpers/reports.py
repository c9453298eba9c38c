"""Small Markdown reports with a marker word in every passage, for the write-path tests."""

from __future__ import annotations

from pathlib import Path

FILLER = [
    "politica", "cluster", "empresa", "proveedor", "region", "gobierno", "universidad",
    "programa", "agencia", "innovacion", "productividad", "exportacion", "capacitacion",
    "financiamiento", "asociacion", "mercado", "tecnologia", "territorio", "cadena", "sector",
]  # fmt: skip
MARKERS = {"a": "xqalfa", "c": "xqgamma", "d": "xqdelta", "e": "xqepsilon"}
"""Report name -> a made-up word only that report contains."""


def report_text(name: str, marker: str, paragraphs: int = 4) -> str:
    """A Markdown report whose every passage (one per paragraph at 60 tokens) holds `marker`."""
    body = []
    for n in range(paragraphs):
        words = [FILLER[(n * 7 + i * 3 + len(name)) % len(FILLER)] for i in range(40)]
        words.insert(n * 5 % 40, marker)
        body.append(" ".join(words) + ".")
    front = f"---\ntitle: Informe {name}\ncountry: Chile\nlanguage: es\n---\n"
    return front + f"# Informe {name}\n\n" + "\n\n".join(body) + "\n"


def write_report(folder: Path, name: str, marker: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(report_text(name, marker), encoding="utf-8")
    return path
