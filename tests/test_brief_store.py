"""Saved briefs: owners, sharing, revisions, and the files written before briefs had owners."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from kb.briefs.brief import BriefError, add_item, edit_brief, new_brief
from kb.briefs.store import (
    BriefConflict,
    NotOwner,
    create,
    delete,
    duplicate,
    find,
    get,
    list_visible,
    rename,
    save,
    set_shared,
)
from kb.workspace.roles import Actor, Role

ANA = Actor("ana", Role.READER)
BETO = Actor("beto", Role.EDITOR)
ADMIN = Actor("root", Role.ADMIN)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "briefs"


def test_two_people_keep_briefs_of_the_same_name(folder: Path) -> None:
    a = create(add_item(new_brief("informe"), "p1"), folder, ANA)
    b = create(add_item(new_brief("informe"), "p2"), folder, BETO)
    assert a.id != b.id
    assert get(a.id, folder, ANA).brief.passage_ids == ["p1"]
    assert [r.owner for r in list_visible(folder, ANA)] == ["ana"]
    assert find("informe", folder, BETO).brief.passage_ids == ["p2"]
    with pytest.raises(BriefError, match="already have"):
        create(new_brief("Informe"), folder, ANA)


def test_a_save_from_a_stale_copy_is_refused(folder: Path) -> None:
    first = create(new_brief("plan"), folder, ANA)
    tab_one = save(replace(first, brief=add_item(first.brief, "p1")), folder, ANA)
    assert tab_one.revision == first.revision + 1
    # A second tab still holds the first revision: its save must not drop p1.
    with pytest.raises(BriefConflict):
        save(replace(first, brief=add_item(first.brief, "p9")), folder, ANA)
    assert get(first.id, folder, ANA).brief.passage_ids == ["p1"]


def test_a_shared_brief_is_read_only_to_others_who_may_duplicate_it(folder: Path) -> None:
    mine = create(add_item(new_brief("Chile"), "p1"), folder, ANA)
    with pytest.raises(BriefError):
        get(mine.id, folder, BETO)
    assert list_visible(folder, BETO) == []

    set_shared(mine.id, True, folder, ANA)
    seen = get(mine.id, folder, BETO)
    assert [(r.name, r.owner) for r in list_visible(folder, BETO)] == [("Chile", "ana")]
    with pytest.raises(NotOwner):
        save(replace(seen, brief=edit_brief(seen.brief, title="mío")), folder, BETO)
    with pytest.raises(NotOwner):
        rename(mine.id, "otro", folder, BETO)
    with pytest.raises(NotOwner):
        delete(mine.id, folder, BETO)
    with pytest.raises(NotOwner):
        set_shared(mine.id, False, folder, BETO)

    copy = duplicate(mine.id, folder, BETO)
    assert (copy.owner, copy.shared, copy.brief.passage_ids) == ("beto", False, ["p1"])
    save(replace(copy, brief=add_item(copy.brief, "p2")), folder, BETO)
    assert get(mine.id, folder, ANA).brief.passage_ids == ["p1"]
    assert duplicate(mine.id, folder, BETO).name == "Chile (2)"


def test_rename_and_delete(folder: Path) -> None:
    brief = create(new_brief("borrador"), folder, ANA)
    other = create(new_brief("final"), folder, ANA)
    renamed = rename(brief.id, "Plan Chile", folder, ANA)
    assert (renamed.name, renamed.brief.title) == ("Plan Chile", "Plan Chile")
    with pytest.raises(BriefError, match="already have"):
        rename(brief.id, "final", folder, ANA)
    delete(brief.id, folder, ANA)
    assert [r.id for r in list_visible(folder, ANA)] == [other.id]
    delete(other.id, folder, ADMIN)  # an admin may remove anyone's brief
    assert list_visible(folder, ANA) == []


def test_a_brief_file_from_before_owners_still_opens(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERKB_USER", "ana")
    folder.mkdir()
    old = {
        "version": 1,
        "name": "informe",
        "title": "Informe viejo",
        "purpose": "",
        "items": [{"passage_id": "p1", "note": "clave"}],
        "lang": "es",
        "created": "2024-01-01T00:00:00+00:00",
        "updated": "2024-01-02T00:00:00+00:00",
    }
    (folder / "informe.json").write_text(json.dumps(old), encoding="utf-8")
    record = find("informe", folder, ANA)
    assert (record.owner, record.brief.title, record.brief.items[0].note) == (
        "ana",
        "Informe viejo",
        "clave",
    )
    saved = save(replace(record, brief=add_item(record.brief, "p2")), folder, ANA)
    assert get("informe", folder, ANA).brief.passage_ids == ["p1", "p2"]
    assert saved.created == "2024-01-01T00:00:00+00:00"
    assert [r.id for r in list_visible(folder, BETO)] == []
