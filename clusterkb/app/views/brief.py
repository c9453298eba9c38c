"""Informe: the open brief — pick the sentences each passage quotes, order the key messages,
write notes, see the formatted brief and download it. Every edit is saved at once."""

from collections.abc import Callable, Sequence
from functools import partial

import pandas as pd
import streamlit as st

from clusterkb.app.auth import current_actor
from clusterkb.app.brief_picker import brief_picker
from clusterkb.app.brief_session import (
    KEEP_ON_PAGE,
    brief,
    change_brief,
    current_record,
    fill_fields,
    move_in_brief,
    note_in_brief,
    note_key,
    remove_from_brief,
    saved_status,
    sync_field,
    take_flash,
)
from clusterkb.app.i18n import lang, t
from clusterkb.app.text import citation, marked_quote, md, md_line, quote
from clusterkb.app.widgets import open_kb_or_stop
from kb.briefs.brief import (
    Span,
    edit_brief,
    move_key_message,
    set_key_message,
    set_key_messages,
    set_spans,
)
from kb.briefs.compose import BriefDocument, KeyPoint, Note, Paragraph, Quotation, Subheading, Table
from kb.briefs.draft import highlight_items
from kb.briefs.export import FORMATS, compose_brief, export_bytes, file_name
from kb.briefs.quotes import choose_key_messages, fold, quoted_spans, sentences, sentences_within
from kb.models import Passage

SENTENCE_LABEL = 90  # characters of a sentence shown in the pickers

kb = open_kb_or_stop()
brief_picker()

st.header(t("brief_page_title"))
st.caption(t("brief_intro"))
message = take_flash()
if message is not None:
    (st.success if message[0] == "success" else st.error)(md(message[1]))

record = current_record()
editable = record is None or record.owned_by(current_actor())
prefix = f"bq_{record.id if record else 'new'}_"
current = brief()
found = {p.id: p for p in kb.passages(current.passage_ids)} if current.items else {}

# Passages added without sentences chosen get the ones that answer the question pre-selected,
# and a brief without key messages gets some: once per brief and session, for its owner.
if editable and record is not None and not st.session_state.get(prefix + "filled"):
    st.session_state[prefix + "filled"] = True
    prepared = highlight_items(kb, current)
    if not prepared.key_messages:
        chosen = choose_key_messages(prepared, found)
        prepared = set_key_messages(prepared, chosen)
    if prepared != current and change_brief(lambda _: prepared):
        current = brief()


def _label(text: str, span: Span) -> str:
    line = fold(text[span[0] : span[1]])
    return line if len(line) <= SENTENCE_LABEL else line[: SENTENCE_LABEL - 1] + "…"


def _pick_sentences(passage_id: str, key: str, options: Sequence[Span]) -> None:
    """Multiselect callback: quote the picked sentences (all of the passage when none)."""
    picked = [options[i] for i in st.session_state.get(key, [])]
    change_brief(lambda b: set_spans(b, passage_id, picked or None))


def _whole(passage_id: str, key: str, length: int) -> None:
    """Checkbox callback: quote the whole passage, or go back to its first sentence."""
    text = found[passage_id].text
    if st.session_state.get(key):
        change_brief(lambda b: set_spans(b, passage_id, [(0, length)]))
    else:
        change_brief(lambda b: set_spans(b, passage_id, sentences(text)[:1] or None))


def _pick_key(passage_id: str, key: str, options: Sequence[Span]) -> None:
    choice = st.session_state.get(key)
    span = None if choice is None else options[int(choice)]
    change_brief(lambda b: set_key_message(b, passage_id, span))


def _move_key(passage_id: str, position: int) -> None:
    change_brief(lambda b: move_key_message(b, passage_id, position))


def _question(key: str) -> None:
    text = str(st.session_state.get(key, ""))
    change_brief(lambda b: edit_brief(b, question=text))


def _field(
    widget: Callable[..., object], label: str, key: str, save: Callable[[str], None]
) -> None:
    """An edit field that saves itself when committed and keeps its value across reruns."""
    widget(t(label), key=key, on_change=save, args=(key,), persist_state=KEEP_ON_PAGE)


fill_fields()
question_key = prefix + "question"
st.session_state.setdefault(question_key, current.question)
_field(st.text_input, "brief_field_title", "brief_title_input", sync_field)
_field(st.text_input, "brief_field_question", question_key, _question)
_field(st.text_area, "brief_field_purpose", "brief_purpose_input", sync_field)
_field(st.text_input, "brief_field_name", "brief_name_input", sync_field)
# Every committed edit is saved before this run: the line says so, with the time of the save.
st.caption(saved_status())

# --- key messages ---------------------------------------------------------------------------

numbers = {pid: n for n, pid in enumerate((i for i in current.passage_ids if i in found), 1)}
st.subheader(t("brief_key_messages"))
if not current.key_messages:
    st.caption(t("brief_no_key_messages"))
for position, km in enumerate(current.key_messages, start=1):
    passage = found.get(km.passage_id)
    if passage is None:
        continue
    text_col, up, down = st.columns([8, 1, 1], vertical_alignment="center")
    sentence = fold(passage.text[km.start : km.end])
    text_col.markdown(f"{position}. “{md_line(sentence)}” \\[{numbers[km.passage_id]}\\]")
    up.button(
        "",
        key=f"brief_key_up_{km.passage_id}",
        icon=":material/arrow_upward:",
        help=t("move_up"),
        disabled=position == 1 or not editable,
        on_click=_move_key,
        args=(km.passage_id, position - 1),
    )
    down.button(
        "",
        key=f"brief_key_down_{km.passage_id}",
        icon=":material/arrow_downward:",
        help=t("move_down"),
        disabled=position == len(current.key_messages) or not editable,
        on_click=_move_key,
        args=(km.passage_id, position + 1),
    )

# --- passages -------------------------------------------------------------------------------

st.subheader(t("brief_items", n=len(current.items)))
if not current.items:
    st.info(t("brief_empty"))
else:
    st.caption(t("brief_sentences_help"))


def _passage_card(position: int, passage: Passage) -> None:
    item = current.item(passage.id)
    text = passage.text
    spans = quoted_spans(item, text)
    options = sentences(text)
    chosen = set(sentences_within(text, spans))
    st.markdown(f"**{position}.** {md_line(citation(passage, lang()))}")
    st.markdown(marked_quote(text, spans))
    whole_key = f"{prefix}whole_{passage.id}"
    is_whole = item.spans is not None and len(spans) == 1 and not text[: spans[0][0]].strip()
    is_whole = is_whole and not text[spans[0][1] :].strip()
    st.session_state[whole_key] = is_whole
    st.checkbox(
        t("brief_whole"),
        key=whole_key,
        on_change=_whole,
        args=(passage.id, whole_key, len(text.rstrip())),
        disabled=not editable,
    )
    pick_key = f"{prefix}sentences_{passage.id}"
    st.session_state[pick_key] = [i for i, s in enumerate(options) if s in chosen]
    st.multiselect(
        t("brief_sentences"),
        list(range(len(options))),
        key=pick_key,
        format_func=lambda i: _label(text, options[i]),
        on_change=_pick_sentences,
        args=(passage.id, pick_key, options),
        disabled=not editable or is_whole,
    )
    own = next((m for m in current.key_messages if m.passage_id == passage.id), None)
    key_key = f"{prefix}key_{passage.id}"
    at = [i for i, s in enumerate(options) if own and s == (own.start, own.end)]
    st.session_state[key_key] = at[0] if at else None
    st.selectbox(
        t("brief_key_message"),
        list(range(len(options))),
        key=key_key,
        index=None,
        placeholder=t("brief_key_none"),
        format_func=lambda i: _label(text, options[i]),
        on_change=_pick_key,
        args=(passage.id, key_key, options),
        disabled=not editable,
    )


for position, item in enumerate(current.items, start=1):
    passage = found.get(item.passage_id)
    with st.container(border=True):
        if passage is None:
            st.warning(md(t("brief_missing", id=item.passage_id)))
        else:
            _passage_card(position, passage)
        st.text_input(
            t("brief_note"),
            key=note_key(item.passage_id),
            on_change=note_in_brief,
            args=(item.passage_id,),
            disabled=not editable,
            persist_state=KEEP_ON_PAGE,
        )
        up, down, remove = st.columns(3)
        up.button(
            t("move_up"),
            key=f"brief_up_{item.passage_id}",
            icon=":material/arrow_upward:",
            disabled=position == 1 or not editable,
            on_click=move_in_brief,
            args=(item.passage_id, position - 1),
        )
        down.button(
            t("move_down"),
            key=f"brief_down_{item.passage_id}",
            icon=":material/arrow_downward:",
            disabled=position == len(current.items) or not editable,
            on_click=move_in_brief,
            args=(item.passage_id, position + 1),
        )
        remove.button(
            t("remove"),
            key=f"brief_remove_{item.passage_id}",
            icon=":material/delete:",
            on_click=remove_from_brief,
            args=(item.passage_id,),
            disabled=not editable,
        )

# --- the formatted brief --------------------------------------------------------------------


def _render(doc: BriefDocument) -> None:
    """The composed brief as page elements: every text escaped, tables as tables."""
    st.markdown(f"## {md_line(doc.title)}")
    for block in doc.intro:
        _render_block(block)
    for section in doc.sections:
        st.markdown(f"#### {md_line(section.heading)}")
        for block in section.blocks:
            _render_block(block)
    st.markdown(f"#### {md_line(doc.sources_heading)}")
    st.markdown("\n".join(f"{s.number}\\. {md_line(s.line())}  " for s in doc.sources))
    for line in doc.missing:
        st.caption(md(line))


def _render_block(block: object) -> None:
    if isinstance(block, Subheading):
        st.markdown(f"**{md_line(block.text)}**")
    elif isinstance(block, KeyPoint):
        who = f" — {md_line(block.attribution)}" if block.attribution else ""
        st.markdown(f"- “{md(block.text)}” \\[{block.citation}\\]{who}")
    elif isinstance(block, Quotation):
        st.markdown(quote(block.text) + f" \\[{block.citation}\\]")
        if block.attribution:
            st.caption(md(block.attribution))
    elif isinstance(block, Table):
        frame = pd.DataFrame(list(block.rows), columns=list(block.header))
        st.dataframe(frame, hide_index=True, width="stretch")
    elif isinstance(block, Note):
        cite = f" \\[{block.citation}\\]" if block.citation is not None else ""
        st.markdown(f"**{md_line(block.label)}**{cite}: {md(block.text)}")
    elif isinstance(block, Paragraph):
        st.markdown(md(block.text))


doc = compose_brief(kb, current, lang())
st.subheader(t("brief_preview_doc"))
with st.container(border=True, key="brief_preview_box"):
    _render(doc)

st.subheader(t("brief_download"))
for fmt, holder in zip(FORMATS, st.columns(len(FORMATS)), strict=True):
    holder.download_button(
        t(f"download_{fmt}"),
        data=partial(export_bytes, doc, fmt),
        file_name=file_name(current, fmt),
        mime=FORMATS[fmt],
        key=f"brief_download_{fmt}",
        icon=":material/download:",
        on_click="ignore",
        disabled=not current.items,
    )
