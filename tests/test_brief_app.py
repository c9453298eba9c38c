"""The open brief in the app: saved on every edit, reopened by a new session, never replaced.

The page under test is the brief picker plus an 'add passage' button and the passages of the
open brief, driven by `streamlit.testing.v1.AppTest`; each AppTest is one browser session.
Users are told apart by `CLUSTERKB_USER` (sign-in mode `none`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kb.briefs.store import list_visible
from kb.workspace.roles import Actor, Role

TIMEOUT = 60


def page() -> None:
    import streamlit as st

    from clusterkb.app.brief_picker import brief_picker
    from clusterkb.app.brief_session import add_to_brief, brief, take_flash

    brief_picker()
    message = take_flash()
    if message is not None:
        (st.success if message[0] == "success" else st.error)(message[1])
    for pid in ("p1", "p2"):
        st.button(pid, key=f"add_{pid}", on_click=add_to_brief, args=(pid,))
    st.markdown("ITEMS " + " ".join(brief().passage_ids))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLUSTERKB_HOME", str(tmp_path))
    monkeypatch.setenv("CLUSTERKB_AUTH", "none")
    monkeypatch.setenv("CLUSTERKB_USER", "ana")
    return tmp_path


def session(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_function(page, default_timeout=TIMEOUT)
    at.query_params.update(query or {})
    return at.run()


def items(at: AppTest) -> list[str]:
    shown = [m.value for m in at.markdown if m.value.startswith("ITEMS")]
    return shown[-1].split()[1:]


def saved(home: Path, user: str) -> list[tuple[str, list[str]]]:
    records = list_visible(home / "briefs", Actor(user, Role.READER))
    return [(r.owner, r.brief.passage_ids) for r in records if r.owner == user]


def test_an_edit_is_saved_at_once_and_a_new_session_reopens_it(home: Path) -> None:
    at = session()
    assert items(at) == []
    at.button(key="add_p1").click().run()
    assert items(at) == ["p1"]
    assert saved(home, "ana") == [("ana", ["p1"])]  # no save button was pressed
    brief_id = list_visible(home / "briefs", Actor("ana", Role.READER))[0].id

    at.run()  # a rerun
    assert items(at) == ["p1"]
    assert at.query_params["brief"] == brief_id  # the address names the open brief
    at.button(key="brief_picker_new").click().run()
    at.button(key="add_p2").click().run()
    # A reload or a new tab: a new session with the brief's id in the address.
    assert items(session({"brief": brief_id})) == ["p1"]
    # A bare address opens the user's latest brief rather than an empty one.
    assert items(session()) == ["p2"]


def test_two_users_never_replace_each_others_brief(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = session()
    ana.button(key="add_p1").click().run()
    monkeypatch.setenv("CLUSTERKB_USER", "beto")
    beto = session()
    assert items(beto) == []  # ana's brief is not beto's
    beto.button(key="add_p2").click().run()
    assert saved(home, "ana") == [("ana", ["p1"])]
    assert saved(home, "beto") == [("beto", ["p2"])]


def test_an_edit_from_a_stale_tab_is_refused_and_the_tab_reloads(home: Path) -> None:
    first = session()
    first.button(key="add_p1").click().run()
    second = session()
    assert items(second) == ["p1"]
    first.button(key="add_p2").click().run()
    # The second tab still shows revision 2; its removal-free add must not drop p2.
    second.button(key="add_p1").click().run()
    assert second.error and "otra pestaña" in second.error[0].value
    assert items(second) == ["p1", "p2"]
    assert saved(home, "ana") == [("ana", ["p1", "p2"])]


def test_new_keeps_the_previous_brief_and_delete_needs_confirmation(home: Path) -> None:
    at = session()
    at.button(key="add_p1").click().run()
    at.button(key="brief_picker_new").click().run()
    assert items(at) == []
    assert any("informe" in s.value for s in at.success)
    assert sorted(ids for _, ids in saved(home, "ana")) == [[], ["p1"]]

    assert at.button(key="brief_delete_do").disabled
    at.checkbox(key="brief_delete_confirm").check().run()
    at.button(key="brief_delete_do").click().run()
    assert saved(home, "ana") == [("ana", ["p1"])]
    assert items(at) == ["p1"]  # the remaining brief opens


def test_a_shared_brief_is_read_only_to_others_until_duplicated(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = session()
    ana.button(key="add_p1").click().run()
    share = next(w for w in ana.toggle if w.key and w.key.startswith("brief_share_"))
    share.set_value(True).run()
    brief_id = list_visible(home / "briefs", Actor("ana", Role.READER))[0].id

    monkeypatch.setenv("CLUSTERKB_USER", "beto")
    beto = session({"brief": brief_id})
    assert items(beto) == ["p1"]
    assert any("ana" in i.value for i in beto.info)  # read-only notice
    beto.button(key="add_p2").click().run()
    assert beto.error
    assert saved(home, "ana") == [("ana", ["p1"])]

    beto.button(key="brief_duplicate").click().run()
    beto.button(key="add_p2").click().run()
    assert items(beto) == ["p1", "p2"]
    assert saved(home, "beto") == [("beto", ["p1", "p2"])]
    assert saved(home, "ana") == [("ana", ["p1"])]
