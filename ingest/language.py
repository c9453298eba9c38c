"""Languages: codes from how people write them, and detection for documents and passages."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from kb.textnorm import ascii_fold

DETECT_LANGS: tuple[str, ...] = ("es", "en", "pt", "fr", "it", "de")
PASSAGE_LANGS: tuple[str, ...] = ("es", "en", "pt")
"""A passage is told among these and its document's language."""
DETECT_SAMPLE_CHARS = 2000
DETECT_SAMPLES = 5
"""A document is sampled in this many places: covers, acronym lists and quotations at one
end should not decide the language of the whole."""
_MIN_LETTERS_TO_DETECT = 20
PASSAGE_MIN_LETTERS = 120
"""A passage with fewer letters keeps its document's language: too little to tell."""
PASSAGE_MIN_CONFIDENCE = 0.9

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


@lru_cache(maxsize=8)
def _identifier(langs: tuple[str, ...]) -> Any:
    # One per language set, loaded once: the model takes a moment to unpack.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(langs))
    return identifier


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def detect_lang(text: str) -> str:
    """The language most of `text` is in (es, en, pt, fr, it, de), or "und"."""
    if _letters(text[: DETECT_SAMPLE_CHARS * DETECT_SAMPLES]) < _MIN_LETTERS_TO_DETECT:
        return "und"
    step = max((len(text) - DETECT_SAMPLE_CHARS) // max(DETECT_SAMPLES - 1, 1), 1)
    starts = sorted(
        {min(i * step, max(len(text) - DETECT_SAMPLE_CHARS, 0)) for i in range(DETECT_SAMPLES)}
    )
    votes: dict[str, int] = {}
    for start in starts:
        sample = text[start : start + DETECT_SAMPLE_CHARS]
        if _letters(sample) >= _MIN_LETTERS_TO_DETECT:
            lang = str(_identifier(DETECT_LANGS).classify(sample)[0])
            votes[lang] = votes.get(lang, 0) + _letters(sample)
    if not votes:
        return "und"
    # Ties go to the language found first (dicts keep insertion order).
    return max(votes, key=lambda lang: votes[lang])


def passage_lang(text: str, document_lang: str) -> str:
    """The language of one passage; its document's when the passage is short or unclear."""
    if _letters(text) < PASSAGE_MIN_LETTERS:
        return document_lang
    langs = tuple(sorted({*PASSAGE_LANGS, document_lang} & set(DETECT_LANGS)))
    lang, confidence = _identifier(langs).classify(text)
    return str(lang) if confidence >= PASSAGE_MIN_CONFIDENCE else document_lang
