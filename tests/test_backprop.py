"""BPTT gradients against torch autograd (float64, 1e-10) and central finite differences (1e-6)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from gradcheck import relative_error

from rnnviz.backprop import backward, parameter_arrays, softmax_cross_entropy
from rnnviz.compat import to_torch_state_dict
from rnnviz.network import forward, init_model

CONFIGS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]


def make_case(cell, nonlinearity, num_layers, bidirectional, tokens, seed=0):
    model = init_model(cell, 6, 5, 4, num_layers=num_layers, bidirectional=bidirectional,
                       nonlinearity=nonlinearity, init="uniform", scale=0.6, seed=seed)
    rng = np.random.default_rng(seed + 100)
    T, B = 5, 3
    x = rng.integers(0, 6, size=(T, B)) if tokens else rng.standard_normal((T, B, 6))
    targets = rng.integers(0, 4, size=(T, B))
    D = 2 if bidirectional else 1
    h0 = rng.standard_normal((num_layers * D, B, 5)) * 0.5
    c0 = rng.standard_normal((num_layers * D, B, 5)) * 0.5 if cell == "lstm" else None
    # an extra loss term on h_n and c_n, so their gradient paths are tested too
    w_hn = rng.standard_normal(h0.shape)
    w_cn = rng.standard_normal(h0.shape)
    return model, x, targets, h0, c0, w_hn, w_cn


def loss_of(model, x, targets, h0, c0, w_hn, w_cn):
    tr = forward(model, x, h0=h0, c0=c0)
    loss, d_logits = softmax_cross_entropy(tr.logits, targets)
    loss += float((tr.h_n * w_hn).sum())
    if tr.c_n is not None:
        loss += float((tr.c_n * w_cn).sum())
    return loss, tr, d_logits


def numpy_grads(model, x, targets, h0, c0, w_hn, w_cn):
    _, tr, d_logits = loss_of(model, x, targets, h0, c0, w_hn, w_cn)
    return backward(model, tr, d_logits=d_logits, d_h_n=w_hn, d_c_n=w_cn if c0 is not None else None)


@pytest.mark.parametrize(
    "cell,nonlinearity,num_layers,bidirectional,tokens",
    [(c, n, l, b, tok) for (c, n), l, b, tok in itertools.product(CONFIGS, [1, 2], [False, True], [False, True])],
)
def test_gradients_match_torch_autograd(cell, nonlinearity, num_layers, bidirectional, tokens):
    torch = pytest.importorskip("torch")
    model, x, targets, h0, c0, w_hn, w_cn = make_case(cell, nonlinearity, num_layers, bidirectional, tokens)
    g = numpy_grads(model, x, targets, h0, c0, w_hn, w_cn)

    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    rnn = getattr(torch.nn, cell.upper())(6, 5, num_layers=num_layers, bidirectional=bidirectional, **kwargs).double()
    sd = to_torch_state_dict(model)
    rnn.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items() if not k.startswith("out.")})
    w_out = torch.tensor(sd["out.weight"], requires_grad=True)
    b_out = torch.tensor(sd["out.bias"], requires_grad=True)
    xt = torch.nn.functional.one_hot(torch.from_numpy(x), 6).double() if tokens else torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    state = (h0t, torch.tensor(c0, requires_grad=True)) if cell == "lstm" else h0t
    out, hn = rnn(xt, state)
    logits = out @ w_out.T + b_out
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 4), torch.from_numpy(targets).reshape(-1))
    if cell == "lstm":
        loss = loss + (hn[0] * torch.from_numpy(w_hn)).sum() + (hn[1] * torch.from_numpy(w_cn)).sum()
    else:
        loss = loss + (hn * torch.from_numpy(w_hn)).sum()
    loss.backward()

    named = dict(rnn.named_parameters())
    for l in range(num_layers):
        for d in range(2 if bidirectional else 1):
            sfx = f"_l{l}" + ("_reverse" if d else "")
            got = g.layers[l][d]
            for name, arr in [("weight_ih", got.w_ih), ("weight_hh", got.w_hh), ("bias_ih", got.b_ih), ("bias_hh", got.b_hh)]:
                np.testing.assert_allclose(arr, named[name + sfx].grad.numpy(), rtol=0, atol=1e-10, err_msg=name + sfx)
    np.testing.assert_allclose(g.w_out, w_out.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(g.b_out, b_out.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(g.h0, h0t.grad.numpy(), rtol=0, atol=1e-10)
    if cell == "lstm":
        np.testing.assert_allclose(g.c0, state[1].grad.numpy(), rtol=0, atol=1e-10)
    if not tokens:
        np.testing.assert_allclose(g.inputs, xt.grad.numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("cell,nonlinearity", CONFIGS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_gradients_match_finite_differences(cell, nonlinearity, bidirectional):
    model, x, targets, h0, c0, w_hn, w_cn = make_case(cell, nonlinearity, 2, bidirectional, tokens=False, seed=3)
    g = numpy_grads(model, x, targets, h0, c0, w_hn, w_cn)
    eps = 1e-6
    for param, grad in zip(parameter_arrays(model), g.arrays()):
        numeric = np.zeros_like(param)
        for idx in np.ndindex(param.shape):
            old = param[idx]
            param[idx] = old + eps
            plus = loss_of(model, x, targets, h0, c0, w_hn, w_cn)[0]
            param[idx] = old - eps
            minus = loss_of(model, x, targets, h0, c0, w_hn, w_cn)[0]
            param[idx] = old
            numeric[idx] = (plus - minus) / (2 * eps)
        assert relative_error(grad, numeric) <= 1e-6


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_matches_torch_even_when_a_probability_underflows(dtype):
    torch = pytest.importorskip("torch")
    from rnnviz.activations import softmax

    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((4, 3, 7)) * 3).astype(dtype)
    logits[0, 0] = [500.0, 0, 0, 0, 0, 0, -500.0]  # p(target 6) underflows to 0
    targets = rng.integers(0, 7, (4, 3))
    targets[0, 0] = 6
    tl = torch.tensor(logits.astype(np.float64), requires_grad=True)
    expected = torch.nn.functional.cross_entropy(tl.reshape(-1, 7), torch.from_numpy(targets).reshape(-1))
    expected.backward()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for probs in (None, softmax(logits)):
        loss, d_logits = softmax_cross_entropy(logits, targets, probs)
        assert loss == pytest.approx(expected.item(), rel=tol)
        np.testing.assert_allclose(d_logits, tl.grad.numpy(), atol=tol)
    with pytest.raises(ValueError, match="targets"):
        softmax_cross_entropy(logits, targets + 7)


@pytest.mark.parametrize("cell,nonlinearity", CONFIGS)
@pytest.mark.parametrize("tokens", [False, True])
def test_a_reused_workspace_gives_the_same_gradients(cell, nonlinearity, tokens):
    from rnnviz.backprop import Workspace

    workspace = Workspace()
    for seed in (0, 1):  # the second call reuses (and must fully overwrite) the first call's memory
        model, x, targets, h0, c0, w_hn, w_cn = make_case(cell, nonlinearity, 2, True, tokens, seed=seed)
        _, tr, d_logits = loss_of(model, x, targets, h0, c0, w_hn, w_cn)
        kwargs = dict(d_logits=d_logits, d_h_n=w_hn, d_c_n=w_cn if c0 is not None else None, keep_state_grads=True)
        fresh = backward(model, tr, **kwargs)
        reused = backward(model, tr, workspace=workspace, **kwargs)
        for a, b in zip(fresh.arrays() + [fresh.h0], reused.arrays() + [reused.h0]):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(fresh.states[0][1], reused.states[0][1])
