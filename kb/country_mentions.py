"""Finding the countries a passage names: a phrase lookup over its folded words.

The tables come from `countries.yaml` (see `kb.countries`); this module knows no country.
Rules, each for a reason a reader can check:
- longest phrase first, so "Rosário do Sul" (Brazil) wins over "Rosario" (Argentina);
- a term written in capitals in the list ("INTA") never matches in lower case ("inta");
- a term of several countries ("Córdoba") counts only for those named in another way;
- author-year citations ("(Banco Mundial, 2019)", "(Argentina Productiva, 2030)") are
  sources, not what the passage is about, and are skipped;
- a demonym that names a language ("en inglés") or a firm's nationality ("la semillera
  francesa", and each of "Spanish, French and Turkish component firms") does not count, nor
  does a city that is a publisher's address ("Washington, DC: Banco Mundial", "Buenos Aires:
  Siglo XXI", "Santiago, 2019", "Halden Centre for Trade Policy, Edinburgh");
- a one-word place or agency written with a capital in the list counts only with its capital
  ("Salta", not "salta");
- a world region ("América Latina", "la UE") names no country, but is noted
  (`names_beyond`): a passage about the region is not about one country.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace

from kb.models import CELLS
from kb.textnorm import fold

_WORD = re.compile(r"[^\W\d_]+|\d+")
# A word cut at a line end ("argenti-\nno"); the next line must go on in lower case.
_LINE_HYPHEN = re.compile(r"(\w) ?[-\u00ad] ?\n\s*(?=[a-z])")
# "(CEPAL, 2019)", "(Hallak et al., 2023: 12)", "(OCDE, 2019; Banco Mundial, 2020)".
_CITATION = re.compile(
    r"\((?=[^()]*[A-Z])[^()]{0,200}?(?:,|\bal\.?)\s*(?:19|20)\d\d[a-z]?"
    r"(?:\s*[:,]\s*(?:pp?\.\s*)?\d+(?:\s*[-\u2013]\s*\d+)?)?\s*\)"
)


@dataclass(frozen=True)
class Term:
    """A phrase of the list: the countries it names ((): a phrase to skip) and how it matches."""

    countries: tuple[str, ...]
    demonym: bool = False
    capitals: bool = False
    """Written in capitals in the list: the text must not write it in lower case."""
    beyond: bool = False
    """A world region or a kind of country: above any one country."""
    place: bool = False
    """A region, province or city (not a country's name, demonym or agency)."""
    initial: bool = False
    """One word written with a capital first letter in the list (a place, an agency): the text
    must write it so too ("salta" is a verb, "hidroeléctrica" a kind of plant)."""
    or_demonym: bool = False
    """A name that is also a demonym ("china"): in lower case in the text it is the demonym."""


_NOTHING = Term(())
# After a city, what makes it a publisher's address: ": Publisher", ", DC: …", ", MA: …".
_ADDRESS = re.compile(r"(?:,\s*(?:D\.?\s?C\.?|[A-Z]{2}))?\s*:\s*(?=[A-Z])")
_MONTHS = (
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre"
    "|diciembre|janeiro|fevereiro|marco|maio|junho|julho|setembro|outubro|novembro|dezembro"
    "|january|february|march|april|may|june|july|august|september|october|november|december"
)
# A dateline: "Santiago, 2019", "Edinburgh, May 2024", "Buenos Aires, 12 de octubre de 2024".
_DATELINE = re.compile(
    rf",\s*(?:(?:\d{{1,2}}\s+(?:de\s+)?)?(?:{_MONTHS})\s+(?:de\s+|of\s+)?)?(?:19|20)\d\d\b",
    re.IGNORECASE,
)
# An affiliation line: "Centro Austral de Estudios (CAEP), Comodoro Rivadavia / Buenos Aires",
# "Halden Centre for Applied Trade Policy, Edinburgh", "Instituto … (ICEED) — Rio de Janeiro":
# a body's seat ends the line.
_BODY_BEFORE = re.compile(
    r"\b(?:Centre|Center|Centro|Instituto|Institute|Universidad|Universidade|University"
    r"|Fundacion|Fundacao|Foundation|Comision|Comissao|Commission|Banco|Bank|Ministerio"
    r"|Ministry|Secretaria|Observatorio|Observatory|Consejo|Conselho|Council|Naciones Unidas"
    r"|Nacoes Unidas|United Nations|Agencia|Agency|Programa|Programme|Department|Departamento"
    r"|Corporation|Corporacion|Corporacao|Office|Oficina|School|Escuela|Escola|Faculty|Facultad"
    r"|Faculdade)\b[^\n.;:]*(?:[,/]|\s[-\u2013\u2014])\s*$"
)
# What may follow the seat on its line: "Washington, D.C.", "… / Buenos Aires", "… and San
# Salvador" (a second seat).
_LINE_END = re.compile(r"\.?[ \t]*(?:(?:/|(?:and|y|e)[ \t])[^\n]*)?(?:\n|$)")
_SHORT_REGION = 4
"""A region's name this short is an acronym that is also a word ("eu", "ue")."""


@dataclass(frozen=True)
class Mentions:
    """The phrase tables: folded words -> term, and the words that change a demonym."""

    phrases: dict[tuple[str, ...], Term] = field(default_factory=dict)
    longest: dict[str, int] = field(default_factory=dict)
    """First word of a phrase -> most words of a phrase starting with it."""
    language_cues: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    """Demonyms that are also languages ("inglés"); empty: any demonym may be one."""
    firm_words: frozenset[str] = frozenset()
    firms_abroad_words: frozenset[str] = frozenset()
    """Firms beside a demonym of a country their text's document is not about ("empresas
    españolas" in a report on Mexico): a nationality there, the country's own firms at home."""


def phrase_key(text: str) -> tuple[str, ...]:
    """The folded words of a phrase: how list terms and passage words are compared."""
    return tuple(_WORD.findall(fold(text)))


_SHORT_ACRONYM = 3


def _in_capitals(term: str) -> bool:
    letters = [ch for ch in term if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def build_mentions(
    terms: Iterable[tuple[str, str, str]],
    skip: Iterable[str] = (),
    language_cues: Iterable[str] = (),
    firm_words: Iterable[str] = (),
    beyond: Iterable[str] = (),
    languages: Iterable[str] = (),
    firms_abroad_words: Iterable[str] = (),
) -> Mentions:
    """Tables from (term, country, kind) triples, kind "name", "place" or "demonym", the phrases to
    skip, and the world regions (skipped too, but noted). A term given for several
    countries names all of them (it is ambiguous)."""
    countries: dict[tuple[str, ...], dict[str, None]] = {}
    demonym: dict[tuple[str, ...], bool] = {}
    capitals: dict[tuple[str, ...], bool] = {}
    place: dict[tuple[str, ...], bool] = {}
    initial: dict[tuple[str, ...], bool] = {}
    either: dict[tuple[str, ...], set[str]] = {}
    for term, country, kind in terms:
        key = phrase_key(term)
        countries.setdefault(key, {})[country] = None
        # A word that is both a name and a demonym ("noruega") is a name; one written in
        # lower case anywhere in the list matches in any case.
        demonym[key] = demonym.get(key, True) and kind == "demonym"
        either.setdefault(key, set()).add(kind)
        # One word only: "el eje cafetero" is the Eje Cafetero.
        initial[key] = initial.get(key, True) and term[:1].isupper() and len(key) == 1
        capitals[key] = capitals.get(key, True) and _in_capitals(term)
        place[key] = place.get(key, True) and kind == "place"
    phrases = {
        key: Term(
            tuple(names),
            demonym[key],
            capitals[key],
            place=place[key],
            initial=initial[key] and not capitals[key],
            or_demonym={"name", "demonym"} <= either[key],
        )
        for key, names in countries.items()
    }
    # Skipped phrases win: a person wrote them to stop a match.
    phrases |= {key: Term(()) for key in map(phrase_key, skip) if key}
    # An acronym ("UE", "EU") is only a region's name when written in capitals.
    phrases |= {
        key: Term((), capitals=len("".join(key)) <= _SHORT_REGION, beyond=True)
        for key in map(phrase_key, beyond)
        if key
    }
    longest: dict[str, int] = {}
    for key in phrases:
        longest[key[0]] = max(longest.get(key[0], 0), len(key))
    return Mentions(
        phrases=phrases,
        longest=longest,
        language_cues=frozenset(fold(w) for w in language_cues),
        languages=frozenset(fold(w) for w in languages),
        firm_words=frozenset(fold(w) for w in firm_words),
        firms_abroad_words=frozenset(fold(w) for w in firms_abroad_words),
    )


# First names that spell a demonym or a city: "Germán Pérez", "Santiago Levy".
_FIRST_NAMES = re.compile(r"\bGerm[áÁ]n\b|\bSantiago(?=[ \t]+[A-ZÁÉÍÓÚ][a-záéíóúñ])")
# The Portuguese "França" loses its cedilla onto the Spanish "franca" ("zona franca").
_FRANCE = re.compile(r"\bFRANÇA\b|\bFran[çÇ]a\b|\bfran[çÇ]a\b")


# A table column of firms' nationalities: "País de origen", "Owners (nationality)", "Sede".
_ORIGIN_COLUMN = re.compile(
    r"\b(?:origen|origin|origem|nacionalidad|nationality|nacionalidade|casa matriz"
    r"|headquarters|sede)\b"
)

_HEADER_CELL = 40


def _without_origin_columns(text: str) -> str:
    """`text` with the cells of a table's nationality columns emptied: "Bombardier; Canadá;
    2005" lists where a firm comes from, not what the table is about (a table's rows are
    lines of cells joined by `CELLS`; its header row names the columns)."""
    lines = text.split("\n")
    columns: set[int] = set()
    width = 0
    for k, line in enumerate(lines):
        cells = line.split(CELLS)
        if len(cells) < 2:
            columns = set()
        elif columns and len(cells) >= width:  # a last cell may hold "; " of its own
            lines[k] = CELLS.join("" if j in columns else c for j, c in enumerate(cells))
        elif max(map(len, cells)) <= _HEADER_CELL:  # a header row's cells are short
            columns = {j for j, c in enumerate(cells) if _ORIGIN_COLUMN.search(fold(c))}
            width = len(cells)
        else:
            columns = set()
    return "\n".join(lines)


def _plain(text: str) -> str:
    """`text` without accents (case kept), hyphenated line ends joined, citations dropped,
    tables' nationality columns emptied."""
    text = _FIRST_NAMES.sub("Gxrman", _without_origin_columns(text))  # "Germán" is no "German"
    text = _FRANCE.sub("France", text)
    decomposed = unicodedata.normalize("NFKD", text.replace("\u00ad\n", "\n"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _CITATION.sub(" ", _LINE_HYPHEN.sub(r"\1", plain))


def _written_as(term: Term, words: list[str]) -> bool:
    # "CORFO" and "Corfo" are the agency; "inta" is not INTA; a short one ("LIM") only in
    # capitals: "Lim" is a surname.
    if term.capitals and sum(map(len, words)) <= _SHORT_ACRONYM:
        return all(w.isupper() for w in words)
    if term.initial:
        return words[0][0].isupper()
    return not term.capitals or all(w[0].isupper() for w in words)


def _longest_at(i: int, words: list[str], low: list[str], mentions: Mentions) -> tuple[int, Term]:
    """The longest phrase of the list starting at word `i`: (its length, its term); (0, _)."""
    for k in range(min(mentions.longest.get(low[i], 0), len(low) - i), 0, -1):
        term = mentions.phrases.get(tuple(low[i : i + k]))
        if term is not None and _written_as(term, words[i : i + k]):
            return k, term
    return 0, _NOTHING


# Spanish and Portuguese articles (and their contractions): one before a demonym makes it a
# noun ("la alemana Siemens", "pela chinesa COFCO").
# Words that end a country's phrase: "Brazil and its firms" is not "Brazilian firms".
_LINKS = frozenset({"and", "y", "e", "or", "o", "ou", "its", "their", "sus", "seus", "suas"})
_ARTICLES = frozenset(
    {"el", "la", "los", "las", "o", "a", "os", "as", "del", "al"}
    | {"da", "do", "das", "dos", "na", "nas", "nos", "pela", "pelo", "pelas", "pelos"}
)


def _names_next(plain: str, spans: list[tuple[int, int]], j: int) -> bool:
    """Whether word `j` is a capitalised name right after the word before it (no punctuation
    between): "la italiana Enel", not "los chilenos. En"."""
    if j >= len(spans) or not plain[spans[j - 1][1] : spans[j][0]].isspace():
        return False
    return plain[spans[j][0]].isupper()


def _mentions_in(
    text: str, mentions: Mentions, context: Collection[str] = ()
) -> list[tuple[int, Term]]:
    """(word position, term) of every country or region phrase in `text`, longest match
    first."""
    return [(i, term) for i, _, term, dropped in _scan(text, mentions, context) if not dropped]


def _scan(
    text: str, mentions: Mentions, context: Collection[str] = ()
) -> list[tuple[int, int, Term, bool]]:
    """(word position, size, term, whether it is left out) of every country or region phrase
    in `text`, longest match first; `context`, the countries of the text's document, tells
    firms abroad from a country's own."""
    plain = _plain(text)
    spans = [m.span() for m in _WORD.finditer(plain)]
    words = [plain[a:b] for a, b in spans]
    low = [w.lower() for w in words]
    around = frozenset(context)
    seen: list[tuple[int, int, Term, bool]] = []
    i, n = 0, len(low)
    listed_next = -1  # where a place listed right after a stock exchange's would start
    seat_next: set[int] = set()  # where the country of a firm's seat would start
    firm_named = -1  # where the name of a firm after its nationality starts ("la italiana Eni")
    while i < n:
        size, term = _longest_at(i, words, low, mentions)
        if not size:
            i += 1
            continue
        if term.or_demonym and words[i][0].islower():
            term = replace(term, demonym=True)  # "la china BYD"
        before = low[i - 1] if i else ""
        if before in _COMPOUND and i >= 2:
            before = low[i - 2]  # "a franco-holandesa Louis Dreyfus"
        after = low[i + size] if i + size < n else ""
        # "la semillera francesa", "la empresa química alemana", "Rotam, de origen chino",
        # "the US software firm Microsoft", "la alemana Siemens" (a demonym standing for a firm)
        beside = [i - 1, i + size, i - 2]
        if after and after not in _LINKS:
            beside.append(i + size + 1)
        # A country's name only right before the firm ("US chipmaker", "US-owned"): "strong
        # firms. Chile's lithium" and "Korea reviewed firm performance" are the countries.
        firm = any(
            _a_firm(low, j, mentions.firm_words) for j in (beside if term.demonym else [i + size])
        )
        abroad = bool(around) and around.isdisjoint(term.countries)
        if abroad and term.demonym:
            firm = firm or any(0 <= j < n and low[j] in mentions.firms_abroad_words for j in beside)
        named = before in _ARTICLES and _names_next(plain, spans, i + size)
        term_words = " ".join(low[i : i + size])
        speakable = not mentions.languages or term_words in mentions.languages
        a_language = (
            term.demonym
            and speakable
            and (
                before in mentions.language_cues
                or after in _TEXT_WORDS
                or (before in _FROM and i >= 2 and low[i - 2] in _LESSONS)
            )
        )
        address = term.place and _is_address(plain, spans[i][0], spans[i + size - 1][1])
        # A stock exchange: "listed in New York", "listada en el Nasdaq Wall Street…"
        listed = term.place and (
            bool(_LISTED & set(low[max(0, i - _LISTED_REACH) : i]))
            or (i == listed_next and before in _LINKS)  # "… de Nova York e Londres"
        )
        if listed:
            listed_next = i + size + 1
        # A firm's seat: "con sede en Houston, Estados Unidos", "una empresa de software de
        # Bilbao, en España" (a city after a firm's "de"; the country after it goes with it).
        seated = not term.demonym and (
            tuple(low[max(0, i - 2) : i]) in _SEAT
            or i in seat_next
            or (term.place and before in _FROM and _firm_before(low, i, mentions.firm_words))
        )
        if seated:  # the country after the city, or the next seat of a list, goes with it
            j = i + size
            while j < n and low[j] in _SEAT_LINKS:
                j += 1
            seat_next = {j}
        # A person's surname: "Edvaldo Ferreira Lima", "Rosa Quispe Valdivia".
        surname = term.place and size == 1 and _after_a_name(plain, spans, words, low, i)
        # A currency: "US$ 13.956 millones", "U$S 300".
        currency = "$" in plain[spans[i][0] : spans[i + size - 1][1] + 1]
        nationality = (term.demonym and named) or (firm and not term.place) or i == firm_named
        if term.demonym and named:
            firm_named = i + size  # its name says nothing of a country either
        if term.countries or term.beyond:
            dropped = (
                nationality or a_language or address or currency or listed or surname or seated
            )
            seen.append((i, size, term, bool(dropped)))
        i += size
    return _firms_listed(seen, plain, spans)


_LISTED = frozenset(
    ["listed", "listada", "listado", "listadas", "listados", "cotiza", "cotizan", "cotizar"]
    + ["cotizada", "cotizado", "cotizadas", "cotizados", "cotada", "cotadas", "cotado"]
    # A commodity exchange's prices: "as cotações de Nova York e Londres".
    + ["cotizacion", "cotizaciones", "cotacao", "cotacoes"]
)
_LISTED_REACH = 4
_SEAT = frozenset(
    [("sede", "en"), ("sede", "em"), ("sede", "no"), ("sede", "na"), ("sediada", "em")]
    + [("sediado", "em"), ("headquartered", "in"), ("headquarters", "in"), ("based", "in")]
    # a firm's plants abroad: "con plantas en México, Brasil, Italia y Estados Unidos"
    + [("plantas", "en"), ("plants", "in"), ("fabricas", "em"), ("filiales", "en")]
    + [("subsidiaries", "in"), ("subsidiarias", "em"), ("filiais", "em")]
)
# Between a seat and the next: "Houston, Estados Unidos", "Bilbao, en España", "in France,
# the United States and Spain".
_SEAT_LINKS = frozenset(["en", "em", "in", "and", "y", "e", "or", "o", "ou", "the", "el", "los"])
_FROM = frozenset(["de", "do", "da", "from", "of"])
# Learning a language: "ensino de português", "clases de inglés", "teaching of English".
_LESSONS = frozenset(
    ["ensino", "aulas", "curso", "cursos", "clases", "ensenanza", "aprendizaje"]
    + ["aprendizagem", "dominio", "teaching", "lessons", "classes", "courses", "command"]
)
# A language's words: "its Spanish acronym", "la versión inglesa" is a translation.
_TEXT_WORDS = frozenset(
    ["acronym", "acronyms", "initials", "translation", "version", "edition", "summary"]
    + ["speakers", "speaking", "hablantes", "falantes"]
)
# Capitalised words that are no names: a sentence opening with "En Lima", "The".
_NAME_BREAKS = frozenset(["en", "em", "in", "the", "de", "para", "por", "desde", "y", "and"])
_CAPITAL = frozenset({"capital", "capitales", "capitais"})
_CITY_ARTICLES = frozenset({"la", "las", "a", "as", "the", "su", "sua", "its"})
_MARKET = frozenset({"mercado", "mercados", "market", "markets"})
_BRAND = frozenset({"marca", "marcas"})
# The first half of a compound demonym ("franco-holandesa", "anglo-australiana").
_COMPOUND = frozenset(["franco", "anglo", "hispano", "luso", "sino", "germano", "italo"])


def _after_a_name(
    plain: str, spans: list[tuple[int, int]], words: list[str], low: list[str], i: int
) -> bool:
    """Whether word `i` follows two capitalised words in a row, as a surname follows a given
    name and another surname ("Edvaldo Ferreira Lima"), with only spaces between them."""
    if i < 2:
        return False
    for j in (i - 2, i - 1):
        word = words[j]
        if not (word.isalpha() and word[0].isupper() and word[1:].islower()):
            return False
        if low[j] in _ARTICLES or low[j] in _NAME_BREAKS:
            return False
        if plain[spans[j][1] : spans[j + 1][0]] != " ":
            return False
    return True


def _a_firm(low: list[str], j: int, firm_words: frozenset[str]) -> bool:
    """Whether word `j` is a firm or its capital: "capital chino" and "Chilean capital" are
    investment; "la capital chilena" and "the Chilean capital" a city; "el mercado de capitales
    estadounidense" and "US capital markets" the country's market."""
    if not 0 <= j < len(low) or low[j] not in firm_words:
        return False
    if low[j] in _BRAND and low[j + 1 : j + 2] in (["pais"], ["paises"]):
        return False  # "la marca país colombiana": the nation's brand, not a firm's
    if low[j] in _CAPITAL:
        before = set(low[max(0, j - 2) : j])  # "la capital", "the Chilean capital"
        market = bool(_MARKET & {*before, *low[j + 1 : j + 2]})
        return not (market or _CITY_ARTICLES & before)
    return True


_FIRM_REACH = 5


def _firm_before(low: list[str], i: int, firm_words: frozenset[str]) -> bool:
    """Whether a firm is named in the few words before "de" (word `i - 1`): "una empresa de
    ingeniería de procesos de Calgary"."""
    return any(_a_firm(low, j, firm_words) for j in range(max(0, i - _FIRM_REACH), i - 1))


def _is_address(plain: str, start: int, end: int) -> bool:
    """Whether the place at `plain[start:end]` is a publisher's address: before ": Publisher",
    in a dateline ("Santiago, 2019") or ending an affiliation line ("…Centre, Edinburgh")."""
    if _ADDRESS.match(plain, end) or _DATELINE.match(plain, end):
        return True
    line = plain[plain.rfind("\n", 0, start) + 1 : start]
    return bool(_LINE_END.match(plain, end) and _BODY_BEFORE.search(line))


_OR_AND = frozenset({"and", "or", "y", "e", "o", "ou"})


def _firms_listed(
    seen: list[tuple[int, int, Term, bool]], plain: str, spans: list[tuple[int, int]]
) -> list[tuple[int, int, Term, bool]]:
    """Demonyms listed together share a firm's nationality ("Spanish, French and Turkish
    component firms", "consorcios españoles, coreanos o chinos", "Finnish, Swedish and North
    American capital", a region's adjective closing the list) or a language ("en inglés y
    francés")."""
    out = list(seen)
    start = 0
    for k in range(1, len(out) + 1):
        if k < len(out) and _listed(out[k - 1], out[k], plain, spans):
            continue
        run = out[start:k]
        if (
            len(run) > 1
            and all(t.demonym or t.beyond for _, _, t, _ in run)
            and any(d for *_, d in run)
        ):
            for m in range(start, k):
                out[m] = (*out[m][:3], True)
        start = k
    return out


def _listed(
    a: tuple[int, int, Term, bool],
    b: tuple[int, int, Term, bool],
    plain: str,
    spans: list[tuple[int, int]],
) -> bool:
    """Whether mention `b` follows `a` in one list: only a comma, a hyphen or "and"/"or"
    between ("alemanas y anglo-neerlandesas": a compound's first half goes with `b`)."""
    end, begin = a[0] + a[1], b[0]
    if begin > end and plain[spans[begin - 1][0] : spans[begin - 1][1]].lower() in _COMPOUND:
        begin -= 1
    if begin - end > 1:
        return False
    if begin - end == 1 and plain[spans[end][0] : spans[end][1]].lower() not in _OR_AND:
        return False
    gap = plain[spans[end - 1][1] : spans[begin][0]]
    return re.fullmatch(r"[\s,\-\u2010-\u2013]*(?:\w+)?[\s,]*", gap) is not None


def before_first_mention(text: str, mentions: Mentions, reach: int) -> str:
    """`text` up to the first country it names and `reach` words more, the first among them
    (all of it when it names none)."""
    found = _mentions_in(text, mentions)
    if not found:
        return text
    plain = _plain(text)
    spans = [m.span() for m in _WORD.finditer(plain)]
    return plain[: spans[min(found[0][0] + reach, len(spans)) - 1][1]]


def opening_countries(text: str, mentions: Mentions) -> tuple[str, ...]:
    """The countries of the phrase `text` opens with ("Santiago de Chile: …"); () when its
    first word starts none ("Lecciones para Argentina")."""
    found = _mentions_in(text, mentions)
    return found[0][1].countries if found and found[0][0] == 0 else ()


def country_counts(text: str, mentions: Mentions, context: Collection[str] = ()) -> dict[str, int]:
    """Mentions per country in `text`, most mentioned first (ties: first mentioned). A term of
    several countries counts for those `text` names in another way, else for the one of them
    `context` holds (the countries of the document around it: "Casablanca" in a report on Chile
    and Uruguay)."""
    around = frozenset(context)
    found = [(i, t) for i, t in _mentions_in(text, mentions, around) if t.countries]
    named = {t.countries[0] for _, t in found if len(t.countries) == 1}
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for position, term in found:
        # The context settles only one of them: "Chaco" in a report on Argentina and Paraguay
        # stays unsettled.
        in_context = around.intersection(term.countries)
        told = named if named & set(term.countries) else in_context if len(in_context) == 1 else ()
        for country in term.countries:
            if len(term.countries) == 1 or country in told:
                counts[country] = counts.get(country, 0) + 1
                first.setdefault(country, position)
    return {c: counts[c] for c in sorted(counts, key=lambda c: (-counts[c], first[c]))}


def names_beyond(text: str, mentions: Mentions) -> bool:
    """Whether `text` names a world region or a kind of country ("América Latina", "la UE",
    "los países en desarrollo")."""
    return any(term.beyond for _, term in _mentions_in(text, mentions))
