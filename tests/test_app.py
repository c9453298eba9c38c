"""The Streamlit app, page by page, through `streamlit.testing.v1.AppTest`.

A knowledge base of the bundled corpus plus one hostile document (HTML and Markdown in its
title, body and file name) is built once for the module with the real default encoder; a
second, two-document knowledge base checks that the app follows `CLUSTERKB_HOME` and shows a
country without passages as such.

Downloads: AppTest does not keep a download button's bytes, so the tests check the preview
the page shows and the bytes of the same export function the buttons call
(`kb.briefs.export.export_bytes`); the real download is exercised in `tests/test_browser.py`.
Uploads: AppTest drives `st.file_uploader` itself, so the upload test goes through the page.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from clusterkb.app.evidence_chart import heatmap, selected_cell
from clusterkb.app.i18n import EN, ES
from clusterkb.app.text import md_line
from ingest.pipeline import ingest_paths
from ingest.uploads import UploadRejected, save_upload, stored_name
from kb.briefs.brief import Brief
from kb.briefs.compose import KeyPoint, Quotation
from kb.briefs.export import compose_brief, export_bytes
from kb.briefs.store import list_briefs, load_brief
from kb.config import Settings
from kb.retrieval.evidence_map import build_map
from kb.retrieval.translations import passage_keys
from kb.storage.knowledge import KnowledgeBase, open_kb
from kb.tags.tagger import default_tagger
from kb.tags.taxonomy import load_taxonomy
from tests.helpers.jobs import stand_in_worker

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"
TIMEOUT = 180
HOSTILE_NAME = "informe <img src=x onerror=alert(1)>.md"
HOSTILE = """---
title: "<script>alert('title')</script><img src=x onerror=alert('title')> Informe hostil"
country: Atlantis
source: "<img src=x onerror=alert('source')>"
year: 2020
language: es
---

# Zanahorias cuánticas

La zanahoria cuántica <script>alert('body')</script> y <img src=x onerror=alert('body')>
muestran una falta de coordinación entre las instituciones públicas. **negrita** y
[enlace](javascript:alert('link')) no deben formatearse.
La fórmula $x^2$, el :red[rojo], el :smile: y el :material/home: quedan como se escribieron.
"""
RAW_HTML = re.compile(r"(?<!\\)<\s*(script|img)", re.IGNORECASE)


def build(home: Path, paths: list[Path]) -> KnowledgeBase:
    settings = Settings(home=home, corpus_dir=REPO / "corpus")
    kb = open_kb(settings)
    report = ingest_paths(kb, paths, tagger=default_tagger(kb))
    assert not report.failed, report.failed
    return kb


@pytest.fixture(scope="module")
def corpus_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The bundled corpus plus one hostile document (built once: ~15 s)."""
    root = tmp_path_factory.mktemp("appkb")
    extra = root / "extra"
    extra.mkdir()
    (extra / HOSTILE_NAME).write_text(HOSTILE, encoding="utf-8")
    return build(root / "home", [REPO / "corpus", extra])


@pytest.fixture(scope="module")
def small_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """Two documents only (Chile and Argentina): Brazil and El Salvador have no passage."""
    root = tmp_path_factory.mktemp("smallkb")
    docs = root / "docs"
    docs.mkdir()
    for country, body in SMALL_DOCS.items():
        (docs / f"{country.lower()}.md").write_text(
            f"---\ntitle: Clústeres en {country}\ncountry: {country}\n---\n\n{body}\n",
            encoding="utf-8",
        )
    return build(root / "home", [docs])


# Passages name no other country: a country is only "about" where its own report speaks.
SMALL_DOCS = {
    "Chile": "La coordinación entre las agencias públicas y las empresas fue débil al comienzo "
    "del programa de clústeres; las mesas regionales la mejoraron con el tiempo.",
    "Argentina": "Los programas de clústeres sufrieron falta de coordinación entre ministerios "
    "y gobiernos provinciales, y cambios frecuentes de prioridades.",
}


@pytest.fixture
def home(corpus_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> Iterator[KnowledgeBase]:
    monkeypatch.setenv("CLUSTERKB_HOME", str(corpus_kb.settings.home))
    monkeypatch.setenv("CLUSTERKB_CORPUS_DIR", str(REPO / "corpus"))
    # Briefs are saved as they are edited and reopened in new sessions: start each test clean.
    shutil.rmtree(corpus_kb.settings.briefs_dir, ignore_errors=True)
    yield corpus_kb


def shown(markdown: str) -> str:
    """What a reader sees of escaped Markdown text (`\\:` shows as `:`)."""
    return markdown.replace("\\", "")


def new_app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()


def open_brief(at: AppTest) -> Brief:
    """The brief open in the session `at`, as saved."""
    return load_brief(str(at.session_state["brief_open_id"]), Settings().briefs_dir)


def on_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"clusterkb/app/views/{page}.py").run()
    assert not at.exception, at.exception
    return at


def search(at: AppTest, query: str) -> AppTest:
    at.text_input(key="search_query").input(query).run()
    assert not at.exception, at.exception
    return at


def hit_ids(at: AppTest, prefix: str = "search") -> list[str]:
    """Passage ids of the cards on the page, from their 'add to brief' buttons."""
    marker = f"{prefix}_add_"
    return [b.key[len(marker) :] for b in at.button if b.key and b.key.startswith(marker)]


def walk(node: Any) -> Iterator[Any]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def shown_texts(at: AppTest) -> list[str]:
    """Every Markdown-rendered string of the page: bodies, captions, alerts and labels."""
    out = []
    for node in walk(at._tree):
        for attr in ("value", "label"):
            value = getattr(node, attr, None) if attr == "label" or _is_markdown(node) else None
            if isinstance(value, str):
                out.append(value)
    return out


def _is_markdown(node: Any) -> bool:
    return getattr(node, "type", "") in {"markdown", "caption", "alert", "exception"}


def assert_no_live_html(at: AppTest) -> None:
    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        assert not getattr(proto, "allow_html", False), f"HTML allowed in {node!r}"
        assert not getattr(proto, "unsafe_allow_html", False), f"HTML allowed in {node!r}"
    for text in shown_texts(at):
        assert not RAW_HTML.search(text), f"unescaped HTML would reach the page: {text!r}"


def plain_fragment(text: str, size: int = 40) -> str:
    """A stretch of letters and spaces from `text` that every export keeps verbatim."""
    match = re.search(rf"[A-Za-zÁÉÍÓÚáéíóúñÑü ]{{{size},}}", text)
    assert match, text
    return " ".join(match.group(0).split())[:size].strip()


# --- navigation, language and translations ----------------------------------------------


def test_opens_in_spanish_and_switches_to_english(home: KnowledgeBase) -> None:
    at = new_app()
    assert not at.exception
    assert at.header[0].value == ES["search_title"]
    assert any(m.label == "Problema" for m in at.multiselect)
    at.sidebar.segmented_control(key="lang").set_value("en").run()
    assert at.header[0].value == EN["search_title"]
    problem = next(m for m in at.multiselect if m.key == "search_problem")
    assert problem.label == "Problem"
    assert "Lack of coordination" in problem.options


def test_every_interface_string_exists_in_both_languages() -> None:
    assert ES.keys() == EN.keys()
    sources = [APP, *(REPO / "clusterkb" / "app").rglob("*.py")]
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    used = set(re.findall(r"\bt\(\s*\"([a-z_]+)\"", text))
    assert used and used <= ES.keys()
    assert "unsafe_allow_html" not in text


def test_every_page_renders_without_error(home: KnowledgeBase) -> None:
    at = new_app()
    for page in ("search", "compare", "evidence_map", "brief", "learning", "library"):
        on_page(at, page)
        assert at.header, page


# --- search -----------------------------------------------------------------------------


def test_search_returns_cited_tagged_hits(home: KnowledgeBase) -> None:
    at = search(new_app(), "problemas de coordinación en Chile")
    ids = hit_ids(at)
    assert ids, "a search must return hits"
    countries = {home.manifest.docs[i.split(":")[0]].country for i in ids}
    assert "Chile" in countries
    captions = [shown(c.value) for c in at.caption]
    # Each card cites its report; Markdown reports have no pages, so no page is cited.
    cited = home.store.get([ids[0]])[0].title
    assert any(cited in c for c in captions) and not any("p. 1" in c for c in captions)
    assert any(e.label == ES["why_tags"] for e in at.expander)
    assert any(
        "regla" in shown(m.value) and "Falta de coordinación" in shown(m.value) for m in at.markdown
    )


def test_a_filter_narrows_the_hits(home: KnowledgeBase) -> None:
    at = search(new_app(), "coordinación entre instituciones públicas")
    before = hit_ids(at)
    at.multiselect(key="search_countries").set_value(["Chile"]).run()
    after = hit_ids(at)
    assert after and set(after) != set(before)
    # Passage-level countries: every hit is about Chile, whichever report it comes from.
    assert all("Chile" in p.countries for p in home.store.get(after))
    at.multiselect(key="search_evidence").set_value(["recommendation"]).run()
    narrowed = hit_ids(at)
    assert len(narrowed) <= len(after)
    for pid in narrowed:
        assert "recommendation" in home.store.get([pid])[0].tag_ids("evidence")


def test_nothing_matching_says_so(home: KnowledgeBase) -> None:
    at = search(new_app(), "coordinación")
    at.multiselect(key="search_countries").set_value(["Atlantis"]).run()
    at.multiselect(key="search_instrument").set_value(["intellectual_property"]).run()
    assert not hit_ids(at)
    assert [w.value for w in at.warning] == [ES["no_results"]]


def test_hostile_document_text_is_shown_as_text(home: KnowledgeBase) -> None:
    at = search(new_app(), "zanahoria cuántica")
    ids = hit_ids(at)
    assert ids and ids[0].startswith("informe_img_src_x_onerror_alert_1")
    bodies = " ".join(m.value for m in at.markdown)
    assert r"\<script\>alert('body')\</script\>" in bodies
    # Markdown emphasis is dropped at ingest: the word shows, the markup never does.
    assert "negrita" in bodies and "*negrita" not in bodies.replace("\\", "")
    captions = " ".join(c.value for c in at.caption)
    assert r"\<script\>alert('title')\</script\>\<img src=x onerror=alert('title')\>" in captions
    assert_no_live_html(at)


# --- sessions and the brief -------------------------------------------------------------


def test_two_sessions_do_not_share_brief_or_filters(home: KnowledgeBase) -> None:
    first = search(new_app(), "coordinación en Chile")
    first.multiselect(key="search_countries").set_value(["Chile"]).run()
    first.button(key=f"search_add_{hit_ids(first)[0]}").click().run()
    assert len(open_brief(first).items) == 1

    second = new_app()
    assert second.multiselect(key="search_countries").value == []
    assert second.text_input(key="search_query").value == ""
    on_page(second, "brief")
    # The same user's saved brief opens again in a new session (a reload, a new tab).
    assert len(open_brief(second).items) == 1
    assert len(open_brief(first).items) == 1


def test_brief_collects_orders_notes_and_exports_the_quotation(home: KnowledgeBase) -> None:
    at = search(new_app(), "falta de coordinación entre las instituciones públicas en Chile")
    first, second = hit_ids(at)[:2]
    at.button(key=f"search_add_{first}").click().run()
    at.button(key=f"search_add_{second}").click().run()
    assert at.button(key=f"search_add_{first}").disabled  # already in the brief

    on_page(at, "brief")
    at.button(key=f"brief_down_{first}").click().run()
    assert open_brief(at).passage_ids == [second, first]
    at.text_input(key=f"brief_note_{first}").input("Revisar con el consejo").run()
    at.text_input(key="brief_title_input").input("Coordinación en Chile").run()

    brief = open_brief(at)
    doc = compose_brief(home, brief, "es")
    # The passage is quoted once, trimmed to its chosen sentences: its quotation, or its key
    # message when that sentence was all it quoted (a key message is not quoted again).
    quoted = [
        b
        for section in doc.sections
        for b in section.blocks
        if isinstance(b, Quotation | KeyPoint) and b.passage_id == first
    ]
    assert quoted and sum(isinstance(b, Quotation) for b in quoted) <= 1
    quotation = plain_fragment(quoted[-1].text)
    # The preview is the formatted brief (no Markdown source), its text escaped.
    preview = " ".join(m.value.replace("\\", "") for m in at.markdown)
    assert quotation in " ".join(preview.split())
    assert "Revisar con el consejo" in preview and "## Coordinación en Chile" in preview
    assert not at.code
    labels = [d.label for d in at.download_button]
    assert labels == [ES["download_md"], ES["download_docx"], ES["download_pdf"]]

    markdown = export_bytes(doc, "md").decode("utf-8")
    assert quotation in " ".join(markdown.split())
    docx = export_bytes(doc, "docx")
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    assert quotation in body
    pdf_text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(export_bytes(doc, "pdf"))).pages
    )
    assert quotation[:25] in " ".join(pdf_text.split())

    at.button(key=f"brief_remove_{second}").click().run()
    assert open_brief(at).passage_ids == [first]


def test_brief_is_saved_and_reopened_from_the_data_folder(home: KnowledgeBase) -> None:
    at = search(new_app(), "coordinación en Chile")
    pid = hit_ids(at)[0]
    at.button(key=f"search_add_{pid}").click().run()
    on_page(at, "brief")
    at.text_input(key="brief_name_input").input("chile-coordinacion").run()
    # Saved as it is edited: no save button to forget.
    saved = list_briefs(home.settings.briefs_dir)
    assert [b.name for b in saved] == ["chile-coordinacion"]
    brief_id = str(at.session_state["brief_open_id"])

    at.button(key="brief_picker_new").click().run()
    at.text_input(key="brief_title_input").input("Otro informe").run()
    assert open_brief(at).items == []
    assert len(list_briefs(home.settings.briefs_dir)) == 2  # the first one is still there
    at.selectbox(key="brief_pick").set_value(brief_id).run()
    assert open_brief(at).passage_ids == [pid]
    assert at.text_input(key="brief_name_input").value == "chile-coordinacion"


# --- compare ----------------------------------------------------------------------------


def test_compare_shows_one_column_per_country(home: KnowledgeBase) -> None:
    at = on_page(new_app(), "compare")
    assert at.multiselect(key="compare_countries").value == [
        "Argentina",
        "Brazil",
        "Chile",
        "El Salvador",
    ]
    at.text_input(key="compare_query").input("coordinación público-privada").run()
    assert [s.value for s in at.subheader] == ["Argentina", "Brasil", "Chile", "El Salvador"]
    assert len(at.columns) >= 4
    for country in ("Argentina", "Brazil", "Chile", "El Salvador"):
        assert hit_ids(at, f"compare_{country}"), country
    assert any(m.value == f"**{ES['profile']}**" for m in at.markdown)


def test_compare_shows_a_country_without_passages(
    small_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERKB_HOME", str(small_kb.settings.home))
    at = on_page(new_app(), "compare")
    at.text_input(key="compare_query").input("coordinación").run()
    assert [w.value for w in at.warning] == [ES["country_no_passage"]] * 2
    assert hit_ids(at, "compare_Chile") and not hit_ids(at, "compare_Brazil")


# --- evidence map -----------------------------------------------------------------------


def test_evidence_map_lists_a_cell_and_names_the_gaps(home: KnowledgeBase) -> None:
    at = on_page(new_app(), "evidence_map")
    assert any(getattr(n, "type", "") == "plotly_chart" for n in walk(at._tree))
    assert at.subheader[-1].value == ES["no_evidence"]
    emap = build_map(home.lexical.rows, "problem", "outcome", load_taxonomy())
    full = next(key for key, ids in emap.cells.items() if ids)
    gap = emap.gaps()[0]
    at.selectbox(key="map_row").set_value(full[0]).run()
    at.selectbox(key="map_col").set_value(full[1]).run()
    assert set(hit_ids(at, "map")) == set(emap.cells[full])
    at.selectbox(key="map_row").set_value(gap[0]).run()
    at.selectbox(key="map_col").set_value(gap[1]).run()
    assert [w.value for w in at.warning] == [ES["cell_gap"]]
    assert len(at.dataframe[-1].value) == len(emap.gaps())

    at.selectbox(key="map_rows").set_value("country").run()
    at.selectbox(key="map_cols").set_value("evidence").run()
    assert at.selectbox(key="map_cols").value == "evidence"


def test_map_labels_cannot_become_plotly_markup() -> None:
    emap = build_map([], "country", "evidence", load_taxonomy(), ["<b>Atlantis</b>"])
    figure = heatmap(emap, str, str, "%{text}", "-")
    assert list(figure.data[0].y) == ["&lt;b&gt;Atlantis&lt;/b&gt;"]
    assert figure.data[2].text[0] == "∅"  # an empty cell reads as a gap


def test_a_clicked_cell_is_read_from_the_chart_selection() -> None:
    event = {"selection": {"points": [{"x": "A", "y": "B", "customdata": ["coordination", "x"]}]}}
    assert selected_cell(event) == ("coordination", "x")
    assert selected_cell({"selection": {"points": []}}) is None
    assert selected_cell(None) is None


# --- learning ---------------------------------------------------------------------------


def test_learning_path_and_quiz_scores_answers(home: KnowledgeBase) -> None:
    at = on_page(new_app(), "learning")
    assert at.expander[0].label.startswith("1. ")
    assert hit_ids(at, "learn_concepts")
    quiz = at.session_state["quiz"]
    assert quiz.questions
    radios = [r for r in at.radio if r.key and r.key.startswith("quiz_")]
    right = quiz.questions[0].answer
    radios[0].set_value(right).run()
    assert [s.value for s in at.success] == [ES["quiz_right"]]
    assert at.metric[0].value == "1 / 1"
    assert hit_ids(at, "quiz_0") == [quiz.questions[0].passage.id]

    # The option chosen stays in view, marked as the answer given.
    chosen = md_line(quiz.questions[0].options[right])
    assert any(f"**{chosen}** — {ES['quiz_your_answer']}" in m.value for m in at.markdown)

    wrong = (quiz.questions[1].answer + 1) % len(quiz.questions[1].options)
    # Answered questions no longer offer their options: the next radio is question 2's.
    [r for r in at.radio if r.key and r.key.startswith("quiz_")][0].set_value(wrong).run()
    assert any(e.value.startswith("Incorrecto") for e in at.error)
    shown = " ".join(m.value for m in at.markdown)
    assert f"**{md_line(quiz.questions[1].options[wrong])}** — {ES['quiz_your_answer']}" in shown
    right_one = md_line(quiz.questions[1].options[quiz.questions[1].answer])
    assert f"{right_one} — {ES['quiz_right_option']}" in shown
    assert at.metric[0].value == "1 / 2"

    at.number_input(key="quiz_seed").set_value(7).run()
    at.button(key="quiz_new").click().run()
    assert at.metric[0].value == "0 / 0"


# --- library ----------------------------------------------------------------------------


def test_library_lists_documents_with_metadata(home: KnowledgeBase) -> None:
    at = on_page(new_app(), "library")
    table = at.dataframe[0].value
    assert len(table) == len(home.manifest.docs)
    assert set(table.columns) >= {ES["col_title"], ES["col_pages"], ES["col_passages"]}
    assert HOSTILE_NAME in set(table[ES["col_file"]])
    assert [s.value for s in at.success] == [ES["index_in_step"]]


def test_upload_is_queued_ingested_by_the_worker_and_kept_in_history(
    home: KnowledgeBase,
) -> None:
    at = on_page(new_app(), "library")
    good = "# Informe de prueba\n\nLas compras coordinadas de los proveedores del clúster de uva.\n"
    # Uploads are queued as jobs; the test runs the queue where the worker would.
    with stand_in_worker(home.settings.home) as run_jobs:
        at.file_uploader(key="library_uploads").set_value(
            [
                ("Informe <b>uva</b>.md", good.encode(), "text/markdown"),
                ("falso.pdf", b"esto no es un PDF", "application/pdf"),
            ]
        ).run()
        at.button(key="library_ingest").click().run(timeout=TIMEOUT)
        assert not at.exception, at.exception
        assert ES["job_queued"] in [i.value for i in at.info]
        assert run_jobs() == 1
    at = on_page(new_app(), "library")
    results = at.dataframe[-1].value
    rows = dict(zip(results[ES["col_file"]], results[ES["col_result"]], strict=True))
    assert rows == {"Informe <b>uva</b>.md": "añadido", "falso.pdf": "error"}
    reason = results[results[ES["col_file"]] == "falso.pdf"][ES["col_reason"]].iloc[0]
    assert reason.startswith(ES["reason_not_pdf"].split("(")[0])  # in the interface language

    # The refused file is not kept; the good one is stored under its content hash.
    assert not list(home.settings.uploads_dir.glob("*.pdf"))
    stored = sorted(p.name for p in home.settings.uploads_dir.glob("*.md"))
    assert stored == [stored_name("Informe <b>uva</b>.md", good.encode())]
    assert re.fullmatch(r"informe_b_uva_b-[0-9a-f]{12}\.md", stored[0])
    assert any(
        i.startswith("informe_b_uva_b") for i in hit_ids(search(new_app(), "uva proveedores"))
    )


def test_uploads_over_the_size_cap_or_of_other_types_are_refused(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, max_file_mb=0.001)
    with pytest.raises(UploadRejected, match="limit"):
        save_upload("big.md", b"x" * 2000, settings)
    with pytest.raises(UploadRejected, match="unsupported"):
        save_upload("virus.exe", b"MZ", settings)
    path = save_upload("../../etc/passwd.md", b"hola", settings)
    assert path.parent == settings.uploads_dir and path.name.startswith("etc_passwd-")


def test_a_passage_is_opened_and_its_tags_corrected(home: KnowledgeBase) -> None:
    at = search(new_app(), "zanahoria cuántica")
    pid = hit_ids(at)[0]
    on_page(at, "library")
    at.text_input(key="library_passage_id").input(pid).run()
    assert hit_ids(at, "library") == [pid]
    at.multiselect(key="tags_add").set_value(["outcome:innovation"])
    at.text_input(key="tags_note").input("<script>alert('note')</script>")
    at.button(key="tags_save").click().run()
    assert not at.exception, at.exception
    assert ES["tags_saved"] in [s.value for s in at.success]
    assert "innovation" in home.store.get([pid])[0].tag_ids("outcome")
    log = at.dataframe[-1].value
    assert list(log[ES["col_added"]]) == ["outcome:innovation"]
    assert any("corrección humana" in m.value and "Innovación" in m.value for m in at.markdown)
    assert_no_live_html(at)

    at.text_input(key="library_passage_id").input("no-such-passage").run()
    assert at.error and "no-such-passage" in at.error[0].value


# --- report text as written, translations once -------------------------------------------


def test_streamlit_markup_in_report_text_is_shown_as_written(home: KnowledgeBase) -> None:
    at = search(new_app(), "zanahoria cuántica")
    bodies = " ".join(m.value for m in at.markdown)
    # `$` would open a formula and `:red[` colour the text: both reach Streamlit escaped.
    assert r"\$x^2\$" in bodies
    assert r"\:red\[rojo\]" in bodies
    # Emoji and icon names are looked up after parsing: their `:name:` shape is broken.
    assert ":smile:" not in bodies.replace("\\", "")
    assert ":material/home:" not in bodies.replace("\\", "")
    assert "smile" in bodies and "material/home" in bodies


def test_a_passage_and_its_translation_take_one_result(home: KnowledgeBase) -> None:
    keys = passage_keys(home.manifest.docs)
    at = search(new_app(), "coordinación entre agencias públicas y empresas en Chile")
    ids = hit_ids(at)
    assert len(ids) >= 4
    shared = [keys[pid] for pid in ids if pid in keys]
    assert shared, "no hit from a translated report"
    assert len(shared) == len(set(shared)), "a passage and its translation both shown"


def test_the_map_counts_translations_once_and_filters_by_language(home: KnowledgeBase) -> None:
    at = on_page(new_app(), "evidence_map")
    at.selectbox(key="map_rows").set_value("problem").run()
    at.selectbox(key="map_cols").set_value("country").run()
    keys = passage_keys(home.manifest.docs)
    both = build_map(home.lexical.rows, "problem", "country", load_taxonomy())
    once = build_map(home.lexical.rows, "problem", "country", load_taxonomy(), same=keys)
    # Chile's report is in Spanish and English: counted once, it weighs half as much.
    assert sum(once.count(r, "Chile") for r in once.rows) < sum(
        both.count(r, "Chile") for r in both.rows
    )
    for ids in once.cells.values():
        assert len({keys.get(pid, pid) for pid in ids}) == len(ids)

    at.multiselect(key="map_langs").set_value(["en"]).run()
    assert not at.exception
    row, col = next((r, c) for (r, c), ids in once.cells.items() if ids and c == "Chile")
    at.selectbox(key="map_row").set_value(row).run()
    at.selectbox(key="map_col").set_value(col).run()
    langs = {p.lang for p in home.passages(hit_ids(at, "map"))}
    assert langs == {"en"}
