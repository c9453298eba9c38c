"""Text folding and word tokens: lower case, no accents, stop words out, Snowball stems.

`fold` keeps every letter (for matching words in any script); `ascii_fold` and `name_key`
keep ASCII only (for ids and for comparing names such as countries and languages).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

STEMMER_NAMES = {"es": "spanish", "en": "english", "pt": "portuguese"}
_WORD = re.compile(r"[a-z0-9]+(?:[&'][a-z0-9]+)*")


def fold(text: str) -> str:
    """Lower case without accents, so 'Coordinación' and 'coordinacion' match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def ascii_fold(text: str) -> str:
    """Lower-case ASCII with accents stripped and other letters dropped ("Perú" → "peru")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def name_key(text: str) -> str:
    """The ASCII words of `text`, one space apart: how names are compared ("Perú (MDIC)" →
    "peru mdic")."""
    return " ".join(re.findall(r"[a-z0-9]+", ascii_fold(text)))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    # bm25s pulls in scipy: loaded only once words are needed, not to fold a name.
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_PORTUGUESE, STOPWORDS_SPANISH

    return frozenset(fold(w) for w in (*STOPWORDS_SPANISH, *STOPWORDS_EN, *STOPWORDS_PORTUGUESE))


@lru_cache(maxsize=8)
def _stemmer(lang: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(STEMMER_NAMES[lang])


def words(text: str) -> list[str]:
    """Folded words of `text`, stop words removed."""
    stop = stopwords()
    return [w for w in _WORD.findall(fold(text)) if w not in stop]


def stems(text: str, lang: str) -> list[str]:
    """Stemmed words in the stemmer of `lang` (Spanish for unknown languages)."""
    stemmer = _stemmer(lang if lang in STEMMER_NAMES else "es")
    return list(stemmer.stemWords(words(text)))


def query_stems(text: str, langs: tuple[str, ...] = ("es", "en")) -> list[str]:
    """A query may meet passages in any language: stem it in each and keep every form once."""
    seen: dict[str, None] = {}
    for lang in langs:
        for stem in stems(text, lang):
            seen.setdefault(stem, None)
    return list(seen)
