"""Document metadata: ids, titles, countries/agencies, years and languages.

Country and agency names are resolved by `kb.countries`."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.textfiles import clean_text
from kb.countries import normalise_country
from kb.files import sha256_hex
from kb.models import DocumentMeta, Page, Section
from kb.textnorm import ascii_fold, name_key

SLUG_MAX = 80
DETECT_LANGS: tuple[str, ...] = ("es", "en", "pt", "fr", "it", "de")
_DETECT_CHARS = 5000
_MIN_LETTERS_TO_DETECT = 20


@dataclass(frozen=True)
class Extracted:
    """What a format reader found in a file, before metadata is decided."""

    text: str
    pages: tuple[Page, ...]
    sections: tuple[Section, ...] = ()
    fields: dict[str, object] = field(default_factory=dict)
    """Front matter (or equivalent tags) of Markdown/text files, keys lower-cased."""
    embedded_title: str = ""
    """DOCX core-properties title or PDF /Title, as stored in the file."""
    first_heading: str = ""
    """First Markdown heading (a title of last resort before the file name)."""
    created_year: int | None = None
    """PDF creation year."""


def slugify(stem: str) -> str:
    """A safe id from a file stem: lowercase ascii, non-alphanumerics → `_`, ≤ 80 chars."""
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_fold(stem)).strip("_")
    slug = slug[:SLUG_MAX].rstrip("_")
    return slug or "doc"


_LANG_ALIASES: dict[str, str] = {
    "spanish": "es",
    "espanol": "es",
    "castellano": "es",
    "espanhol": "es",
    "spa": "es",
    "esp": "es",
    "english": "en",
    "ingles": "en",
    "eng": "en",
    "portuguese": "pt",
    "portugues": "pt",
    "por": "pt",
    "french": "fr",
    "frances": "fr",
    "francais": "fr",
    "fra": "fr",
    "fre": "fr",
    "italian": "it",
    "italiano": "it",
    "ita": "it",
    "german": "de",
    "aleman": "de",
    "alemao": "de",
    "deutsch": "de",
    "deu": "de",
    "ger": "de",
}


def normalise_lang(value: object) -> str:
    """Two-letter code from "es", "es-AR", "pt_BR", "Spanish", "Español"…; "" if unknown."""
    key = ascii_fold(str(value or "")).strip()
    if not key:
        return ""
    if key in _LANG_ALIASES:
        return _LANG_ALIASES[key]
    code = re.split(r"[-_\s]", key, maxsplit=1)[0]
    if re.fullmatch(r"[a-z]{2}", code):
        return code
    return _LANG_ALIASES.get(code, "")


@lru_cache(maxsize=1)
def _identifier() -> Any:
    # Loaded once: the model takes a moment to unpack; restricted to the languages we expect.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(DETECT_LANGS))
    return identifier


def detect_lang(text: str) -> str:
    """Language of the first ~5000 characters (es, en, pt, fr, it, de), or "und"."""
    sample = text[:_DETECT_CHARS]
    if sum(ch.isalpha() for ch in sample) < _MIN_LETTERS_TO_DETECT:
        return "und"
    lang, _confidence = _identifier().classify(sample)
    return str(lang) if lang in DETECT_LANGS else "und"


def parse_year(value: object) -> int | None:
    """A plausible year (1900–2100) from an int, a date or a string like "2023-08-14"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        year: int | None = value.year
    elif isinstance(value, int):
        year = value
    else:
        match = re.search(r"(?<!\d)(19\d{2}|20\d{2}|2100)(?!\d)", str(value or ""))
        year = int(match.group(1)) if match else None
    return year if year is not None and 1900 <= year <= 2100 else None


_FILE_EXTENSIONS = (
    "indd idml ai eps psd doc docx dot dotx odt rtf pdf ps qxd qxp xls xlsx ppt pptx pub txt tex"
)
_FILE_NAME_TITLE = re.compile(rf"\.({'|'.join(_FILE_EXTENSIONS.split())}|html?)$", re.IGNORECASE)
_PLACEHOLDER_TITLES = frozenset(
    {"untitled", "sin titulo", "sem titulo", "title", "titulo", "document", "documento", "none"}
)


def looks_like_real_title(title: str) -> bool:
    """False for empty, placeholder ("Untitled") or file-name-like titles ("informe_v3.indd")."""
    title = title.strip()
    if len(title) < 3 or name_key(title) in _PLACEHOLDER_TITLES:
        return False
    if _FILE_NAME_TITLE.search(title) or title.lower().startswith("microsoft word - "):
        return False
    # Export tools fill the title with the working file name: "documento3_final_marzo".
    if " " not in title and ("_" in title or re.search(r"\d", title)):
        return False
    return name_key(title) not in {"document1", "documento1", "presentation1"}


def title_from_stem(stem: str) -> str:
    """A readable title from a file stem: `_` → spaces, invisible characters dropped."""
    visible = "".join(ch for ch in stem if unicodedata.category(ch)[0] != "C")
    return " ".join(visible.replace("_", " ").split()) or "Untitled"


def _text_field(fields: dict[str, object], *keys: str) -> str:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, list):
            value = next((item for item in value if str(item).strip()), "")
        if value is not None and str(value).strip():
            # YAML escapes ("\0", "\ud800") can smuggle in what clean text never holds.
            return " ".join(clean_text(str(value)).split())
    return ""


def build_meta(path: Path, data: bytes, extracted: Extracted) -> DocumentMeta:
    """Decide a document's metadata from its file and what its reader found (pure)."""
    fields = extracted.fields
    candidates = (
        _text_field(fields, "title"),
        extracted.embedded_title if looks_like_real_title(extracted.embedded_title) else "",
        extracted.first_heading,
    )
    title = next((" ".join(c.split()) for c in candidates if c.strip()), title_from_stem(path.stem))
    year = parse_year(fields.get("year")) or parse_year(fields.get("date"))
    lang = normalise_lang(fields.get("language") or fields.get("lang"))
    return DocumentMeta(
        doc_id=slugify(path.stem),
        title=title,
        country=normalise_country(_text_field(fields, "country", "agency")),
        source=_text_field(fields, "source"),
        year=year if year is not None else extracted.created_year,
        lang=lang or detect_lang(extracted.text),
        path=str(path),
        sha256=sha256_hex(data),
    )
