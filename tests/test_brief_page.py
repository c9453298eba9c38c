"""The Informe page as its author uses it (`streamlit.testing.v1.AppTest` over the whole app):
passages added from a search come with their answering sentences chosen, the author picks
others or the whole passage, orders the key messages, and sees the formatted brief. Also what
the page says when a brief action fails, and counted texts, in both languages.

A knowledge base of two bundled reports is built once with the real default encoder, so the
search page and the brief page mark the same sentences the CLI would.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from clusterkb.app.i18n import EN, ES, translate
from clusterkb.app.reasons import brief_reason
from ingest.pipeline import ingest_paths
from kb.briefs.brief import Brief, BriefError, new_brief
from kb.briefs.compose import BriefDocument, KeyPoint, Quotation
from kb.briefs.export import compose_brief, export_bytes
from kb.briefs.quotes import fold, sentences
from kb.briefs.store import BriefConflict, NotOwner, create, get, load_brief, save
from kb.config import Settings
from kb.retrieval.highlights import Highlight
from kb.retrieval.search import search
from kb.storage.knowledge import KnowledgeBase, open_kb
from kb.tags.tagger import default_tagger
from kb.workspace.roles import Actor, NoActor, Role

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"
TIMEOUT = 180
QUERY = "coordinación entre el sector público y las empresas del clúster"
DOCS = ("chile_cepal_es.md", "argentina_cepal_es.md")


@pytest.fixture(scope="module")
def page_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    settings = Settings(home=tmp_path_factory.mktemp("briefpage"), corpus_dir=REPO / "corpus")
    kb = open_kb(settings)
    report = ingest_paths(kb, [REPO / "corpus" / d for d in DOCS], tagger=default_tagger(kb))
    assert not report.failed, report.failed
    return kb


@pytest.fixture
def home(page_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> Iterator[KnowledgeBase]:
    monkeypatch.setenv("CLUSTERKB_HOME", str(page_kb.settings.home))
    monkeypatch.setenv("CLUSTERKB_CORPUS_DIR", str(REPO / "corpus"))
    shutil.rmtree(page_kb.settings.briefs_dir, ignore_errors=True)
    yield page_kb


def saved(at: AppTest) -> Brief:
    return load_brief(str(at.session_state["brief_open_id"]), Settings().briefs_dir)


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def quotes(doc: BriefDocument) -> dict[str, Quotation]:
    found = [b for s in doc.sections for b in s.blocks if isinstance(b, Quotation)]
    return {q.passage_id: q for q in found}


def key_order(doc: BriefDocument) -> list[str]:
    return [b.passage_id for b in doc.sections[0].blocks if isinstance(b, KeyPoint)]


def _partly(text: str, highlights: Sequence[Highlight]) -> bool:
    marked = sum(h.end - h.start for h in highlights)
    return len(sentences(text)) >= 4 and 0 < marked < len(text.strip()) / 2


@pytest.mark.slow
def test_the_author_picks_sentences_and_orders_key_messages(home: KnowledgeBase) -> None:
    at = run(AppTest.from_file(str(APP), default_timeout=TIMEOUT))
    at.text_input(key="search_query").input(QUERY)
    run(at)
    # Two hits whose answering sentences are part of a longer passage (others to pick from).
    hits = [h for h in search(home, QUERY, k=8) if _partly(h.passage.text, h.highlights)][:2]
    assert len(hits) == 2
    for hit in hits:
        at.button(key=f"search_add_{hit.passage.id}").click()
        run(at)
    # Added from the search: each passage quotes the sentences that answered it.
    brief = saved(at)
    assert brief.question == QUERY
    for hit in hits:
        wanted = tuple(sorted((h.start, h.end) for h in hit.highlights))
        assert brief.item(hit.passage.id).spans == wanted

    at.switch_page("clusterkb/app/views/brief.py")
    run(at)
    first, second = (h.passage for h in hits)
    prefix = f"bq_{at.session_state['brief_open_id']}_"
    # The page shows those sentences pre-selected.
    for hit in hits:
        options = sentences(hit.passage.text)
        picked = at.multiselect(key=f"{prefix}sentences_{hit.passage.id}").value
        chosen = [options[i] for i in picked]
        assert chosen and all(
            any(h.start <= a and b <= h.end for h in hit.highlights) for a, b in chosen
        )

    # Two key messages, one per passage; the second's passage quotes no key message.
    for passage, index in ((first, 0), (second, 0)):
        at.selectbox(key=f"{prefix}key_{passage.id}").set_value(index)
        run(at)
    assert [m.passage_id for m in saved(at).key_messages] == [first.id, second.id]

    # Another sentence of the first passage: the export quotes exactly that one.
    options = sentences(first.text)
    other = next(
        i
        for i, (a, b) in enumerate(options)
        if i > 0
        and len(first.text[a:b].split()) >= 4
        and (a, b) not in saved(at).item(first.id).spans
    )
    at.multiselect(key=f"{prefix}sentences_{first.id}").set_value([other])
    run(at)
    assert saved(at).item(first.id).spans == (options[other],)
    doc = compose_brief(home, saved(at), "es")
    quoted = quotes(doc)[first.id]
    a, b = options[other]
    assert quoted.spans == ((a, b),) and quoted.text == fold(first.text[a:b])
    assert first.text[a:b] in first.text  # the offsets cut the stored passage
    assert quoted.text in " ".join(export_bytes(doc, "md").decode("utf-8").split()).replace(
        "\\", ""
    )

    # The whole passage (its key message taken away): quoted whole.
    at.selectbox(key=f"{prefix}key_{second.id}").set_value(None)
    run(at)
    at.checkbox(key=f"{prefix}whole_{second.id}").check()
    run(at)
    assert at.multiselect(key=f"{prefix}sentences_{second.id}").disabled
    assert quotes(compose_brief(home, saved(at), "es"))[second.id].text == fold(second.text)

    # Moving a key message down reorders the brief's key messages.
    at.selectbox(key=f"{prefix}key_{second.id}").set_value(len(sentences(second.text)) - 1)
    run(at)
    assert key_order(compose_brief(home, saved(at), "es")) == [first.id, second.id]
    at.button(key=f"brief_key_down_{first.id}").click()
    run(at)
    assert key_order(compose_brief(home, saved(at), "es")) == [second.id, first.id]

    # The preview is the formatted brief: headings and quotes, no Markdown source.
    assert not at.code
    shown = [m.value for m in at.markdown]
    assert any(v.startswith("#### ") and ES["brief_key_messages"] in v for v in shown)
    assert not any(re.match(r"^\s*(\\#|```)", v) for v in shown)
    assert at.caption[0].value == ES["brief_intro"] and "guárde" not in ES["brief_intro"]
    assert "save it" not in EN["brief_intro"]


# --- what the page says when a brief action fails -------------------------------------------


def test_brief_errors_are_said_in_the_interface_language(tmp_path: Path) -> None:
    ana, beto = Actor("ana", Role.EDITOR), Actor("beto", Role.EDITOR)
    record = create(new_brief("informe"), tmp_path, ana)
    with pytest.raises(BriefError) as taken:
        create(new_brief("Informe"), tmp_path, ana)
    assert (
        brief_reason(taken.value, "es")
        == "Ya tiene un informe llamado «Informe»; elija otro nombre."
    )
    assert brief_reason(taken.value, "en").startswith("You already have a brief named “Informe”")
    with pytest.raises(NotOwner) as other:
        save(record, tmp_path, beto)
    assert "es de ana" in brief_reason(other.value, "es")
    assert "belongs to ana" in brief_reason(other.value, "en")
    save(record, tmp_path, ana)
    with pytest.raises(BriefConflict) as stale:
        save(record, tmp_path, ana)  # the revision it was read at is gone
    assert "otra pestaña" in brief_reason(stale.value, "es")
    with pytest.raises(BriefError) as missing:
        get("abc123", tmp_path, ana)
    assert (
        brief_reason(missing.value, "es") == "No hay ningún informe «abc123» que usted pueda ver."
    )
    with pytest.raises(BriefError) as bad:
        new_brief("¿?")
    assert "use letras o dígitos" in brief_reason(bad.value, "es")
    denied = NoActor("brief.own")  # every role keeps briefs: only nobody signed in may not
    assert brief_reason(denied, "es") == ES["auth_denied"]
    assert brief_reason(denied, "en") == EN["auth_denied"]
    # An error with no code of its own is shown as written.
    assert brief_reason(BriefError("spans must not overlap"), "es") == "spans must not overlap"


def test_counted_texts_say_one_thing_or_several() -> None:
    one = translate("brief_delete_confirm_one", "es", name="a")
    assert "(1 pasaje)" in one and "pasajes" not in one
    assert "(3 passages)" in translate("brief_delete_confirm_other", "en", name="a", n=3)
    # Every counted text the app asks for has both forms in both languages, and no '(s)'.
    code = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "clusterkb").rglob("*.py"))
    counted = set(re.findall(r"\btn\(\s*f?\"([a-z_]+)", code))
    assert {"brief_delete_confirm", "job_progress", "doc_remove_confirm", "job_kind_"} <= counted
    for table in (ES, EN):
        for key in counted:
            forms = [k for k in table if k.startswith(key) and k.endswith(("_one", "_other"))]
            assert len(forms) >= 2, key
    assert not any("(s)" in ES[k] or "(s)" in EN[k] for k in ES if k.startswith(("brief", "job")))
