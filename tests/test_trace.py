"""The trace, step by step, against an independent oracle: torch.nn.RNNCell / LSTMCell / GRUCell.

The oracle runs each layer and direction one step at a time in float64 with the model's
weights, reads the reverse direction backwards and stores it at the original time index, and
feeds layer 2 the concatenation of *its own* layer-1 outputs. Gates and the two pre-activation
parts are recomputed with torch's own functions (F.linear, sigmoid, tanh) and cross-checked
against the cell's h and c, so the oracle's gate formulas are themselves verified.
"""
from __future__ import annotations

import numpy as np
import pytest

from rnnviz.network import forward, init_model

# PyTorch's gate blocks per cell, in its order (torch.nn.RNN/LSTM/GRU docs): the independent reference.
GATE_NAMES = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}

torch = pytest.importorskip("torch")
F = pytest.importorskip("torch.nn.functional")
pytestmark = pytest.mark.torch

ATOL = 1e-12
CONFIGS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]


def oracle_cell(cell, nonlinearity, params):
    """A torch cell carrying ``params`` (float64)."""
    I, H = params.input_size, params.hidden_size
    if cell == "rnn":
        module = torch.nn.RNNCell(I, H, nonlinearity=nonlinearity)
    else:
        module = getattr(torch.nn, cell.upper() + "Cell")(I, H)
    module = module.double()
    with torch.no_grad():
        for name, array in params.arrays().items():
            getattr(module, name).copy_(torch.from_numpy(np.array(array)))
    return module


def oracle_gates(cell, params, x, h):
    """Activated gates in PyTorch's order, computed with torch from the definitions."""
    w_ih, w_hh, b_ih, b_hh = (torch.from_numpy(np.array(a)) for a in (params.w_ih, params.w_hh, params.b_ih, params.b_hh))
    ih, hh = F.linear(x, w_ih, b_ih), F.linear(h, w_hh, b_hh)
    H = params.hidden_size
    if cell == "lstm":
        pre = ih + hh
        return ih, hh, torch.cat([pre[:, :2 * H].sigmoid(), pre[:, 2 * H:3 * H].tanh(), pre[:, 3 * H:].sigmoid()], 1)
    if cell == "gru":
        rz = (ih[:, :2 * H] + hh[:, :2 * H]).sigmoid()
        n = (ih[:, 2 * H:] + rz[:, :H] * hh[:, 2 * H:]).tanh()
        return ih, hh, torch.cat([rz, n], 1)
    return ih, hh, None


def run_oracle(model, x, h0, c0):
    """Per layer and direction: dict of (T, B, .) arrays aligned to the original time index."""
    T, B, _ = x.shape
    D, H = model.num_directions, model.hidden_size
    layer_in = torch.from_numpy(x)
    results = []
    for l, layer in enumerate(model.layers):
        outs = []
        for d, params in enumerate(layer):
            k = l * D + d
            cell = oracle_cell(model.cell, model.nonlinearity, params)
            G = len(GATE_NAMES[model.cell])
            rec = {name: np.zeros((T, B, width)) for name, width in
                   [("ih", G * H), ("hh", G * H), ("gates", G * H), ("h", H), ("c", H), ("h_prev", H), ("c_prev", H)]}
            h = torch.from_numpy(h0[k].copy())
            c = torch.from_numpy(c0[k].copy()) if c0 is not None else None
            with torch.no_grad():
                for t in (range(T - 1, -1, -1) if d == 1 else range(T)):
                    ih, hh, gates = oracle_gates(model.cell, params, layer_in[t], h)
                    rec["ih"][t], rec["hh"][t], rec["h_prev"][t] = ih.numpy(), hh.numpy(), h.numpy()
                    if gates is not None:
                        rec["gates"][t] = gates.numpy()
                    if model.cell == "lstm":
                        rec["c_prev"][t] = c.numpy()
                        h, c = cell(layer_in[t], (h, c))
                        rec["c"][t] = c.numpy()
                    else:
                        h = cell(layer_in[t], h)
                    rec["h"][t] = h.numpy()
            outs.append(rec)
        results.append(outs)
        layer_in = torch.from_numpy(np.concatenate([o["h"] for o in outs], axis=-1))
    return results


def make_case(cell, nonlinearity, num_layers, bidirectional, seed=0, T=6, B=3, I=4, H=5):
    model = init_model(cell, I, H, 3, num_layers=num_layers, bidirectional=bidirectional, nonlinearity=nonlinearity,
                       init="normal", scale=0.6, seed=seed)
    rng = np.random.default_rng(seed + 100)
    D = 2 if bidirectional else 1
    x = rng.standard_normal((T, B, I))
    h0 = rng.standard_normal((num_layers * D, B, H)) * 0.5
    c0 = rng.standard_normal((num_layers * D, B, H)) if cell == "lstm" else None
    return model, x, h0, c0


@pytest.mark.parametrize("cell,nonlinearity", CONFIGS)
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True), (3, False)])
def test_trace_matches_torch_cells_step_by_step(cell, nonlinearity, num_layers, bidirectional):
    model, x, h0, c0 = make_case(cell, nonlinearity, num_layers, bidirectional)
    trace = forward(model, x, h0=h0, c0=c0)
    expected = run_oracle(model, x, h0, c0)
    for l, layer in enumerate(trace.layers):
        for d, lt in enumerate(layer):
            ref = expected[l][d]
            assert lt.reverse == (d == 1)
            where = f"layer {l} direction {d}"
            for name in ("ih", "hh", "h"):
                np.testing.assert_allclose(getattr(lt, name), ref[name], rtol=0, atol=ATOL, err_msg=f"{name} {where}")
            np.testing.assert_allclose(lt.h_prev, ref["h_prev"], rtol=0, atol=ATOL, err_msg=f"h_prev {where}")
            if cell == "rnn":
                assert lt.gates is None and lt.c is None
                act = np.tanh if nonlinearity == "tanh" else (lambda v: np.maximum(v, 0))
                np.testing.assert_allclose(act(lt.preactivation), ref["h"], rtol=0, atol=ATOL)
            else:
                np.testing.assert_allclose(lt.gates, ref["gates"], rtol=0, atol=ATOL, err_msg=f"gates {where}")
            if cell == "lstm":
                np.testing.assert_allclose(lt.c, ref["c"], rtol=0, atol=ATOL, err_msg=f"c {where}")
                np.testing.assert_allclose(lt.c_prev, ref["c_prev"], rtol=0, atol=ATOL, err_msg=f"c_prev {where}")
            else:
                assert lt.c_prev is None
            last = 0 if d == 1 else -1  # the last step this direction processed
            np.testing.assert_allclose(trace.h_n[l * len(layer) + d], ref["h"][last], rtol=0, atol=ATOL)
            if cell == "lstm":
                np.testing.assert_allclose(trace.c_n[l * len(layer) + d], ref["c"][last], rtol=0, atol=ATOL)


def test_oracle_gate_formulas_reproduce_torch_cells():
    """The oracle's gates, combined by the textbook update, give the torch cell's own h and c."""
    for cell in ("lstm", "gru"):
        model, x, h0, c0 = make_case(cell, "tanh", 1, False)
        ref = run_oracle(model, x, h0, c0)[0][0]
        H = model.hidden_size
        g = ref["gates"]
        if cell == "lstm":
            i, f, gg, o = (g[..., k * H:(k + 1) * H] for k in range(4))
            c = f * ref["c_prev"] + i * gg
            np.testing.assert_allclose(c, ref["c"], rtol=0, atol=ATOL)
            np.testing.assert_allclose(o * np.tanh(c), ref["h"], rtol=0, atol=ATOL)
        else:
            z, n = g[..., H:2 * H], g[..., 2 * H:]
            np.testing.assert_allclose((1 - z) * n + z * ref["h_prev"], ref["h"], rtol=0, atol=ATOL)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_named_gates_and_time_order(cell):
    model, x, h0, c0 = make_case(cell, "tanh", 1, True)
    trace = forward(model, x, h0=h0, c0=c0)
    ref = run_oracle(model, x, h0, c0)
    H = model.hidden_size
    for d, lt in enumerate(trace.layers[0]):
        for k, name in enumerate(GATE_NAMES[cell] if cell != "rnn" else ()):
            np.testing.assert_allclose(lt.gate(name), ref[0][d]["gates"][..., k * H:(k + 1) * H], rtol=0, atol=ATOL)
        assert list(lt.time_order()) == (list(range(x.shape[0]))[::-1] if d == 1 else list(range(x.shape[0])))
    with pytest.raises(KeyError):
        trace.layers[0][0].gate("not-a-gate")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_reverse_direction_first_step_starts_from_h0_at_the_end(cell):
    """The reverse direction processes t = T-1 first, from h0 (and c0): h_prev[T-1] is h0."""
    model, x, h0, c0 = make_case(cell, "tanh", 1, True)
    lt = forward(model, x, h0=h0, c0=c0).layers[0][1]
    np.testing.assert_array_equal(lt.h_prev[-1], h0[1])
    np.testing.assert_array_equal(lt.h_prev[:-1], lt.h[1:])
    if cell == "lstm":
        np.testing.assert_array_equal(lt.c_prev[-1], c0[1])
        np.testing.assert_array_equal(lt.c_prev[:-1], lt.c[1:])


def test_layer_two_reads_both_directions_of_layer_one():
    model, x, h0, c0 = make_case("gru", "tanh", 2, True)
    trace = forward(model, x, h0=h0)
    ref = run_oracle(model, x, h0, c0)
    expected_input = np.concatenate([ref[0][0]["h"], ref[0][1]["h"]], axis=-1)
    np.testing.assert_allclose(trace.layer_input(1), expected_input, rtol=0, atol=ATOL)
    np.testing.assert_allclose(trace.output, np.concatenate([ref[1][0]["h"], ref[1][1]["h"]], -1), rtol=0, atol=ATOL)


@pytest.mark.parametrize("cell,nonlinearity", CONFIGS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batch_first_gives_the_same_time_major_trace(cell, nonlinearity, dtype):
    model, x, h0, c0 = make_case(cell, nonlinearity, 2, True)
    model = model.astype(dtype)
    a = forward(model, x.astype(dtype), h0=h0, c0=c0)
    b = forward(model, x.astype(dtype).swapaxes(0, 1).copy(), batch_first=True, h0=h0, c0=c0)
    for name in ("output", "h_n", "c_n", "logits", "probs", "inputs"):
        va, vb = getattr(a, name), getattr(b, name)
        if va is None:
            assert vb is None
        else:
            np.testing.assert_array_equal(va, vb, err_msg=name)
    for la, lb in zip(a.layers, b.layers):
        for da, db in zip(la, lb):
            for name in ("ih", "hh", "h", "gates", "c", "h0", "c0"):
                va, vb = getattr(da, name), getattr(db, name)
                assert (va is None) == (vb is None)
                if va is not None:
                    if va.ndim == 3:  # (T, B, .) time-major whatever the input layout
                        assert va.shape[:2] == x.shape[:2]
                    np.testing.assert_array_equal(va, vb, err_msg=name)


@pytest.mark.parametrize("cell,nonlinearity", CONFIGS)
@pytest.mark.parametrize("scale", [None, 100.0])
def test_large_float64_batches_match_torch(cell, nonlinearity, scale):
    """B * H >= 1024 takes the engine's exp-based float64 tanh (small cases use np.tanh)."""
    T, B, I, H = 4, 16, 3, 80
    init = "uniform" if scale is None else "normal"
    model = init_model(cell, I, H, None, nonlinearity=nonlinearity, init=init, scale=scale, seed=5)
    x = np.random.default_rng(6).standard_normal((T, B, I))
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    module = getattr(torch.nn, cell.upper())(I, H, **kwargs).double()
    with torch.no_grad():
        for name, array in model.layers[0][0].arrays().items():
            getattr(module, name + "_l0").copy_(torch.from_numpy(array))
        expected = module(torch.from_numpy(x))[0].numpy()
    with np.errstate(all="raise", under="ignore"):
        trace = forward(model, x)
    # a ReLU state at scale 100 reaches ~1e9: compare it relatively
    np.testing.assert_allclose(trace.output, expected, rtol=1e-12, atol=1e-10)
