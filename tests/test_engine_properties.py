"""Hypothesis properties of the engine: shapes, probabilities, numerics at large weight scales,
the trace's parts recomputed independently, token ids == one-hot, seeded initialisation.

Reference values are recomputed here in float64 from the weights with plain matrix products
and the textbook cell formulas, never taken from the engine.

About ReLU: a ReLU RNN is unbounded, its state grows roughly like (scale * sqrt(fan_in))**steps,
so at weight scale 100 it can genuinely exceed float32's range (~3e38) after a dozen steps; an
inf there is the true result overflowing, not a numerical defect, and NumPy reports it as usual.
The no-NaN / no-warning property is therefore asserted for tanh, LSTM and GRU (bounded states)
at every drawn size in float32 and float64, and for ReLU in float64 on sizes whose state
provably stays below ~1e39, far inside float64's range.
"""
from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.network import forward, forward_states, init_model

# PyTorch's gate blocks per cell, in its order (torch.nn.RNN/LSTM/GRU docs): the independent reference.
GATE_NAMES = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}

PROPERTY = settings(max_examples=60, deadline=None)
DTYPES = st.sampled_from([np.float32, np.float64])


@st.composite
def configs(draw, cells=("rnn", "lstm", "gru"), nonlinearities=("tanh", "relu"), dtypes=DTYPES, max_T=7):
    cell = draw(st.sampled_from(cells))
    return {
        "cell": cell,
        "nonlinearity": draw(st.sampled_from(nonlinearities)) if cell == "rnn" else "tanh",
        "num_layers": draw(st.integers(1, 3)),
        "bidirectional": draw(st.booleans()),
        "T": draw(st.integers(1, max_T)),
        "B": draw(st.integers(1, 4)),
        "I": draw(st.integers(1, 6)),
        "H": draw(st.integers(1, 6)),
        "O": draw(st.integers(1, 5)),
        "tokens": draw(st.booleans()),
        "batch_first": draw(st.booleans()),
        "dtype": draw(dtypes),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def build(cfg, *, init="uniform", scale=None, input_scale=1.0):
    model = init_model(
        cfg["cell"], cfg["I"], cfg["H"], cfg["O"], num_layers=cfg["num_layers"], bidirectional=cfg["bidirectional"],
        nonlinearity=cfg["nonlinearity"], init=init, scale=scale, seed=cfg["seed"], dtype=cfg["dtype"],
    )
    rng = np.random.default_rng(cfg["seed"] + 1)
    T, B, I = cfg["T"], cfg["B"], cfg["I"]
    if cfg["tokens"]:
        x = rng.integers(0, I, size=(T, B))
    else:
        x = (rng.standard_normal((T, B, I)) * input_scale).astype(cfg["dtype"])
    return model, (x.swapaxes(0, 1) if cfg["batch_first"] else x)


def run(model, x, cfg):
    return forward(model, x, batch_first=cfg["batch_first"])


def all_arrays(trace):
    arrays = [trace.output, trace.h_n, trace.logits, trace.probs]
    arrays += [] if trace.c_n is None else [trace.c_n]
    for layer in trace.layers:
        for lt in layer:
            arrays += [a for a in (lt.ih, lt.hh, lt.h, lt.gates, lt.c) if a is not None]
    return arrays


@PROPERTY
@given(configs())
def test_shapes(cfg):
    model, x = build(cfg)
    trace = run(model, x, cfg)
    T, B, H, O, L = cfg["T"], cfg["B"], cfg["H"], cfg["O"], cfg["num_layers"]
    D = 2 if cfg["bidirectional"] else 1
    G = len(GATE_NAMES[cfg["cell"]])
    assert trace.inputs.shape == ((T, B) if cfg["tokens"] else (T, B, cfg["I"]))
    assert trace.output.shape == (T, B, D * H)
    assert trace.h_n.shape == (L * D, B, H)
    assert trace.c_n is None if cfg["cell"] != "lstm" else trace.c_n.shape == (L * D, B, H)
    assert trace.logits.shape == trace.probs.shape == (T, B, O)
    assert len(trace.layers) == L and all(len(layer) == D for layer in trace.layers)
    for layer in trace.layers:
        for d, lt in enumerate(layer):
            assert lt.reverse == (d == 1)
            assert lt.ih.shape == lt.hh.shape == (T, B, G * H)
            assert lt.h.shape == lt.h_prev.shape == (T, B, H)
            assert lt.h0.shape == (B, H)
            assert (lt.gates is None) == (cfg["cell"] == "rnn")
            if lt.gates is not None:
                assert lt.gates.shape == (T, B, G * H)
            assert (lt.c is None) == (cfg["cell"] != "lstm")
            if lt.c is not None:
                assert lt.c.shape == lt.c_prev.shape == (T, B, H) and lt.c0.shape == (B, H)
    for a in all_arrays(trace):
        assert a.dtype == cfg["dtype"]


@PROPERTY
@given(configs())
def test_probabilities_lie_in_unit_interval_and_sum_to_one(cfg):
    model, x = build(cfg)
    probs = run(model, x, cfg).probs
    assert np.all((probs >= 0) & (probs <= 1))
    tol = 1e-5 if cfg["dtype"] == np.float32 else 1e-12
    np.testing.assert_allclose(probs.sum(axis=-1, dtype=np.float64), 1.0, rtol=0, atol=tol)


def assert_finite_without_warnings(model, x, cfg):
    # Underflow (exp of a very negative number flushing to 0) is the exact limit, not an error,
    # and NumPy does not warn about it by default either; everything else raises.
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        warnings.simplefilter("error")
        trace = run(model, x, cfg)
    for a in all_arrays(trace):
        assert np.all(np.isfinite(a))
    assert np.all((trace.probs >= 0) & (trace.probs <= 1))
    np.testing.assert_allclose(trace.probs.sum(-1, dtype=np.float64), 1.0, rtol=0, atol=1e-5)
    return trace


@PROPERTY
@given(configs(nonlinearities=("tanh",)), st.floats(0.01, 100.0), st.floats(0.1, 10.0))
def test_no_overflow_nan_or_warning_at_weight_scales_up_to_100(cfg, scale, input_scale):
    model, x = build(cfg, init="normal", scale=scale, input_scale=input_scale)
    trace = assert_finite_without_warnings(model, x, cfg)
    for layer in trace.layers:  # bounded states stay bounded
        for lt in layer:
            assert np.all(np.abs(lt.h) <= 1)
            if lt.gates is not None:
                assert np.all((lt.gates >= -1) & (lt.gates <= 1))


@PROPERTY
@given(configs(cells=("rnn",), nonlinearities=("relu",), dtypes=st.just(np.float64)), st.floats(0.01, 100.0))
def test_relu_float64_stays_finite_at_weight_scales_up_to_100(cfg, scale):
    # |h_t| <= (|W_hh| |h_{t-1}| + |W_ih x_t + b|): with fan-in <= 12, |N(0,1)| <= ~6 and
    # T + layers <= 10 steps of growth, the state stays below (100 * 12 * 6)**10 ~ 1e39.
    model, x = build(cfg, init="normal", scale=scale)
    trace = assert_finite_without_warnings(model, x, cfg)
    for layer in trace.layers:
        for lt in layer:
            assert np.all(lt.h >= 0)


def shifted_states(states, initial, reverse):
    """The state each step started from, built here (not with LayerTrace.h_prev)."""
    prev = np.empty_like(states)
    if reverse:
        prev[:-1], prev[-1] = states[1:], initial
    else:
        prev[1:], prev[0] = states[:-1], initial
    return prev


def sigmoid64(v):
    return 1.0 / (1.0 + np.exp(-np.clip(v, -700, 700)))


@PROPERTY
@given(configs())
def test_trace_parts_recomputed_from_weights_sum_to_the_preactivation(cfg):
    model, x = build(cfg)
    trace = run(model, x, cfg)
    tol = dict(rtol=1e-4, atol=1e-5) if cfg["dtype"] == np.float32 else dict(rtol=1e-12, atol=1e-12)
    H = cfg["H"]
    for l, layer in enumerate(trace.layers):
        for lt, p in zip(layer, model.layers[l]):
            w_ih, w_hh, b_ih, b_hh = (a.astype(np.float64) for a in (p.w_ih, p.w_hh, p.b_ih, p.b_hh))
            if l == 0 and trace.tokens:
                ih = w_ih.T[trace.inputs] + b_ih  # one-hot(x) @ W_ih.T, written as the column gather
            else:
                layer_input = trace.inputs if l == 0 else np.concatenate([d.h for d in trace.layers[l - 1]], -1)
                ih = layer_input.astype(np.float64) @ w_ih.T + b_ih
            h_prev = shifted_states(lt.h.astype(np.float64), lt.h0.astype(np.float64), lt.reverse)
            np.testing.assert_array_equal(lt.h_prev, h_prev)
            hh = h_prev @ w_hh.T + b_hh
            np.testing.assert_allclose(lt.ih, ih, **tol)
            np.testing.assert_allclose(lt.hh, hh, **tol)
            np.testing.assert_allclose(lt.preactivation, ih + hh, **tol)
            pre = lt.ih.astype(np.float64) + lt.hh.astype(np.float64)  # the activation acts on the sum
            if cfg["cell"] == "rnn":
                expected_h = np.tanh(pre) if cfg["nonlinearity"] == "tanh" else np.maximum(pre, 0)
            elif cfg["cell"] == "lstm":
                i, f, g, o = (pre[..., k * H:(k + 1) * H] for k in range(4))
                gates = np.concatenate([sigmoid64(i), sigmoid64(f), np.tanh(g), sigmoid64(o)], -1)
                c_prev = shifted_states(lt.c.astype(np.float64), lt.c0.astype(np.float64), lt.reverse)
                c = gates[..., H:2 * H] * c_prev + gates[..., :H] * gates[..., 2 * H:3 * H]
                np.testing.assert_allclose(lt.gates, gates, **tol)
                np.testing.assert_allclose(lt.c, c, **tol)
                expected_h = gates[..., 3 * H:] * np.tanh(c)
            else:
                rz = sigmoid64(pre[..., :2 * H])
                n = np.tanh(lt.ih[..., 2 * H:] + rz[..., :H] * lt.hh[..., 2 * H:].astype(np.float64))
                np.testing.assert_allclose(lt.gates, np.concatenate([rz, n], -1), **tol)
                expected_h = (1 - rz[..., H:]) * n + rz[..., H:] * h_prev
            np.testing.assert_allclose(lt.h, expected_h, **tol)


@PROPERTY
@given(configs())
def test_forward_states_returns_exactly_the_traced_states(cfg):
    model, x = build(cfg)
    trace = run(model, x, cfg)
    output, h_n, c_n = forward_states(model, x, batch_first=cfg["batch_first"])
    np.testing.assert_array_equal(output, trace.output)
    np.testing.assert_array_equal(h_n, trace.h_n)
    if cfg["cell"] == "lstm":
        np.testing.assert_array_equal(c_n, trace.c_n)
    else:
        assert c_n is None


@PROPERTY
@given(configs(dtypes=st.just(np.float64)).filter(lambda c: c["tokens"]))
def test_token_ids_equal_one_hot_inputs(cfg):
    model, ids = build(cfg)
    one_hot = np.eye(cfg["I"])[ids]
    a, b = run(model, ids, cfg), run(model, one_hot, cfg)
    np.testing.assert_allclose(a.output, b.output, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.probs, b.probs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.layers[0][0].ih, b.layers[0][0].ih, rtol=0, atol=1e-12)


def model_arrays(model):
    arrays = [a for layer in model.layers for p in layer for a in (p.w_ih, p.w_hh, p.b_ih, p.b_hh)]
    return arrays + [model.w_out, model.b_out]


@settings(max_examples=40, deadline=None)
@given(configs(), st.sampled_from(["uniform", "normal"]), st.integers(0, 2**32 - 1))
def test_seeded_init_is_reproducible(cfg, init, other_seed):
    model, _ = build(cfg, init=init)
    again, _ = build(cfg, init=init)
    for a, b in zip(model_arrays(model), model_arrays(again)):
        np.testing.assert_array_equal(a, b)
    if other_seed != cfg["seed"]:
        other = init_model(cfg["cell"], cfg["I"], cfg["H"], cfg["O"], num_layers=cfg["num_layers"],
                           bidirectional=cfg["bidirectional"], init=init, seed=other_seed, dtype=cfg["dtype"])
        assert any(not np.array_equal(a, b) for a, b in zip(model_arrays(model), model_arrays(other)))


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["rnn", "lstm", "gru"]), st.integers(1, 9), st.integers(1, 9), st.integers(1, 5),
       st.integers(0, 2**32 - 1))
def test_default_uniform_init_follows_the_documented_draws(cell, I, H, O, seed):
    """PyTorch's default U(-1/sqrt(H), 1/sqrt(H)), drawn in the documented order from default_rng(seed)."""
    model = init_model(cell, I, H, O, seed=seed)
    rng = np.random.default_rng(seed)
    G = len(GATE_NAMES[cell])
    k, k_out = 1 / np.sqrt(H), 1 / np.sqrt(H)  # one direction: the output layer's fan-in is H too
    expected = [rng.uniform(-k, k, shape) for shape in [(G * H, I), (G * H, H), (G * H,), (G * H,)]]
    expected += [rng.uniform(-k_out, k_out, (O, H)), rng.uniform(-k_out, k_out, (O,))]
    for a, b in zip(model_arrays(model), expected):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["rnn", "lstm", "gru"]), st.integers(8, 40), st.booleans(), st.integers(0, 2**32 - 1))
def test_uniform_bounds_are_one_over_sqrt_hidden(cell, H, bidirectional, seed):
    model = init_model(cell, 3, H, 4, num_layers=2, bidirectional=bidirectional, seed=seed)
    bound = 1 / np.sqrt(H)
    recurrent = np.concatenate([a.ravel() for a in model_arrays(model)[:-2]])
    assert np.abs(recurrent).max() <= bound
    assert np.abs(recurrent).max() > 0.9 * bound  # fills the interval, not a narrower one
    out_bound = 1 / np.sqrt((2 if bidirectional else 1) * H)
    assert np.abs(model.w_out).max() <= out_bound and np.abs(model.b_out).max() <= out_bound


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["rnn", "lstm", "gru"]), st.floats(0.001, 100.0), st.booleans(), st.integers(0, 2**32 - 1))
def test_normal_init_has_the_requested_scale(cell, scale, zero_bias, seed):
    model = init_model(cell, 20, 24, 3, init="normal", scale=scale, zero_bias=zero_bias, seed=seed)
    p = model.layers[0][0]
    weights = np.concatenate([p.w_ih.ravel(), p.w_hh.ravel()])  # >= 1000 draws
    assert abs(weights.std() / scale - 1) < 0.1
    assert abs(weights.mean()) < 0.2 * scale  # 6 standard errors
    if zero_bias:
        assert not p.b_ih.any() and not p.b_hh.any() and not model.b_out.any()
    else:
        assert abs(np.concatenate([p.b_ih, p.b_hh]).std() / scale - 1) < 0.5  # >= 48 draws: 5 standard errors
