"""Lessons on the real page, through AppTest: every lesson walked end to end (answering right, then
wrong), the answer absent from everything the page sends (and from the URL) until a commit, the
reveal moving the step player to the step and unit and outlining the equation slot, the tally,
bad lesson links, the Lessons page, and the worksheet downloads.

What the right answer is comes from rnnviz/app/lessons.py, whose answers tests/test_lessons.py
checks against independent computations; here the page is checked against them."""
from __future__ import annotations

import json
from urllib.parse import parse_qs

import numpy as np
import pytest
from conftest import open_app, rerun
from hypothesis import given, settings
from hypothesis import strategies as hs
from plotly_data import player
from streamlit.util import calc_hash
from test_url_fuzz import FUZZ, check_page, query

from rnnviz import pretrained
from rnnviz.app import knobs
from rnnviz.app import lessons as L
from rnnviz.app.compute import compute

pytestmark = pytest.mark.usefixtures("fresh_cache")


# ---------------------------------------------------------------- helpers


def page_bytes(at) -> bytes:
    """Everything the page sent in its last run: every element's message, serialized (the step
    player's Arrow arrays included)."""
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "SerializeToString"):
            out.append(proto.SerializeToString())
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at._tree)
    return b"\n".join(out)


def sent(at, text: str) -> bool:
    return text.encode() in page_bytes(at)


def page_ctx(at) -> L.Ctx:
    """The numbers the page shows (its Config, and a shipped model read here with pretrained.load)."""
    cfg = at.session_state["cfg"]
    if cfg.weights.startswith("trained:"):
        model, vocab, _ = pretrained.load(cfg.weights.split(":", 1)[1])
        return L.Ctx(cfg, compute(cfg, model, vocab))
    return L.Ctx(cfg, compute(cfg))


def components(at) -> list:
    """The step players on the page (the theme watcher, rnnviz/ui/theme.py, is another component)."""
    return [e for e in at.get("bidi_component") if e.proto.component_name.endswith("rnnviz_player")]


def tally(at) -> tuple[int, int]:
    return at.session_state["_lesson_tally"] if "_lesson_tally" in at.session_state else (0, 0)


def answer_widget(lid: str, q: int) -> str:
    return f"lesson_answer_{lid}_{q}"


def choose(at, lid: str, q: int, question: L.Question, ctx: L.Ctx, right: bool) -> str:
    """Put a right or a wrong answer in the step's widget; returns what was entered."""
    answer = question.solve(ctx)
    if question.typed:
        text = f"{answer.value:.3f}" if right else f"{answer.value + 0.5:.3f}"
        at.text_input(key=answer_widget(lid, q)).input(text)
        return text
    keys = [k for k, _ in question.options(ctx)]
    key = sorted(answer.right)[0] if right else next(k for k in keys if k not in answer.right)
    at.radio(key=answer_widget(lid, q)).set_value(key)
    return key


def secrets(question: L.Question, ctx: L.Ctx) -> list[str]:
    """Strings that would give the answer away: the reveal's sentences and the asked value."""
    answer = question.solve(ctx)
    labels = set(dict(question.options(ctx)).values())  # an option's label is on the page anyway
    found = [answer.why] + ([] if answer.text in labels else [answer.text])
    if isinstance(question, L.UnitValue):
        h = ctx.trace.layers[0][0].h[ctx.step(question.step), ctx.sample, ctx.unit(question.unit)]
        found += [L.fmt(h), f"{h:.4f}"]
    if isinstance(question, L.GateExtreme):
        lt = ctx.trace.layers[0][0]
        t, j = ctx.step(question.step), ctx.unit(question.unit)
        found += [L.fmt(float(lt.gate(g)[t, ctx.sample, j]), 3) for g in "ifo"]
    return found


def check_waiting(at, question: L.Question, ctx: L.Ctx) -> None:
    """Before a commit: no tab, no answer in anything sent or in the URL; at most a player cut short."""
    assert not at.tabs, "no view may show while a prediction waits"
    for secret in secrets(question, ctx):
        assert not sent(at, secret), secret
        assert all(secret not in str(v) for v in at.query_params.values()), secret
    shown = question.shown_steps(ctx)
    if shown and not ctx.cfg.bidirectional:
        (el,) = components(at)
        meta, arrays = player(at)
        assert el.proto.mixed  # the cut-short player
        assert meta["T"] == shown and "highlight" not in meta
        assert arrays["h"].size == shown * meta["H"]  # the asked step's states are not in it
    else:
        assert components(at) == []


def check_reveal(at, question: L.Question, ctx: L.Ctx) -> None:
    """After a commit: the answer on the page; the views open where it comes from."""
    answer = question.solve(ctx)
    assert sent(at, answer.text) and sent(at, answer.why)
    where = answer.where
    assert at.session_state["tab"] == L.TABS[where.tab] and L.TABS[where.tab] in [t.label for t in at.tabs]
    if where.tab == "step":
        meta, _ = player(at)
        cfg = at.session_state["cfg"]
        if where.step is not None:
            assert cfg.step == where.step and meta["cmd"]["step"] == where.step  # the player is moved there
        if where.unit is not None:
            assert cfg.unit == where.unit and meta["cmd"]["unit"] == where.unit
        if where.direction:
            assert cfg.direction == where.direction
        if where.slot or where.out is not None or where.steps:
            assert meta["highlight"] == {"step": where.step, "unit": where.unit, "slot": where.slot,
                                         "out": where.out, "steps": list(where.steps)}
    if where.explore:
        assert at.session_state["explore_view"] == where.explore


# ---------------------------------------------------------------- every lesson, end to end


@pytest.mark.parametrize("lid", list(L.LESSONS))
@pytest.mark.parametrize("right", [True, False], ids=["right", "wrong"])
def test_every_lesson_end_to_end(lid, right):
    lesson = L.LESSONS[lid]
    at = open_app(lesson=lid, no_errors=True)
    for q, step in enumerate(lesson.steps, start=1):
        cfg = at.session_state["cfg"]
        assert (cfg.lesson, cfg.q) == (lid, q) and at.query_params["lesson"] == lid
        assert at.query_params.get("q", "1") == str(q)
        ctx = page_ctx(at)
        question = step.question
        assert sent(at, question.ask(ctx))
        check_waiting(at, question, ctx)
        said = choose(at, lid, q, question, ctx, right)
        at.button(key=f"lesson_commit_{lid}_{q}").click()
        rerun(at)
        assert not at.error
        check_reveal(at, question, ctx)
        if right:
            assert [s.value for s in at.success][0].startswith("**Right.**")
        else:
            (warning,) = [w.value for w in at.warning if "Not this time" in w.value]
            shown = said if question.typed else dict(question.options(ctx))[said]
            assert f"you said {shown}" in warning
        assert tally(at) == ((q, q) if right else (0, q))
        if q < len(lesson.steps):
            at.button(key="lesson_next").click()
            rerun(at)
    assert at.button(key="lesson_next").disabled


def test_a_teacher_shows_the_answer_without_counting_it():
    at = open_app(lesson="counting")
    ctx = page_ctx(at)
    question = L.LESSONS["counting"].steps[0].question
    at.button(key="lesson_show_counting_1").click()
    rerun(at)
    check_reveal(at, question, ctx)
    assert any("shown by the teacher, not counted" in i.value for i in at.info)
    assert tally(at) == (0, 0)


def test_commit_needs_an_answer_and_a_number():
    at = open_app(lesson="by-hand", q=2)
    at.button(key="lesson_commit_by-hand_2").click()
    rerun(at)
    assert any("Type a number first" in w.value for w in at.warning) and not at.tabs
    at.text_input(key=answer_widget("by-hand", 2)).input("about a half")
    at.button(key="lesson_commit_by-hand_2").click()
    rerun(at)
    assert any("is not a number" in w.value for w in at.warning) and not at.tabs and tally(at) == (0, 0)
    at.text_input(key=answer_widget("by-hand", 2)).input("−0,83")  # a real minus and a decimal comma
    at.button(key="lesson_commit_by-hand_2").click()
    rerun(at)
    assert at.tabs and tally(at) == (1, 1)


def test_new_numbers_ask_again_and_the_reveal_follows_the_seed():
    at = open_app(lesson="hidden-state", q=2)
    first = page_ctx(at)
    question = L.LESSONS["hidden-state"].steps[1].question
    choose(at, "hidden-state", 2, question, first, right=True)
    at.button(key="lesson_commit_hidden-state_2").click()
    rerun(at)
    assert at.tabs
    old = question.solve(first)
    at.number_input(key="w_weight_seed").set_value(3)  # the lesson lets a student change the seed
    rerun(at)
    second = page_ctx(at)
    assert second.cfg.weight_seed == 3 and not at.tabs  # other numbers: predict again
    assert any("numbers changed" in c.value for c in at.caption)
    new = question.solve(second)
    assert new.text != old.text and not sent(at, new.text)
    at.button(key="lesson_show_hidden-state_2").click()
    rerun(at)
    assert sent(at, new.text) and not sent(at, old.text)
    h = second.trace.layers[0][0].h[3, 0, 0]
    assert L.fmt(h) in new.text


def test_previous_next_and_close():
    at = open_app(lesson="pytorch", q=3)
    at.button(key="lesson_prev").click()
    rerun(at)
    assert at.session_state["cfg"].q == 2 and at.query_params["q"] == "2"
    at.button(key="lesson_close").click()
    rerun(at)
    cfg = at.session_state["cfg"]
    assert cfg.lesson == "none" and not cfg.hide and "lesson" not in at.query_params
    assert at.tabs and not at.get("bidi_component") == []  # the page is back, with its player


# ---------------------------------------------------------------- links


def test_a_lesson_link_keeps_what_the_student_may_change_and_fixes_the_rest():
    at = open_app(lesson="hidden-state", q=2, weight_seed=3, cell="gru", notation="torch")
    cfg = at.session_state["cfg"]
    assert cfg.weight_seed == 3  # not fixed by the lesson: the link's value
    assert cfg.cell == "rnn" and cfg.notation == "class" and cfg.q == 2  # fixed by the lesson


@pytest.mark.parametrize("params, says", [
    ({"lesson": "nope"}, "There is no lesson 'nope'"),
    ({"lesson": "by-hand", "q": "9"}, "has 4 steps; there is no step 9"),
    ({"lesson": ""}, "There is no lesson ''"),
])
def test_a_bad_lesson_link_gives_a_notice_and_the_lesson_list(params, says):
    at = open_app(**params, no_errors=True)
    warnings = " ".join(w.value.replace("\\", "") for w in at.warning)
    assert says in warnings
    assert {b.key for b in at.button} >= {f"lesson_open_{lid}" for lid in L.LESSONS}
    assert at.session_state["cfg"].lesson == "none" and "lesson" not in at.query_params
    at.button(key="lesson_open_unrolled").click()
    rerun(at)
    assert at.session_state["cfg"].lesson == "unrolled" and at.query_params["lesson"] == "unrolled"


def test_a_bad_step_number_is_read_as_step_1_with_the_codecs_notice():
    at = open_app(lesson="counting", q="two", no_errors=True)
    assert at.session_state["cfg"].q == 1
    assert any("Lesson step" in w.value for w in at.warning)


def test_picking_a_lesson_in_the_same_session_opens_it():
    at = open_app(lesson="hidden-state")
    at.radio(key=answer_widget("hidden-state", 1)).set_value("neg")
    at.button(key="lesson_commit_hidden-state_1").click()
    rerun(at)
    at.query_params.clear()
    at.query_params["lesson"] = "bidirectional"  # what a link on the Lessons page does to the URL
    rerun(at)
    cfg = at.session_state["cfg"]
    assert (cfg.lesson, cfg.q, cfg.bidirectional) == ("bidirectional", 1, True)
    assert tally(at) == (1, 1)  # the same session: the tally goes on


def goto(at, url_path: str):
    """Run the st.navigation page ``url_path`` (AppTest.switch_page takes file pages only; a
    page's script hash is the hash of its URL path)."""
    at._page_hash = calc_hash(url_path)
    return rerun(at)


def test_the_lessons_page_lists_every_lesson_with_its_question_length_formulation_and_a_link():
    at = open_app()
    goto(at, "lessons")
    assert at.title[0].value == "Lessons"
    text = " ".join(m.value for m in at.markdown)
    links = {parse_qs(link.proto.query_string)["lesson"][0]: link for link in at.get("page_link")
             if link.proto.query_string}
    assert set(links) == set(L.LESSONS)
    for lesson in L.LESSONS.values():
        assert lesson.title in text and lesson.question in text and L.describe(lesson) in text
        assert f"{len(lesson.steps)} steps" in L.describe(lesson) and lesson.formulation in L.describe(lesson)
    goto(at, "")
    assert at.title[0].value.startswith("rnnviz")


def test_the_lessons_page_offers_to_continue_the_open_lesson():
    at = open_app(lesson="vanishing", q=3)
    goto(at, "lessons")
    cont = [link for link in at.get("page_link") if link.proto.label.startswith("Continue")]
    assert len(cont) == 1 and parse_qs(cont[0].proto.query_string) == {"lesson": ["vanishing"], "q": ["3"]}


# ---------------------------------------------------------------- the lessons' own numbers


def test_the_counting_lesson_shows_the_shipped_model():
    at = open_app(lesson="counting")
    at.button(key="lesson_show_counting_1").click()
    rerun(at)
    model, vocab, card = pretrained.load("brackets-rnn")
    text = L.LESSONS["counting"].values["text"]
    p = model.layers[0][0]
    h, hs = np.zeros(p.hidden_size), []
    for ch in text:  # an independent loop over the shipped arrays
        x = np.zeros(p.input_size)
        x[vocab.chars.index(ch)] = 1.0
        h = np.tanh(p.w_ih @ x + p.b_ih + p.w_hh @ h + p.b_hh)
        hs.append(h)
    _, arrays = player(at)
    np.testing.assert_allclose(arrays["h"], np.array(hs, dtype=np.float32).ravel(), rtol=2e-6, atol=2e-7)
    story = " ".join(m.value for m in at.markdown)
    assert "the trained model **brackets-rnn**" in story and f"{card.bits_per_char:.2f} bits per character" in story
    assert "uploaded file" not in story and at.session_state["cfg"].weights == "trained:brackets-rnn"


def test_the_story_is_held_back_while_a_prediction_waits():
    # the bidirectional story says what the reverse half has read: the answer of step 2
    at = open_app(lesson="bidirectional", q=2)
    assert not sent(at, "has already read every input after step t")
    at.button(key="lesson_show_bidirectional_2").click()
    rerun(at)
    assert sent(at, "has already read every input after step t")


# ---------------------------------------------------------------- worksheets


@pytest.fixture
def sheets(monkeypatch):
    """Every worksheet page the UI renders, as (include_key, html)."""
    from rnnviz.app import worksheet

    made = []
    real = worksheet.render_html

    def spy(ws, key=None, *, include_key=True):
        html = real(ws, key, include_key=include_key)
        made.append((include_key, ws, html))
        return html

    monkeypatch.setattr(worksheet, "render_html", spy)
    return made


def rounded(values) -> list[str]:
    """Numbers as a sheet prints them: 2 decimals, a real minus sign, no "−0.00"."""
    out = []
    for v in np.ravel(values):
        text = f"{v:.2f}"
        out.append("0.00" if text == "-0.00" else text.replace("-", "−"))
    return out


def test_the_share_tab_offers_the_pages_own_worksheet_and_its_key(sheets):
    from streamlit.runtime.memory_media_file_storage import _calculate_file_id

    from rnnviz.network import init_model

    at = open_app(text="abca", hidden=3, tab="Share & export", no_errors=True)
    buttons = {b.proto.label: b for b in at.get("download_button")}
    student, teacher = buttons["Student sheet (.html)"], buttons["Sheet with answer key (.html, for the teacher)"]
    (_, ws, sheet), (_, _, key) = sheets[-2:]
    assert "Answer key" not in sheet and "Answer key" in key
    # the buttons serve exactly these pages (Streamlit names a file by the hash of its bytes and name)
    assert _calculate_file_id(sheet.encode(), "text/html", "rnnviz-worksheet-rnn-page-sheet.html") in student.proto.url
    assert _calculate_file_id(key.encode(), "text/html", "rnnviz-worksheet-rnn-page-key.html") in teacher.proto.url
    # the page's own numbers: the model the page draws (uniform ±0.5, seed 0), rounded to 2 decimals
    model = init_model("rnn", 3, 3, 3, init="uniform", scale=0.5, seed=0)
    p = model.layers[0][0]
    for number in rounded(p.w_ih) + rounded(p.w_hh) + rounded(p.b_ih) + rounded(model.w_out):
        assert number in sheet
    assert ws.variant is None


def test_a_variant_worksheet_has_the_variants_numbers(sheets):
    from rnnviz.network import init_model

    at = open_app(text="abca", hidden=3, tab="Share & export")
    at.radio(key="share_worksheet_mode").set_value("variant")
    rerun(at)
    at.number_input(key="share_worksheet_variant").set_value(7)
    rerun(at)
    (_, ws, sheet) = sheets[-2]
    assert ws.variant == 7 and "Variant 7" in sheet
    p = init_model("rnn", 3, 3, 3, init="uniform", scale=0.5, seed=7).layers[0][0]
    for number in rounded(p.w_hh):
        assert number in sheet
    page = init_model("rnn", 3, 3, 3, init="uniform", scale=0.5, seed=0).layers[0][0]
    assert rounded(page.w_hh) != rounded(p.w_hh)
    assert "weight_seed=7" in sheet and "input_seed=7" in sheet  # the link that opens the variant


def test_outside_the_limits_the_worksheet_says_the_limits(sheets):
    at = open_app(tab="Share & export", no_errors=True)
    text = " ".join(i.value for i in at.info)
    assert "Too big for a hand-computation worksheet" in text and "hidden size 16 is over 4" in text
    assert "A worksheet allows hidden size ≤ 4, input size ≤ 4, sequence length ≤ 4" in text
    assert not [b for b in at.get("download_button") if "sheet" in b.proto.label.lower()] and sheets == []


def test_the_by_hand_lesson_offers_its_worksheet_only_after_the_answer(sheets):
    at = open_app(lesson="by-hand", q=2)
    assert not at.get("download_button") and sheets == []  # the key would hold the answer
    at.text_input(key=answer_widget("by-hand", 2)).input("0")
    at.button(key="lesson_commit_by-hand_2").click()
    rerun(at)
    labels = {b.proto.label for b in at.get("download_button")}
    assert {"Student sheet (.html)", "Sheet with answer key (.html, for the teacher)"} <= labels
    ws = sheets[-1][1]
    assert (ws.hidden, ws.input_size, ws.length, ws.notation) == (3, 3, 4, "functional")



# ---------------------------------------------------------------- any lesson link a student can type


@settings(max_examples=30, **FUZZ)
@given(hs.sampled_from(sorted(L.LESSONS)), hs.integers(-2, 7).map(str), query(max_fields=4, repeats=True))
def test_any_lesson_link_opens_with_a_notice_for_every_bad_value(lesson, q, case):
    """The URL fuzz's property (no exception or error box, a notice naming every bad value, the URL
    rewritten to its canonical form) for lesson links mixed with anything else."""
    params, invalid = case
    params = {**params, "lesson": lesson, "q": q}
    invalid.pop("lesson", None)
    invalid.pop("q", None)
    if not knobs.bounds("q")[0] <= int(q) <= knobs.bounds("q")[1]:
        invalid["q"] = "invalid"  # clamped by the codec, with its notice
    check_page(params, invalid)


def test_the_cut_short_player_keeps_the_page_look():
    """The player a waiting question shows (steps 0 … t−1) has the projector layout and the
    colour-blind palette of the page it sits in, like the full player."""
    def look(el) -> dict:
        meta = json.loads(el.proto.mixed.json)
        return {k: meta.get(k) for k in ("layout", "sizes", "colors", "colorscale")}

    at = open_app(lesson="hidden-state", q=2, layout="projector", palette="cb")
    (masked,) = components(at)
    assert json.loads(masked.proto.mixed.json)["T"] < at.session_state["cfg"].length  # cut short
    full = open_app(**L.step_values("hidden-state", 2), layout="projector", palette="cb")
    plain = open_app(lesson="hidden-state", q=2)
    assert look(masked) == look(components(full)[0]) != look(components(plain)[0])
    assert look(masked)["layout"] == "side"
