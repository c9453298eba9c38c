"""Generic session-state helpers: what one user builds lives in `st.session_state`."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

import streamlit as st

T = TypeVar("T")


def memo(name: str, key: Hashable, build: Callable[[], T]) -> T:
    """`build()` once per session for as long as `key` stays the same (e.g. language, data)."""
    slot = f"_memo_{name}"
    cached = st.session_state.get(slot)
    if isinstance(cached, tuple) and len(cached) == 2 and cached[0] == key:
        return cached[1]
    value = build()
    st.session_state[slot] = (key, value)
    return value
