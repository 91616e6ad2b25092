"""Lessons on the page (issue 10): following ``?lesson=<id>&q=<n>``, the panel of the open step
(prompt, the prediction, Commit, then the reveal), and the lesson list, a page of its own.

The lessons are data (rnnviz/app/lessons.py); every answer is computed there from the numbers on
screen. This module keeps the session's side: what was committed for which numbers, the tally,
what the step player outlines. Until the student commits (or a teacher shows the answer) the page
draws no view that holds the answer: only the panel and, for a question about step t, a step
player cut to steps 0 … t−1.
"""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ..app import codec, lessons
from ..app import worksheet as sheets
from ..app.compute import Computed
from ..app.knobs import Config
from ..app.lessons import Ctx, Lesson, Question
from ..app.markdown import markdown_literal
from . import compute, session, state
from .player import player
from .views.share import link
from .views.step import spec_for
from . import worksheet

MASKED_PLAYER = "lesson_player"  # widget key of the step player cut short while a question waits


# ---------------------------------------------------------------- session bookkeeping


def token(cfg: Config) -> tuple:
    """What a commitment is valid for: the model and inputs, and the viewed sample."""
    return compute.model_token(cfg), cfg.sample


def tally() -> tuple[int, int]:
    """(right, asked) over this session."""
    return session.get(session.LESSON_TALLY) or (0, 0)


def _commits() -> dict:
    found = session.get(session.LESSON_COMMITS)
    if found is None:
        found = {}
        session.put(session.LESSON_COMMITS, found)
    return found


def _shown() -> set:
    found = session.get(session.LESSON_SHOWN)
    if found is None:
        found = set()
        session.put(session.LESSON_SHOWN, found)
    return found


def waiting(cfg: Config, computed: Computed) -> bool:
    """Whether a prediction is waiting: the page must not show the step's answer anywhere yet."""
    at = lessons.steps_of(cfg)
    if at is None or at[1].question is None or at[1].question.problem(Ctx(cfg, computed)) is not None:
        return False
    return not revealed(cfg)


def revealed(cfg: Config) -> bool:
    """Whether the answer of ``cfg``'s lesson step may be on the page (committed or shown for these numbers)."""
    at = lessons.steps_of(cfg)
    if at is None or at[1].question is None:
        return True
    commit = _commits().get((cfg.lesson, cfg.q))
    tok = token(cfg)
    return (commit is not None and commit.token == tok) or (cfg.lesson, cfg.q, tok) in _shown()


# ---------------------------------------------------------------- opening a step


def open_step(lesson_id: str, q: int, overrides: dict | None = None, notices: list[str] | None = None) -> None:
    """Set the page to step ``q`` of a lesson (from its values, then ``overrides``: URL values the
    student may change). Safe in a widget callback."""
    values = lessons.step_values(lesson_id, q)
    more = list(notices or [])
    cfg, parsed = codec.from_values({**values, **(overrides or {})})
    state.set_config(cfg, notices=more + [n for n in parsed if n not in more])
    session.put(session.LESSON_OPENED, (lesson_id, q))
    session.put(session.LESSON_ERROR, None)


def close() -> None:
    state.set_config(replace(state.current(), lesson=lessons.NO_LESSON, q=1, hide=frozenset()))


def remember_url(cfg: Config) -> None:
    """After the URL was written for ``cfg``: the lesson and step it now holds (follow_url acts
    only when the URL changes from this, not when a button changed the step)."""
    session.put(session.LESSON_AT, (cfg.lesson, cfg.q) if cfg.lesson != lessons.NO_LESSON else None)


def follow_url() -> None:
    """Open the lesson step the URL names when the URL changed to it since this page last wrote
    it: the first load of a lesson link, or a lesson picked on the Lessons page. Other URL values
    the lesson lets a student change (a seed, the step viewed ...) are kept; the ones it fixes are
    not. (A button's rerun still carries the old URL: comparing with the session's own step would
    undo the button.)"""
    params = {k: st.query_params.get_all(k) for k in st.query_params.to_dict()}
    if "lesson" not in params:
        return
    values, notices = codec.last_values(params)
    raw_q = values.get("q")
    q = codec.coerce("q", raw_q)[0] if raw_q is not None else 1
    at = (values["lesson"], q)
    cfg = state.current()
    # the URL as this page last wrote it, or the step this session has already opened (a run cut
    # short by a click before it wrote the URL): nothing to open
    opened = session.get(session.LESSON_OPENED) == at == (cfg.lesson, cfg.q)
    if at == session.get(session.LESSON_AT) or opened or values["lesson"] == lessons.NO_LESSON:
        return
    _, parse_notices = codec.parse_values(values)
    notices = notices + parse_notices
    problem = lessons.position_problem(values["lesson"], q)
    if problem:
        cfg = state.set_config(replace(state.current(), lesson=lessons.NO_LESSON, q=1),
                               notices=session.get(session.NOTICES) or notices)
        session.put(session.LESSON_ERROR, (problem, cfg))
        return
    fixed = set(lessons.lesson(values["lesson"]).hide) | {"lesson", "q", "hide"}
    open_step(values["lesson"], q, {k: v for k, v in values.items() if k not in fixed}, notices)


# ---------------------------------------------------------------- answering


@st.cache_resource(max_entries=32, show_spinner=False)
def _answer(lesson_id: str, q: int, model_token: tuple, cfg: Config, _question: Question,
            _computed: Computed) -> lessons.Answer:
    # a reveal is drawn on every rerun (and a gradient answer backpropagates): once per numbers
    return _question.solve(Ctx(cfg, _computed))


def answer(cfg: Config, computed: Computed, question: Question) -> lessons.Answer:
    """The question's answer for ``cfg``'s numbers (cached)."""
    return _answer(cfg.lesson, cfg.q, compute.model_token(cfg), cfg, question, computed)


def _point_at(where: lessons.Where) -> None:
    """Move the views to where an answer comes from: the player's step and unit (a new command),
    the direction, the tab."""
    moves = {k: v for k, v in (("step", where.step), ("unit", where.unit), ("direction", where.direction))
             if v is not None}
    if moves:
        state.update(**moves)
    session.put(session.TAB, lessons.TABS[where.tab])
    if where.explore:
        session.put(session.EXPLORE_VIEW_WIDGET, where.explore)


def _current_question(lesson_id: str, q: int) -> tuple[Config, Question, Ctx] | None:
    cfg = state.current()
    at = lessons.steps_of(cfg)
    if at is None or (cfg.lesson, cfg.q) != (lesson_id, q) or at[1].question is None:
        return None  # the page moved on since this button was drawn
    return cfg, at[1].question, Ctx(cfg, compute.current(cfg))


def _commit(lesson_id: str, q: int, widget: str) -> None:
    found = _current_question(lesson_id, q)
    if found is None:
        return
    cfg, question, ctx = found
    raw = session.get(widget)
    session.put(session.LESSON_INPUT_ERROR, None)
    if raw is None or str(raw).strip() == "":
        session.put(session.LESSON_INPUT_ERROR, "Choose an answer first." if not question.typed else
                    "Type a number first, e.g. 0.42.")
        return
    if question.typed and lessons.parse_number(str(raw)) is None:
        session.put(session.LESSON_INPUT_ERROR, f"{markdown_literal(str(raw)[:40])} is not a number: type one like 0.42 or −0.3.")
        return
    right = question.grade(ctx, str(raw))
    _commits()[(lesson_id, q)] = session.LessonCommit(str(raw), right, token(cfg))
    good, asked = tally()
    session.put(session.LESSON_TALLY, (good + right, asked + 1))
    _point_at(answer(cfg, ctx.computed, question).where)


def _show_answer(lesson_id: str, q: int) -> None:
    found = _current_question(lesson_id, q)
    if found is None:
        return
    cfg, question, ctx = found
    _shown().add((lesson_id, q, token(cfg)))
    _point_at(answer(cfg, ctx.computed, question).where)


# ---------------------------------------------------------------- the panel


def _where_text(where: lessons.Where, ctx: Ctx) -> str:
    if where.tab == "explore":
        return "The Explore tab is open at **Vanishing gradients**, where these curves are drawn."
    if where.tab == "weights":
        return "The **Weights** tab shows every matrix with its name and shape in this notation."
    if where.step is None and where.unit is None and not where.steps:
        return ""  # a shape: the explanation says where it comes from
    parts = []
    if where.step is not None:
        parts.append(f"step {where.step}")
    if where.unit is not None:
        parts.append(f"unit {where.unit}")
    if where.direction and ctx.cfg.bidirectional:
        parts.append(f"the {where.direction} direction")
    at = f"The step player is at {', '.join(parts)}" if parts else "The step player shows it"
    marks = []
    if where.slot:
        marks.append("the number in the live equation")
    if where.out is not None:
        marks.append("the softmax bar")
    if where.steps:
        marks.append("the inputs in the time strip")
    return at + (f"; the orange outline marks {' and '.join(marks)}." if marks else ".")


def _answer_label(question: Question, ctx: Ctx, choice: str) -> str:
    if question.typed:
        return markdown_literal(choice)
    return dict(question.options(ctx)).get(choice, markdown_literal(choice))


def _ask(lesson_id: str, q: int, question: Question, ctx: Ctx, stale: bool) -> None:
    widget = f"lesson_answer_{lesson_id}_{q}"
    if stale:
        st.caption("The numbers changed since your last answer to this question: predict again.")
    if question.typed:
        st.text_input("Your answer", key=widget, placeholder="e.g. 0.42")
    else:
        options = question.options(ctx)
        labels = dict(options)
        st.radio("Your prediction", [k for k, _ in options], index=None, key=widget, format_func=labels.get)
    error = session.get(session.LESSON_INPUT_ERROR)
    if error:
        st.warning(error)
    left, right = st.columns([1, 3])
    left.button("Commit", type="primary", key=f"lesson_commit_{lesson_id}_{q}", on_click=_commit,
                args=(lesson_id, q, widget), icon=":material/lock:")
    right.button("Show the answer (teacher)", type="tertiary", key=f"lesson_show_{lesson_id}_{q}",
                 on_click=_show_answer, args=(lesson_id, q), help="Reveals the answer without a prediction; not counted.")


def _reveal(lesson_id: str, q: int, question: Question, ctx: Ctx) -> None:
    found = answer(ctx.cfg, ctx.computed, question)
    commit = _commits().get((lesson_id, q))
    if commit is not None and commit.token == token(ctx.cfg):
        said = _answer_label(question, ctx, commit.choice)
        if commit.right:
            st.success(f"**Right.** The answer: {found.text}.", icon=":material/check_circle:")
        else:
            st.warning(f"**Not this time** — you said {said}. The answer: {found.text}.", icon=":material/cancel:")
    else:
        st.info(f"**The answer** (shown by the teacher, not counted): {found.text}.", icon=":material/visibility:")
    st.markdown(found.why)
    where = _where_text(found.where, ctx)
    if where:
        st.caption(where)


def _nav(found: Lesson, q: int) -> None:
    cols = st.columns([1, 1, 1, 3])
    cols[0].button("◀ Previous", key="lesson_prev", disabled=q <= 1, on_click=open_step, args=(found.id, q - 1),
                   use_container_width=True)
    cols[1].button("Next ▶", key="lesson_next", disabled=q >= len(found.steps), on_click=open_step,
                   args=(found.id, q + 1), use_container_width=True)
    cols[2].button("Close lesson", key="lesson_close", on_click=close, use_container_width=True)
    good, asked = tally()
    cols[3].markdown(f"<div style='text-align:right'>Your predictions: <b>{good} right</b> of {asked}</div>",
                     unsafe_allow_html=True)


def panel(cfg: Config, computed: Computed) -> bool:
    """Draw the open lesson step (and a bad lesson link's message with the list); returns whether
    the page's views may show, i.e. no prediction is waiting."""
    error = session.get(session.LESSON_ERROR)
    if error is not None and error[1] is cfg:
        st.warning(markdown_literal(error[0]))
        _lesson_buttons()
    at = lessons.steps_of(cfg)
    if at is None:
        session.put(session.LESSON_HIGHLIGHT, None)
        return True
    found, step = at
    ctx = Ctx(cfg, computed)
    question = step.question
    problem = question.problem(ctx) if question else None
    is_open = not waiting(cfg, computed)
    with st.container(border=True, key="lesson_panel"):
        st.markdown(f"##### :material/school: {found.title} — step {cfg.q} of {len(found.steps)}")
        st.markdown(step.say(ctx))
        if question is not None:
            if problem:
                st.info(problem)
            else:
                st.markdown(f"**Predict.** {question.ask(ctx)}")
                for line in question.given(ctx):
                    st.markdown(line)
                if is_open:
                    _reveal(found.id, cfg.q, question, ctx)
                else:
                    commit = _commits().get((found.id, cfg.q))
                    _ask(found.id, cfg.q, question, ctx, stale=commit is not None)
        if is_open:
            _worksheet(cfg, computed)
        _nav(found, cfg.q)
    where = answer(cfg, computed, question).where if question is not None and not problem and is_open else None
    session.put(session.LESSON_HIGHLIGHT, where.highlight() if where else None)
    if not is_open:
        _masked(cfg, computed, question.shown_steps(ctx))
    return is_open


def _worksheet(cfg: Config, computed: Computed) -> None:
    """The lesson's configuration as a worksheet, when it is small enough (after its answer is out:
    the key holds it)."""
    external = session.external_model(cfg)
    try:
        sheets.check_limits(cfg, external[1] if external else None)
    except ValueError:  # WorksheetLimitError included: this step's network is too big for a sheet
        return
    with st.expander("Worksheet of this step's network, to do by hand", icon=":material/print:"):
        worksheet.section(cfg, computed, link_for=link, key="lesson_worksheet")


def _lesson_buttons() -> None:
    """Every lesson, with a button that opens it (the list a bad lesson link gets)."""
    for found in lessons.LESSONS.values():
        cols = st.columns([4, 1])
        cols[0].markdown(f"**{found.title}** — {found.question} *({lessons.describe(found)})*")
        cols[1].button("Open", key=f"lesson_open_{found.id}", on_click=open_step, args=(found.id, 1))


# ---------------------------------------------------------------- the player, cut short


@st.cache_resource(max_entries=8, show_spinner=False)
def _masked_spec(model_token: tuple, steps: int, view: tuple, _computed: Computed, _cfg: Config) -> dict:
    short = lessons.truncated(_computed, steps)
    return spec_for(_cfg, short.batch, short.trace, short.model, step=steps - 1, unit=_cfg.unit, seq=1, speed=_cfg.speed)


def _masked(cfg: Config, computed: Computed, steps: int | None) -> None:
    """The step player over the steps the question does not give away (none: nothing)."""
    if not steps or computed.model.bidirectional:
        st.caption("The views open when you commit your prediction.")
        return
    T = computed.trace.seq_len
    if steps < T:
        st.caption(f"The step player shows steps 0 … {steps - 1} only; step {steps} and the other views open when "
                   f"you commit your prediction.")
    else:
        st.caption("The other views open when you commit your prediction.")
    view = (cfg.sample, cfg.topk, cfg.notation, cfg.unit, cfg.layer, cfg.direction, cfg.layout, cfg.palette, cfg.speed)
    _masked_player(_masked_spec(compute.model_token(cfg), steps, view, computed, cfg))


@st.fragment
def _masked_player(spec: dict) -> None:
    # a fragment: the browser's step reports rerun only this (they change nothing on the server)
    player(spec, key=MASKED_PLAYER)


# ---------------------------------------------------------------- the lesson list (a page of its own)


def list_page(app: st.Page) -> None:
    """Every lesson: the question it answers, its length and formulation, a link that opens it."""
    st.title("Lessons")
    st.markdown("Each lesson walks through one question in a few steps. At every step you **predict** first — "
                "the next character, the sign of a unit, the shape of an array — and **commit**; only then does "
                "the app show the answer, computed from the network on the screen, and point at where it comes "
                "from. Predicting first is what makes a demonstration stick.")
    good, asked = tally()
    if asked:
        st.caption(f"Your predictions this session: {good} right of {asked}.")
    current = session.config() if session.has(session.CONFIG) else None
    for found in lessons.LESSONS.values():
        with st.container(border=True):
            text, go = st.columns([5, 1], vertical_alignment="center")
            text.markdown(f"**{found.title}** · *{found.question}*  \n{lessons.describe(found)}")
            go.page_link(app, label="Open", icon=":material/play_arrow:", query_params={"lesson": found.id})
            if current is not None and current.lesson == found.id and current.q > 1:
                go.page_link(app, label=f"Continue at step {current.q}", query_params={"lesson": found.id,
                                                                                       "q": str(current.q)})
    st.caption("A teacher can share any step: the address bar holds ?lesson=<id>&q=<step>, and never the answer. "
               "Worksheets for hand computation: the Share & export tab (any small configuration) and the "
               "“One step by hand” lesson.")
