"""Countries per passage: names, demonyms, places and national agencies find the countries a
passage is about; agencies such as the OECD are sources; the document's countries apply only
where a passage names none."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from clusterkb.cli.admin import passage_countries
from ingest.annotate import annotate
from ingest.chunking import chunk_document
from ingest.loaders import load_document
from kb.config import Settings
from kb.countries import (
    COUNTRIES_PATH,
    CountryListError,
    countries_in,
    load_countries,
    main_countries,
    normalise_country,
    parse_countries,
)
from kb.country_mentions import names_beyond
from kb.evaluation.realdocs import best_passage
from kb.evaluation.realdocs_set import load_realdocs_set, resolve_span
from kb.models import Passage
from kb.passage_countries import inherits, speaks_of_own
from kb.storage.manifest import DocRecord
from tests.docs_factory import report_pdf

REPO = Path(__file__).resolve().parents[1]
REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"
LABELS = REPO / "corpus" / "eval" / "realdocs.yaml"


def words(text: str) -> int:
    return len(text.split()) + 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("El consejo de competitividad del Perú priorizó clústers.", "Peru"),
        ("EL CONSEJO DE COMPETITIVIDAD DEL PERU", "Peru"),
        ("O Brasil ampliou o crédito às pequenas empresas.", "Brazil"),
        ("Mexico and its export clusters", "Mexico"),
        ("La política industrial de Estados Unidos (EE.UU.)", "United States"),
        ("Los productores chilenos exportan cobre.", "Chile"),
        ("As empresas brasileiras investem pouco em P&D.", "Brazil"),
        ("Brasileños y brasileñas", "Brazil"),
        ("Chilean mining suppliers grew fast.", "Chile"),
        ("El biocluster de Rosario, en Santa Fe", "Argentina"),
        ("Empresas de São Paulo e de Minas Gerais", "Brazil"),
        ("La minería de Antofagasta", "Chile"),
        ("Las pymes textiles de Asunción", "Paraguay"),
        ("Produtores de Rosário do Sul", "Brazil"),
        ("CORFO financió el programa.", "Chile"),
        ("Crédito do BNDES e apoio do SEBRAE", "Brazil"),
        ("El PRODEPRO apoyó a 219 proveedores.", "Argentina"),
        ("Investigadores del CONICET, del INTA y del INTI", "Argentina"),
        ("Las pymes de la Provincia de Buenos Aires y de La Plata", "Argentina"),
        ("El programa de Proveedores de Clase Mundial", "Chile"),
        ("Apoio do Banco do Nordeste a APLs de Pernambuco", "Brazil"),
        ("Los clústeres de Nuevo León y del Bajío", "Mexico"),
        ("Oil sands in Alberta", "Canada"),
        ("Las empresas portuguesas de Braga", "Portugal"),
        ("Los puertos de Riga", "Latvia"),
        # Every first-level division of the region's countries that is not also a common word
        ("El café de Sonsonate y de Chalatenango", "El Salvador"),
        ("Bananeras de Chiriquí y Bocas del Toro", "Panama"),
        ("La maquila de Alta Verapaz", "Guatemala"),
        ("Uvas del valle de Ica para exportar", "Peru"),
        ("El algodón de Guairá y Caazapá", "Paraguay"),
        ("Ganadería en Olancho", "Honduras"),
        # The region's development banks, guarantee funds, regulators and training institutes
        ("Créditos de COFIDE y de Agrobanco", "Peru"),
        ("Garantias do Pronampe e do FGI", "Brazil"),
        ("Cursos del INFOP para la maquila", "Honduras"),
        ("La AGESIC y la ONSC", "Uruguay"),
        # Portuguese names and the demonyms of regions and cities
        ("O Equador protege a Amazônia", "Ecuador"),
        ("La soja cruceña y sus productores", "Bolivia"),
        ("Os produtores nordestinos e potiguares", "Brazil"),
        # wine valleys, salt flats, tourist programmes, a Gulf country and the region's film
        # agencies
        ("Los valles de Colchagua y del Maipo", "Chile"),
        ("El litio del Salar de Uyuni", "Bolivia"),
        ("El programa Pueblos Mágicos y la Riviera Maya", "Mexico"),
        ("El hidrógeno verde de Omán", "Oman"),
        ("A ANCINE e o Fundo Setorial do Audiovisual", "Brazil"),
    ],
)
def test_names_demonyms_places_and_agencies_map_to_their_country(text: str, expected: str) -> None:
    assert countries_in(text) == (expected,)


@pytest.mark.parametrize(
    "text",
    [
        "La OCDE recomienda evaluar los programas de clústers.",
        "Según la CEPAL (2010), la coordinación falló.",
        "The OECD and ECLAC compare cluster policies in Latin America.",
        "El Banco Interamericano de Desarrollo financió el estudio.",
        "La Unión Europea adoptó una estrategia de bioeconomía.",
        "Una política de clústers sin país.",
        "La primera visión se asocia al post-Consenso de Washington.",
        "Los acuerdos de la Ronda Uruguay del GATT.",
    ],
)
def test_sources_and_regions_are_not_countries(text: str) -> None:
    assert countries_in(text) == ()


def test_world_regions_are_noted_but_a_word_that_spells_one_is_not() -> None:
    mentions = load_countries().mentions
    assert names_beyond("La UE adoptó una visión regional.", mentions)
    assert names_beyond("en los países en desarrollo", mentions)
    assert not names_beyond("Na semana passada eu visitei a rede.", mentions)
    assert not names_beyond("La Argentina y el Mercosur", mentions)


def test_inheriting_reads_anchors_regions_definitions_and_headings() -> None:
    assert inherits("Las exportaciones crecieron a buen ritmo.")
    assert not inherits("Un clúster es una concentración geográfica de empresas.")
    assert not inherits("Desde esta perspectiva teórica, el Estado corrige fallas.")
    assert not inherits("Las empresas venden a sus proveedores.", section="Marco conceptual")
    assert not inherits("En América Latina la productividad se estancó.")
    assert not inherits("A nivel internacional crece la transparencia de las compras mineras.")
    # The word "definición" alone is no definition: "contribuyó a la definición del rumbo".
    assert inherits("Sus proveedores contribuyeron a la definición de la orientación del cluster.")
    assert not inherits("Se define como cluster a la concentración geográfica de empresas.")
    # "the country" / "the province" settle it even beside a general word.
    assert inherits("Desde la perspectiva de la provincia, el régimen atrae proveedores.")
    # ...but a Spanish "o país" is "or country", not the Portuguese "the country".
    general = "A nivel global crece la dependencia de una región o país de insumos importados."
    assert not inherits(general, lang="es")
    assert inherits("Em nível global, o país depende de insumos importados.", lang="pt")


def test_main_country_first_then_first_mentioned() -> None:
    text = "Chile y Argentina firmaron; en Argentina, el INTI y la provincia de Salta."
    assert countries_in(text) == ("Argentina", "Chile")
    assert countries_in("Brasil, Chile y Perú") == ("Brazil", "Chile", "Peru")


def test_longer_place_wins_and_ambiguous_places_need_their_country() -> None:
    # "Córdoba" is in Argentina, Spain, Mexico and Colombia: it counts only beside its country.
    assert countries_in("Las pymes de Córdoba exportan.") == ()
    assert countries_in("Córdoba y Mendoza, en la Argentina") == ("Argentina",)
    assert countries_in("Zona Franca de Manaus") == ("Brazil",)
    # Bogotá's Ciudad Bolívar and Venezuela's; "la paz social" is no Bolivian department.
    assert countries_in("Rutas en Usme y Ciudad Bolívar con Findeter") == ("Colombia",)
    assert countries_in("Ciudad Bolívar") == ()
    assert countries_in("La meta es la paz social.") == ()
    assert countries_in("As chuvas na linha do Equador") == ()
    # Pando is a Bolivian department and a Uruguayan city; a guarantee fund of the same name
    # exists in Colombia and in Ecuador.
    assert countries_in("El parque de Pando, en Canelones") == ("Uruguay",)
    assert countries_in("El Fondo Nacional de Garantías de la CFN") == ("Ecuador",)


def test_english_short_forms_count_but_currencies_and_regions_do_not() -> None:
    assert countries_in("US policy and the UK") == ("United States", "United Kingdom")
    assert countries_in("American and British subsidies") == ("United States", "United Kingdom")
    assert countries_in("let us see what they told us") == ()
    assert countries_in("exportaciones por US$ 13.956 millones y U$S 300") == ()
    assert countries_in("Latin American firms and the Inter-American Development Bank") == ()


def test_a_short_acronym_counts_only_in_capitals() -> None:
    assert countries_in("los beneficios del régimen de la LIM") == ("Argentina",)
    assert countries_in("as Lim and Park show for Korean industry") == ("South Korea",)


def test_citations_languages_and_firms_do_not_make_a_passage_about_a_country() -> None:
    assert countries_in("El software se exporta (Argentina Productiva, 2030).") == ()
    assert countries_in("Marco Nacional (en inglés: National Framework)") == ()
    assert countries_in("con la semillera francesa Florimond Desprez") == ()
    assert countries_in("un acuerdo con la empresa química alemana Helm") == ()
    # The origin of a firm or of its capital is its nationality too.
    assert countries_in("una química de origen chino encargó el estudio") == ()
    assert countries_in("un fondo con capitales de origen español") == ()
    assert countries_in("a Chinese-owned plant in Mexico") == ("Mexico",)
    assert countries_in("el Estado francés y el caso noruego") == ("France", "Norway")
    assert countries_in("la caída del empleo fue franca") == ()
    assert countries_in("el inta de la palabra") == ()
    # A city before a publisher is an address; a heading after a city is not.
    assert countries_in("Kosacoff, B. (2000). Corporate strategies. Londres: Routledge.") == ()
    assert countries_in("Rosario: el biocluster y sus empresas") == ("Argentina",)


def test_word_cut_at_a_line_end_is_joined() -> None:
    assert countries_in("el noroeste argenti-\nno, un nuevo centro") == ("Argentina",)


def passages_by_section(path: Path, markdown: str) -> dict[str, Passage]:
    """Ingest-time passages of a Markdown report, by section heading."""
    path.write_text(markdown, encoding="utf-8")
    document = load_document(path, Settings())
    return {p.section: p for p in annotate(document, chunk_document(document, words, 128, 20, 0))}


def test_a_chile_section_in_an_argentine_report_is_chile(tmp_path: Path) -> None:
    by_section = passages_by_section(
        tmp_path / "proveedores.md",
        "---\ntitle: Proveedores mineros\ncountry: Argentina\nlanguage: es\n---\n"
        "## Desafíos\n\nLa inestabilidad macroeconómica frena las inversiones en minería.\n\n"
        "## Experiencia internacional\n\nEl programa Alta Ley, con apoyo de la CORFO, reúne a "
        "las mineras y sus proveedores en Antofagasta.\n",
    )
    assert by_section["Experiencia internacional"].countries == ("Chile",)
    assert by_section["Experiencia internacional"].country == "Chile"
    assert by_section["Desafíos"].countries == ("Argentina",)


def test_a_section_that_names_no_country_is_about_the_reports_main_one(tmp_path: Path) -> None:
    # No front matter country: the report's countries are read from its text (Argentina
    # first, Chile second); a new section that names none is about Argentina, not both.
    by_section = passages_by_section(
        tmp_path / "informe.md",
        "## Contexto\n\nArgentina exporta minerales. La Argentina y sus provincias mineras "
        "crecen. En Argentina, Catamarca y San Juan lideran.\n\n"
        "## Chile\n\nChile creó el programa Alta Ley en Antofagasta.\n\n"
        "## Lecciones\n\nEl gobierno creó en 2019 un registro de proveedores.\n",
    )
    assert by_section["Chile"].countries == ("Chile",)
    assert by_section["Lecciones"].countries == ("Argentina",)


def test_a_passage_that_goes_on_from_a_general_statement_stays_general(tmp_path: Path) -> None:
    path = tmp_path / "informe.md"
    path.write_text(
        "## Contexto\n\nArgentina exporta minerales. La Argentina y sus provincias crecen.\n\n"
        "## Dos miradas\n\nSe entiende por política productiva el conjunto de acciones que "
        "cambian la estructura de una economía.\n\n"
        "Las dos miradas difieren en el papel que asignan a la coordinación entre empresas.\n\n"
        "El gobierno creó en 2019 un registro nacional de proveedores mineros.\n",
        encoding="utf-8",
    )
    document = load_document(path, Settings())
    passages = annotate(document, chunk_document(document, words, 128, 20, 0))
    countries = {p.text.split()[-1]: p.countries for p in passages}
    assert countries["economía."] == ()  # a definition
    assert countries["empresas."] == ()  # goes on with it, naming no country
    assert countries["mineros."] == ("Argentina",)  # "el gobierno": the report's country


def passages_by_last_word(path: Path, markdown: str) -> dict[str, tuple[str, ...]]:
    """Ingest-time countries of a Markdown report's passages, by each passage's last word."""
    path.write_text(markdown, encoding="utf-8")
    document = load_document(path, Settings())
    passages = annotate(document, chunk_document(document, words, 128, 20, 0))
    return {p.text.split()[-1]: p.countries for p in passages}


REPORT_ON_ARGENTINA = (
    "## Contexto\n\nArgentina exporta minerales. La Argentina y sus provincias crecen. "
    "En Argentina, Catamarca y San Juan lideran.\n\n"
    "## Chile\n\nChile creó el programa Alta Ley en Antofagasta. Chile exporta cobre.\n\n"
)


def test_after_a_passage_on_its_country_and_another_a_section_goes_on_with_its_own(
    tmp_path: Path,
) -> None:
    countries = passages_by_last_word(
        tmp_path / "informe.md",
        REPORT_ON_ARGENTINA + "## Propuestas\n\nArgentina puede seguir el ejemplo de Chile.\n\n"
        "El gobierno federal debe crear un registro de proveedores mineros.\n",
    )
    assert countries["Chile."] == ("Argentina", "Chile")
    assert countries["mineros."] == ("Argentina",)  # the report's proposal, not Chile's


def test_a_firms_case_is_about_the_country_only_where_it_speaks_of_its_system(
    tmp_path: Path,
) -> None:
    countries = passages_by_last_word(
        tmp_path / "informe.md",
        REPORT_ON_ARGENTINA + "## El caso de Terragene\n\n"
        "La empresa registró trescientos productos y cuarenta patentes propias.\n\n"
        "Su planta se financió con fondos del Estado y capacidades locales.\n",
    )
    assert countries["propias."] == ()  # the firm's own affairs
    assert countries["locales."] == ("Argentina",)


def test_a_subsection_of_a_country_note_is_about_that_country(tmp_path: Path) -> None:
    # A report on several countries, one note each, with subsections that name none.
    countries = passages_by_last_word(
        tmp_path / "notas.md",
        "# Notas de país\n\n## Argentina\n\nArgentina exporta minerales. La Argentina y sus "
        "provincias crecen. En Argentina, Catamarca y San Juan lideran.\n\n"
        "### Respuestas de política\n\nEl gobierno creó un registro de proveedores.\n\n"
        "## Perú\n\nPerú exporta cobre.\n\n"
        "### Respuestas de política\n\nEl gobierno creó un fondo para pymes exportadoras.\n",
    )
    assert countries["proveedores."] == ("Argentina",)
    assert countries["exportadoras."] == ("Peru",)


def report(sections: int, naming: int) -> str:
    """A report without front matter: `sections` sections, the first `naming` of them naming
    Argentina, the others generic, each speaking of "el gobierno"; then one section whose
    title names Argentina."""
    parts = [
        f"## Tema {i}\n\nEn Argentina el programa {i} apoyó a las pymes industriales.\n"
        if i < naming
        else f"## Tema {i}\n\nEl gobierno debe coordinar los instrumentos del tipo {i}.\n"
        for i in range(sections)
    ]
    parts.append("## Las políticas en la Argentina\n\nEl gobierno creó un registro.\n")
    return "\n".join(parts)


def test_a_report_that_seldom_names_its_country_is_about_its_subject(tmp_path: Path) -> None:
    # A conceptual report that names Argentina in 5 of 25 passages: "el gobierno" is any
    # government, so its generic passages are about no country; a section titled with the
    # country is still about it.
    general = passages_by_section(tmp_path / "conceptos.md", report(24, naming=5))
    assert general["Tema 10"].countries == ()
    assert general["Tema 2"].countries == ("Argentina",)
    assert general["Las políticas en la Argentina"].countries == ("Argentina",)
    # A report on Argentina (named in half its passages): "el gobierno" is Argentina's.
    national = passages_by_section(tmp_path / "informe.md", report(24, naming=12))
    assert national["Tema 20"].countries == ("Argentina",)


def test_a_document_is_about_the_countries_of_a_good_share_of_its_mentions() -> None:
    text = "Argentina. " * 8 + "Chile. " * 3 + "como en Francia."
    assert main_countries(text) == ("Argentina", "Chile")


def test_stats_count_passages_per_country() -> None:
    def record(country: str, countries: dict[str, int], passages: int) -> DocRecord:
        return DocRecord(
            doc_id=country or "doc", path="", sha256="", title="", country=country, source="",
            year=None, lang="es", pages=1, passage_ids=[f"p{i}" for i in range(passages)],
            ingested_at="", countries=countries,
        )  # fmt: skip

    docs = [
        record("Argentina", {"Argentina": 5, "Chile": 2}, 6),  # one passage about both
        record("", {"Chile": 1}, 1),
        record("Peru", {}, 3),  # a manifest from before passages carried countries
    ]
    assert passage_countries(docs) == {"Argentina": 5, "Chile": 3, "Peru": 3}


# --- the data file -------------------------------------------------------------------------


def data(**countries: object) -> dict[str, object]:
    return {"countries": countries, "agencies": {"OECD": {"aliases": ["oecd"]}}}


def test_a_person_adds_a_place_without_touching_python() -> None:
    known = parse_countries(data(Chile={"aliases": ["chile"], "places": ["Valdivia"]}))
    assert countries_in("Los astilleros de Valdivia", known) == ("Chile",)
    assert countries_in("La OECD en Valdivia", known) == ("Chile",)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (data(Chile={"demonyms": ["chileno", 5]}), "Chile.demonyms: 5 is not text"),
        (data(Chile={"places": ["¡!"]}), "Chile.places: '¡!' has no letters"),
        (data(Chile={"cities": ["Valdivia"]}), "Chile: unknown key 'cities'"),
        (
            {"agencies": {"OECD": {"places": ["Paris"]}}},
            "OECD.places: only countries have places",
        ),
        ({**data(), "not_country": ["x"]}, "unknown section 'not_country'"),
        ({**data(), "firm_words": [1]}, "firm_words: 1 is not text"),
    ],
)
def test_data_file_errors_name_the_entry_and_the_rule(raw: object, message: str) -> None:
    with pytest.raises(CountryListError, match=message):
        parse_countries(raw)


def test_the_shipped_list_loads_and_still_normalises_front_matter() -> None:
    known = parse_countries(yaml.safe_load(COUNTRIES_PATH.read_text(encoding="utf-8")))
    assert {"Argentina", "Brazil", "Chile", "OECD", "CEPAL"} <= set(known.by_name)
    assert normalise_country("Brasil (MDIC)") == "Brazil"
    assert normalise_country("OCDE") == "OECD"


# --- the real reports (read at run time, never copied) -------------------------------------

needs_realdocs = pytest.mark.skipif(not REALDOCS.is_dir(), reason=f"{REALDOCS} not found")


@lru_cache(maxsize=8)
def reader(path: Path) -> PdfReader:
    return PdfReader(path)


def raw_page(path: Path, page: int) -> str:
    """pypdf's text of one page: what the labelled offsets point into."""
    return str(reader(path).pages[page - 1].extract_text())


@needs_realdocs
def test_labelled_dev_spans_that_name_their_countries_get_them() -> None:
    """Dev split only: spans whose countries the text itself names (not implied by the
    section), compared as sets."""
    labels = load_realdocs_set(LABELS).in_split("dev")
    files = {d.sha256: REALDOCS / d.file for d in labels.documents}

    def page_text(sha: str, page: int) -> str | None:
        path = files[sha]
        return raw_page(path, page) if path.suffix == ".pdf" else path.read_text(encoding="utf-8")

    spans = [s for s in labels.passages if s.countries and not s.implicit]
    right = 0
    for span in spans:
        text = resolve_span(span, page_text)
        assert text is not None, f"{span.id}: the extraction changed"
        right += set(countries_in(text)) == set(span.countries)
    assert len(spans) >= 40 and right >= 0.9 * len(spans)


@needs_realdocs
def test_chilean_section_of_the_mining_report_carries_chile() -> None:
    labels = load_realdocs_set(LABELS).in_split("dev")
    span = next(s for s in labels.passages if s.doc == "mineria" and s.countries == ("Chile",))
    path = REALDOCS / next(d.file for d in labels.documents if d.id == "mineria")
    document = load_document(path, Settings())
    passages = annotate(document, chunk_document(document, words, 512, 200, 30))
    text = resolve_span(span, lambda sha, page: raw_page(path, page))
    assert text is not None
    holder = best_passage(text, passages)
    assert holder is not None and holder.country == "Chile"
    share = sum("Chile" in p.countries for p in passages) / len(passages)
    assert 0.02 < share < 0.5  # Chile is one section of an Argentine report, not all of it


COMPARISON = (
    "# Proveedores mineros en Chile, Perú y México\n\n"
    "## Metodología\n\n"
    "Se revisaron documentos oficiales y se entrevistó a responsables de los programas.\n\n"
    "Los tres países comparten una minería grande y proveedores locales pequeños.\n\n"
    "## Chile\n\nChile creó el programa Alta Ley con la CORFO en Antofagasta.\n\n"
    "### Resultados\n\nEl programa tuvo evaluaciones rigurosas y datos abiertos.\n\n"
    "## Perú\n\nPerú apoya a sus proveedores en Arequipa con fondos de PRODUCE.\n\n"
    "### Resultados\n\nA diferencia de lo ocurrido en Chile, aquí no hubo evaluaciones.\n\n"
    "## México\n\nMéxico impulsa proveedores en Sonora y Zacatecas con Nafin.\n\n"
    "### Resultados\n\nLos resultados fueron dispares según la empresa ancla.\n"
)


def test_a_comparison_of_equals_files_each_passage_under_its_own_heading(
    tmp_path: Path,
) -> None:
    countries = passages_by_last_word(tmp_path / "comparado.md", COMPARISON)
    # The title names every country: a section under it is not about all of them, and with
    # no main country a method passage is about none.
    assert countries["programas."] == ()
    assert countries["abiertos."] == ("Chile",)  # the heading above "Resultados"
    assert countries["ancla."] == ("Mexico",)


def test_the_studied_countries_by_their_number_and_a_comparison_inside_a_section(
    tmp_path: Path,
) -> None:
    countries = passages_by_last_word(tmp_path / "comparado.md", COMPARISON)
    assert set(countries["pequeños."]) == {"Chile", "Peru", "Mexico"}  # "los tres países"
    # In the section on Peru, "a diferencia de lo ocurrido en Chile" is about both.
    assert set(countries["evaluaciones."]) == {"Chile", "Peru"}


def test_a_firm_named_by_its_nationality_is_no_country_but_a_donor_agency_is_its_own() -> None:
    assert countries_in("con inversores como la italiana Enel o la española Acciona") == ()
    assert countries_in("the Taiwanese chipmaker TSMC opened a plant") == ()
    assert countries_in("two Chinese firms were selected") == ()
    assert countries_in("dominado pela trading norte-americana Cargill e pela chinesa COFCO") == ()
    # A national aid agency is its country's agency, as the comparative rounds' annotators
    # read it from the fourth round on.
    assert countries_in("un programa financiado por la KfW y la JICA") == ("Germany", "Japan")
    assert countries_in("las negociaciones con Bruselas") == ()
    # "in" before a demonym that is no language: two countries, not a language.
    assert countries_in("firms are active in Argentine and Chilean lithium") == (
        "Argentina",
        "Chile",
    )
    assert countries_in("un resumen en inglés") == ()
    # A demonym before a word that opens a sentence is still the country's.
    assert countries_in("los productores chilenos. En 2020") == ("Chile",)


def test_a_country_named_right_before_a_firm_is_the_firms_nationality() -> None:
    assert countries_in("the US chipmaker Intel opened a plant") == ()
    assert countries_in("large US-owned producers") == ()
    # Not across a sentence, nor where the firm word is further on.
    assert countries_in("where it already has strong firms. Chile's lithium policy") == ("Chile",)
    assert countries_in("and Korea reviewed firm performance every month") == ("South Korea",)


def test_an_agency_with_a_comma_in_its_name_is_one_phrase() -> None:
    assert countries_in("la Agencia Santafesina de Ciencia, Tecnología e Innovación") == (
        "Argentina",
    )
    assert countries_in("capital humano y ciencia, tecnología e innovación") == ()


def test_the_studied_countries_by_other_words_but_not_other_numbers(tmp_path: Path) -> None:
    countries = passages_by_last_word(
        tmp_path / "comparado.md",
        COMPARISON
        + "\n## Comparación\n\nSolo Chile publica datos, y ninguno de los tres países mide "
        "brechas.\n\nMarshall identificó tres fuentes de economías externas.\n\n"
        "Perú forma más ingenieros que los otros dos países juntos.\n\n"
        "Los tres gobiernos probaron cursos cortos para programadores.\n",
    )
    studied = {"Chile", "Peru", "Mexico"}
    assert set(countries["brechas."]) == studied  # beside the one it names
    assert countries["externas."] == ()
    assert set(countries["juntos."]) == studied  # "the other two" and the one named
    assert set(countries["programadores."]) == studied


def test_a_currency_and_a_national_health_system() -> None:
    assert countries_in("exports close to 200 billion US dollars") == ()
    assert countries_in("300 millones de dólares estadounidenses") == ()
    assert countries_in("as compras do SUS e a Fiocruz") == ("Brazil",)


def test_firms_listed_by_their_nationalities_name_no_country() -> None:
    assert countries_in("dozens of Spanish, French and Turkish component firms") == ()
    assert countries_in("que los contratos vayan a consorcios españoles, coreanos o chinos") == ()
    assert countries_in("filiales de grupos estadounidenses, alemanes y japoneses") == ()
    assert countries_in("los primeros buses fueron de la china BYD") == ()
    assert countries_in("Australian, Chinese, American and Korean operators") == ()
    assert countries_in("el fabricante chino abrió una planta") == ()
    # A list of countries is still a list of countries.
    assert countries_in("mercados chilenos, peruanos y mexicanos") == ("Chile", "Peru", "Mexico")
    assert countries_in("China y la Argentina firmaron un acuerdo") == ("China", "Argentina")


def test_a_place_or_agency_that_is_also_a_word_counts_only_with_its_capital() -> None:
    assert countries_in("la generación hidroeléctrica ampliada") == ()
    assert countries_in("el programa de Salta para proveedores") == ("Argentina",)
    assert countries_in("el precio salta cuando sube el dólar") == ()
    # A region written in lower case is still the region.
    assert countries_in("el eje cafetero enfrenta una crisis") == ("Colombia",)


def test_a_publishers_seat_and_a_dateline_are_no_country() -> None:
    assert countries_in("Halden Centre for Applied Trade Policy, Edinburgh\n\nMay 2024") == ()
    assert countries_in("Centro de Estudios (CAEP), Comodoro Rivadavia / Buenos Aires\n") == ()
    assert countries_in("Naciones Unidas\nSantiago, diciembre de 2019") == ()
    # A city in a sentence is the country's.
    assert countries_in("La planta de Comodoro Rivadavia abrió en 2019.") == ("Argentina",)


def test_the_studied_countries_without_their_number(tmp_path: Path) -> None:
    countries = passages_by_last_word(
        tmp_path / "comparado.md",
        COMPARISON + "\n## Síntesis\n\nEn todos los casos la evaluación llegó tarde.\n\n"
        "Los casos en que hubo datos abiertos fueron pocos en la región.\n\n"
        "## Recuadro 1. Lecciones para Argentina\n\nEl país podría copiar el registro.\n",
    )
    assert set(countries["tarde."]) == {"Chile", "Peru", "Mexico"}
    assert countries["región."] == ()
    # A box or a heading on what a reader's country can learn is no studied country.
    assert countries["registro."] == ("Argentina",)


def test_a_pdf_title_page_is_about_the_countries_its_title_names(tmp_path: Path) -> None:
    markdown = (
        "# Proveedores mineros en Chile, Perú y México\n\n"
        "Documento de Trabajo N.º 9, Serie Desarrollo Productivo\n\n"
        "Ana Torres y Luis Vega, Instituto de Estudios Andinos\n\n" + COMPARISON.split("\n\n", 1)[1]
    )
    path = tmp_path / "comparado.pdf"
    path.write_bytes(report_pdf(markdown))
    document = load_document(path, Settings())
    passages = annotate(document, chunk_document(document, words, 128, 20, 0))
    series = next(p for p in passages if "Documento de Trabajo" in p.text)
    assert set(series.countries) == {"Chile", "Peru", "Mexico"}
    # The method section under it stays about no country in particular.
    method = next(p for p in passages if "entrevistó" in p.text)
    assert method.countries == ()


def test_a_report_titled_on_one_country_is_about_it_beside_its_peers(tmp_path: Path) -> None:
    countries = passages_by_last_word(
        tmp_path / "nota.md",
        "# Perú: clústeres agroexportadores\n\n"
        "## Pares\n\nChile, México, España y Marruecos exportan fruta. Chile y México lideran; "
        "España y Marruecos abastecen a Europa. Chile invierte en riego.\n\n"
        "## Trabajo\n\nEl régimen laboral agrario vence en 2030 y los sindicatos piden cambios.\n",
    )
    # Peru takes fewer mentions than its peers, but the report is about Peru.
    assert countries["cambios."] == ("Peru",)
    assert "Peru" not in countries["riego."]


def test_a_synthesis_of_national_studies_speaks_of_the_countries_studied(tmp_path: Path) -> None:
    countries = passages_by_last_word(
        tmp_path / "sintesis.md",
        COMPARISON + "\n## Síntesis\n\nLos estudios nacionales coinciden en la falta de datos.\n",
    )
    assert set(countries["datos."]) == {"Chile", "Peru", "Mexico"}


def test_a_document_without_headings_keeps_its_country_on_its_first_pages(tmp_path: Path) -> None:
    countries = passages_by_last_word(
        tmp_path / "informe.md",
        "Chile creó el programa Alta Ley con la CORFO. Chile exporta cobre desde Antofagasta."
        "\n\nEl programa tuvo evaluaciones rigurosas y sus datos se publicaron en 2019 a tiempo.\n",
    )
    assert countries["tiempo."] == ("Chile",)


def test_a_firms_or_its_capitals_nationality_is_not_its_country_but_a_capital_city_is() -> None:
    # "US" is written as an adjective: a firm's nationality like "American".
    assert countries_in("the sale to the US software firm Microsoft") == ()
    assert countries_in("US and Canadian firms built spinning plants") == ()
    assert countries_in("grape estates with Chilean, Spanish or US capital") == ()
    assert countries_in("atraiu sobretudo capitais chineses e australianos") == ()
    assert countries_in("plantas de grandes plataformas norte-americanas") == ()
    assert countries_in("a nearshore location for American clients") == ()
    assert countries_in("Texas Instruments and Anglo American opened offices") == ()
    # A capital city and a capital market are the country's.
    assert countries_in("la capital chilena concentra el empleo") == ("Chile",)
    assert countries_in("firms moved to the Chilean capital") == ("Chile",)
    assert countries_in("una oferta en el mercado de capitales estadounidense") == (
        "United States",
    )
    assert countries_in("Under the CHIPS Act the US Department of Commerce pays") == (
        "United States",
    )


def test_a_place_of_two_countries_is_the_one_its_document_is_about() -> None:
    # Casablanca: a wine valley of Chile and a city of Morocco.
    assert countries_in("Casablanca atrae visitantes de un día") == ()
    assert countries_in("Casablanca atrae visitantes", context=("Chile", "Uruguay")) == ("Chile",)
    assert countries_in("Casablanca atrae visitantes", context=("Chile", "Morocco")) == ()
    # A name in the passage still settles it before the document does.
    assert countries_in("Casablanca y Rabat", context=("Chile",)) == ("Morocco",)


def test_a_source_line_and_a_ranking_among_the_cases_are_read_as_such(tmp_path: Path) -> None:
    countries = passages_by_last_word(
        tmp_path / "comparado.md",
        COMPARISON + "\n## Síntesis\n\nFuente: elaboración propia con base en CORFO y PRODUCE.\n\n"
        "## Perú: el segundo caso\n\nLa informalidad es la más alta de los tres casos.\n",
    )
    # A figure's source line names sources, not what it is about; its notes say what they name.
    assert countries["PRODUCE."] == ()
    # One country ranked among the studied ones is not all of them.
    assert countries["casos."] == ("Peru",)


def test_a_superlative_further_back_does_not_rank_one_country(tmp_path: Path) -> None:
    countries = passages_by_last_word(
        tmp_path / "comparado.md",
        COMPARISON + "\n## Recarga\n\nLa recarga es el eslabón en que más se parecen los "
        "problemas de los tres países.\n",
    )
    assert countries["países."] == ("Chile", "Peru", "Mexico")


def test_firms_abroad_are_a_nationality_and_a_countrys_own_firms_are_the_country() -> None:
    # "empresas" beside a demonym: the country's own firms at home, a nationality abroad.
    assert countries_in("As empresas brasileiras investem pouco em P&D.") == ("Brazil",)
    spanish_firms = "desarrolladores, muchas veces empresas españolas como Iberdrola"
    assert countries_in(spanish_firms, context=("Mexico",)) == ()
    assert countries_in(spanish_firms, context=("Spain", "Mexico")) == ("Spain",)
    # A river and a firm named after a country or a place are neither.
    assert countries_in("el dragado de la hidrovía Paraguay-Paraná") == ()
    assert countries_in("Norwegian-controlled firms listed in Oslo") == ()
    # A firm's listing on a stock exchange is its affair, a financial centre is the country's.
    assert countries_in("Bioceres, listada en el Nasdaq Wall Street Technology Index") == ()
    assert countries_in("a payments processor listed in New York") == ()
    assert countries_in("los bancos de Nueva York financiaron la deuda") == ("United States",)
    # A publisher's city under its name in a title block is its address.
    assert countries_in("Instituto de Estudios Territoriales (IEDT), Ciudad de Panamá\n") == ()
    assert countries_in("Instituto de Estudos de Energia (IEE) — Rio de Janeiro\n") == ()


def test_santiago_is_chiles_or_spains_by_the_document_and_no_place_as_a_first_name() -> None:
    assert countries_in("En Santiago, la participación de las distribuidoras") == ()
    assert countries_in("En Santiago, las distribuidoras", context=("Chile", "Peru")) == ("Chile",)
    assert countries_in("el camino de Santiago llega a Galicia") == ("Spain",)
    assert countries_in("Santiago Levy sostiene", context=("Chile", "Peru")) == ()
    # A publisher's city is still its address.
    assert countries_in("Santiago: CEPAL, 2019", context=("Chile",)) == ()


def test_places_and_agencies_named_after_a_neighbour_are_their_own_countrys() -> None:
    # Alto Uruguai is a region of Brazil; PACC was a programme in Argentina and in Uruguay.
    assert countries_in("o APL do leite no Alto Uruguai gaúcho") == ("Brazil",)
    assert countries_in("o PACC apoiou planos de competitividade") == ()
    assert countries_in("o PACC apoiou planos em Montevidéu") == ("Uruguay",)
    assert countries_in("el PACC otorgó créditos", context=("Argentina",)) == ("Argentina",)
    # INTA is Argentina's and Nicaragua's agricultural institute; Río San Juan is no San Juan.
    assert countries_in("depende del INTA", context=("Nicaragua", "Panama")) == ("Nicaragua",)
    assert countries_in("el INTA de Pergamino", context=("Argentina",)) == ("Argentina",)
    assert countries_in("núcleos en Waslala y Río San Juan") == ("Nicaragua",)
    assert countries_in("una chocolatera alemana presente en el país") == ()


def test_a_figures_source_lines_are_about_nothing_and_its_notes_are_body_text(
    tmp_path: Path,
) -> None:
    countries = passages_by_last_word(
        tmp_path / "informe.md",
        "# Informe\n\n## Argentina\n\nLa Argentina apoya a sus proveedores mineros.\n\n"
        "## Gasto\n\nFuente: elaboración propia con base en INDEC y en datos del\n"
        "Ministerio de Economía.\n\n"
        "## Empleo\n\nNota: se cuentan los puestos de las empresas proveedoras.\n"
        "Fuente: elaboración propia.\n",
    )
    assert countries["Economía."] == ()  # a source line, wrapped over two lines
    assert countries["propia."] == ("Argentina",)  # a note on the report's own data


def test_a_country_offered_as_a_model_in_a_report_on_another_is_about_both(
    tmp_path: Path,
) -> None:
    countries = passages_by_last_word(
        tmp_path / "informe.md",
        REPORT_ON_ARGENTINA
        + "## Provincias\n\nEn Argentina, Mendoza, Neuquén y Jujuy atraen inversiones; la "
        "Argentina exporta desde Rosario y Bahía Blanca.\n\n"
        + "## Propuestas\n\nSe propone que el registro, a ejemplo del SICEP en Chile, "
        "califique a los proveedores locales.\n\n"
        "## Marco conceptual\n\nLa literatura toma el modelo de Corea del Sur como referencia "
        "obligada.\n",
    )
    assert set(countries["locales."]) == {"Argentina", "Chile"}
    # The literature's models are no proposal for the report's country.
    assert countries["obligada."] == ("South Korea",)


def test_a_book_on_one_countrys_state_that_seldom_names_it_is_about_that_country(
    tmp_path: Path,
) -> None:
    topics = ["empleo", "presupuesto", "compras", "estadísticas", "reguladores", "empresas"]
    sections = [
        f"## {n}. Capítulo sobre {topic}\n\nLa administración pública nacional reformó su "
        f"régimen de {topic} en {1990 + n}; el Estado nacional lo aplicó a medias.\n\n"
        for n, topic in enumerate(topics * 4, start=1)
    ]
    book = (
        "# El Estado que hace falta\n\n## Introducción\n\nLa Argentina tiene un Estado "
        "extenso y poco capaz; la ONEP y la Oficina Nacional de Presupuesto lo muestran.\n\n"
        + "".join(sections)
        + "## 25. Una comparación\n\nChile creó la Dirección de Presupuestos en 1927.\n\n"
        "## 26. La carrera\n\nLos concursos estuvieron congelados durante largos períodos.\n"
    )
    countries = passages_by_last_word(tmp_path / "estado.md", book)
    # It names its country twice, and speaks of "la administración pública nacional" in every
    # chapter: a passage naming none is about that country, not about the subject in general.
    assert countries["períodos."] == ("Argentina",)
    assert countries["1927."] == ("Chile",)
    # Its agencies by their short names are its own.
    assert countries_in("el portal COMPR.AR y la SIGEN") == ("Argentina",)
    assert countries_in("ante el CNIME de Asunción") == ("Paraguay",)
    assert countries_in("the DRC and Zambia") == ("Democratic Republic of the Congo", "Zambia")


def test_a_series_of_country_studies_is_no_mention_of_the_studied_countries(
    tmp_path: Path,
) -> None:
    report = (
        "# Clústeres textiles en Paraguay\n\nSerie Estudios de País, N.º 9. Oficina en "
        "Asunción, octubre de 2024.\n\n"
        "## Contexto\n\nParaguay exporta confecciones a Brasil desde la maquila de "
        "Asunción.\n\n## Comparación\n\nColombia y Paraguay siguieron caminos distintos; "
        "Colombia apostó por Medellín.\n\n## Instrumentos\n\nParaguay ofrece la maquila; "
        "Colombia, zonas francas en Bogotá.\n"
    )
    countries = passages_by_last_word(tmp_path / "paraguay.md", report)
    # "Estudios de País" names the series, not the countries the report compares.
    assert countries["2024."] == ("Paraguay",)


def test_a_place_of_two_countries_in_a_heading_is_the_documents(tmp_path: Path) -> None:
    report = (
        "# Maquinaria agrícola en la Argentina\n\n## Contexto\n\nLa Argentina fabrica "
        "sembradoras en Santa Fe. La Argentina exporta desde Rosario. En Argentina, Armstrong "
        "concentra talleres.\n\n## 5.1 Pauny (Las Varillas, Córdoba)\n\n"
        "La empresa exporta tractores a Bolivia y Uruguay.\n"
    )
    countries = passages_by_last_word(tmp_path / "maquinaria.md", report)
    # Córdoba is Argentina's and Spain's: in a report on Argentina, the heading is Argentina's,
    # and a passage under it naming only export markets is about Argentina too.
    assert set(countries["Uruguay."]) == {"Argentina", "Bolivia", "Uruguay"}


THEMATIC = (
    "# Agencias de desarrollo: lecciones internacionales\n\n"
    "## Competencias entre regiones\n\n"
    "Francia lanzó los polos de competitividad en 2005 con un fondo interministerial.\n\n"
    "El gobierno respondió a las evaluaciones con menos polos y más exigencias.\n\n"
    "## Recuadro 1. Alemania: el modelo de la KfW\n\n"
    "La KfW presta a las empresas a través de los bancos comerciales.\n\n"
    "México ofrece un contrapunto con Nafin como banco de segundo piso.\n\n"
    "## Implicaciones para el Perú\n\n"
    "Como en Colombia, las regiones deberían ser dueñas de las iniciativas.\n"
)


def test_a_thematic_report_follows_a_case_and_keeps_a_box_to_itself(tmp_path: Path) -> None:
    countries = passages_by_last_word(tmp_path / "tematico.md", THEMATIC)
    # "The government responded", right after the passage on France, is France's.
    assert countries["exigencias."] == ("France",)
    # A box has no end in the text: a passage under its heading naming only Mexico is
    # Mexico's, not the box's Germany too.
    assert countries["piso."] == ("Mexico",)
    # A section titled on Peru: a passage naming only Colombia there is about both.
    assert set(countries["iniciativas."]) == {"Colombia", "Peru"}


def test_the_government_after_a_case_naming_a_foreign_agency_is_the_cases(
    tmp_path: Path,
) -> None:
    report = THEMATIC.replace(
        "El gobierno respondió",
        "Francia recibió además el apoyo de una agencia estadounidense de cooperación.\n\n"
        "El gobierno respondió",
    )
    countries = passages_by_last_word(tmp_path / "tematico.md", report)
    # The passage before opens on France: "the government" goes on about France, not about
    # the country of the agency it also names.
    assert countries["exigencias."] == ("France",)


def test_regional_names_and_spellings_of_countries() -> None:
    assert countries_in("Nueva Zelandia concentra su apoyo en pocas empresas") == ("New Zealand",)
    assert countries_in("the Basque and Swedish cases") == ("Spain", "Sweden")
    assert countries_in("o caso basco") == ("Spain",)
    assert countries_in("un resumen en euskera y en basque") == ()  # languages
    assert countries_in("the dual model in its German form") == ("Germany",)
    assert countries_in("Germán Sánchez escribió el prólogo") == ()  # a first name
    assert countries_in("La CTNBio adoptó un esquema análogo") == ("Brazil",)
    assert countries_in("en la vecina república guaraní") == ("Paraguay",)


def test_a_firm_abroad_a_nation_brand_and_a_commodity_exchange() -> None:
    assert countries_in("A suíça Nestlé e a franco-holandesa Louis Dreyfus compram") == ()
    assert countries_in("o modelo suíço de formação") == ("Switzerland",)
    assert countries_in("a anglo-australiana BHP") == ()
    # A country's brand is the country's, not a firm's.
    assert countries_in("La marca país colombiana beneficia a todos") == ("Colombia",)
    assert countries_in("marcas chinas y coreanas") == ()
    assert countries_in("las aerolíneas estadounidenses de bajo costo") == ()
    # A demonym before a language's words is the language; a place after a full name, a surname.
    assert countries_in("known by its Spanish acronym CUTI") == ()
    assert countries_in("the Spanish government") == ("Spain",)
    assert countries_in("disse Edvaldo Ferreira Lima, presidente da associação") == ()
    assert countries_in("el gobierno de Lima") == ("Peru",)
    assert countries_in("en San Luis Talpa, junto al aeropuerto") == ("El Salvador",)
    # Prices quoted on an exchange abroad say nothing of its country.
    assert countries_in("prêmios sobre as cotações de Nova York e Londres") == ()


SHORT_NOTE = (
    "# Enoturismo e espumantes na serra\n\n"
    "## 1. Origem\n\nA Serra Gaúcha produz espumantes desde os anos 1970.\n\n"
    "A cooperativa ampliou as vinícolas familiares.\n\n"
    "## 2. Indicação geográfica\n\nO Vale dos Vinhedos obteve a indicação em 2002.\n\n"
    "Os produtores aprenderam a controlar a qualidade.\n\n"
    "## 3. Enoturismo\n\nBento Gonçalves recebe milhares de turistas por ano.\n\n"
    "Os roteiros somam vinícolas e restaurantes.\n\n"
    "## 4. Comparações com os vizinhos\n\n"
    "O Uruguai aposta no tannat; Canelones concentra as vinícolas uruguaias.\n\n"
    "A Argentina, com Mendoza, tem escala muito maior e uma marca mundial.\n\n"
    "Mendoza e Canelones mostram o valor de um plano setorial.\n\n"
    "## 5. Recomendações\n\nÉ preciso um plano setorial de longo prazo.\n"
)


def test_a_title_naming_a_place_of_two_countries_makes_it_the_report_s_country(
    tmp_path: Path,
) -> None:
    note = (
        "# El clúster electrónico de Guadalajara\n\n## Origen\n\n"
        "Jalisco atrajo plantas de IBM y Motorola.\n\n"
        "Las plantas ensamblaban memorias con poca integración local.\n\n"
        "## Comparación\n\nTaiwán creó el parque de Hsinchu.\n\nCosta Rica atrajo a Intel.\n"
    )
    # Guadalajara is also a Spanish city: the title's is the one the body speaks of.
    countries = passages_by_last_word(tmp_path / "nota.md", note)
    assert countries["local."] == ("Mexico",)


def test_a_short_note_on_one_country_compared_with_two_others_in_one_section(
    tmp_path: Path,
) -> None:
    # Uruguay and Argentina are named as often as Brazil, but only in the section comparing
    # them: a passage naming no country elsewhere is about Brazil.
    countries = passages_by_last_word(tmp_path / "nota.md", SHORT_NOTE)
    assert countries["familiares."] == ("Brazil",)
    assert countries["qualidade."] == ("Brazil",)
    assert countries["restaurantes."] == ("Brazil",)


def test_who_runs_buys_from_or_settled_a_place_is_no_country() -> None:
    # Developers, clients and entrepreneurs by nationality are firms'; immigrants' origin is
    # the people's, not a statement about their country.
    assert countries_in("atrajo a desarrolladores europeos, norteamericanos y chinos") == ()
    assert countries_in("su primer cliente francés pidió certificar el proceso") == ()
    assert countries_in("a indústria remonta à imigração alemã do século XIX") == ()
    assert countries_in("famílias de imigrantes italianos fundaram as olarias") == ()
    # A list of nationalities closed by a region's adjective is one list of owners.
    assert countries_in("owned by Finnish, Chilean and North American capital") == ()
    # A firm's seat, and the city a firm is from, with the country after it.
    assert countries_in("una compañía con sede en Houston, Estados Unidos, compró el 49 %") == ()
    assert countries_in("se asoció con una empresa de software de Bilbao, en España") == ()
    assert countries_in("Bilbao creó un polo de servicios") == ("Spain",)
    assert countries_in("el gobierno de España") == ("Spain",)


def test_a_tables_column_of_nationalities_is_no_country() -> None:
    table = (
        "Empresa; País de origen; Planta\n"
        "Bombardier; Canadá; Querétaro\n"
        "Safran; Francia; Querétaro; y Celaya"  # a last cell with "; " of its own
    )
    # The origin column lists where firms come from; the other cells still count.
    assert countries_in(table) == ("Mexico",)
    assert countries_in("Empresa; Sede\nAcme; Chile") == ()
    assert countries_in("Programa; País\nFomento; Chile") == ("Chile",)


def test_a_general_statement_under_a_conceptual_chapter(tmp_path: Path) -> None:
    report = (
        "# Proveedores de la minería en Neuquén\n\n"
        "## 1. Marco conceptual\n\n### 1.1 Encadenamientos\n\n"
        "Las grandes firmas organizan a sus proveedores como subcontratistas.\n\n"
        "## 2. El caso\n\n### 2.1 Historia\n\n"
        "Neuquén atrajo operadoras desde 2012.\n\n"
        "Las operadoras contrataron a proveedores locales.\n"
    )
    countries = passages_by_last_word(tmp_path / "informe.md", report)
    # A subsection of the conceptual chapter is theory, however its own title reads.
    assert countries["subcontratistas."] == ()
    assert countries["locales."] == ("Argentina",)


def test_a_compound_a_list_of_seats_and_a_language_being_taught() -> None:
    assert countries_in("multinacionales francesas, alemanas y anglo-neerlandesas") == ()
    assert countries_in("operators headquartered in France, the United States and Spain") == ()
    assert countries_in("exige ensino de português e clases de inglés") == ()
    assert countries_in("la industria de Portugal") == ("Portugal",)


def test_a_place_of_two_countries_counts_where_its_own_passage_says_which(
    tmp_path: Path,
) -> None:
    # Córdoba is Argentina's and Spain's: one passage naming Spain among the export markets
    # does not make every "Córdoba" of the report Spain's too.
    report = (
        "# El software de Córdoba\n\n## 1. Historia\n\n"
        "Córdoba es la segunda ciudad de Argentina.\n\n"
        "Córdoba creó un polo tecnológico.\n\nCórdoba formó ingenieros.\n\n"
        "Córdoba y Rosario atrajeron centros de desarrollo.\n\n"
        "## 2. Exportaciones\n\nCórdoba exporta a España, Chile y México.\n\n"
        "## 3. Desafíos\n\nLas empresas locales necesitan crédito.\n"
    )
    countries = passages_by_last_word(tmp_path / "informe.md", report)
    assert countries["crédito."] == ("Argentina",)


def test_the_state_government_after_a_passage_on_other_countries_is_the_reports_own(
    tmp_path: Path,
) -> None:
    report = (
        "# Cooperativas do oeste do Paraná\n\n## Resumo executivo\n\n"
        "As cooperativas de Cascavel e Toledo exportam frango.\n\n"
        "As experiências da Dinamarca e dos Países Baixos sugerem institutos comuns.\n\n"
        "Recomendamos um programa estadual de inovação para as cooperativas.\n\n"
        "## 1. O Paraná\n\nO Paraná lidera as exportações do Brasil.\n\n"
        "O Paraná tem 300 cooperativas.\n\nO Paraná financia armazéns.\n"
    )
    countries = passages_by_last_word(tmp_path / "estudo.md", report)
    # "estadual" speaks of the report's own state, not of the peers named just before.
    assert countries["cooperativas."] == ("Brazil",)
    assert countries["comuns."] == ("Denmark", "Netherlands")


def test_a_review_of_the_literature_is_theory_in_three_languages() -> None:
    for section in ("2. Referencial conceitual", "Literature review", "Revisión de la literatura"):
        assert not inherits("Las empresas venden a sus proveedores.", section=section)
    assert inherits("Las empresas venden a sus proveedores.", section="3. El caso")


def test_a_joint_venture_a_laboratory_and_a_region_named_in_a_countrys_section(
    tmp_path: Path,
) -> None:
    assert countries_in("A Finnish-Swedish and Chilean joint venture built a mill") == ()
    assert countries_in("drew pharmaceutical firms, including a German laboratory") == ()
    report = (
        "# Zones in Panama and Ireland\n\n## 1. Panama\n\nPanama opened Colón in 1948.\n\n"
        "Panama added Panamá Pacífico.\n\nPanama taxes little.\n\n"
        "## 2. Ireland\n\nIreland opened Shannon in 1959.\n\n"
        "### 2.1 Lessons\n\nAccess to the European Union was decisive.\n"
    )
    countries = passages_by_last_word(tmp_path / "zones.md", report)
    # A world region said of the section's country does not make the passage general.
    assert countries["decisive."] == ("Ireland",)


def test_france_in_portuguese_and_a_few_more_countries_by_their_names() -> None:
    # "França" loses its cedilla onto the Spanish "franca" ("zona franca"), which is no country.
    assert countries_in("a experiência da França com as indicações") == ("France",)
    assert countries_in("a zona franca de Manaus em franca expansão") == ("Brazil",)
    assert countries_in("Camboya, Bangladés y Myanmar confeccionan") == (
        "Cambodia",
        "Bangladesh",
        "Myanmar",
    )


def test_every_state_is_named_and_a_word_or_city_of_the_same_name_is_not() -> None:
    assert countries_in("los fondos de Timor-Leste, Kuwait y Mongolia") == (
        "Timor-Leste",
        "Kuwait",
        "Mongolia",
    )
    assert countries_in("la República Democrática del Congo y Sudán del Sur") == (
        "Democratic Republic of the Congo",
        "South Sudan",
    )
    # the longer name wins: China's province, Nigeria's delta
    assert countries_in("las minas de Mongolia Interior y del delta del Níger") == (
        "China",
        "Nigeria",
    )
    # malt, a Colombian city, a Costa Rican city, a Brazilian hospital
    assert countries_in("la malta y la cebada cervecera") == ()
    assert countries_in("los caficultores de Armenia y Manizales") == ("Colombia",)
    assert countries_in("el aeropuerto de Liberia, en Guanacaste") == ("Costa Rica",)
    assert countries_in("o Hospital Sírio-Libanês de São Paulo") == ("Brazil",)


def test_a_lesson_for_the_reports_country_drawn_in_a_chapter_on_another(tmp_path: Path) -> None:
    report = (
        "# Proveedores eólicos: Argentina, India y Turquía\n\n"
        "## 1. India\n\nIndia fabrica palas en Gujarat desde 2005.\n\n"
        "### 1.1 Lecciones para la Argentina\n\nLa Argentina podría certificar modelos.\n\n"
        "## 2. Beneficios en India y Turquía\n\nIndia y Turquía exportan palas.\n\n"
        "### 2.1 Turquía\n\nTurquía licitó un bloque en 2017.\n\n"
        "## 3. La Argentina\n\nLa Argentina licitó en 2016.\n\n"
        "### Recuadro 1. India\n\nIndia certificó a sus fabricantes.\n"
    )
    countries = passages_by_last_word(tmp_path / "eolica.md", report)
    # the lesson is drawn from India's case
    assert countries["modelos."] == ("Argentina", "India")
    # not from a chapter on several, nor from the chapter a box sits in
    assert countries["2017."] == ("Turkey",)
    assert countries["fabricantes."] == ("India",)


def test_a_firm_named_after_its_nationality_and_shipyards_by_nationality() -> None:
    # Eni is also on Italy's list (a state holding), but here it is the firm just introduced
    assert countries_in("operados pela britânica BP e pela italiana Eni em Cabinda") == ("Angola",)
    assert countries_in("a concorrência de estaleiros coreanos e chineses") == ()
    assert countries_in("entrevistas em Stavanger e Ciudad del Carmen") == ("Norway", "Mexico")


def test_washington_as_the_government_and_as_a_seat() -> None:
    assert countries_in("Washington has applied anti-circumvention duties") == ("United States",)
    assert countries_in("el Consenso de Washington") == ()
    affiliation = "Trade Studies Department, Washington, D.C. and San Salvador\n\nText."
    assert countries_in(affiliation) == ("El Salvador",)
    assert countries_in("Institute for Trade Studies (HITIS), Washington, D.C.\n") == ()
    # a Mexican municipality and a Brazilian state, settled by the passage
    assert countries_in("Tesla's plant in Santa Catarina, Nuevo León") == ("Mexico",)
    assert countries_in("a indústria de Santa Catarina", context=["Brazil"]) == ("Brazil",)


def test_a_passage_naming_one_of_its_headings_two_countries_is_about_that_one(
    tmp_path: Path,
) -> None:
    report = (
        "# Fondos de estabilización\n\n## 6. Ahorrar\n\nLa regla importa más que el fondo.\n\n"
        "### 6.3 Botswana y Timor-Leste\n\nBotswana vende diamantes de Debswana.\n\n"
        "Timor-Leste depende de su fondo petrolero desde 2005, cuando el parlamento aprobó la "
        "ley que lo creó con una regla de retiro.\n"
    )
    countries = passages_by_last_word(tmp_path / "fondos.md", report)
    # the passage holds its heading, and its text speaks of one of the two
    assert countries["Debswana."] == ("Botswana",)
    # one that names neither is about both
    assert countries["retiro."] == ("Botswana", "Timor-Leste")


def test_a_treasury_bond_held_abroad_and_argentinas_power_auctions() -> None:
    assert countries_in("el retorno de un bono del Tesoro estadounidense") == ()
    assert countries_in("el Tesoro estadounidense sancionó a la empresa") == ("United States",)
    assert countries_in("las rondas del RenovAr y el mercado MATER") == ("Argentina",)


def test_the_government_right_after_another_country_is_that_countrys(tmp_path: Path) -> None:
    own = " ".join(f"En {year} la Argentina aseguró poco." for year in range(2001, 2025))
    report = (
        f"# Seguros agropecuarios: opciones para la Argentina\n\n## 1. La Argentina\n\n{own}"
        "\n\n## 2. Arquitecturas\n\nKenia subsidia la prima. El gobierno reasegura a las "
        "compañías.\n\n## 3. Lecciones\n\nEl gobierno nacional debería imitar a Kenia.\n"
    )
    countries = passages_by_last_word(tmp_path / "seguros.md", report)
    # "el gobierno" right after Kenya is Kenya's
    assert countries["compañías."] == ("Kenya",)
    # said before naming another, "el gobierno nacional" is the report's own
    assert countries["Kenia."] == ("Kenya", "Argentina")


def test_a_title_block_keeps_its_subtitles_countries(tmp_path: Path) -> None:
    path = tmp_path / "etanol.md"
    path.write_text(
        "# Etanol: o Brasil comparado\n\n## Estados Unidos, Argentina e Colômbia\n\n"
        "Série Estudos, nº 14\n\nIPEDP, São Paulo\n\n## 1. Introdução\n\nO etanol cresceu.\n",
        encoding="utf-8",
    )
    document = load_document(path, Settings())
    cover = annotate(document, chunk_document(document, words, 400, 200, 0))[0]
    assert "IPEDP" in cover.text
    # the seat under the title is no reason to drop the subtitle's countries
    assert set(cover.countries) == {"Brazil", "United States", "Argentina", "Colombia"}


def test_a_passage_opening_on_the_rest_of_the_case_before_it(tmp_path: Path) -> None:
    report = (
        "# Seguros agrícolas en el mundo\n\n## 4. Subsidios\n\n"
        "Chile subsidia la prima con un monto fijo por cada póliza emitida.\n\n"
        "El programa sostuvo un mercado estable.\n\nLa India cobra una tasa fija.\n\n"
        "## 5. Pasturas\n\nUruguay ensayó un índice satelital.\n\n"
        "Cuadro 1. Primas subsidiadas.\n\nEspaña subsidia las pasturas.\n"
    )
    countries = passages_by_last_word(tmp_path / "seguros.md", report)
    # the programme that held the market up is Chile's, then India comes in
    assert countries["fija."] == ("Chile", "India")
    # a table's caption is no part of the case before it
    assert countries["pasturas."] == ("Spain",)


def test_the_national_public_administration_is_the_reports_own_country() -> None:
    assert speaks_of_own("La administración pública nacional fusionó ministerios.", "es")
    assert not speaks_of_own("Una administración eficaz fusiona ministerios.", "es")


def test_assemblers_and_wineries_by_nationality_are_firms() -> None:
    assert countries_in("un esquema de certificación para ensambladoras alemanas y coreanas") == ()
    assert countries_in("con bodegas francesas y chilenas en el Valle de Uco") == ("Argentina",)


def test_a_firms_plants_and_subsidiaries_abroad_are_no_country() -> None:
    text = "Tenaris, con planta principal en Buenos Aires, tiene plantas en México, Brasil e Italia"
    assert countries_in(text) == ("Argentina",)
    assert countries_in("BYD has subsidiaries in Hungary, Brazil and Thailand") == ()
