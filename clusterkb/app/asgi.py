"""The server `clusterkb serve` runs: Streamlit's, with the app's page addresses added.

`streamlit run` finds `app` below and serves `main.py` through it. As the server starts, the
store, the encoder and the learning path load in the background (`resources.start_warm_up`),
so the first page does not wait for them.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st

from clusterkb.app.deep_links import page_routes
from clusterkb.app.resources import start_warm_up


@asynccontextmanager
async def warm_up_on_start(_: st.App) -> AsyncIterator[None]:
    start_warm_up()  # not awaited: the server answers while it runs
    yield


app = st.App(
    Path(__file__).resolve().with_name("main.py"),
    routes=page_routes(),
    lifespan=warm_up_on_start,
)
