"""Page addresses that open without a 404, as routes for Streamlit's server (`st.App`).

Opened at a page address such as `/brief`, Streamlit's page first looks for the server under
that path (`/brief/_stcore/health`, `/brief/_stcore/host-config`: two 404s) before trying the
root. Each page address here serves Streamlit's page with the server's root named in
`window.__streamlit.BACKEND_BASE_URL`, which the frontend reads before looking anywhere else.
The root is worked out in the browser (the address minus the page's path), so it holds behind a
reverse proxy that adds a prefix too.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path

import streamlit as st
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route
from streamlit import config

from clusterkb.app.navigation import PAGES

STREAMLIT_INDEX = Path(st.__file__).resolve().parent / "static" / "index.html"


def page_slugs() -> list[str]:
    """The URL path of every page the app registers (its view script's name)."""
    return [Path(script).stem for script, *_ in PAGES]


def base_script(slug: str) -> str:
    """A script that names the server's root: the page's address without `/slug`."""
    pattern = json.dumps(f"/{slug}/?$")
    return (
        "<script>(function(){var u=new URL(window.location.href);"
        f'u.pathname=u.pathname.replace(new RegExp({pattern}),"/");u.search="";u.hash="";'
        "window.__streamlit=Object.assign({},window.__streamlit,"
        "{BACKEND_BASE_URL:u.href});})();</script>"
    )


@cache
def streamlit_index() -> str:
    return STREAMLIT_INDEX.read_text(encoding="utf-8")


def page_index(slug: str) -> str:
    """Streamlit's page with the root script first in <head>, before its own modules run."""
    return streamlit_index().replace("<head>", "<head>" + base_script(slug), 1)


def _base_path() -> str:
    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def page_routes() -> list[BaseRoute]:
    """One route per page address (with and without a trailing slash)."""

    def handler(slug: str) -> Callable[[Request], Awaitable[HTMLResponse]]:
        async def respond(_: Request) -> HTMLResponse:
            # Not cached by the browser, like Streamlit's own index.html.
            return HTMLResponse(page_index(slug), headers={"Cache-Control": "no-cache"})

        return respond

    base = _base_path()
    return [
        Route(f"{base}/{slug}{end}", handler(slug), methods=["GET", "HEAD"])
        for slug in page_slugs()
        for end in ("", "/")
    ]
