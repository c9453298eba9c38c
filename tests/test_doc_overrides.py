"""People correct a document's metadata, remove documents and replace uploaded versions.

Overrides live in their own log, take effect at once in search, and outlive re-ingest and
`--rebuild`; removing a document takes it out of search and leaves the records agreeing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterkb.cli import app
from ingest.pipeline import IngestReport, clear_metadata, ingest_paths, untagged
from ingest.uploads import replaced_by, save_upload
from kb.config import get_settings
from kb.models import SearchFilters
from kb.retrieval.search import search
from kb.storage.check import check
from kb.storage.knowledge import KnowledgeBase
from kb.storage.manifest import DocRecord
from kb.storage.overrides import (
    DocumentEditError,
    append_override,
    load_overrides,
    make_override,
    overrides_path,
)
from kb.storage.writes import remove_document, set_metadata
from tests.helpers.cli import point_cli_at
from tests.helpers.jobs import stand_in_worker

Write = Callable[[Path, str], Path]
REPO = Path(__file__).resolve().parents[1]
NEW_TITLE = "Desarrollo de proveedores mineros en la cordillera"
runner = CliRunner()


def report(title: str = "mineria_v2 final", body: str = "") -> str:
    return f"""---
title: "{title}"
country: Chile
source: "Informe de prueba"
year: 2015
language: es
---
# Proveedores

{body or "Las empresas proveedoras ampliaron sus ventas a las faenas de extracción."}

## Resultados

La mesa público-privada acordó un programa de certificación de competencias laborales.
"""


def ingest(kb: KnowledgeBase, *paths: Path, rebuild: bool = False) -> IngestReport:
    result = ingest_paths(kb, list(paths), tagger=untagged, rebuild=rebuild)
    assert not result.failed, result.failed
    return result


def record(kb: KnowledgeBase, doc_id: str = "mineria") -> DocRecord:
    return kb.manifest.docs[doc_id]


def stored_titles(kb: KnowledgeBase, doc_id: str = "mineria") -> set[str]:
    return {p.title for p in kb.store.get(record(kb, doc_id).passage_ids)}


@pytest.fixture
def folder(fake_kb: KnowledgeBase, tmp_path: Path, write: Write) -> Path:
    reports = tmp_path / "reports"
    write(reports / "mineria.md", report())
    write(reports / "otro.md", report("Otro informe", "Un texto sobre viveros forestales."))
    ingest(fake_kb, reports)
    return reports


def test_a_corrected_title_shows_in_search_at_once(fake_kb: KnowledgeBase, folder: Path) -> None:
    before = set(fake_kb.store.all_ids())
    set_metadata(fake_kb, "mineria", "title", NEW_TITLE, user="ana")
    hits = search(fake_kb, "proveedores faenas", 3)
    assert hits and hits[0].passage.doc_id == "mineria"
    assert hits[0].passage.title == NEW_TITLE
    # The words of the new title find the document by keyword, those of the old one no longer.
    assert {h.passage.doc_id for h in search(fake_kb, "cordillera", 5, mode="lexical")} == {
        "mineria"
    }
    assert not search(fake_kb, "mineria_v2", 5, mode="lexical")
    assert record(fake_kb).title == NEW_TITLE
    assert record(fake_kb).provenance["title"] == "person"
    assert set(fake_kb.store.all_ids()) == before  # nothing re-embedded or re-stored
    assert check(fake_kb).ok


def test_overrides_survive_reingest_and_rebuild(
    fake_kb: KnowledgeBase, folder: Path, write: Write
) -> None:
    set_metadata(fake_kb, "mineria", "title", NEW_TITLE, user="ana")
    set_metadata(fake_kb, "mineria", "country", ["Argentina", "Perú"], user="ana")
    set_metadata(fake_kb, "mineria", "year", 2019, user="luis")
    set_metadata(fake_kb, "mineria", "publisher", "CEPAL", user="luis")

    def assert_overridden() -> None:
        r = record(fake_kb)
        assert (r.title, r.country, r.year, r.publisher) == (NEW_TITLE, "Argentina", 2019, "CEPAL")
        assert stored_titles(fake_kb) == {NEW_TITLE}
        only_peru = search(fake_kb, "proveedores", 10, SearchFilters(countries=("Peru",)))
        assert only_peru and {h.passage.doc_id for h in only_peru} == {"mineria"}
        chile = search(fake_kb, "proveedores", 10, SearchFilters(countries=("Chile",)))
        assert {h.passage.doc_id for h in chile} <= {"otro"}
        assert {p.year for p in fake_kb.store.get(r.passage_ids)} == {2019}
        assert check(fake_kb).ok

    assert_overridden()
    write(folder / "mineria.md", report(body="Las proveedoras exportaron servicios de ingeniería."))
    assert ingest(fake_kb, folder).updated
    assert_overridden()
    assert ingest(fake_kb, folder, rebuild=True).added
    assert_overridden()
    assert [o.field for o in load_overrides(overrides_path(fake_kb.settings))] == [
        "title",
        "country",
        "year",
        "publisher",
    ]


def test_a_dropped_override_gives_the_file_its_say_again(
    fake_kb: KnowledgeBase, folder: Path
) -> None:
    set_metadata(fake_kb, "mineria", "title", NEW_TITLE)
    r, unread = clear_metadata(fake_kb, "mineria", "title", user="ana")
    assert unread == "" and r.title == "mineria_v2 final"
    assert r.provenance.get("title") != "person"
    assert stored_titles(fake_kb) == {"mineria_v2 final"}
    with pytest.raises(DocumentEditError, match="not overridden"):
        clear_metadata(fake_kb, "mineria", "title")


def test_an_interrupted_override_is_applied_by_the_next_ingest(
    fake_kb: KnowledgeBase, folder: Path
) -> None:
    # Logged, then the process died before the store was rewritten.
    append_override(
        overrides_path(fake_kb.settings), make_override("mineria", "source", "Ministerio")
    )
    report = ingest(fake_kb, folder)
    assert not report.changed
    assert record(fake_kb).source == "Ministerio"
    assert {p.source for p in fake_kb.store.get(record(fake_kb).passage_ids)} == {"Ministerio"}


def test_bad_edits_are_refused_with_what_is_wrong(fake_kb: KnowledgeBase, folder: Path) -> None:
    with pytest.raises(DocumentEditError, match="no document with id 'nada'"):
        set_metadata(fake_kb, "nada", "title", "x")
    with pytest.raises(DocumentEditError, match="unknown field 'autor'"):
        set_metadata(fake_kb, "mineria", "autor", "x")
    with pytest.raises(DocumentEditError, match="year"):
        set_metadata(fake_kb, "mineria", "year", 20155)
    with pytest.raises(DocumentEditError, match="unknown country or agency 'Argetina'"):
        set_metadata(fake_kb, "mineria", "country", ["Argetina"])
    with pytest.raises(DocumentEditError, match="empty"):
        set_metadata(fake_kb, "mineria", "title", "  ")
    assert not overrides_path(fake_kb.settings).exists()


def test_a_removed_document_leaves_search_and_the_records_agree(
    fake_kb: KnowledgeBase, folder: Path
) -> None:
    assert any(h.passage.doc_id == "otro" for h in search(fake_kb, "viveros forestales", 5))
    removed, deleted = remove_document(fake_kb, "otro")
    assert removed.doc_id == "otro" and deleted is None
    assert (folder / "otro.md").exists()  # a file outside the uploads stays
    for mode in ("hybrid", "lexical", "dense"):
        assert all(h.passage.doc_id != "otro" for h in search(fake_kb, "viveros", 10, mode=mode))
    assert "otro" not in fake_kb.manifest.docs
    assert check(fake_kb).ok
    with pytest.raises(DocumentEditError, match="no document"):
        remove_document(fake_kb, "otro")


def test_reuploading_an_edited_file_replaces_the_old_version(fake_kb: KnowledgeBase) -> None:
    settings = fake_kb.settings
    old = report(body="La versión antigua hablaba de fundiciones de cobre.").encode()
    new = report(body="La versión nueva habla de baterías de litio.").encode()
    ingest(fake_kb, save_upload("Informe minería.md", old, settings))
    assert replaced_by([("Informe minería.md", old)], settings) == []  # same content: no question
    assert replaced_by([("Informe minería.md", new), ("otro.md", new)], settings) == [
        "Informe minería.md"
    ]
    path = save_upload("Informe minería.md", new, settings)
    assert ingest(fake_kb, path).updated
    assert len(fake_kb.manifest.docs) == 1
    assert [p.name for p in settings.uploads_dir.glob("*.md")] == [path.name]
    texts = " ".join(h.passage.text for h in search(fake_kb, "cobre litio", 10, mode="lexical"))
    assert "litio" in texts and "cobre" not in texts

    # Removing an uploaded document deletes its file: re-ingesting the uploads does not
    # bring it back.
    (doc_id,) = fake_kb.manifest.docs
    _, deleted = remove_document(fake_kb, doc_id)
    assert deleted == path.resolve() and not path.exists()
    ingest_paths(fake_kb, [settings.uploads_dir], tagger=untagged)
    assert not fake_kb.manifest.docs and check(fake_kb).ok


@pytest.fixture
def cli(
    fake_kb: KnowledgeBase, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[KnowledgeBase]:
    point_cli_at(fake_kb, monkeypatch)
    monkeypatch.setenv("CLUSTERKB_USER", "marta")
    yield fake_kb
    get_settings.cache_clear()


def test_docs_command_lists_shows_sets_and_removes(cli: KnowledgeBase) -> None:
    listed = runner.invoke(app, ["docs", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    assert set(rows) == {"mineria", "otro"}
    assert rows["mineria"]["countries"] == {"Chile": len(record(cli).passage_ids)}
    table = runner.invoke(app, ["docs", "list"]).output
    assert all(word in table for word in ("mineria", "otro", "Chile", "2015"))

    done = runner.invoke(app, ["docs", "set", "mineria", "country", "Argentina,Chile"])
    assert done.exit_code == 0, done.output
    assert "Argentina" in done.output
    done = runner.invoke(app, ["docs", "set", "mineria", "title", NEW_TITLE, "--user", "ana"])
    assert done.exit_code == 0, done.output
    shown = json.loads(runner.invoke(app, ["docs", "show", "mineria", "--json"]).stdout)
    assert shown["title"] == NEW_TITLE and shown["country"] == "Argentina"
    assert shown["provenance"]["title"] == "person" and shown["path"].endswith("mineria.md")
    assert [(o["field"], o["user"]) for o in shown["overrides"]] == [
        ("country", "marta"),
        ("title", "ana"),
    ]
    assert shown["overrides"][0]["value"] == ["Argentina", "Chile"]
    text = runner.invoke(app, ["docs", "show", "mineria"]).output
    assert NEW_TITLE in text and "person" in text

    assert runner.invoke(app, ["docs", "set", "mineria", "lang", "Português"]).exit_code == 0
    assert record(cli).lang == "pt"
    assert {p.lang for p in cli.store.get(record(cli).passage_ids)} == {"pt"}

    cleared = runner.invoke(app, ["docs", "set", "mineria", "--clear", "title"])
    assert cleared.exit_code == 0, cleared.output
    assert record(cli).title == "mineria_v2 final"

    for args, message in (
        (["docs", "show", "nada"], "no document with id 'nada'"),
        (["docs", "set", "mineria", "autor", "x"], "unknown field 'autor'"),
        (["docs", "set", "mineria", "year", "dos mil"], "year must be a number"),
        (["docs", "set", "mineria", "title"], "give FIELD and VALUE"),
        (["docs", "remove", "nada"], "no document with id 'nada'"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)

    removed = runner.invoke(app, ["docs", "remove", "otro"])
    assert removed.exit_code == 0, removed.output
    assert "clusterkb ingest" in removed.output and "adds it again" in removed.output
    assert set(cli.manifest.docs) == {"mineria"}
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_library_page_edits_removes_and_replaces_documents(cli: KnowledgeBase) -> None:
    from streamlit.testing.v1 import AppTest

    from clusterkb.app.i18n import ES

    def library() -> AppTest:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
        at.switch_page("clusterkb/app/views/library.py").run()
        assert not at.exception, at.exception
        return at

    at = library()
    at.selectbox(key="library_doc").set_value("mineria").run()
    at.text_input(key="doc_title_mineria_0").input(NEW_TITLE)
    at.multiselect(key="doc_country_mineria_0").set_value(["Argentina", "Chile"])
    at.button(key="doc_save").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success][-1].startswith("Datos guardados")
    assert (record(cli).title, record(cli).country) == (NEW_TITLE, "Argentina")
    assert {p.title for p in (h.passage for h in search(cli, "proveedores", 5))} >= {NEW_TITLE}
    users = {o.user for o in load_overrides(overrides_path(cli.settings))}
    assert users == {"marta"}  # the app user (CLUSTERKB_USER)
    assert at.text_input(key="doc_title_mineria_1").value == NEW_TITLE

    # Removal waits for a confirmation that says the file stays where it is.
    at.button(key="doc_remove").click().run()
    assert "mineria" in cli.manifest.docs
    assert any("mineria.md" in w.value for w in at.warning)
    at.button(key="doc_remove_yes").click().run()
    assert not at.exception, at.exception
    assert "mineria" not in cli.manifest.docs
    # Messages are Markdown-escaped (`\:` shows as `:`): compare what the reader sees.
    shown = [s.value.replace("\\", "") for s in at.success]
    assert ES["doc_removed"].format(title=NEW_TITLE) in shown

    # Uploading an edited file under the same name replaces the old version after asking.
    # Uploads are queued as jobs; the test runs the queue where the worker would.
    old = report("Informe de cobre", "Las fundiciones de cobre contrataron a proveedores.")
    new = report("Informe de litio", "Las plantas de litio contrataron a proveedores.")
    with stand_in_worker(cli.settings.home) as run_jobs:
        uploader = at.file_uploader(key="library_uploads")
        uploader.set_value([("Informe.md", old.encode(), "text/markdown")]).run()
        at.button(key="library_ingest").click().run()
        assert run_jobs() == 1
        assert len(cli.manifest.docs) == 2
        at.file_uploader(key="library_uploads").set_value(
            [("Informe.md", new.encode(), "text/markdown")]
        ).run()
        at.button(key="library_ingest").click().run()
        assert any("Informe.md" in w.value for w in at.warning)
        assert run_jobs() == 0  # nothing queued before the answer
        titles = {r.title for r in cli.manifest.docs.values()}
        assert titles == {"Otro informe", "Informe de cobre"}
        at.button(key="library_replace").click().run()
        assert not at.exception, at.exception
        assert run_jobs() == 1
    assert {r.title for r in cli.manifest.docs.values()} == {"Otro informe", "Informe de litio"}
    assert check(cli).ok


def test_a_country_correction_keeps_each_subsection_with_its_note(
    fake_kb: KnowledgeBase, tmp_path: Path, write: Write
) -> None:
    # A report of country notes; a person sets its countries. A subsection that names no
    # country stays with the note it sits under, as at ingest.
    notes = write(
        tmp_path / "notas.md",
        "# Notas de país\n\n## Argentina\n\nArgentina exporta minerales.\n\n"
        "### Respuestas de política\n\nSe creó un registro de proveedores.\n\n"
        "## Perú\n\nPerú exporta cobre.\n\n"
        "### Respuestas de política\n\nSe creó un fondo para pymes exportadoras.\n",
    )
    ingest(fake_kb, notes)

    def countries_of(last_word: str) -> tuple[str, ...]:
        passages = fake_kb.store.get(record(fake_kb, "notas").passage_ids)
        return next(p.countries for p in passages if p.text.endswith(last_word))

    assert countries_of("exportadoras.") == ("Peru",)
    set_metadata(fake_kb, "notas", "country", ["Argentina", "Peru"], user="ana")
    assert countries_of("exportadoras.") == ("Peru",)
    assert countries_of("proveedores.") == ("Argentina",)
