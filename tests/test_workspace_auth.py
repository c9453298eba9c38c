"""Sign-in and roles: the users file, who may change the knowledge base, who is recorded, and
the refusal to serve an open app beyond this machine."""

from __future__ import annotations

import contextvars
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from clusterkb.cli import app
from clusterkb.cli.admin import serve_refusal
from ingest.pipeline import clear_metadata, ingest_paths, untagged
from kb.config import Settings, get_settings
from kb.storage.corrections import load_corrections
from kb.storage.knowledge import KnowledgeBase
from kb.storage.overrides import load_overrides, overrides_path
from kb.storage.writes import remove_document, set_metadata
from kb.tags.edit import correct_tags
from kb.workspace import roles
from kb.workspace.jobs import REINGEST, UPLOAD, enqueue, list_jobs
from kb.workspace.roles import Actor, NoActor, PermissionDenied, Role, act_as
from kb.workspace.users import (
    MAX_FAILURES,
    UserError,
    add_user,
    hash_password,
    load_users,
    remove_user,
    save_users,
    set_password,
    set_role,
    verify,
    wait_before_retry,
)

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "correcto-caballo-42"
READER = Actor("rosa", Role.READER)
EDITOR = Actor("eduardo", Role.EDITOR)
ADMIN = Actor("alba", Role.ADMIN)
runner = CliRunner()

REPORT = """---
title: "Proveedores mineros"
country: Chile
year: 2015
language: es
---
# Proveedores

Las empresas proveedoras ampliaron sus ventas a las faenas de extracción de cobre.
"""


@pytest.fixture
def kb(fake_kb: KnowledgeBase, tmp_path: Path) -> KnowledgeBase:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "mineria.md").write_text(REPORT, encoding="utf-8")
    assert not ingest_paths(fake_kb, [folder], tagger=untagged).failed
    return fake_kb


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("CLUSTERKB_HOME", str(home))
    monkeypatch.delenv("CLUSTERKB_AUTH", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


# --- the users file -----------------------------------------------------------------


def test_users_file_keeps_a_salted_slow_hash_never_the_password(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    users = add_user({}, "Ana", Role.EDITOR, hash_password(PASSWORD))
    users = add_user(users, "luis", Role.READER, hash_password(PASSWORD))
    save_users(path, users)

    text = path.read_text(encoding="utf-8")
    assert PASSWORD not in text
    stored = load_users(path)
    hashes = [u.password_hash for u in stored.values()]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert hashes[0] != hashes[1], "the same password must hash differently (salt)"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    assert verify(stored, "ana", PASSWORD) == Actor("Ana", Role.EDITOR)
    assert verify(stored, "Ana", PASSWORD + "x") is None
    assert verify(stored, "nadie", PASSWORD) is None


def test_roles_change_and_users_go(tmp_path: Path) -> None:
    users = add_user({}, "ana", Role.READER, hash_password(PASSWORD))
    with pytest.raises(UserError, match="exists"):
        add_user(users, "ANA", Role.ADMIN, hash_password(PASSWORD))
    with pytest.raises(UserError, match="at least"):
        hash_password("corta")
    with pytest.raises(UserError, match="spaces"):
        add_user(users, "ana maria", Role.READER, hash_password(PASSWORD))

    users = set_role(users, "Ana", Role.ADMIN)
    assert verify(users, "ana", PASSWORD) == Actor("ana", Role.ADMIN)
    with pytest.raises(UserError, match="no user"):
        set_role(users, "pepa@org.example", Role.EDITOR)
    # An identity-provider user gets a role and no password: no password signs them in.
    users = set_role(users, "pepa@org.example", Role.ADMIN, create=True)
    assert verify(users, "pepa@org.example", "") is None
    users = remove_user(users, "ana")
    assert verify(users, "ana", PASSWORD) is None


def test_the_last_admin_can_be_neither_removed_nor_demoted() -> None:
    users = add_user({}, "alba", Role.ADMIN, hash_password(PASSWORD))
    users = add_user(users, "rosa", Role.READER, hash_password(PASSWORD))
    for change in (
        lambda: remove_user(users, "ALBA"),
        lambda: set_role(users, "alba", Role.EDITOR),
    ):
        with pytest.raises(UserError, match="last admin"):
            change()
    assert set_role(users, "alba", Role.ADMIN)["alba"].role is Role.ADMIN  # no change: allowed
    assert "rosa" not in remove_user(users, "rosa")  # others come and go as before

    # With a second admin, either may go.
    users = set_role(users, "rosa", Role.ADMIN)
    assert set_role(users, "alba", Role.READER)["alba"].role is Role.READER
    left = remove_user(users, "alba")
    with pytest.raises(UserError, match="last admin"):
        remove_user(left, "rosa")


def test_a_new_password_replaces_the_old_one() -> None:
    users = add_user({}, "ana", Role.EDITOR, hash_password(PASSWORD))
    users = set_password(users, "Ana", hash_password("otra-clave-larga-9"))
    assert verify(users, "ana", PASSWORD) is None
    assert verify(users, "ana", "otra-clave-larga-9") == Actor("ana", Role.EDITOR)
    with pytest.raises(UserError, match="no user"):
        set_password(users, "nadie", hash_password(PASSWORD))


def test_repeated_failures_make_a_name_wait() -> None:
    now = 10_000.0
    assert wait_before_retry([now - 1] * (MAX_FAILURES - 1), now) == 0
    assert wait_before_retry([now - 1] * MAX_FAILURES, now) > 0
    # Old failures no longer count.
    assert wait_before_retry([now - 3600] * MAX_FAILURES, now) == 0


def test_cli_manages_users(cli_home: Path) -> None:
    added = runner.invoke(
        app, ["users", "add", "ana", "--role", "editor", "--password-stdin"], input=PASSWORD
    )
    assert added.exit_code == 0, added.output
    assert runner.invoke(app, ["users", "set-role", "ana", "admin"]).exit_code == 0
    assert runner.invoke(app, ["users", "add", "x", "--role", "jefe"]).exit_code != 0
    users = load_users(cli_home / "users.json")
    assert verify(users, "ana", PASSWORD) == Actor("ana", Role.ADMIN)
    listed = runner.invoke(app, ["users", "list", "--json"])
    assert '"role": "admin"' in listed.output and PASSWORD not in listed.output
    unknown = runner.invoke(app, ["users", "set-role", "bea@org.example", "admin"])
    assert unknown.exit_code != 0 and "CLUSTERKB_AUTH=oidc" in unknown.output
    added = runner.invoke(
        app, ["users", "add", "bea", "--role", "admin", "--password-stdin"], input=PASSWORD
    )
    assert added.exit_code == 0, added.output
    assert runner.invoke(app, ["users", "remove", "ana"]).exit_code == 0
    assert list(load_users(cli_home / "users.json")) == ["bea"]


def test_cli_changes_a_password_and_keeps_the_last_admin(cli_home: Path) -> None:
    added = runner.invoke(
        app, ["users", "add", "ana", "--role", "admin", "--password-stdin"], input=PASSWORD
    )
    assert added.exit_code == 0, added.output
    new = "nueva-clave-de-ana-3"
    changed = runner.invoke(app, ["users", "passwd", "ANA", "--password-stdin"], input=new + "\n")
    assert changed.exit_code == 0, changed.output
    users = load_users(cli_home / "users.json")
    assert verify(users, "ana", new) == Actor("ana", Role.ADMIN)
    assert verify(users, "ana", PASSWORD) is None

    short = runner.invoke(app, ["users", "passwd", "ana", "--password-stdin"], input="corta\n")
    unknown = runner.invoke(app, ["users", "passwd", "nadie", "--password-stdin"], input=new)
    assert short.exit_code != 0 and "at least" in short.output
    assert unknown.exit_code != 0 and "no user" in unknown.output

    # The only admin stays: neither removed nor demoted, and the message says what to do.
    for args in (["remove", "ana"], ["set-role", "ana", "editor"]):
        refused = runner.invoke(app, ["users", *args])
        assert refused.exit_code != 0
        assert "last admin" in refused.output and "set-role" in refused.output
    assert verify(load_users(cli_home / "users.json"), "ana", new) == Actor("ana", Role.ADMIN)


# --- serving --------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["0.0.0.0", "", "192.168.1.20", "kb.ministerio.example"])
def test_serving_beyond_loopback_without_sign_in_is_refused(tmp_path: Path, address: str) -> None:
    refusal = serve_refusal(Settings(home=tmp_path), address)
    assert refusal and "CLUSTERKB_AUTH" in refusal


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "::1"])
def test_loopback_serves_without_sign_in(tmp_path: Path, address: str) -> None:
    assert serve_refusal(Settings(home=tmp_path), address) is None


def test_password_sign_in_serves_anywhere_once_someone_can_sign_in(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, auth="password")
    assert "clusterkb users add" in (serve_refusal(settings, "0.0.0.0") or "")
    save_users(settings.users_path, add_user({}, "ana", Role.ADMIN, hash_password(PASSWORD)))
    assert serve_refusal(settings, "0.0.0.0") is None


def test_serve_command_refuses_before_starting(cli_home: Path) -> None:
    result = runner.invoke(app, ["serve", "--address", "0.0.0.0", "--no-build"])
    assert result.exit_code == 2
    assert "CLUSTERKB_AUTH" in result.output


# --- the library's write paths --------------------------------------------------------


def passage_id(kb: KnowledgeBase) -> str:
    return next(iter(kb.manifest.docs["mineria"].passage_ids))


def test_a_reader_can_change_nothing(kb: KnowledgeBase) -> None:
    pid = passage_id(kb)
    with pytest.raises(PermissionDenied):
        correct_tags(kb, pid, add=["problem:coordination"], actor=READER)
    with pytest.raises(PermissionDenied):
        set_metadata(kb, "mineria", "title", "Otro título", actor=READER)
    with pytest.raises(PermissionDenied):
        clear_metadata(kb, "mineria", "title", actor=READER)
    with pytest.raises(PermissionDenied):
        remove_document(kb, "mineria", actor=READER)
    with pytest.raises(PermissionDenied):
        remove_document(kb, "mineria", actor=EDITOR)
    assert load_corrections(kb.settings.corrections_path) == []
    assert load_overrides(overrides_path(kb.settings)) == []
    assert "mineria" in kb.manifest.docs
    assert kb.manifest.docs["mineria"].title == "Proveedores mineros"


def test_a_reader_cannot_queue_an_ingest_even_at_the_queue_itself(tmp_path: Path) -> None:
    # The app's upload path checks first; the queue checks again for any other caller.
    report = tmp_path / "mineria.md"
    report.write_text(REPORT, encoding="utf-8")
    for kind in (UPLOAD, REINGEST):
        with pytest.raises(PermissionDenied):
            enqueue(tmp_path, READER, kind, [report])
    assert list_jobs(tmp_path) == []
    assert enqueue(tmp_path, EDITOR, UPLOAD, [report]).actor == "eduardo"


def test_changes_record_the_signed_in_name(kb: KnowledgeBase) -> None:
    pid = passage_id(kb)
    correct_tags(kb, pid, add=["problem:coordination"], actor=EDITOR)
    set_metadata(kb, "mineria", "year", 2016, actor=EDITOR)
    clear_metadata(kb, "mineria", "year", actor=ADMIN)
    assert [c.user for c in load_corrections(kb.settings.corrections_path)] == ["eduardo"]
    assert [o.user for o in load_overrides(overrides_path(kb.settings))] == ["eduardo", "alba"]
    remove_document(kb, "mineria", actor=ADMIN)
    assert "mineria" not in kb.manifest.docs


def test_the_app_actor_applies_to_calls_that_name_none(kb: KnowledgeBase) -> None:
    def as_reader() -> None:
        act_as(READER)
        correct_tags(kb, passage_id(kb), add=["problem:coordination"])

    with pytest.raises(PermissionDenied):
        contextvars.copy_context().run(as_reader)
    assert load_corrections(kb.settings.corrections_path) == []


def test_a_server_never_falls_back_to_the_local_admin(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(roles, "_IN_APP", [lambda: True])
    with pytest.raises(NoActor):
        contextvars.copy_context().run(remove_document, kb, "mineria")
    assert "mineria" in kb.manifest.docs


def test_the_command_line_acts_as_the_local_admin(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERKB_USER", "operadora")
    correct_tags(kb, passage_id(kb), add=["problem:coordination"])
    assert [c.user for c in load_corrections(kb.settings.corrections_path)] == ["operadora"]


# --- the app's sign-in (no knowledge base needed: nothing runs before it) ----------------


def app_test(home: Path, auth: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CLUSTERKB_HOME", str(home))
    monkeypatch.setenv("CLUSTERKB_AUTH", auth)
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()


def test_password_sign_in_comes_before_any_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_users(tmp_path / "users.json", add_user({}, "rosa", Role.READER, hash_password(PASSWORD)))
    at = app_test(tmp_path, "password", monkeypatch)
    assert [h.value for h in at.header] == ["Iniciar sesión"]
    at.text_input(key="auth_name").input("rosa")
    at.text_input(key="auth_password").input("otra-clave-cualquiera")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Usuario o contraseña incorrectos."]
    assert not at.exception
    # The app's runs leave this process's own calls acting as the local admin.
    assert roles.acting(None, "doc.remove").role is Role.ADMIN


def test_oidc_without_provider_settings_says_what_to_configure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_test(tmp_path, "oidc", monkeypatch)
    (message,) = [e.value for e in at.error]
    for needed in ("[auth]", "secrets.toml", "redirect_uri", "cookie_secret", "client_id"):
        assert needed in message
    assert not at.exception
