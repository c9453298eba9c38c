"""Informe: the brief assembled in this session — edit, preview, download, save and reopen."""

import streamlit as st

from clusterkb.app.brief_session import (
    brief,
    fill_fields,
    move_in_brief,
    note_in_brief,
    note_key,
    remove_from_brief,
    reopen_from,
    save_to,
    start_new,
    sync_fields,
    take_flash,
)
from clusterkb.app.i18n import lang, t
from clusterkb.app.resources import current_settings
from clusterkb.app.text import citation, md, md_line
from clusterkb.app.widgets import open_kb_or_stop
from kb.briefs.brief import list_briefs
from kb.briefs.export import FORMATS, compose_brief, export_bytes, file_name
from kb.briefs.export_markdown import to_markdown

kb = open_kb_or_stop()
folder = current_settings().briefs_dir

st.header(t("brief_page_title"))
st.caption(t("brief_intro"))
message = take_flash()
if message is not None:
    (st.success if message[0] == "success" else st.error)(md(message[1]))

current = brief()
fill_fields()
st.text_input(t("brief_field_title"), key="brief_title_input", on_change=sync_fields)
st.text_area(t("brief_field_purpose"), key="brief_purpose_input", on_change=sync_fields)

st.subheader(t("brief_items", n=len(current.items)))
doc = compose_brief(kb, current, lang())
found = {p.id: p for p in kb.store.get(current.passage_ids)} if current.items else {}
if not current.items:
    st.info(t("brief_empty"))
for position, item in enumerate(current.items, start=1):
    passage = found.get(item.passage_id)
    with st.container(border=True):
        if passage is None:
            st.warning(md(t("brief_missing", id=item.passage_id)))
        else:
            st.markdown(f"**{position}.** {md_line(citation(passage, lang()))}")
            st.text(passage.text[:400] + ("…" if len(passage.text) > 400 else ""))
        st.text_input(
            t("brief_note"),
            key=note_key(item.passage_id),
            on_change=note_in_brief,
            args=(item.passage_id,),
        )
        up, down, remove = st.columns(3)
        up.button(
            t("move_up"),
            key=f"brief_up_{item.passage_id}",
            icon=":material/arrow_upward:",
            disabled=position == 1,
            on_click=move_in_brief,
            args=(item.passage_id, position - 1),
        )
        down.button(
            t("move_down"),
            key=f"brief_down_{item.passage_id}",
            icon=":material/arrow_downward:",
            disabled=position == len(current.items),
            on_click=move_in_brief,
            args=(item.passage_id, position + 1),
        )
        remove.button(
            t("remove"),
            key=f"brief_remove_{item.passage_id}",
            icon=":material/delete:",
            on_click=remove_from_brief,
            args=(item.passage_id,),
        )

st.subheader(t("brief_preview"))
markdown = to_markdown(doc)
st.code(markdown, language="markdown", wrap_lines=True, height=360)

st.subheader(t("brief_download"))
for fmt, holder in zip(FORMATS, st.columns(len(FORMATS)), strict=True):
    data = markdown if fmt == "md" else (lambda fmt=fmt: export_bytes(doc, fmt))
    holder.download_button(
        t(f"download_{fmt}"),
        data=data,
        file_name=file_name(current, fmt),
        mime=FORMATS[fmt],
        key=f"brief_download_{fmt}",
        icon=":material/download:",
        on_click="ignore",
        disabled=not current.items,
    )

st.subheader(t("brief_storage"))
save_col, open_col = st.columns(2)
with save_col:
    st.text_input(t("brief_field_name"), key="brief_name_input", on_change=sync_fields)
    st.button(t("save"), key="brief_save", icon=":material/save:", on_click=save_to, args=(folder,))
    st.button(t("brief_new"), key="brief_new", icon=":material/note_add:", on_click=start_new)
with open_col:
    saved = list_briefs(folder)
    choice = st.selectbox(
        t("brief_saved_list"),
        [b.name for b in saved],
        index=None,
        format_func=lambda name: next(
            (f"{b.name} — {b.title} ({len(b.items)})" for b in saved if b.name == name), name
        ),
        key="brief_open_choice",
        placeholder=t("choose") if saved else t("brief_none_saved"),
    )
    st.button(
        t("open"),
        key="brief_open",
        icon=":material/folder_open:",
        on_click=reopen_from,
        args=(folder, "brief_open_choice"),
        disabled=not saved,
    )
