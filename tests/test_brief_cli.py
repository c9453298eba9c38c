"""`clusterkb brief new/list/rename/duplicate/share/delete` as two local users."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterkb.cli import app

runner = CliRunner()


def brief(user: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["brief", *args], env={"CLUSTERKB_USER": user}, input=stdin)
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLUSTERKB_HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def test_each_user_keeps_their_own_brief_of_the_same_name() -> None:
    assert brief("ana", "new", "informe")[0] == 0
    assert brief("ana", "new", "informe")[0] == 2  # never replaced
    assert brief("beto", "new", "informe")[0] == 0
    code, out = brief("ana", "list")
    assert code == 0 and "ana" in out and "beto" not in out


def test_share_duplicate_rename_and_delete() -> None:
    brief("ana", "new", "plan")
    assert "plan" not in brief("beto", "list")[1]
    assert brief("ana", "share", "plan")[0] == 0
    assert "ana" in brief("beto", "list")[1]
    assert brief("beto", "rename", "plan", "mio")[0] == 2  # read-only to beto
    assert brief("beto", "duplicate", "plan", "--name", "mi plan")[0] == 0
    assert brief("beto", "rename", "mi plan", "plan beto")[0] == 0
    assert "plan beto" in brief("beto", "list")[1]

    assert brief("ana", "delete", "plan", stdin="n\n")[0] == 1  # asked, declined
    assert "plan" in brief("ana", "list")[1]
    assert brief("ana", "delete", "plan", stdin="y\n")[0] == 0
    out = brief("beto", "list")[1]
    assert "plan beto" in out and "ana" not in out
