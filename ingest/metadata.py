"""Document metadata: ids, titles, countries/agencies, years and languages."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.textfiles import clean_text
from kb.models import DocumentMeta, Page, Section

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


def fold(text: str) -> str:
    """Lower-case ASCII with accents stripped ("Perú" → "peru")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def slugify(stem: str) -> str:
    """A safe id from a file stem: lowercase ascii, non-alphanumerics → `_`, ≤ 80 chars."""
    slug = re.sub(r"[^a-z0-9]+", "_", fold(stem)).strip("_")
    slug = slug[:SLUG_MAX].rstrip("_")
    return slug or "doc"


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of the file bytes (the identity of a file's content)."""
    return hashlib.sha256(data).hexdigest()


def _key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


_COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "Argentina": ("argentina", "republica argentina", "ar", "arg"),
    "Bolivia": ("bolivia", "estado plurinacional de bolivia", "bo", "bol"),
    "Brazil": ("brazil", "brasil", "br", "bra", "republica federativa do brasil"),
    "Chile": ("chile", "cl", "chl"),
    "Colombia": ("colombia", "co", "col"),
    "Costa Rica": ("costa rica", "cr", "cri"),
    "Cuba": ("cuba",),
    "Dominican Republic": ("dominican republic", "republica dominicana", "do", "dom"),
    "Ecuador": ("ecuador", "ec", "ecu"),
    "El Salvador": ("el salvador", "sv", "slv"),
    "Guatemala": ("guatemala", "gt", "gtm"),
    "Honduras": ("honduras", "hn", "hnd"),
    "Jamaica": ("jamaica", "jm"),
    "Mexico": ("mexico", "mejico", "mx", "mex", "estados unidos mexicanos"),
    "Nicaragua": ("nicaragua", "ni", "nic"),
    "Panama": ("panama", "pa", "pan"),
    "Paraguay": ("paraguay", "paraguai", "py", "pry"),
    "Peru": ("peru", "pe", "per"),
    "Uruguay": ("uruguay", "uruguai", "uy", "ury"),
    "Venezuela": ("venezuela", "ve", "ven"),
    "Spain": ("spain", "espana", "espanha", "es", "esp"),
    "Portugal": ("portugal", "pt", "prt"),
    "United States": (
        "united states",
        "united states of america",
        "usa",
        "us",
        "estados unidos",
        "eeuu",
        "ee uu",
        "eua",
    ),
    "Canada": ("canada",),
    "United Kingdom": ("united kingdom", "uk", "reino unido", "great britain", "gb"),
    "France": ("france", "francia", "franca"),
    "Germany": ("germany", "alemania", "alemanha", "deutschland"),
    "Italy": ("italy", "italia"),
    "Netherlands": ("netherlands", "paises bajos", "holanda", "holland", "paises baixos"),
    "Finland": ("finland", "finlandia"),
    "Sweden": ("sweden", "suecia"),
    "Denmark": ("denmark", "dinamarca"),
    "Ireland": ("ireland", "irlanda"),
    "Japan": ("japan", "japon", "japao"),
    "South Korea": ("south korea", "korea", "corea", "corea del sur", "coreia do sul", "coreia"),
    "China": ("china", "prc"),
    "Taiwan": ("taiwan",),
    "India": ("india",),
    "Singapore": ("singapore", "singapur", "singapura"),
    "Israel": ("israel",),
    "Australia": ("australia",),
    "New Zealand": ("new zealand", "nueva zelanda", "nova zelandia"),
    # Agencies: their usual acronym.
    "OECD": (
        "oecd",
        "ocde",
        "organisation for economic co operation and development",
        "organization for economic cooperation and development",
        "organizacion para la cooperacion y el desarrollo economicos",
        "organizacao para a cooperacao e desenvolvimento economico",
    ),
    "CEPAL": (
        "cepal",
        "eclac",
        "cepal eclac",
        "eclac cepal",
        "comision economica para america latina",
        "comision economica para america latina y el caribe",
        "economic commission for latin america",
        "economic commission for latin america and the caribbean",
        "comissao economica para a america latina e o caribe",
    ),
    "World Bank": (
        "world bank",
        "world bank group",
        "banco mundial",
        "grupo banco mundial",
        "ibrd",
        "wb",
    ),
    "UNDP": (
        "undp",
        "pnud",
        "united nations development programme",
        "united nations development program",
        "programa de las naciones unidas para el desarrollo",
        "programa das nacoes unidas para o desenvolvimento",
    ),
    "IDB": (
        "idb",
        "bid",
        "iadb",
        "inter american development bank",
        "banco interamericano de desarrollo",
        "banco interamericano de desenvolvimento",
    ),
    "CAF": ("caf", "banco de desarrollo de america latina", "corporacion andina de fomento"),
    "UNIDO": ("unido", "onudi", "united nations industrial development organization"),
    "ILO": (
        "ilo",
        "oit",
        "international labour organization",
        "organizacion internacional del trabajo",
    ),
    "IMF": ("imf", "fmi", "international monetary fund", "fondo monetario internacional"),
    "European Union": ("european union", "eu", "ue", "union europea", "uniao europeia"),
}
_ALIAS_TO_NAME: dict[str, str] = {
    alias: name for name, aliases in _COUNTRY_ALIASES.items() for alias in aliases
}
# Long official names start the same way but end in many variants ("… y el Caribe", "(OCDE)").
_NAME_PREFIXES: tuple[tuple[str, str], ...] = (
    ("organisation for economic", "OECD"),
    ("organization for economic", "OECD"),
    ("organizacion para la cooperacion y el desarrollo", "OECD"),
    ("organizacao para a cooperacao e desenvolvimento", "OECD"),
    ("comision economica para america latina", "CEPAL"),
    ("economic commission for latin america", "CEPAL"),
    ("comissao economica para a america latina", "CEPAL"),
    ("banco interamericano de desarrollo", "IDB"),
    ("inter american development bank", "IDB"),
    ("programa de las naciones unidas para el desarrollo", "UNDP"),
    ("united nations development program", "UNDP"),
)
# Short codes are too ambiguous to spot inside longer phrases ("es", "pa", "per"), except
# the agency acronyms people actually write in a source line.
_MIN_ALIAS_IN_PHRASE = 4
_ACRONYMS_IN_PHRASE = frozenset({"bid", "idb", "caf", "oit", "ilo", "imf", "fmi"})


def normalise_country(value: str) -> str:
    """English short name of a country, or an agency's acronym; unknown values kept as given.

    Accepts Spanish/Portuguese spellings and codes ("Brasil", "Perú", "MX", "OCDE",
    "Banco Mundial"); "" stays "".
    """
    cleaned = " ".join(str(value).split())
    key = _key(cleaned)
    if not key:
        return ""
    if key in _ALIAS_TO_NAME:
        return _ALIAS_TO_NAME[key]
    for prefix, name in _NAME_PREFIXES:
        if key.startswith(prefix):
            return name
    found = _names_in_phrase(key.split())
    if len(found) == 1:
        return found.pop()
    return cleaned


def _names_in_phrase(words: list[str]) -> set[str]:
    """Countries/agencies named anywhere in a phrase such as "Brasil (MDIC)"."""
    found: set[str] = set()
    for size in range(min(len(words), 8), 0, -1):
        for start in range(len(words) - size + 1):
            phrase = " ".join(words[start : start + size])
            usable = len(phrase) >= _MIN_ALIAS_IN_PHRASE or phrase in _ACRONYMS_IN_PHRASE
            if usable and phrase in _ALIAS_TO_NAME:
                found.add(_ALIAS_TO_NAME[phrase])
    return found


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
    key = fold(str(value or "")).strip()
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
    if len(title) < 3 or _key(title) in _PLACEHOLDER_TITLES:
        return False
    if _FILE_NAME_TITLE.search(title) or title.lower().startswith("microsoft word - "):
        return False
    # Export tools fill the title with the working file name: "documento3_final_marzo".
    if " " not in title and ("_" in title or re.search(r"\d", title)):
        return False
    return _key(title) not in {"document1", "documento1", "presentation1"}


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
