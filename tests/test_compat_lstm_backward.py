"""The functional notebook's last two exercises, lstm_cell_backward and lstm_backward, and the
independence of every forward's caches from the arrays it returns.

References: the values the notebook prints, torch autograd on the same computation written
here with torch ops (float64, <= 1e-10), and central finite differences of a plain-NumPy
forward written here (<= 1e-6 relative).
"""
from __future__ import annotations

import numpy as np
import pytest
from gradcheck import relative_error, central_difference

from rnnviz.compat import (
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    rnn_backward,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
)

ATOL = 1e-10
GATES = ("f", "i", "c", "o")
CELL_GRADS = ("dxt", "da_prev", "dc_prev", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")
SEQ_GRADS = ("dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")


pytestmark = pytest.mark.usefixtures("keep_global_numpy_rng")


# --- plain NumPy, written independently of rnnviz --------------------------------------------

def np_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def np_lstm_step(xt, a_prev, c_prev, p):
    concat = np.vstack([a_prev, xt])
    ft = np_sigmoid(p["Wf"] @ concat + p["bf"])
    it = np_sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    ot = np_sigmoid(p["Wo"] @ concat + p["bo"])
    c_next = ft * c_prev + it * cct
    return ot * np.tanh(c_next), c_next


def np_lstm_states(x, a0, p):
    a, c = np.zeros((a0.shape[0], x.shape[1], x.shape[2])), np.zeros((a0.shape[0], x.shape[1], x.shape[2]))
    a_prev, c_prev = a0, np.zeros_like(a0)
    for t in range(x.shape[2]):
        a_prev, c_prev = np_lstm_step(x[:, :, t], a_prev, c_prev, p)
        a[:, :, t], c[:, :, t] = a_prev, c_prev
    return a, c


def lstm_parameters(rng, n_x, n_a, n_y=2, scale=0.7):
    p = {"W" + g: rng.standard_normal((n_a, n_a + n_x)) * scale for g in GATES}
    p.update({"b" + g: rng.standard_normal((n_a, 1)) * scale for g in GATES})
    p["Wy"], p["by"] = rng.standard_normal((n_y, n_a)) * scale, rng.standard_normal((n_y, 1)) * scale
    return p


def rnn_parameters(rng, n_x, n_a, n_y=2, scale=0.7):
    return {"Wax": rng.standard_normal((n_a, n_x)) * scale, "Waa": rng.standard_normal((n_a, n_a)) * scale,
            "Wya": rng.standard_normal((n_y, n_a)) * scale, "ba": rng.standard_normal((n_a, 1)) * scale,
            "by": rng.standard_normal((n_y, 1)) * scale}


def notebook_draws(*shapes):
    """np.random.seed(1), then the notebook's draws: the given arrays, Wf, bf, Wi, bi, Wo, bo, Wc, bc."""
    np.random.seed(1)
    arrays = [np.random.randn(*s) for s in shapes]
    p = {}
    for g in ("f", "i", "o", "c"):
        p["W" + g] = np.random.randn(5, 5 + 3)
        p["b" + g] = np.random.randn(5, 1)
    return arrays, p


# === the notebook's checks ====================================================================

def test_lstm_cell_backward_notebook_values():
    (xt, a_prev, c_prev), p = notebook_draws((3, 10), (5, 10), (5, 10))
    p["Wy"], p["by"] = np.random.randn(2, 5), np.random.randn(2, 1)
    _, _, _, cache = lstm_cell_forward(xt, a_prev, c_prev, p)
    da_next, dc_next = np.random.randn(5, 10), np.random.randn(5, 10)
    g = lstm_cell_backward(da_next, dc_next, cache)
    assert list(g) == list(CELL_GRADS)  # the notebook's dict, in its order
    assert g["dxt"].shape == (3, 10) and g["da_prev"].shape == g["dc_prev"].shape == (5, 10)
    for gate in GATES:
        assert g["dW" + gate].shape == (5, 8) and g["db" + gate].shape == (5, 1)
    # the notebook's "Expected Output" table
    printed = {("dxt", 1, 2): 3.23055911511, ("da_prev", 2, 3): -0.0639621419711, ("dc_prev", 2, 3): 0.797522038797,
               ("dWf", 3, 1): -0.147954838164, ("dWi", 1, 2): 1.05749805523, ("dWc", 3, 1): 2.30456216369,
               ("dWo", 1, 2): 0.331311595289, ("dbf", 4, 0): 0.18864637, ("dbi", 4, 0): -0.40142491,
               ("dbc", 4, 0): 0.25587763, ("dbo", 4, 0): 0.13893342}
    for (name, i, j), value in printed.items():
        np.testing.assert_allclose(g[name][i][j], value, rtol=0, atol=1e-8, err_msg=name)


def test_lstm_backward_notebook_values_with_da_for_the_first_four_of_seven_steps():
    """The notebook's check runs lstm_forward over 7 steps and passes da for 4 (its own
    lstm_backward loops over da's steps), with Wy, by zeros; it prints dx of shape (3, 10, 4)."""
    (x, a0), p = notebook_draws((3, 10, 7), (5, 10))
    p["Wy"], p["by"] = np.zeros((2, 5)), np.zeros((2, 1))
    _, _, _, caches = lstm_forward(x, a0, p)
    g = lstm_backward(np.random.randn(5, 10, 4), caches)
    assert list(g) == list(SEQ_GRADS)
    assert g["dx"].shape == (3, 10, 4) and g["da0"].shape == (5, 10)
    np.testing.assert_allclose(g["dx"][1][2], [0.00218254, 0.28205375, -0.48292508, -0.43281115], rtol=0, atol=1e-8)
    printed = {("da0", 2, 3): 0.312770310257, ("dWf", 3, 1): -0.0809802310938, ("dWi", 1, 2): 0.40512433093,
               ("dWc", 3, 1): -0.0793746735512, ("dWo", 1, 2): 0.038948775763, ("dbf", 4, 0): -0.15745657,
               ("dbi", 4, 0): -0.50848333, ("dbc", 4, 0): -0.42510818, ("dbo", 4, 0): -0.17958196}
    for (name, i, j), value in printed.items():
        np.testing.assert_allclose(g[name][i][j], value, rtol=0, atol=1e-8, err_msg=name)


# === torch autograd ===========================================================================

def torch_lstm_step(torch, xt, a_prev, c_prev, P):
    """The notebook's LSTM step in torch ops: [a_prev; xt] stacked, gates f, i, c~, o."""
    concat = torch.cat([a_prev, xt], dim=0)
    ft = torch.sigmoid(P["Wf"] @ concat + P["bf"])
    it = torch.sigmoid(P["Wi"] @ concat + P["bi"])
    cct = torch.tanh(P["Wc"] @ concat + P["bc"])
    ot = torch.sigmoid(P["Wo"] @ concat + P["bo"])
    c_next = ft * c_prev + it * cct
    return ot * torch.tanh(c_next), c_next


def leaves(torch, arrays: dict):
    return {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in arrays.items()}


@pytest.mark.torch
def test_lstm_cell_backward_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(60)
    n_x, n_a, m = 3, 4, 5
    p = lstm_parameters(rng, n_x, n_a)
    xt, a_prev, c_prev = rng.standard_normal((n_x, m)), rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
    da_next, dc_next = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
    _, _, _, cache = lstm_cell_forward(xt, a_prev, c_prev, p)
    g = lstm_cell_backward(da_next, dc_next, cache)

    L = leaves(torch, {"xt": xt, "a_prev": a_prev, "c_prev": c_prev, **{k: v for k, v in p.items() if k[1] in GATES}})
    a_next, c_next = torch_lstm_step(torch, L["xt"], L["a_prev"], L["c_prev"], L)
    ((a_next * torch.from_numpy(da_next)).sum() + (c_next * torch.from_numpy(dc_next)).sum()).backward()
    for name in CELL_GRADS:
        want = L[name[1:]].grad.numpy()
        assert g[name].shape == want.shape, name
        np.testing.assert_allclose(g[name], want, rtol=0, atol=ATOL, err_msg=name)


@pytest.mark.torch
@pytest.mark.parametrize("steps", [7, 4, 1])  # da for all 7 steps, or (as the notebook) for the first few
def test_lstm_backward_matches_torch_autograd(steps):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(61)
    n_x, n_a, m, T = 3, 5, 4, 7
    p = lstm_parameters(rng, n_x, n_a)
    x, a0, da = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m, steps))
    _, _, _, caches = lstm_forward(x, a0, p)
    g = lstm_backward(da, caches)

    L = leaves(torch, {"x": x, "a0": a0, **{k: v for k, v in p.items() if k[1] in GATES}})
    a_prev, c_prev, states = L["a0"], torch.zeros(n_a, m, dtype=torch.float64), []
    for t in range(T):  # the whole forward, though da reaches only the first `steps` states
        a_prev, c_prev = torch_lstm_step(torch, L["x"][:, :, t], a_prev, c_prev, L)
        states.append(a_prev)
    (torch.stack(states[:steps], dim=2) * torch.from_numpy(da)).sum().backward()
    np.testing.assert_allclose(g["dx"], L["x"].grad.numpy()[:, :, :steps], rtol=0, atol=ATOL)
    assert not L["x"].grad.numpy()[:, :, steps:].any()  # the steps dx leaves out really are zero
    np.testing.assert_allclose(g["da0"], L["a0"].grad.numpy(), rtol=0, atol=ATOL)
    for name in SEQ_GRADS[2:]:
        np.testing.assert_allclose(g[name], L[name[1:]].grad.numpy(), rtol=0, atol=ATOL, err_msg=name)


# === finite differences =======================================================================

def test_lstm_cell_backward_finite_differences():
    rng = np.random.default_rng(62)
    n_x, n_a, m = 3, 4, 3
    p = lstm_parameters(rng, n_x, n_a)
    xt, a_prev, c_prev = rng.standard_normal((n_x, m)), rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
    da_next, dc_next = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
    _, _, _, cache = lstm_cell_forward(xt, a_prev, c_prev, p)
    g = lstm_cell_backward(da_next, dc_next, cache)

    def loss():
        a_next, c_next = np_lstm_step(xt, a_prev, c_prev, p)
        return float((da_next * a_next).sum() + (dc_next * c_next).sum())

    wrt = {"dxt": xt, "da_prev": a_prev, "dc_prev": c_prev, **{"d" + k: v for k, v in p.items() if k[1] in GATES}}
    for name, array in wrt.items():
        assert relative_error(g[name], central_difference(loss, array)) <= 1e-6, name


def test_lstm_backward_finite_differences():
    rng = np.random.default_rng(63)
    n_x, n_a, m, T = 2, 3, 3, 5
    p = lstm_parameters(rng, n_x, n_a)
    x, a0, da = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m, T))
    _, _, _, caches = lstm_forward(x, a0, p)
    g = lstm_backward(da, caches)

    def loss():
        return float((da * np_lstm_states(x, a0, p)[0]).sum())

    wrt = {"dx": x, "da0": a0, **{"d" + k: v for k, v in p.items() if k[1] in GATES}}
    for name, array in wrt.items():
        assert g[name].shape == array.shape, name
        assert relative_error(g[name], central_difference(loss, array)) <= 1e-6, name


def test_lstm_backward_keeps_float32():
    rng = np.random.default_rng(64)
    p64 = lstm_parameters(rng, 3, 4)
    x, a0, da = rng.standard_normal((3, 2, 5)), rng.standard_normal((4, 2)), rng.standard_normal((4, 2, 5))
    g64 = lstm_backward(da, lstm_forward(x, a0, p64)[3])
    p32 = {k: v.astype(np.float32) for k, v in p64.items()}
    g32 = lstm_backward(da.astype(np.float32), lstm_forward(x.astype(np.float32), a0.astype(np.float32), p32)[3])
    for name in SEQ_GRADS:
        assert g32[name].dtype == np.float32, name
        assert relative_error(g32[name], g64[name]) < 1e-5, name


# === caches are independent of what the forward returns =====================================

def test_rnn_forward_caches_survive_in_place_edits_of_what_it_returned():
    """A student scales `a` in place (it happens in exercises); the backward must not change.
    Before the fix the caches were views into `a` and dWaa moved by thousands here."""
    rng = np.random.default_rng(70)
    p = rnn_parameters(rng, 3, 4)
    x, a0, da = rng.standard_normal((3, 5, 6)), rng.standard_normal((4, 5)), rng.standard_normal((4, 5, 6))
    x_keep, a0_keep = x.copy(), a0.copy()
    a, y_pred, caches = rnn_forward(x, a0, p)
    before = rnn_backward(da, caches)
    a *= 2.0
    a[:, :, 0] = 0.5
    y_pred[:] = 0.0
    x += 1.0  # the inputs too: the caches hold what the forward computed with
    a0 -= 1.0
    after = rnn_backward(da, caches)
    fresh = rnn_backward(da, rnn_forward(x_keep, a0_keep, p)[2])
    for name in before:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)
        np.testing.assert_array_equal(after[name], fresh[name], err_msg=name)

    a_next, _, cache = rnn_cell_forward(x_keep[:, :, 0], a0_keep, p)
    cell_before = rnn_cell_backward(da[:, :, 0], cache)
    a_next *= 3.0
    cell_after = rnn_cell_backward(da[:, :, 0], cache)
    for name in cell_before:
        np.testing.assert_array_equal(cell_after[name], cell_before[name], err_msg=name)


def test_lstm_forward_caches_survive_in_place_edits_of_what_it_returned():
    rng = np.random.default_rng(71)
    p = lstm_parameters(rng, 3, 4)
    x, a0, da = rng.standard_normal((3, 5, 6)), rng.standard_normal((4, 5)), rng.standard_normal((4, 5, 6))
    x_keep, a0_keep = x.copy(), a0.copy()
    a, y, c, caches = lstm_forward(x, a0, p)
    before = lstm_backward(da, caches)
    a *= 2.0
    c[:] = 7.0
    y[:] = 0.0
    x += 1.0
    a0 -= 1.0
    after = lstm_backward(da, caches)
    fresh = lstm_backward(da, lstm_forward(x_keep, a0_keep, p)[3])
    for name in before:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)
        np.testing.assert_array_equal(after[name], fresh[name], err_msg=name)

    a_next, c_next, _, cache = lstm_cell_forward(x_keep[:, :, 0], a0_keep, a0_keep * 0.5, p)
    cell_before = lstm_cell_backward(da[:, :, 0], da[:, :, 1], cache)
    a_next *= 3.0
    c_next += 1.0
    cell_after = lstm_cell_backward(da[:, :, 0], da[:, :, 1], cache)
    for name in cell_before:
        np.testing.assert_array_equal(cell_after[name], cell_before[name], err_msg=name)


def test_in_place_edits_would_be_caught():
    """The two tests above can fail: a backward on caches built from an edited `a` differs."""
    rng = np.random.default_rng(72)
    p = rnn_parameters(rng, 3, 4)
    x, a0, da = rng.standard_normal((3, 5, 6)), rng.standard_normal((4, 5)), rng.standard_normal((4, 5, 6))
    a, _, (steps, xc) = rnn_forward(x, a0, p)
    edited = [(a_next * 2.0, a_prev * (2.0 if t else 1.0), xt, params) for t, (a_next, a_prev, xt, params) in enumerate(steps)]
    assert np.abs(rnn_backward(da, (edited, xc))["dWaa"] - rnn_backward(da, (steps, xc))["dWaa"]).max() > 1.0


# === bad input ================================================================================

def _lstm_case():
    rng = np.random.default_rng(80)
    p = lstm_parameters(rng, 3, 5)
    x, a0 = rng.standard_normal((3, 4, 6)), rng.standard_normal((5, 4))
    return x, a0, p


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda x, a0, p: lstm_cell_backward(np.zeros((5, 4)), np.zeros((5, 3)),
                                             lstm_cell_forward(x[:, :, 0], a0, a0, p)[3]),
         r"dc_next must have shape \(n_a, m\) = \(5, 4\), got \(5, 3\)"),
        (lambda x, a0, p: lstm_cell_backward(np.zeros((4, 4)), np.zeros((5, 4)),
                                             lstm_cell_forward(x[:, :, 0], a0, a0, p)[3]),
         r"da_next must have shape \(n_a, m\) = \(5, 4\), got \(4, 4\) \(n_a = 5 from cache a_next\)"),
        (lambda x, a0, p: lstm_cell_backward(np.zeros((5, 4)), np.zeros((5, 4)), rnn_cell_forward(
            x[:, :, 0], a0, {"Wax": np.zeros((5, 3)), "Waa": np.eye(5), "Wya": np.zeros((2, 5)),
                             "ba": np.zeros((5, 1)), "by": np.zeros((2, 1))})[2]),
         r"cache must be the 10-tuple \(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters\) "
         r"that lstm_cell_forward returns, got a 4-tuple"),
        (lambda x, a0, p: lstm_cell_backward(np.zeros((5, 4)), np.zeros((5, 4)),
                                             lstm_cell_forward(x[:, :, 0], a0, a0, p)[3][:9] + ({"Wf": p["Wf"]},)),
         "parameters is missing 'Wi'"),
        (lambda x, a0, p: lstm_backward(np.zeros((5, 4, 7)), lstm_forward(x, a0, p)[3]),
         r"da must have shape \(n_a, m, T_x\) = \(5, 4, 6\), got \(5, 4, 7\)"),
        (lambda x, a0, p: lstm_backward(np.zeros((5, 4)), lstm_forward(x, a0, p)[3]),
         r"da must have shape \(n_a, m, T_x\) \(3 dims\), got \(5, 4\)"),
        (lambda x, a0, p: lstm_backward(np.zeros((5, 4, 6)), lstm_forward(x, a0, p)[3][0]),
         r"caches must be the 2-tuple \(list_of_step_caches, x\) that lstm_forward returns, got a 6-list"),
        (lambda x, a0, p: lstm_backward(np.zeros((5, 4, 6)), rnn_forward(
            x, a0, {"Wax": np.zeros((5, 3)), "Waa": np.eye(5), "Wya": np.zeros((2, 5)),
                    "ba": np.zeros((5, 1)), "by": np.zeros((2, 1))})[2]),
         r"caches\[0\]\[0\] must be the 10-tuple"),
        (lambda x, a0, p: lstm_backward(np.zeros((5, 4, 6)), (lstm_forward(x, a0, p)[3][0][:2], x)),
         "caches holds 2 step caches but x has T_x = 6 steps"),
        (lambda x, a0, p: lstm_backward(np.zeros((5, 4, 6)), ([], x)), "non-empty list of step caches"),
    ],
)
def test_lstm_backward_bad_input_is_a_clear_value_error(call, message):
    x, a0, p = _lstm_case()
    with pytest.raises(ValueError, match=message):
        call(x, a0, p)
