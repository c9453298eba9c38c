"""Formación: the guided reading path and a quiz with immediate feedback and a running score."""

import streamlit as st

from clusterkb.app.i18n import lang, t
from clusterkb.app.quiz_state import answer, answered_options, needs_new, quiz, start_quiz
from clusterkb.app.resources import learning_path
from clusterkb.app.text import md, md_line
from clusterkb.app.widgets import open_kb_or_stop, render_passage

st.header(t("learn_title"))
st.caption(t("learn_intro"))
with st.spinner(t("kb_loading")):  # only while the server's start-up load is still running
    kb = open_kb_or_stop()
path_tab, quiz_tab = st.tabs([t("learn_path"), t("learn_quiz")])

with path_tab:
    with st.spinner(t("learn_building")):
        steps = learning_path(lang(), kb.settings)
    for step in steps:
        with st.expander(f"{step.number}. {md_line(step.title)}", expanded=step.number == 1):
            st.markdown(f"**{t('learn_goal')}** {md_line(step.goal)}")
            if step.fallback:
                st.caption(t("learn_fallback"))
            if not step.hits:
                st.info(t("learn_step_empty"))
            for hit in step.hits:
                render_passage(hit.passage, f"learn_{step.step.id}", max_chars=700)

with quiz_tab:
    left, right, button = st.columns([1, 1, 1], vertical_alignment="bottom")
    n = left.number_input(t("quiz_n"), 1, 20, 5, key="quiz_n", persist_state="session")
    seed = right.number_input(
        t("quiz_seed"), 0, 10_000, 0, key="quiz_seed", persist_state="session"
    )
    new = button.button(t("quiz_new"), key="quiz_new", icon=":material/refresh:")
    if new or needs_new(quiz(), lang()):
        start_quiz(kb, int(n), int(seed), lang())
    state = quiz()
    assert state is not None
    if not state.questions:
        st.info(t("quiz_empty"))
        st.stop()
    result = state.score
    st.metric(
        t("quiz_score"),
        f"{result.correct} / {result.answered}",
        help=t("quiz_score_help", total=result.total),
    )
    st.progress(
        result.answered / result.total, text=t("quiz_progress", a=result.answered, n=result.total)
    )
    for index, question in enumerate(state.questions):
        with st.container(border=True):
            st.markdown(f"**{index + 1}.** {md(question.stem)}")
            given = state.answers[index]
            key = f"quiz_{state.token}_{index}"
            if given is None:
                st.radio(
                    t("quiz_choose"),
                    range(len(question.options)),
                    index=None,
                    format_func=lambda i, q=question: md_line(q.options[i]),
                    key=key,
                    on_change=answer,
                    args=(index, key),
                    label_visibility="collapsed",
                )
                continue
            # Answered: the options as a list, the one chosen marked (a disabled radio shows
            # its choice too faintly to read).
            st.markdown(
                answered_options(question, given, t("quiz_your_answer"), t("quiz_right_option"))
            )
            if given == question.answer:
                st.success(t("quiz_right"), icon=":material/check_circle:")
            else:
                right_option = md_line(question.options[question.answer])
                st.error(t("quiz_wrong", answer=right_option), icon=":material/cancel:")
            st.markdown(md(question.explanation))
            st.caption(t("quiz_source"))
            render_passage(question.passage, f"quiz_{index}", max_chars=700)
