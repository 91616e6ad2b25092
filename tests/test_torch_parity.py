"""Forward parity with torch.nn.RNN / LSTM / GRU, using torch's own random initialisation."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnnviz.compat import from_torch_state_dict, to_torch_state_dict, torch_forward
from rnnviz.network import forward

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

CONFIGS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]


def torch_module(cell, nonlinearity, num_layers, bidirectional, batch_first, dtype, input_size=5, hidden=7):
    torch.manual_seed(hash((cell, nonlinearity, num_layers, bidirectional)) % 2**31)
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    module = getattr(torch.nn, cell.upper())(
        input_size, hidden, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, **kwargs
    )
    return module.to(dtype)


def state_dict_np(module):
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


def run_torch(module, x, h0=None):
    with torch.no_grad():
        out, hn = module(torch.from_numpy(x), h0)
    if isinstance(hn, tuple):
        return out.numpy(), tuple(t.numpy() for t in hn)
    return out.numpy(), hn.numpy()


@pytest.mark.parametrize(
    "cell,nonlinearity,num_layers,bidirectional,batch_first",
    [(c, n, l, b, bf) for (c, n), l, b, bf in itertools.product(CONFIGS, [1, 2, 3], [False, True], [False, True])],
)
def test_float64_parity(cell, nonlinearity, num_layers, bidirectional, batch_first):
    module = torch_module(cell, nonlinearity, num_layers, bidirectional, batch_first, torch.float64)
    rng = np.random.default_rng(1)
    B, T = 3, 9
    x = rng.standard_normal((B, T, 5) if batch_first else (T, B, 5))
    expected = run_torch(module, x)
    got = torch_forward(
        state_dict_np(module), x, cell=cell, num_layers=num_layers, bidirectional=bidirectional,
        batch_first=batch_first, nonlinearity=nonlinearity,
    )
    assert got[0].shape == expected[0].shape
    np.testing.assert_allclose(got[0], expected[0], rtol=0, atol=1e-10)
    if cell == "lstm":
        np.testing.assert_allclose(got[1][0], expected[1][0], rtol=0, atol=1e-10)
        np.testing.assert_allclose(got[1][1], expected[1][1], rtol=0, atol=1e-10)
    else:
        np.testing.assert_allclose(got[1], expected[1], rtol=0, atol=1e-10)


@pytest.mark.parametrize("cell,nonlinearity", CONFIGS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_float32_parity(cell, nonlinearity, bidirectional):
    module = torch_module(cell, nonlinearity, 2, bidirectional, False, torch.float32, input_size=5, hidden=32)
    x = np.random.default_rng(2).standard_normal((40, 4, 5)).astype(np.float32)
    expected = run_torch(module, x)
    got = torch_forward(state_dict_np(module), x, cell=cell, num_layers=2, bidirectional=bidirectional,
                        nonlinearity=nonlinearity)
    assert got[0].dtype == np.float32
    np.testing.assert_allclose(got[0], expected[0], rtol=0, atol=1e-5)


@pytest.mark.parametrize("cell,nonlinearity", CONFIGS)
def test_initial_state_and_unbatched(cell, nonlinearity):
    module = torch_module(cell, nonlinearity, 2, True, False, torch.float64)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 5))  # unbatched, like torch
    h0 = rng.standard_normal((4, 7))
    h0_arg = (h0, rng.standard_normal((4, 7))) if cell == "lstm" else h0
    torch_h0 = tuple(torch.from_numpy(a) for a in h0_arg) if cell == "lstm" else torch.from_numpy(h0)
    expected = run_torch(module, x, torch_h0)
    got = torch_forward(state_dict_np(module), x, cell=cell, num_layers=2, bidirectional=True,
                        nonlinearity=nonlinearity, h0=h0_arg)
    np.testing.assert_allclose(got[0], expected[0], rtol=0, atol=1e-10)
    hn_got, hn_exp = (got[1][0], expected[1][0]) if cell == "lstm" else (got[1], expected[1])
    np.testing.assert_allclose(hn_got, hn_exp, rtol=0, atol=1e-10)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_token_ids_equal_one_hot_through_torch(cell):
    """Token ids are one-hot inputs without the one-hot matrix: compare with torch on real one-hots."""
    module = torch_module(cell, "tanh", 1, False, False, torch.float64, input_size=11, hidden=6)
    ids = np.random.default_rng(4).integers(0, 11, size=(8, 3))
    one_hot = np.eye(11)[ids]
    expected = run_torch(module, one_hot)
    model = from_torch_state_dict(state_dict_np(module), cell=cell)
    trace = forward(model, ids)
    np.testing.assert_allclose(trace.output, expected[0], rtol=0, atol=1e-10)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_state_dict_round_trip_and_torch_loads_it(cell):
    module = torch_module(cell, "tanh", 2, True, False, torch.float64)
    model = from_torch_state_dict(state_dict_np(module), cell=cell, num_layers=2, bidirectional=True)
    sd = to_torch_state_dict(model)
    fresh = torch_module(cell, "tanh", 2, True, False, torch.float64)
    fresh.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})  # strict: same names and shapes
    x = np.random.default_rng(5).standard_normal((5, 2, 5))
    np.testing.assert_array_equal(run_torch(fresh, x)[0], run_torch(module, x)[0])


def test_output_layer_and_softmax_match_torch():
    module = torch_module("gru", "tanh", 1, True, False, torch.float64)
    linear = torch.nn.Linear(14, 4).double()
    sd = state_dict_np(module)
    sd["out.weight"] = linear.weight.detach().numpy()
    sd["out.bias"] = linear.bias.detach().numpy()
    model = from_torch_state_dict(sd, cell="gru", bidirectional=True)
    x = np.random.default_rng(6).standard_normal((7, 2, 5))
    with torch.no_grad():
        out, _ = module(torch.from_numpy(x))
        logits = linear(out)
        probs = torch.softmax(logits, dim=-1).numpy()
    trace = forward(model, x)
    np.testing.assert_allclose(trace.logits, logits.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(trace.probs, probs, rtol=0, atol=1e-10)
