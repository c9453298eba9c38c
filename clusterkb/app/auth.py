"""Who is using the app: sign-in before any page, the signed-in actor, sign-out.

`CLUSTERKB_AUTH` chooses how: `none` (the local user, as admin: loopback only), `password`
(users of the data folder's users.json, managed with `clusterkb users`) or `oidc` (the
organisation's identity provider through Streamlit's `st.login`; roles from users.json,
reader by default). Views and callbacks call `current_actor()` and pass the actor to the
library's write paths, which check the permission themselves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from clusterkb.app.i18n import t
from clusterkb.app.resources import current_settings
from clusterkb.app.text import md
from kb.config import Settings
from kb.workspace.roles import Actor, NoActor, Role, act_as, local_admin, serving
from kb.workspace.users import (
    UserError,
    Users,
    load_users,
    role_of,
    user_key,
    verify,
    wait_before_retry,
)

SIGNED_IN = "auth_signed_in"
"""Session-state key: the name a password user signed in with."""

# Failed sign-ins per name, shared by all sessions of the server (a new tab is no way round).
_FAILURES: dict[str, list[float]] = {}
_FAILURES_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _users_at(path: Path, stamp: tuple[int, int]) -> Users:
    return load_users(path)


def read_users(settings: Settings) -> Users:
    """The users file as it is now (re-read only when it changed on disk)."""
    path = settings.users_path
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    return _users_at(path, (info.st_mtime_ns, info.st_size))


def _in_script_run() -> bool:
    return get_script_run_ctx(suppress_warning=True) is not None


def _oidc_signed_in() -> bool:
    # .get: st.user has no is_logged_in when the server knows no [auth] (and under AppTest).
    return bool(st.user.get("is_logged_in"))


def _oidc_user() -> dict[str, Any] | None:
    """The identity-provider claims of this session, when signed in."""
    if not _oidc_signed_in():
        return None
    return dict(st.user.to_dict())


def _oidc_name(claims: dict[str, Any]) -> str:
    return str(claims.get("email") or claims.get("preferred_username") or claims.get("sub"))


def current_actor(settings: Settings | None = None) -> Actor:
    """The person using this session; raises `NoActor` when nobody is signed in."""
    settings = settings or current_settings()
    if settings.auth == "none":
        return local_admin(settings.user)
    users = read_users(settings)
    if settings.auth == "password":
        name = st.session_state.get(SIGNED_IN)
        found = users.get(user_key(name)) if isinstance(name, str) else None
        if found is None or not found.password_hash:
            raise NoActor("use the app")
        return found.actor
    claims = _oidc_user()
    if claims is None or claims.get("email_verified") is False:
        raise NoActor("use the app")
    name = _oidc_name(claims)
    return Actor(name, role_of(users, name, Role.READER) or Role.READER)


def sign_in_gate(url_paths: Sequence[str] = ()) -> Actor:
    """The signed-in actor, set as the one acting for this script run; otherwise show the
    sign-in (at the app's address and at each of `url_paths`, so a deep link opens it and
    leads to its page once signed in) and stop the run before any page."""
    settings = current_settings()
    serving(_in_script_run)
    try:
        actor = current_actor(settings)
    except UserError as exc:
        st.error(t("auth_users_unreadable", reason=str(exc)))
        st.stop()
    except NoActor:
        st.session_state.pop(SIGNED_IN, None)
        # The sign-in as the only page: the navigation of a previous sign-in is replaced.
        show = (lambda: _password_form(settings)) if settings.auth == "password" else _oidc_prompt
        pages = [st.Page(show, title=t("auth_title"), icon=":material/login:", default=True)]
        pages += [st.Page(show, title=t("auth_title"), url_path=path) for path in url_paths]
        st.navigation(pages, position="hidden").run()
        st.stop()
    act_as(actor)
    _identity(actor, settings)
    return actor


def _password_form(settings: Settings) -> None:
    st.header(t("auth_title"))
    if not read_users(settings):
        st.warning(t("auth_no_users"))
    with st.form("sign_in"):
        name = st.text_input(t("auth_name"), key="auth_name")
        password = st.text_input(t("auth_password"), type="password", key="auth_password")
        submitted = st.form_submit_button(t("auth_sign_in"), icon=":material/login:")
    if not submitted:
        return
    key = user_key(name)
    with _FAILURES_LOCK:
        wait = wait_before_retry(_FAILURES.get(key, []), time.time())
    if wait > 0:
        st.error(t("auth_wait", minutes=max(1, round(wait / 60))))
        return
    actor = verify(read_users(settings), name, password)
    if actor is None:
        with _FAILURES_LOCK:
            _FAILURES.setdefault(key, []).append(time.time())
        st.error(t("auth_failed"))
        return
    with _FAILURES_LOCK:
        _FAILURES.pop(key, None)
    st.session_state[SIGNED_IN] = actor.name
    st.rerun()


def _oidc_provider() -> str | None | bool:
    """The provider to pass to `st.login` (None: the one in [auth]); False when [auth] is
    missing from the secrets."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets file: Streamlit raises its own error type
        return False
    if not section:
        return False
    if "client_id" in section:
        return None
    named = [k for k, v in section.items() if isinstance(v, dict) or hasattr(v, "keys")]
    return named[0] if named else False


def _oidc_prompt() -> None:
    st.header(t("auth_title"))
    try:
        import authlib  # noqa: F401  # st.login needs it
    except ImportError:
        st.error(t("auth_oidc_no_authlib"))
        return
    provider = _oidc_provider()
    if provider is False:
        st.error(t("auth_oidc_missing"))
        return
    if _oidc_signed_in():  # signed in, but the provider did not verify the address
        st.error(t("auth_oidc_unverified"))
        st.button(t("auth_sign_out"), on_click=st.logout)
        return
    if st.button(t("auth_oidc_sign_in"), icon=":material/login:", type="primary"):
        st.login(provider if isinstance(provider, str) else None)


def _sign_out() -> None:
    st.session_state.pop(SIGNED_IN, None)


def _identity(actor: Actor, settings: Settings) -> None:
    """Who is signed in, with which role, and the way out."""
    role = t(f"role_{actor.role.label}")
    st.sidebar.caption(t("auth_signed_in_as", name=md(actor.name), role=role))
    if settings.auth == "password":
        st.sidebar.button(
            t("auth_sign_out"), key="auth_sign_out", icon=":material/logout:", on_click=_sign_out
        )
    elif settings.auth == "oidc":
        st.sidebar.button(
            t("auth_sign_out"), key="auth_sign_out", icon=":material/logout:", on_click=st.logout
        )


def may(action: str) -> bool:
    """Whether the person using this session may perform `action` (for showing controls)."""
    try:
        return current_actor().may(action)
    except (NoActor, UserError):
        return False
