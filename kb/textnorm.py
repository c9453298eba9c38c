"""Text folding and word tokens: lower case, no accents, stop words out, Snowball stems.

`fold` keeps every letter (for matching words in any script); `ascii_fold` and `name_key`
keep ASCII only (for ids and for comparing names such as countries and languages).
Spanish, English and Portuguese are stemmed alike; Portuguese words keep their accents until
after stemming (see `stems`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

STEMMER_NAMES = {"es": "spanish", "en": "english", "pt": "portuguese"}
QUERY_LANGS = ("es", "en", "pt")
# The Portuguese stemmer reads its suffixes with their accents ("-ção", "-ções"): folded first,
# "coordenação" and "coordenações" would keep different stems. So these languages are stemmed
# before folding.
STEM_BEFORE_FOLD = frozenset({"pt"})
_WORD = re.compile(r"[a-z0-9]+(?:[&'][a-z0-9]+)*")
_ANY_WORD = re.compile(r"[^\W_]+(?:[&'][^\W_]+)*")
# Portuguese typed without accents ("coordenacao", "acoes"): the nasal endings get their tilde
# back so the stemmer still recognises the suffix.
_PT_UNACCENTED_ENDINGS = (
    (re.compile(r"(?<=[a-z])coes$"), "ções"),
    (re.compile(r"(?<=[a-z])cao$"), "ção"),
    (re.compile(r"(?<=[a-z]{2})oes$"), "ões"),
    (re.compile(r"(?<=[a-z]{2})ao$"), "ão"),
)


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
    """Stemmed words in the stemmer of `lang` (Spanish for unknown languages), folded."""
    lang = lang if lang in STEMMER_NAMES else "es"
    stemmer = _stemmer(lang)
    if lang not in STEM_BEFORE_FOLD:
        return list(stemmer.stemWords(words(text)))
    return [fold(stem) for stem in stemmer.stemWords(_accented_words(text))]


def _accented_words(text: str) -> list[str]:
    """The words of `words(text)`, lower case but with their accents (Portuguese endings
    typed without accents get them back)."""
    stop = stopwords()
    out: list[str] = []
    for word in _ANY_WORD.findall(unicodedata.normalize("NFC", text.lower())):
        folded = fold(word)
        if not _WORD.fullmatch(folded):  # other scripts, symbols: as `words` would cut them
            out.extend(w for w in _WORD.findall(folded) if w not in stop)
        elif folded not in stop:
            out.append(_with_nasal_ending(word) if word == folded else word)
    return out


def _with_nasal_ending(word: str) -> str:
    for pattern, ending in _PT_UNACCENTED_ENDINGS:
        if pattern.search(word):
            return pattern.sub(ending, word)
    return word


def query_stems(text: str, langs: tuple[str, ...] = QUERY_LANGS) -> list[str]:
    """A query may meet passages in any language: stem it in each and keep every form once."""
    seen: dict[str, None] = {}
    for lang in langs:
        for stem in stems(text, lang):
            seen.setdefault(stem, None)
    return list(seen)
