"""The countries each passage of a document is about: the rule an ingest applies and a person's
change of a document's countries applies again (told in `ingest.annotate`).

A passage naming countries is about them (`kb.countries.countries_in`); one naming none is
about its section's or its document's, unless it reads as a general statement; a comparative
report's "los cinco países" are the countries it studies. The words that settle it ("the
country", "the government", the words of a theory) are in `country_anchors.yaml`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from kb.countries import (
    CountryList,
    CountryListError,
    countries_in,
    load_countries,
    strings_of,
    with_share,
)
from kb.country_mentions import (
    before_first_mention,
    country_counts,
    names_beyond,
    opening_countries,
    phrase_key,
)
from kb.files import read_yaml
from kb.models import Passage
from kb.textnorm import fold, name_key

ANCHORS_PATH = Path(__file__).with_name("country_anchors.yaml")


@lru_cache(maxsize=1)
def _cues(path: Path = ANCHORS_PATH) -> dict[str, frozenset[tuple[str, ...]]]:
    """The anchors and the words of a general statement, as folded word tuples."""
    data = read_yaml(path, CountryListError) or {}
    if not isinstance(data, dict):
        raise CountryListError(f"{path.name}: expected anchors and general")
    cues = {
        key: frozenset(phrase_key(a) for a in strings_of(data.get(key), key) if phrase_key(a))
        for key in ("anchors", "national", "general", "not_in_spanish", "case_headings", "system")
    }
    cues["anchors"] |= cues["national"]  # the nation's own state is an anchor too
    return cues


def _anchors(lang: str = "") -> frozenset[tuple[str, ...]]:
    """The anchors a text in `lang` can say: a Spanish "o país" is "or country", not the
    Portuguese "the country"."""
    cues = _cues()
    return cues["anchors"] - cues["not_in_spanish"] if lang == "es" else cues["anchors"]


def _says(text: str, phrases: frozenset[tuple[str, ...]]) -> bool:
    words = phrase_key(text)
    longest = max(map(len, phrases), default=0)
    return any(
        words[i : i + n] in phrases for i in range(len(words)) for n in range(1, longest + 1)
    )


# "Un clúster es una…", "Uma rede é um…": a definition by its form ("A" is left out: it is
# also the Portuguese "the" and the Spanish "to").
_DEFINITION = re.compile(
    r"(?:^|[.:;!?]\s+)(?:Un|Una|Um|Uma|An)\s+[^\W\d_]+(?:\s+[^\W\d_]+)?\s+"
    r"(?:es|é|is|son|são|are)\s+(?:un|una|um|uma|a|an|el|la|o|the)\b"
)


def inherits(
    text: str,
    section: str | Sequence[str] = "",
    known: CountryList | None = None,
    lang: str = "",
    titled: bool = False,
) -> bool:
    """Whether a body passage that names no country is about its section's or document's
    countries, as a reader takes it: yes, unless it names a world region instead ("América
    Latina", "los países en desarrollo"; not in a section `titled` on a country, where "the
    European Union" is said of Ireland) or reads as a definition or a theory (by its
    words or its sections' titles); words such as "the country", "the government" or "the
    province" settle it either way (the word lists are in `country_anchors.yaml`)."""
    cues = _cues()
    if _says(text, _anchors(lang)):
        return True
    if not titled and names_beyond(text, (known or load_countries()).mentions):
        return False
    sections = (section,) if isinstance(section, str) else section
    general = _says(text, cues["general"]) or any(_says(s, cues["general"]) for s in sections)
    return not (general or _DEFINITION.search(text))


_WHOSE_REACH = 3
"""Words after "el gobierno" within which whose it is may be named ("el gobierno francés")."""


def speaks_of_own(text: str, lang: str = "") -> bool:
    """Whether `text` says "the country", "the government"… (`country_anchors.yaml`) without
    naming whose right after ("el gobierno francés", "the government of Chile" name it)."""
    words, anchors = phrase_key(text), _anchors(lang)
    longest = max(map(len, anchors), default=0)
    for i in range(len(words)):
        for n in range(longest, 0, -1):
            if words[i : i + n] in anchors:
                if not countries_in(" ".join(words[i + n : i + n + _WHOSE_REACH])):
                    return True
                break
    return False


# "a ejemplo del SICEP en Chile", "siguiendo el ejemplo de Australia", "following the example
# of Finland", "el modelo del Industry Capability Network de Australia": another country
# offered as a model to the report's own.
_AS_A_MODEL = re.compile(
    r"\b(?:(?:a|el)\s+ejemplo\s+del?|el\s+modelo\s+del?|(?:a|o)\s+exemplo\s+d[eoa]"
    r"|o\s+modelo\s+d[eoa]|the\s+(?:example|model)\s+of|inspirad[oa]s?\s+(?:en|em|n[oa])"
    r"|modell?ed\s+on)\b",
    re.IGNORECASE,
)
_MODEL_REACH = 8
"""Words after "el modelo de" within which the model's country is named."""
_BOX = re.compile(r"^\W*(?:Box|Recuadro|Caixa|Quadro)\s+\d", re.IGNORECASE | re.MULTILINE)


# A table's or figure's caption, its source or the notes: no part of the case before them.
_CAPTION = re.compile(
    r"^\W*(?:tablas?|tables?|tabelas?|cuadros?|quadros?|figuras?|figures?|gr[aá]ficos?"
    r"|fuentes?|sources?|fontes?|notas?|notes?)\b",
    re.IGNORECASE,
)


def _case_ending(
    ordered: Sequence[Passage], own: Sequence[tuple[str, ...]], k: int, title: str
) -> tuple[str, ...]:
    """The one country of the body passage before `k` in its section, when `k` opens on the
    rest of that passage's case: its first paragraph names no country and reads as no general
    statement ("El programa sostuvo un mercado estable…" after a paragraph on Chile), and only
    then does it name others ("En el extremo opuesto está la India…")."""
    p = ordered[k]
    if k == 0 or p.section != ordered[k - 1].section or not ordered[k - 1].is_body:
        return ()
    if len(own[k - 1]) != 1 or own[k - 1][0] in own[k]:
        return ()
    lines = p.text.strip().split("\n\n", 1)
    first = lines[0].strip()
    if len(lines) < 2 or first in p.headings or _CAPTION.match(first) or countries_in(first):
        return ()
    return own[k - 1] if inherits(first, _sections(p, title), lang=p.lang) else ()


def _own_before_others(p: Passage) -> bool:
    """Whether `p` speaks of "the country" or "the government" before it names another
    country: after "Los Estados Unidos representan el caso de mayor escala", "el programa
    federal" is the United States' (the heading lines aside)."""
    text = "\n".join(_lines_below_headings(p))
    # up to the first country named and the words that may say it is whose ("el gobierno francés")
    before = before_first_mention(text, load_countries().mentions, _WHOSE_REACH)
    return speaks_of_own(before, p.lang)


def takes_as_model(text: str) -> bool:
    """Whether `text` offers another country as a model ("a ejemplo del SICEP en Chile"): in
    a report on one country, a passage naming only others that way is about its own too."""
    for found in _AS_A_MODEL.finditer(text):
        after = " ".join(text[found.end() :].split()[:_MODEL_REACH])
        if countries_in(after):
            return True
    return False


def passage_countries(
    passages: Sequence[Passage], declared: Sequence[str] = ()
) -> list[tuple[str, ...]]:
    """The countries each of a document's passages is about (in the order given).

    A passage naming countries is about them. One naming none is about those its section's
    title names ("Chile", "Nota de país: Perú") or, failing that, the nearest title of the
    sections it sits in that names any (`heading_countries`), else inherits the
    document's countries (`declared` by a person or the front matter, else the main countries
    of its body text), narrowed to those the nearest preceding body passage of its section
    names; where none does, countries read from the text narrow to the main one (a section's
    opening passage is about the report's subject, not about every country it visits).
    Countries read from the text are inherited only by body passages that `inherits` allows,
    and not by one that goes on from a general statement of its section (the body passage
    before it, in the same section, read as about no country) without saying "the country"
    or "the government" or stating a dated fact: a theory or a literature review runs over
    several passages.
    A reference list is about no country: the countries in its titles are the works' subjects,
    sources like an author-year citation. A body passage naming only countries the document is
    not about, that also speaks of "the country" or "the government" without naming whose
    before it names them (`_own_before_others`), is about the inherited ones too. A passage
    that holds its section's heading is about the countries its text names, the heading's only
    where the text names none (`_own_countries`); one that opens on the rest of the case before
    it and then names others is about that case's country too (`_case_ending`).
    A passage of a firm's case (`_only_about_the_firm`) that does not speak of the country's
    own system is about the firm, not a country.
    A report that seldom names its countries nor speaks of "the national state"
    (`_names_its_countries_rarely`: a conceptual or comparative report) is about its subject:
    there a passage is about the countries it or its section's title names, and "the
    government" is any government, except right after a passage on one country
    (`_carried_on`), as in a comparison of equals.
    A report whose title names one country, or that names one across `ACROSS_RATIO` times as
    many sections as any other (`_named_across`: its peers confined to a comparison section),
    is about that one however often the peers are named.
    A comparison of equals (no country takes `MAIN_SHARE` of the mentions) has no main country
    to fall back on: a passage naming none is about its heading's country or about none, and
    one that speaks of "los cinco países" is about the five studied (`study_countries`). In a
    section on one country, a passage naming only others ("a diferencia de Chile") is about
    the section's country too, unless the section is a box (a box has no end in the text: the
    passages after it sit under its heading). A section titled on one country inside a
    chapter on another ("6.4 Lecciones para la Argentina" under "6. India") is about both
    (`chapter_countries`).
    """
    order = sorted(range(len(passages)), key=lambda i: passages[i].index)
    ordered = [passages[i] for i in order]
    found = [] if declared else _mentions_by_passage(ordered)
    counts = _summed(found)
    document = tuple(declared) or with_share(counts)
    dominant = bool(declared) or _has_a_main_country(counts)
    # "Peru: upgrading agro-export clusters": a report titled on one country is about it,
    # however often it names the peers it is measured against.
    titled_on = () if declared else _titled_on(ordered, document)
    # A short note on Brazil's wine cluster with a section comparing Uruguay and Argentina:
    # Brazil is named across the note, its peers in one or two sections.
    widest = () if declared or titled_on or dominant else _named_across(ordered, found)
    if titled_on or widest:
        document = tuple(dict.fromkeys((*titled_on, *widest, *document)))
        dominant = True
    # "5.1 Pauny (Las Varillas, Córdoba)": Argentina's Córdoba in a report on Argentina.
    titled = [heading_countries(p, document) for p in ordered]
    # "Casablanca" (Chile's valley, Morocco's city) in a report on Chile is Chile's.
    own = [_own_countries(p, document) for p in ordered]
    fallback = document if declared else document[:1] if dominant else ()
    study = study_countries(ordered, document)
    general_report = not declared and _names_its_countries_rarely(ordered, own, document)
    out: list[tuple[str, ...]] = [()] * len(passages)
    general: set[int] = set()  # body passages read as general statements
    cover = _on_the_cover(ordered)
    title = fold(_title(ordered))
    for k, p in enumerate(ordered):
        if p.kind == "references" or only_a_source_line(p):
            continue
        if k in cover and not own[k] and not declared:
            # The series, authors and date under the title: about what the title names, if any.
            out[order[k]] = countries_in(p.title)
            continue
        foreign = bool(own[k]) and not set(own[k]) & set(document)
        # "a ejemplo del SICEP en Chile", outside a section on another country: its own too.
        as_model = (
            bool(own[k])
            and p.is_body
            and dominant
            and document[0] not in own[k]
            and (not titled[k] or document[0] in titled[k])
            and takes_as_model(p.text)
            and not _says(" ".join(p.headings), _cues()["general"])  # the literature's models
            and not _BOX.search(p.text)  # a box on the model itself
        )
        # In the section on Uruguay, "a diferencia de lo ocurrido en Chile" is about both.
        compares = (
            p.is_body
            and len(titled[k]) == 1
            and titled[k][0] not in own[k]
            and not _INSERT.match(fold(p.section))
        )
        if general_report:
            # "8. Implications for Peru" naming only Brazil and Colombia: Peru's too.
            named = tuple(dict.fromkeys((*own[k], *titled[k]) if compares else own[k]))
            out[order[k]] = named or titled[k] or _carried_on(ordered, own, k)
            continue
        if not document or (
            own[k]
            and not (compares or (foreign and p.is_body and _own_before_others(p)) or as_model)
        ):
            out[order[k]] = tuple(dict.fromkeys((*own[k], *_the_studied(p, study))))
        elif own[k]:
            # "the government chose Australia as its model": its own country and the other.
            inherited = titled[k] or _in_section(ordered, own, k, document, fallback, dominant)
            out[order[k]] = tuple(
                dict.fromkeys((*own[k], *(document[:1] if as_model else inherited)))
            )
        elif studied := _the_studied(p, study):
            out[order[k]] = studied  # "los cinco países", "both countries"
        elif not declared and p.is_body and _only_about_the_firm(p):
            pass  # a firm's own affairs: no country, nor a general statement to go on from
        elif declared or (
            p.is_body
            and inherits(p.text, _sections(p, title), lang=p.lang, titled=bool(titled[k]))
            and not _goes_on_general(ordered, k, general)
        ):
            out[order[k]] = (
                titled[k]
                or _in_section(ordered, own, k, document, fallback, dominant)
                or _carried_on(ordered, own, k)
            )
        elif p.is_body:
            general.add(k)
        # else: a general statement, a list or boilerplate, about no country in particular
        if own[k] and p.is_body:  # "El programa sostuvo…" ends the case before, then India
            out[order[k]] = tuple(
                dict.fromkeys((*_case_ending(ordered, own, k, title), *out[order[k]]))
            )
        if out[order[k]] and p.is_body:
            out[order[k]] = tuple(dict.fromkeys((*out[order[k]], *chapter_countries(p))))
    return out


# A figure's or table's source line: "Fuente: elaboración propia con base en CORFO (2018).",
# "Source: authors' elaboration based on USTR reports", "Fonte: …".
_SOURCE_LINE = re.compile(r"^[\W\d]{0,3}(?:Fuentes?|Sources?|Fontes?)\b[^:.]{0,30}:", re.IGNORECASE)


def only_a_source_line(p: Passage) -> bool:
    """Whether a passage is only the source lines of a figure or a table (its headings aside; a
    line that does not end a sentence goes on in the next): they name sources, as a citation
    does, and are about no country. A note under a figure ("Nota: …") is read as body text."""
    lines = _lines_below_headings(p)
    ended = True  # the line before ended a sentence
    for line in lines:
        if ended and not _SOURCE_LINE.match(line):
            return False
        ended = line.endswith(".")
    return bool(lines)


def _own_countries(p: Passage, document: Sequence[str]) -> tuple[str, ...]:
    """The countries `p` names; under "6.3 Botswana y Timor-Leste", a passage whose text names
    only Botswana is about Botswana (its heading's countries count when the text names none)."""
    named = countries_in(p.text, context=document)
    if len(named) < 2 or not p.section or (p.title and p.title.strip() in p.text):
        return named  # a title block: the title says what the report is about
    lines = _lines_below_headings(p)
    if len(lines) == sum(1 for line in p.text.splitlines() if line.strip()):
        return named  # no heading line in its text
    return countries_in("\n".join(lines), context=document) or named


def _lines_below_headings(p: Passage) -> list[str]:
    """A passage's non-blank lines, spaces tidied, without the lines of its headings."""
    headings = {" ".join(h.split()) for h in p.headings}
    lines = (" ".join(line.split()) for line in p.text.splitlines())
    return [line for line in lines if line and line not in headings]


COVER_PAGES = 2
"""A cover and the title page behind it."""


def _sections(p: Passage, title: str) -> tuple[str, ...]:
    """The headings of the sections `p` sits in, nearest first, short of the document's title."""
    return tuple(h for h in p.headings if fold(h) != title)


def _title(ordered: Sequence[Passage]) -> str:
    return next((p.title for p in ordered if p.title), "")


def _titled_on(ordered: Sequence[Passage], body: Sequence[str] = ()) -> tuple[str, ...]:
    """The one country a document's title names ("Peru: upgrading agro-export clusters"); ()
    when it names none, several or a world region beside it ("What Latin America can take
    from the United States"). A place of two countries ("Guadalajara") is the one of them
    the `body` names most."""
    title = _title(ordered)
    found = countries_in(title, context=body)
    alone = len(found) == 1 and not names_beyond(title, load_countries().mentions)
    return found if alone else ()


def _on_the_cover(ordered: Sequence[Passage]) -> set[int]:
    """The passages of a document's first `COVER_PAGES` pages before its first heading (a
    PDF's cover and title page: the title, series, authors, publisher and date); none in a
    document without headings."""
    if not ordered:
        return set()
    if not any(p.headings for p in ordered):
        return set()  # a document without headings has no cover to tell from its body
    first = ordered[0].page_start
    cover: set[int] = set()
    for k, p in enumerate(ordered):
        if p.headings or p.page_start >= first + COVER_PAGES:
            break
        cover.add(k)
    return cover


def heading_countries(p: Passage, context: Sequence[str] = ()) -> tuple[str, ...]:
    """The countries the nearest heading over `p` that names any names ("Perú" above
    "Respuestas de política"), leaving out the document's own title: a comparative report's
    title names all its countries, and a section under it is not about all of them. A place
    of two countries is the one of them in `context` (its document's countries)."""
    return _nearest_named(p.headings, p.title, context)


def _nearest_named(
    headings: Sequence[str], title: str, context: Sequence[str] = ()
) -> tuple[str, ...]:
    """The countries the first of `headings` that names any names, the title left out."""
    title = name_key(title)
    for heading in headings:
        key = name_key(heading)
        if title and (key == title or (len(key) >= 20 and title.startswith(key))):
            continue
        found = countries_in(heading, context=context)
        if found:
            return found
    return ()


def chapter_countries(p: Passage) -> tuple[str, ...]:
    """The countries of the chapter around `p`'s section when the section's own title names
    others: "6.4 Lecciones para la Argentina" under "6. India" draws the lesson from India's
    case, so its passages are about both. () under a chapter on several, for a box
    ("Recuadro 2. Chile" under "4. Perú" is a case of its own) and for a section whose title
    names no country."""
    own = countries_in(p.section)
    if not own or _BOX.search(p.section):
        return ()
    around = _nearest_named(p.headings[1:], p.title)
    # "9. Benchmarks: Australia and Canada" over "9.2 Ontario": no chapter on one country.
    return around if len(around) == 1 and around[0] not in own else ()


def _only_about_the_firm(p: Passage) -> bool:
    """Whether `p`, in a firm's case (a section titled "El caso de …" naming no country), says
    nothing of the country's own system: no anchor, no `system` word ("local", "Estado",
    "mercado interno")."""
    cues = _cues()
    heading = phrase_key(p.section)
    opens_case = any(heading[: len(c)] == c for c in cues["case_headings"])
    if not opens_case or countries_in(p.section):
        return False
    return not (_says(p.text, _anchors(p.lang)) or _says(p.text, cues["system"]))


# A year stated as a fact ("en 2019", "entre 2015 y 2020"), not a citation's ("Rodrik (2020)",
# "(Collier, 2014; …)", "IGF, 2018b").
_DATED = re.compile(r"(?<![,(\d])(?<![,(]\s)\b(?:19|20)\d\d\b(?![a-z]?\s*[;)])")


def _goes_on_general(ordered: Sequence[Passage], k: int, general: set[int]) -> bool:
    """Whether passage `k` follows, in its (named) section, a body passage read as a general
    statement, and does not itself speak of "the country" or "the government" nor state a
    dated fact (a case, not a theory)."""
    p = ordered[k]
    if not p.section or _says(p.text, _anchors(p.lang)) or _DATED.search(p.text):
        return False
    before = next((j for j in range(k - 1, -1, -1) if ordered[j].is_body), None)
    return before in general and ordered[before].section == p.section


GENERAL_REPORT_SHARE = 1 / 3
"""A report whose body passages name its countries less often than this is about a subject,
not a country (a conceptual or comparative report). Chosen on the dev split: the one such dev
report names its countries in 27% of its body passages, the five reports on a country in
46-67%."""
GENERAL_REPORT_MIN = 20
"""Fewer body passages than this say too little to tell a general report."""


def _names_its_countries_rarely(
    ordered: Sequence[Passage], own: Sequence[tuple[str, ...]], document: tuple[str, ...]
) -> bool:
    """Whether fewer than `GENERAL_REPORT_SHARE` of the body passages name a document country
    or, naming none, speak of the nation's own state ("la administración pública nacional":
    a book on one country's state seldom names it)."""
    body = [k for k, p in enumerate(ordered) if p.is_body]
    national = _cues()["national"]
    naming = sum(
        1
        for k in body
        if set(own[k]) & set(document) or (not own[k] and _says(ordered[k].text, national))
    )
    return len(body) >= GENERAL_REPORT_MIN and naming < GENERAL_REPORT_SHARE * len(body)


ACROSS_RATIO = 2
"""A report names its main country in at least this many times as many sections as any other."""
ACROSS_MIN = 3
"""Sections, at least, that name the main country."""


def _named_across(ordered: Sequence[Passage], found: Sequence[dict[str, int]]) -> tuple[str, ...]:
    """The one country named in the body of `ACROSS_RATIO` times as many sections as any other
    (and in `ACROSS_MIN` at least): a report on it that compares it with others in a section
    or two, however often those are named there; () when none is."""
    sections: dict[str, set[str]] = {}
    for p, countries in zip(ordered, found, strict=True):
        for country in countries:  # body passages only (`_mentions_by_passage`)
            sections.setdefault(country, set()).add(p.section)
    spread = sorted(((len(s), c) for c, s in sections.items()), reverse=True)
    if not spread or spread[0][0] < ACROSS_MIN:
        return ()
    runner_up = spread[1][0] if len(spread) > 1 else 0
    return (spread[0][1],) if spread[0][0] >= ACROSS_RATIO * runner_up else ()


MAIN_SHARE = 0.5
"""A document has a main country when that one takes at least this share of its body's country
mentions. Chosen on the dev split: reports on one country give it 0.65-0.90 (a report on
Argentina with sections on Australia and Chile: 0.65), comparisons of three to six countries
give their most named one 0.17-0.55."""


def _has_a_main_country(counts: dict[str, int]) -> bool:
    """Whether one country takes `MAIN_SHARE` of the body's country mentions `counts`: a
    passage naming none is then about it; in a comparison of equals, about none in particular."""
    total = sum(counts.values())
    return bool(total) and max(counts.values()) >= MAIN_SHARE * total


_NUMBERS = {
    **dict.fromkeys(("2", "dos", "two", "dois", "duas", "ambos", "ambas", "both"), 2),
    **dict.fromkeys(("3", "tres", "three"), 3),
    **dict.fromkeys(("4", "cuatro", "four", "quatro"), 4),
    **dict.fromkeys(("5", "cinco", "five"), 5),
    **dict.fromkeys(("6", "seis", "six"), 6),
    **dict.fromkeys(("7", "siete", "seven", "sete"), 7),
    **dict.fromkeys(("8", "ocho", "eight", "oito"), 8),
    **dict.fromkeys(("9", "nueve", "nine", "nove"), 9),
    **dict.fromkeys(("10", "diez", "ten", "dez"), 10),
}
# What a report calls its countries by their number: "los cinco países", "cinco de esas
# experiencias", "the five countries" (only such words between: "tres fuentes de economías
# externas" are no countries).
_STUDIED_NOUNS = frozenset(
    ["paises", "countries", "economias", "economies", "casos", "cases"]
    + ["experiencias", "experiences", "agencias", "agencies", "gobiernos", "governments"]
    + ["governos", "ciudades", "cities", "cidades"]
)
# Words that may stand between the number and the noun: "the five Latin American cases".
_REGIONAL = frozenset(
    ["latin", "american", "latinoamericanos", "latinoamericanas", "latino", "americanos"]
    + ["andean", "andinos", "andinas", "european", "europeos", "europeias", "europeus"]
    + ["asian", "east", "asiaticos", "asiaticas", "iberian", "ibericos", "ibericas"]
    + ["national", "nacionales", "nacionais", "selected", "seleccionados", "selecionados"]
)
# The studied countries without their number: "todos los casos", "across the cases", "los
# países estudiados", "nenhum dos casos".
_STUDIED_PHRASES = frozenset(
    tuple(phrase.split())
    for phrase in [
        "todos los casos",
        "todos los paises",
        "todos os casos",
        "todos os paises",
        "all the cases",
        "all cases",
        "all the countries",
        "across the cases",
        "across cases",
        "across the countries",
        "entre los casos",
        "entre os casos",
        "ninguno de los casos",
        "nenhum dos casos",
        "none of the cases",
        "los casos estudiados",
        "los casos analizados",
        "los paises estudiados",
        "los paises analizados",
        "os casos estudados",
        "os casos analisados",
        "os paises estudados",
        "os paises analisados",
        "the cases studied",
        "the countries studied",
        "the case countries",
        "estudios nacionales",
        "estudos nacionais",
        "national studies",
        "country studies",
        "estudios por pais",
        "equipos nacionales",
        "national teams",
    ]
)
# "the other four countries", "los otros cuatro casos": the number and the one named.
_OTHER = frozenset(["other", "otros", "otras", "outros", "outras", "demas", "demais"])
_SUPERLATIVE = frozenset(
    ["mas", "menos", "mayor", "menor", "mejor", "peor", "maior", "melhor", "pior"]
    + ["highest", "lowest", "largest", "smallest", "biggest", "best", "worst", "most", "least"]
)
_AMONG = frozenset(["de", "of", "dos", "das", "entre", "among", "across"])
_SUPERLATIVE_REACH = 3
"""Words a superlative may stand before "of" ("la más alta de los cuatro casos"); one further back
ranks nothing ("el eslabón en que más se parecen los problemas de los cinco países")."""


def _ranked_among(words: Sequence[str], i: int) -> bool:
    """Whether the number at `words[i]` follows a superlative and "of", as in "the highest
    share of the four cases" or "la menor informalidad de los cuatro casos": a passage placing
    one country among the studied ones, not speaking of them all."""
    k = i - 1
    while k >= 0 and words[k] in {"los", "las", "the", "os", "as"}:
        k -= 1
    if k < 0 or words[k] not in _AMONG:
        return False
    return bool(_SUPERLATIVE & set(words[max(0, k - _SUPERLATIVE_REACH) : k]))


_BETWEEN = frozenset(
    ["de", "of", "del", "esas", "esos", "estas", "estos", "these", "those", "the", "los"]
    + ["las", "os", "as", "dos", "das", "sus", "their", "our"]
)


def study_countries(
    ordered: Sequence[Passage], document: tuple[str, ...]
) -> tuple[tuple[str, ...], ...]:
    """The sets of countries a comparative report may call "the five countries": those with a
    section of their own ("4. Chile", "Japan: the ministry…"), those its title names, its main
    countries; each only when it holds two or more."""
    title = _title(ordered)
    headings = dict.fromkeys(h for p in ordered for h in p.headings)
    own_sections = tuple(dict.fromkeys(c for h in headings for c in _opening_country(h)))
    sets = (own_sections, countries_in(title), document)
    return tuple(found for found in sets if len(found) > 1)


_LEAD = re.compile(r"^[\W\d_]*(?:(?:the|el|la|los|las|o|a|os|as)\s+)?", re.IGNORECASE)


# A box, a table or a figure is not a country's section: "Recuadro 1. Hsinchu".
_INSERT = re.compile(
    r"^\W*(?:recuadro|box|caixa|quadro|tabla|table|tabela|figura|figure|grafico|chart)\b",
    re.IGNORECASE,
)


def _opening_country(heading: str) -> tuple[str, ...]:
    """The country a heading opens with ("4. Chile", "The United States: the reluctant…"),
    when it names no other ("España, Portugal y México" is no one country's section)."""
    if _INSERT.match(fold(heading)) or len(countries_in(heading)) != 1:
        return ()
    found = opening_countries(_LEAD.sub("", heading), load_countries().mentions)
    return found if len(found) == 1 else ()


def _the_studied(p: Passage, study: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """The studied countries body passage `p` speaks of by their number ("los cinco países",
    "ambos casos"; not in a heading: "3. Five experiences"): the first of `study` with that
    many; () when none has."""
    if not p.is_body or not study:
        return ()
    lines = _lines_below_headings(p)
    if _says(" ".join(lines), _STUDIED_PHRASES):
        return study[0]
    words = re.findall(r"\w+", fold(" ".join(lines)))
    for i, word in enumerate(words):
        count = _NUMBERS.get(word)
        if not count:
            continue
        if i and words[i - 1] in _OTHER:
            count += 1
        if _ranked_among(words, i):
            continue  # "la proporción más alta de los cuatro casos": one country, ranked
        j = i + 1
        while j < len(words) and j <= i + 3 and (words[j] in _BETWEEN or words[j] in _REGIONAL):
            j += 1
        if j < len(words) and words[j] in _STUDIED_NOUNS:
            found = next((s for s in study if len(s) == count), ())
            if found:
                return found
    return ()


def body_countries(passages: Sequence[Passage]) -> tuple[str, ...]:
    """The countries a document's body passages are about as a whole, main first."""
    return with_share(_body_counts(passages))


def _body_counts(passages: Sequence[Passage]) -> dict[str, int]:
    """Country mentions in a document's body passages, most mentioned first."""
    return _summed(_mentions_by_passage(passages))


def _mentions_by_passage(passages: Sequence[Passage]) -> list[dict[str, int]]:
    """Each body passage's country mentions ({} for the other kinds). Each passage settles its
    own places of two countries: a study of Córdoba, Argentina that names Spain among its
    export markets does not count Spain wherever it says "Córdoba"."""
    mentions = load_countries().mentions
    return [country_counts(p.text, mentions) if p.is_body else {} for p in passages]


def _summed(found: Sequence[dict[str, int]]) -> dict[str, int]:
    """Mentions per country over several passages, most mentioned first."""
    counts: dict[str, int] = {}
    for passage in found:
        for country, n in passage.items():
            counts[country] = counts.get(country, 0) + n
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def _carried_on(
    ordered: Sequence[Passage], own: Sequence[tuple[str, ...]], k: int
) -> tuple[str, ...]:
    """The country of the body passage right before passage `k` in its section, when `k`
    names none but speaks of "the government" or "the country" without naming whose: "The
    government responded to these findings" after a paragraph on France goes on about France,
    in a thematic report or a comparison as much as in a report on one country; not in a
    section on theory ("el gobierno de la cadena" is the chain's governance). A passage before
    that names several is about the one it opens on, if any."""
    p = ordered[k]
    if not p.is_body or not p.section or _says(p.section, _cues()["general"]):
        return ()
    if not speaks_of_own(p.text, p.lang):
        return ()
    before = next((j for j in range(k - 1, -1, -1) if ordered[j].is_body), None)
    if before is None or ordered[before].section != p.section or not own[before]:
        return ()
    if len(own[before]) == 1:
        return own[before]
    # "Ecuador llevó el modelo a mayor escala… con seguro de la agencia estadounidense": the
    # country it opens on is its subject.
    opening = opening_countries(_LEAD.sub("", ordered[before].text), load_countries().mentions)
    return opening if len(opening) == 1 and opening[0] in own[before] else ()


def _in_section(
    ordered: Sequence[Passage],
    own: Sequence[tuple[str, ...]],
    k: int,
    document: tuple[str, ...],
    fallback: tuple[str, ...],
    dominant: bool = True,
) -> tuple[str, ...]:
    """The document's countries that the nearest preceding body passage of passage `k`'s
    section names (a multi-country report's section on one of them), only the main one where
    that passage names it beside others (the report's own country, compared with them); else
    `fallback`, as for a passage that speaks of "the government" or "the country" without
    naming whose (in a report with a main country, its own). In a comparison with no main
    country (`dominant` false) a passage goes on from its heading only: the one before it may
    be a case the argument has left behind."""
    if len(document) > 1 and dominant and not speaks_of_own(ordered[k].text, ordered[k].lang):
        for j in range(k - 1, -1, -1):
            if ordered[j].section != ordered[k].section:
                break
            named = tuple(c for c in own[j] if c in document)
            if named and ordered[j].is_body:
                return document[:1] if document[0] in named else named
    return fallback
