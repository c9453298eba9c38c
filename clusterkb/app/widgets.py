"""Pieces several pages show the same way: a passage card, its tags and why they were given.

Document text only ever reaches the page escaped (`clusterkb.app.text.md`, `marked_quote`) or
through `st.text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import streamlit as st

from clusterkb.app.brief_session import add_to_brief, in_brief
from clusterkb.app.i18n import lang, t
from clusterkb.app.reasons import tag_reason
from clusterkb.app.resources import current_settings, get_kb, get_taxonomy
from clusterkb.app.text import citation, marked_quote, md, md_line, quote
from kb.config import Settings
from kb.countries import country_name
from kb.models import FACETS, Passage, Tag
from kb.storage.knowledge import KnowledgeBase
from kb.storage.vectors import StoreError
from kb.tags.taxonomy import Taxonomy

if TYPE_CHECKING:
    from kb.retrieval.highlights import Highlight

BADGE_COLOURS = {"problem": "red", "instrument": "blue", "outcome": "green", "evidence": "orange"}
ORIGINS = ("rule", "similarity", "human", "learned")
"""Tag origins the interface has a word for (`origin_<origin>`)."""


def open_kb_or_stop(settings: Settings | None = None) -> KnowledgeBase:
    """The cached knowledge base; a store that cannot be opened stops the page with its reason."""
    try:
        return get_kb(settings or current_settings())
    except StoreError as exc:
        st.error(md(t("kb_open_failed", reason=str(exc))))
        st.stop()
        raise  # unreachable: st.stop() ends the run


def tag_label(taxonomy: Taxonomy, tag: Tag) -> str:
    return taxonomy.label(tag.facet, tag.tag_id, lang())


def tag_badges(passage: Passage, taxonomy: Taxonomy) -> str:
    """The passage's tags as coloured Markdown badges, labels in the interface language."""
    badges = [
        f":{BADGE_COLOURS.get(tag.facet, 'gray')}-badge[{md_line(tag_label(taxonomy, tag))}]"
        for facet in FACETS
        for tag in passage.tags
        if tag.facet == facet
    ]
    return " ".join(badges)


def render_tags(passage: Passage, taxonomy: Taxonomy) -> None:
    """Badges, then an expander saying for each tag where it came from and why."""
    if not passage.tags:
        st.caption(t("no_tags"))
        return
    st.markdown(tag_badges(passage, taxonomy))
    with st.expander(t("why_tags")):
        for tag in passage.tags:
            facet = taxonomy.facet_label(tag.facet, lang())
            origin = t(f"origin_{tag.origin}") if tag.origin in ORIGINS else tag.origin
            st.markdown(
                f"**{md_line(facet)} · {md_line(tag_label(taxonomy, tag))}** — "
                f"_{md_line(origin)}_: {md_line(tag_reason(tag.reason))}"
            )
            if tag.origin == "learned":
                sentence = _trigger(passage.text, tag.facet, tag.tag_id)
                if sentence:
                    st.caption(md(t("why_learned_sentence", sentence=sentence)))


@st.cache_data(show_spinner=False, max_entries=256)
def _trigger(text: str, facet: str, tag_id: str) -> str:
    """The sentence that weighs most for a learned tag (a few sentence vectors, on demand)."""
    from kb.tags.tagger import tagger_for, trigger_sentence

    settings = current_settings()
    kb = get_kb(settings)
    tagger = tagger_for(settings, kb.embedder)
    if tagger.model is None:
        return ""
    found = trigger_sentence(tagger.model, kb.embedder, text, facet, tag_id)
    return found[0] if found else ""


def render_passage(
    passage: Passage,
    key_prefix: str,
    *,
    brief_button: bool = True,
    max_chars: int | None = None,
    show_source: bool = True,
    highlights: Sequence[Highlight] = (),
    query: str = "",
) -> None:
    """One result card: quotation (the sentences answering the search marked), citation, id,
    tags with reasons, and 'add to brief' (which quotes the marked sentences; `query`, the
    search that marked them, becomes the question of a brief that has none)."""
    taxonomy = get_taxonomy()
    with st.container(border=True):
        if highlights:
            spans = [(h.start, h.end) for h in highlights]
            st.markdown(marked_quote(passage.text, spans, max_chars))
        else:
            text = passage.text
            if max_chars is not None and len(text) > max_chars:
                text = text[:max_chars].rstrip() + "…"
            st.markdown(quote(text))
        st.caption(md_line(citation(passage, lang())))
        if show_source and passage.source:
            st.caption(md_line(t("source", source=passage.source)))
        st.caption(md_line(t("passage_id", id=passage.id)))
        render_tags(passage, taxonomy)
        if brief_button:
            added = in_brief(passage.id)
            st.button(
                t("in_brief") if added else t("add_to_brief"),
                key=f"{key_prefix}_add_{passage.id}",
                on_click=add_to_brief,
                args=(passage.id, sorted((h.start, h.end) for h in highlights) or None, query),
                disabled=added,
                icon=":material/check:" if added else ":material/add:",
            )


def country_label(country: str) -> str:
    """A stored country or agency name as it reads in the interface language."""
    return country_name(country, lang())


def lang_name(code: str) -> str:
    """'es' -> 'Español' in the interface language; unknown codes are shown as they are."""
    key = f"lang_{code}"
    name = t(key)
    return code if name == key else name


def tag_multiselect(facet: str, key: str) -> list[str]:
    """A filter on one facet: options are tag ids, shown with their taxonomy labels."""
    taxonomy = get_taxonomy()
    return st.multiselect(
        md_line(taxonomy.facet_label(facet, lang())),
        taxonomy.tag_ids(facet),
        format_func=lambda tag_id: taxonomy.label(facet, tag_id, lang()),
        key=key,
        persist_state="session",
        placeholder=t("any"),
        select_all=False,  # its "Select all" is English-only
    )


def lang_multiselect(kb: KnowledgeBase, key: str) -> list[str]:
    """A filter on the documents' languages, offering those the knowledge base holds."""
    return st.multiselect(
        t("language"),
        sorted({r.lang for r in kb.manifest.docs.values() if r.lang}),
        format_func=lang_name,
        key=key,
        persist_state="session",
        placeholder=t("any"),
        select_all=False,  # its "Select all" is English-only
    )
