"""The lessons as data (rnnviz/app/lessons.py): every step opens, every question is answerable,
every answer equals an independent computation (a NumPy loop written here, PyTorch's autograd and
modules, each formulation's documented layout), every question's answer changes when the seed or
the input does, and the prompts are true for the numbers their steps show."""
from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz import pretrained
from rnnviz.app import knobs, lessons as L
from rnnviz.app.codec import from_values
from rnnviz.app.compute import compute, model_dims
from rnnviz.app.rules import normalise
from rnnviz.network import forward

STEPS = [(lid, q) for lid, lesson in L.LESSONS.items() for q in range(1, len(lesson.steps) + 1)]
COUNTING_TEXT = L.LESSONS["counting"].values["text"]


def ctx_for(values: dict) -> L.Ctx:
    """The Ctx a page shows for ``values`` (``weights="trained:<name>"``: the shipped model's arrays,
    read here with pretrained.load)."""
    cfg, _ = from_values(values)
    if cfg.weights.startswith("trained:"):
        model, vocab, _ = pretrained.load(cfg.weights.split(":", 1)[1])
        cfg, _ = normalise(cfg, model_dims(model))
        return L.Ctx(cfg, compute(cfg, model, vocab))
    return L.Ctx(cfg, compute(cfg))


def step_ctx(lid: str, q: int, **extra) -> L.Ctx:
    return ctx_for({**L.step_values(lid, q), **extra})


# ---------------------------------------------------------------- independent references


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def inputs_as_vectors(ctx: L.Ctx) -> np.ndarray:
    """(T, I) of the viewed sample: one-hot rows for tokens."""
    data = ctx.computed.batch.data[:, ctx.sample]
    if data.ndim == 1:
        return np.eye(ctx.computed.model.input_size)[data]
    return np.asarray(data, dtype=float)


def rnn_loop(ctx: L.Ctx) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """(pre-activations (T, H), softmax (T, O) or None, h (T, H)) of a one-layer tanh RNN, by hand."""
    m = ctx.computed.model
    p = m.layers[0][0]
    h = ctx.trace.layers[0][0].h0[ctx.sample].copy()  # the formulation's h0 (the notebook's a0, or zeros)
    pres, hs, probs = [], [], []
    for x in inputs_as_vectors(ctx):
        pre = p.w_ih @ x + p.b_ih + p.w_hh @ h + p.b_hh
        h = np.tanh(pre)
        pres.append(pre)
        hs.append(h)
        if m.w_out is not None:
            probs.append(softmax(m.w_out @ h + m.b_out))
    return np.array(pres), (np.array(probs) if probs else None), np.array(hs)


def lstm_gates(ctx: L.Ctx) -> dict[str, np.ndarray]:
    """i, f, o (T, H) of a one-layer LSTM, by hand (PyTorch's gate order i, f, g, o)."""
    p = ctx.computed.model.layers[0][0]
    H = p.hidden_size
    h, c = np.zeros(H), np.zeros(H)
    out = {"i": [], "f": [], "o": []}
    for x in inputs_as_vectors(ctx):
        z = p.w_ih @ x + p.b_ih + p.w_hh @ h + p.b_hh
        i, f, g, o = sigmoid(z[:H]), sigmoid(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sigmoid(z[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        for name, v in (("i", i), ("f", f), ("o", o)):
            out[name].append(v)
    return {k: np.array(v) for k, v in out.items()}


# ---------------------------------------------------------------- the table


def test_the_lesson_table_matches_the_knob_table():
    assert set(L.LESSONS) == set(knobs.LESSONS) - {L.NO_LESSON}
    assert knobs.DEFAULT.lesson == L.NO_LESSON
    for lid, lesson in L.LESSONS.items():
        assert lesson.id == lid and knobs.LESSONS[lid] == lesson.question
        assert 1 <= len(lesson.steps) <= knobs.MAX_LESSON_STEPS
        assert set(lesson.hide) <= set(knobs.HIDEABLE)


def test_the_seven_lessons_of_the_issue_with_their_formulations():
    expected = {"hidden-state": "class", "by-hand": "functional", "pytorch": "torch", "unrolled": "tensorflow",
                "bidirectional": "torch", "vanishing": None, "counting": None}
    assert set(L.LESSONS) == set(expected)
    for lid, notation in expected.items():
        if notation:
            assert L.LESSONS[lid].values["notation"] == notation
    kinds = {type(s.question).kind for lesson in L.LESSONS.values() for s in lesson.steps if s.question}
    assert kinds == {"next", "unit", "gate", "gradient", "reads", "shape"}


@pytest.mark.parametrize("lid, q", STEPS)
def test_every_step_opens_cleanly_and_its_question_is_answerable(lid, q):
    cfg, notices = L.step_config(lid, q)
    assert notices == [] and (cfg.lesson, cfg.q) == (lid, q)
    assert cfg.hide == frozenset(L.LESSONS[lid].hide)
    ctx = step_ctx(lid, q)
    step = L.LESSONS[lid].steps[q - 1]
    assert step.say(ctx).strip()
    question = step.question
    assert question is not None and question.problem(ctx) is None
    assert question.ask(ctx).strip()
    answer = question.solve(ctx)
    assert answer.text and answer.why
    if question.typed:
        assert math.isfinite(answer.value) and answer.tolerance > 0 and question.options(ctx) == []
    else:
        keys = [k for k, _ in question.options(ctx)]
        assert len(keys) == len(set(keys)) >= 2
        assert answer.right and answer.right <= set(keys)
    shown = question.shown_steps(ctx)
    assert shown is None or 0 <= shown <= ctx.T


def test_the_lessons_that_show_a_shipped_model_name_it_as_a_weights_choice():
    shown = {(lid, q): L.step_values(lid, q).get("weights", "init") for lid, q in STEPS}
    assert shown[("counting", 1)] == "trained:brackets-rnn"
    assert shown[("vanishing", 1)] == "init" and shown[("vanishing", 3)] == "trained:dialogue-lstm"
    assert set(shown.values()) <= set(knobs.choices("weights"))


def test_position_problems_name_the_lesson_and_its_length():
    assert L.position_problem("none", 1) is None and L.position_problem("by-hand", 4) is None
    assert "no lesson 'nope'" in L.position_problem("nope", 1)
    assert "has 4 steps; there is no step 9" in L.position_problem("by-hand", 9)
    assert L.position_problem("", 1) is not None


def test_parse_number_reads_what_students_type():
    assert L.parse_number(" 0.42 ") == 0.42 and L.parse_number("−0,3") == -0.3 and L.parse_number("-.5") == -0.5
    assert L.parse_number("1e-2") == 0.01
    for bad in ("", "abc", "nan", "inf", "0.4.2"):
        assert L.parse_number(bad) is None


# ---------------------------------------------------------------- the prompts say what is on screen


@pytest.mark.parametrize("seed", [0, 3])
def test_hidden_state_prompts(seed):
    ctx = step_ctx("hidden-state", 1, weight_seed=seed)
    q1 = L.LESSONS["hidden-state"].steps[0].question
    slots, vals = q1._slots(ctx)
    assert vals[slots.index("hw")] == 0.0  # "before the first character ... W_hh h = 0"
    ctx = step_ctx("hidden-state", 2, weight_seed=seed)
    text = ctx.cfg.text
    assert "hello" in text and text[2:4] == "ll" and ctx.label(3) == "‘l’"  # ‘l’ twice in a row, step 3 the second
    assert "text" in ctx.cfg.hide  # ... and the student cannot change the text under the prompt


@pytest.mark.parametrize("seed", [1, 2, 7])
def test_by_hand_prompts(seed):
    ctx = step_ctx("by-hand", 2, weight_seed=seed)
    assert ctx.computed.model.hidden_size == 3  # "n_a = 3 units"
    slots, vals = L.LESSONS["by-hand"].steps[1].question._slots(ctx)
    assert vals[slots.index("hw")] != 0.0  # the notebook's random a0: W_aa a<t-1> is not zero at step 0


@pytest.mark.parametrize("seed", [0, 5])
def test_unrolled_prompts(seed):
    ctx = step_ctx("unrolled", 4, weight_seed=seed)
    p = ctx.computed.model.layers[0][0]
    assert ctx.sample == 1 and np.all(ctx.computed.batch.data[1, 1] == 0)  # instance 1 reads X1 = [0, 0, 0]
    assert np.all(p.b_ih == 0) and np.all(p.b_hh == 0)  # "b is zero here"
    assert {"sample", "hidden"} <= ctx.cfg.hide


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vanishing_prompts(seed):
    fresh = step_ctx("vanishing", 2, weight_seed=seed)
    gates = lstm_gates(fresh)
    for name in "ifo":  # "fresh weights put every gate near sigma(0) = 0.5"
        assert 0.4 < gates[name].mean() < 0.6, name
    trained = step_ctx("vanishing", 3, weight_seed=seed)
    means = {k: v.mean() for k, v in lstm_gates(trained).items()}
    assert any(not 0.4 < v < 0.6 for v in means.values())  # "its gates are no longer near 0.5"


def test_counting_prompts():
    text = COUNTING_TEXT
    depth = np.cumsum([{"(": 1, ")": -1}.get(c, 0) for c in text])
    assert text[6:10] == "((((" and text[5] == "\n"  # step 9: a fourth ‘(’ in a row
    assert text[10:14] == "))))" and depth[13] == 0  # "four ‘)’ later the brackets are balanced again"
    assert text[15:21] == "((()))" and depth[20] == 0 and len(text) == 21  # step 20 closes “((()))”
    assert "text" in L.LESSONS["counting"].hide and "weights" in L.LESSONS["counting"].hide
    card = pretrained.card("brackets-rnn")
    ctx = step_ctx("counting", 2)
    assert card.units[0].unit == L._DEPTH_UNIT and card.units[0].feature == "bracket depth"
    assert f"unit {L._DEPTH_UNIT}" in L.LESSONS["counting"].steps[1].say(ctx)


# ---------------------------------------------------------------- each kind: the true answer, and it follows the numbers


def test_next_token_is_the_argmax_of_an_independent_forward_and_follows_the_input():
    question = L.NextToken(step=9)
    answers = []
    for text in (COUNTING_TEXT, "(((())))((()"):
        ctx = ctx_for(dict(inputs="text", text=text, weights="trained:brackets-rnn"))
        _, probs, _ = rnn_loop(ctx)
        expected = str(int(np.argmax(probs[9])))
        answer = question.solve(ctx)
        assert answer.right == {expected} and answer.where.out == int(expected) and answer.where.step == 9
        assert question.grade(ctx, expected) and not question.grade(ctx, "0" if expected != "0" else "1")
        assert f"{probs[9].max():.2f}" in answer.text
        answers.append(answer.right)
    assert answers[0] != answers[1]  # another input, another answer


@pytest.mark.parametrize("mode", ["sign", "range", "value"])
def test_unit_value_equals_an_independent_tanh_step_and_follows_the_seed(mode):
    question = L.UnitValue(step=3, unit=0, mode=mode)
    seen = set()
    for seed in range(5):
        ctx = ctx_for(dict(notation="class", inputs="text", text="hello world", hidden=6, weight_seed=seed))
        pre, _, h = rnn_loop(ctx)
        value = h[3, 0]
        answer = question.solve(ctx)
        assert answer.where.step == 3 and answer.where.unit == 0 and answer.where.slot == "h"
        assert L.fmt(value) in answer.text and L.fmt(pre[3, 0]) in answer.why
        if mode == "value":
            assert answer.value == pytest.approx(value, abs=1e-12)
            assert question.grade(ctx, f"{value + 0.009:.4f}") and not question.grade(ctx, f"{value + 0.02:.4f}")
            assert not question.grade(ctx, "not a number")
            seen.add(round(value, 2))
        else:
            if mode == "sign":
                expected = "pos" if value >= 0 else "neg"
            else:
                expected = str(int(np.searchsorted([-0.5, 0.0, 0.5], value, side="right")))
            assert answer.right == {expected}
            assert question.grade(ctx, expected)
            seen.add(expected)
    assert len(seen) > 1  # the revealed answer changes with the seed


def test_unit_value_terms_are_the_equation_terms_of_an_independent_step():
    ctx = step_ctx("pytorch", 4)
    p = ctx.computed.model.layers[0][0]
    x = inputs_as_vectors(ctx)
    h_prev = ctx.trace.layers[0][0].h[1, ctx.sample]
    text = " ".join(L.LESSONS["pytorch"].steps[3].question.given(ctx))
    for term in (p.w_ih[1] @ x[2], p.b_ih[1], p.w_hh[1] @ h_prev, p.b_hh[1]):
        assert f"{term:.4f}" in text
    assert str(round(float(np.tanh(p.w_ih[1] @ x[2] + p.b_ih[1] + p.w_hh[1] @ h_prev + p.b_hh[1])), 4)) not in text


def test_gate_extreme_follows_independent_sigmoids_and_the_seed():
    seen = set()
    for target, pick in (("1", np.argmax), ("0", np.argmin), ("either", lambda v: np.argmax(np.abs(v - 0.5)))):
        question = L.GateExtreme(step=4, unit=1, target=target)
        for seed in range(6):
            ctx = ctx_for(dict(inputs="text", text="hello world", hidden=8, cell="lstm", weight_seed=seed))
            gates = lstm_gates(ctx)
            values = np.array([gates[g][4, 1] for g in "ifo"])
            expected = "ifo"[int(pick(values))]
            answer = question.solve(ctx)
            assert answer.right == {expected} and answer.where.slot == expected
            assert (answer.where.step, answer.where.unit) == (4, 1)
            seen.add((target, expected))
    assert len({g for t, g in seen if t == "1"}) > 1  # the seed changes which gate is nearest 1


def torch_reach(ctx: L.Ctx) -> float:
    """‖∂L_{T-1}/∂h_0‖ / ‖∂L_{T-1}/∂h_{T-1}‖ with PyTorch's cells unrolled by hand (autograd)."""
    torch = pytest.importorskip("torch")
    m = ctx.computed.model
    p = m.layers[0][0]
    H = p.hidden_size
    cell = (torch.nn.LSTMCell if m.cell == "lstm" else torch.nn.RNNCell)(p.input_size, H).double()
    with torch.no_grad():
        for name, value in (("weight_ih", p.w_ih), ("weight_hh", p.w_hh), ("bias_ih", p.b_ih), ("bias_hh", p.b_hh)):
            getattr(cell, name).copy_(torch.from_numpy(np.asarray(value, dtype=np.float64)))
    xs = torch.from_numpy(inputs_as_vectors(ctx))
    h = torch.zeros(1, H, dtype=torch.float64)
    c = torch.zeros(1, H, dtype=torch.float64)
    states = []
    for x in xs:
        if m.cell == "lstm":
            h, c = cell(x[None], (h, c))
        else:
            h = cell(x[None], h)
        h.retain_grad()
        states.append(h)
    logits = states[-1] @ torch.from_numpy(m.w_out).T + torch.from_numpy(m.b_out)
    loss = torch.nn.functional.cross_entropy(logits, logits.argmax(-1))
    loss.backward()
    return float(states[0].grad.norm() / states[-1].grad.norm())


def test_gradient_reach_equals_torch_autograd_and_follows_the_weights():
    question = L.GradientReach()
    bins = set()
    for scale in (0.05, 0.5, 2.0):
        ctx = ctx_for(dict(inputs="text", text='tom said "PLEASE THE', hidden=16, cell="rnn", scale=scale))
        expected = torch_reach(ctx)
        assert L.reach(ctx.computed.model, ctx.computed.batch.data[:, 0]) == pytest.approx(expected, rel=1e-7)
        answer = question.solve(ctx)
        key = next(str(k) for k, (lo, hi, _) in enumerate(L.FLOW_BINS) if lo <= expected < hi)
        assert answer.right == {key} and f"{expected:.2g}" in answer.text
        assert answer.where.tab == "explore" and answer.where.explore == "Vanishing gradients"
        bins.add(key)
    assert bins == {"0", "1", "3"}  # grows (scale 2), shrinks a little (0.5), vanishes (0.05)


def test_gradient_reach_compares_fresh_cells_like_torch_does():
    question = L.GradientReach(compare=("rnn", "lstm"))
    winners = set()
    for scale in (0.05, 0.5):
        rnn = ctx_for(dict(inputs="text", text='tom said "PLEASE THE', hidden=16, cell="rnn", scale=scale))
        lstm = ctx_for(dict(inputs="text", text='tom said "PLEASE THE', hidden=16, cell="lstm", scale=scale))
        ratios = {"rnn": torch_reach(rnn), "lstm": torch_reach(lstm)}
        answer = question.solve(lstm)  # asked on the LSTM page: both are fresh models of its settings
        assert answer.right == {max(ratios, key=ratios.get)}
        winners |= answer.right
    assert winners == {"rnn", "lstm"}  # tiny weights: the RNN vanishes first; the usual scale: the fresh LSTM


def torch_reads(ctx: L.Ctx, t: int) -> dict[str, frozenset[int]]:
    """Which inputs change output[t]'s forward half, reverse half, or either: nn.RNN(bidirectional)."""
    torch = pytest.importorskip("torch")
    from rnnviz.compat import to_torch_state_dict

    m = ctx.computed.model
    net = torch.nn.RNN(m.input_size, m.hidden_size, bidirectional=True).double()
    state = {k: v for k, v in to_torch_state_dict(m, tensors=True).items() if not k.startswith("out.")}
    net.load_state_dict({k: v.double() for k, v in state.items()})
    ids = ctx.computed.batch.data[:, 0]
    H = m.hidden_size

    def output(seq):
        x = torch.from_numpy(np.eye(m.input_size)[seq])[:, None]
        with torch.no_grad():
            return net(x)[0][t, 0].numpy()

    base = output(ids)
    found = {"forward": set(), "reverse": set(), "output": set()}
    for k in range(len(ids)):
        seq = ids.copy()
        seq[k] = (seq[k] + 1) % m.input_size
        moved = output(seq) != base
        if moved[:H].any():
            found["forward"].add(k)
        if moved[H:].any():
            found["reverse"].add(k)
        if moved.any():
            found["output"].add(k)
    return {k: frozenset(v) for k, v in found.items()}


def test_reads_equal_torch_bidirectional_and_follow_the_input():
    answers = {}
    for text in ("hello world", "hey you"):
        ctx = ctx_for(dict(inputs="text", text=text, bidirectional=True, hidden=8))
        expected = torch_reads(ctx, 3)
        T = len(text)
        assert expected == {"forward": frozenset(range(4)), "reverse": frozenset(range(3, T)),
                            "output": frozenset(range(T))}  # PyTorch's definition of the halves
        for half in ("forward", "reverse", "output"):
            answer = L.Reads(step=3, half=half).solve(ctx)
            assert answer.where.steps == tuple(sorted(expected[half])) and answer.where.step == 3
            sets = L.Reads(step=3, half=half)._sets(ctx, 3)
            assert answer.right == {k for k, s in sets.items() if s == expected[half]} and len(answer.right) == 1
            answers[(text, half)] = answer.where.steps
    assert answers[("hello world", "reverse")] != answers[("hey you", "reverse")]


def shape_ctx(notation: str, **values) -> L.Ctx:
    return ctx_for(dict(notation=notation, **values))


@pytest.mark.parametrize("notation, array, batch_first, values, expected", [
    # functional notebook: a (n_a, m, T_x), y_pred (n_y, m, T_x)
    ("functional", "a", False, dict(inputs="notebook", input_size=3, hidden=3, output_size=2, batch=10, length=4),
     lambda H, I, O, B, T: (H, B, T)),
    ("functional", "a", False, dict(inputs="notebook", input_size=2, hidden=5, output_size=2, batch=7, length=3),
     lambda H, I, O, B, T: (H, B, T)),
    ("functional", "y_pred", False, dict(inputs="notebook", input_size=3, hidden=3, output_size=2, batch=10, length=4),
     lambda H, I, O, B, T: (O, B, T)),
    # PyTorch: weight_ih_l0 (H_out, H_in); batch_first output (N, L, D*H_out), h_n (D*num_layers, N, H_out)
    ("torch", "weight_ih_l0", False, dict(inputs="random_dense", input_size=4, hidden=3, batch=2, length=5),
     lambda H, I, O, B, T: (H, I)),
    ("torch", "output", True, dict(inputs="random_dense", input_size=4, hidden=3, batch=2, length=5),
     lambda H, I, O, B, T: (B, T, H)),
    ("torch", "output", False, dict(inputs="random_dense", input_size=4, hidden=3, batch=2, length=5),
     lambda H, I, O, B, T: (T, B, H)),
    ("torch", "h_n", True, dict(inputs="random_dense", input_size=4, hidden=3, batch=2, length=5),
     lambda H, I, O, B, T: (1, B, H)),
    # TensorFlow's book: Wx (n_inputs, n_neurons), Y0 (instances, n_neurons)
    ("tensorflow", "Wx", False, dict(inputs="tf_example", hidden=5), lambda H, I, O, B, T: (I, H)),
    ("tensorflow", "Y0", False, dict(inputs="tf_example", hidden=5), lambda H, I, O, B, T: (B, H)),
    ("tensorflow", "Y0", False, dict(inputs="tf_example", hidden=7), lambda H, I, O, B, T: (B, H)),
    # the class: Wxh (hidden_size, input_size), hs[t] a column (hidden_size, 1)
    ("class", "Wxh", False, dict(inputs="text", text="hello world", hidden=6), lambda H, I, O, B, T: (H, I)),
    ("class", "hs[t]", False, dict(inputs="text", text="hello world", hidden=6), lambda H, I, O, B, T: (H, 1)),
])
def test_shape_is_the_formulations_documented_layout_and_follows_the_sizes(notation, array, batch_first, values,
                                                                           expected):
    ctx = shape_ctx(notation, **values)
    m = ctx.computed.model
    shape = expected(m.hidden_size, m.input_size, m.output_size or 0, ctx.trace.batch_size, ctx.T)
    question = L.Shape(array=array, batch_first=batch_first)
    answer = question.solve(ctx)
    assert str(shape) in answer.text and str(shape) in answer.why
    sizes = L.dim_sizes(ctx)
    assert answer.right
    for key in answer.right:  # the right option names the dimensions in that order
        names = [n.strip() for n in key.strip("()").split(",")]
        assert tuple(sizes[n] for n in names) == shape
    wrong = [k for k, _ in question.options(ctx) if k not in answer.right]
    assert wrong and all(not question.grade(ctx, k) for k in wrong)


def test_bidirectional_output_shape_doubles_the_hidden_size():
    ctx = step_ctx("bidirectional", 4)
    answer = L.LESSONS["bidirectional"].steps[3].question.solve(ctx)
    assert answer.right == {"(L, N, D·H_out)"} and "(11, 1, 16)" in answer.text


# ---------------------------------------------------------------- what the page shows before a commit


@pytest.mark.parametrize("values", [dict(), dict(cell="lstm", hidden=5), dict(inputs="notebook", input_size=3,
                                                                                hidden=3, output_size=2, batch=4,
                                                                                length=4)])
def test_a_truncated_trace_is_a_forward_pass_over_the_prefix(values):
    ctx = ctx_for(values)
    c = ctx.computed
    for steps in (1, 3):
        short = L.truncated(c, steps)
        h0 = c.batch.h0
        ref = forward(c.model, c.batch.data[:steps], h0=h0)  # the engine on the shorter input
        assert short.trace.seq_len == steps and short.batch.seq_len == steps
        np.testing.assert_array_equal(short.trace.layers[0][0].h, ref.layers[0][0].h)
        np.testing.assert_array_equal(short.trace.h_n, ref.h_n)
        if ref.probs is not None:
            np.testing.assert_array_equal(short.trace.probs, ref.probs)
        assert short.batch.step_labels(0) == c.batch.step_labels(0)[:steps]
    with pytest.raises(ValueError):
        L.truncated(c, 0)


def test_a_bidirectional_trace_is_never_cut():
    ctx = ctx_for(dict(bidirectional=True))
    with pytest.raises(ValueError, match="bidirectional"):
        L.truncated(ctx.computed, 3)


@pytest.mark.parametrize("lid, q", STEPS)
def test_what_shows_before_a_commit_does_not_reach_the_asked_step(lid, q):
    ctx = step_ctx(lid, q)
    question = L.LESSONS[lid].steps[q - 1].question
    shown = question.shown_steps(ctx)
    where = question.solve(ctx).where
    if isinstance(question, (L.NextToken, L.UnitValue, L.GateExtreme)):
        assert shown == where.step  # steps 0 .. t-1: not step t
    elif isinstance(question, L.GradientReach):
        assert shown == ctx.T  # the forward values hold no gradient
    else:
        assert shown is None  # the shape or the reading order would show in any view
