"""Analysis functions against independent computations: SVD/eigh, np.corrcoef, torch autograd, hand values."""
from __future__ import annotations

import numpy as np
import pytest

from rnnviz.analysis import (
    bracket_depth,
    decay_curve,
    gradient_flow,
    inside_quotes,
    memory_span,
    pca,
    perturb,
    position_in_word,
    rank_units,
    span_mask,
    what_changed,
)
from rnnviz.compat import to_torch_state_dict
from rnnviz.network import init_model


@pytest.mark.parametrize("k", [1, 2, 3])
def test_pca_matches_svd_and_covariance_eigenvalues(k):
    rng = np.random.default_rng(0)
    states = rng.standard_normal((40, 6)) @ rng.standard_normal((6, 6)) + 3.0
    result = pca(states, k)
    centred = states - states.mean(0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    expected = u[:, :k] * s[:k]
    signs = np.sign((result.coords * expected).sum(0))  # PCA axes are defined up to sign
    np.testing.assert_allclose(result.coords, expected * signs, atol=1e-10)
    eig = np.sort(np.linalg.eigvalsh(np.cov(states.T)))[::-1]
    np.testing.assert_allclose(result.explained_variance_ratio, eig[:k] / eig.sum(), rtol=1e-10)
    np.testing.assert_allclose(result.components @ result.components.T, np.eye(k), atol=1e-12)


def test_pca_of_a_short_sequence_pads_with_zeros():
    result = pca(np.array([[0.0, 1.0], [2.0, 1.0]]), 3)
    assert result.coords.shape == (2, 3)
    np.testing.assert_allclose(np.abs(result.coords[:, 0]), [1.0, 1.0])
    np.testing.assert_array_equal(result.coords[:, 1:], 0.0)


def test_features_by_hand():
    np.testing.assert_array_equal(bracket_depth("(()[])x"), [1, 2, 1, 2, 1, 0, 0])
    np.testing.assert_array_equal(inside_quotes('a"bc"d'), [0, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(position_in_word("ab c, don't"), [1, 2, 0, 1, 0, 0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(span_mask(6, [(1, 3), (5, 6)]), [0, 1, 1, 0, 0, 1])
    with pytest.raises(ValueError, match="span"):
        span_mask(3, [(2, 5)])


def test_rank_units_matches_corrcoef():
    rng = np.random.default_rng(1)
    feature = rng.standard_normal(50)
    acts = rng.standard_normal((50, 5))
    acts[:, 3] = -2 * feature + 0.1 * rng.standard_normal(50)
    acts[:, 1] = 0.7  # constant unit
    order, r = rank_units(acts, feature)
    for u in (0, 2, 3, 4):
        assert r[u] == pytest.approx(np.corrcoef(acts[:, u], feature)[0, 1], abs=1e-12)
    assert r[1] == 0.0
    assert order[0] == 3
    assert list(np.abs(r)[order]) == sorted(np.abs(r), reverse=True)


def torch_state_gradient_norms(model, ids, targets):
    """||dL_t/dh_k|| with torch cells stepped by hand and autograd.grad on each h_k."""
    torch = pytest.importorskip("torch")
    sd = {k: torch.from_numpy(v) for k, v in to_torch_state_dict(model).items()}
    V, H = model.input_size, model.hidden_size
    cls = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[model.cell]
    cells = []
    for l in range(model.num_layers):
        cell = cls(V if l == 0 else H, H).double()
        cell.load_state_dict({f"{n}_{p}": sd[f"{n}_{p}_l{l}"] for n in ("weight", "bias") for p in ("ih", "hh")})
        cells.append(cell)
    T = len(ids)
    states = [[None] * T for _ in range(model.num_layers)]
    h = [torch.zeros(1, H, dtype=torch.float64) for _ in cells]
    c = [torch.zeros(1, H, dtype=torch.float64) for _ in cells]
    losses = []
    for t in range(T):
        inp = torch.nn.functional.one_hot(torch.tensor([int(ids[t])]), V).double()
        for l, cell in enumerate(cells):
            if model.cell == "lstm":
                h[l], c[l] = cell(inp, (h[l], c[l]))
            else:
                h[l] = cell(inp, h[l])
            states[l][t] = h[l]
            inp = h[l]
        logits = inp @ sd["out.weight"].T + sd["out.bias"]
        losses.append(torch.nn.functional.cross_entropy(logits, torch.tensor([int(targets[t])])))
    out = {}
    for layer in range(model.num_layers):
        g = np.full((T, T), np.nan)
        for t in range(T):
            grads = torch.autograd.grad(losses[t], states[layer][: t + 1], retain_graph=True)
            g[t, : t + 1] = [float(x.norm()) for x in grads]
        out[layer] = g
    return out


@pytest.mark.parametrize("cell,num_layers,steps", [("rnn", 1, 7), ("lstm", 1, 7), ("gru", 1, 7), ("lstm", 2, 7), ("gru", 1, 40)])
def test_gradient_flow_matches_torch_autograd(cell, num_layers, steps):
    model = init_model(cell, 5, 4, 5, num_layers=num_layers, seed=3, scale=0.8)
    rng = np.random.default_rng(4)
    ids, targets = rng.integers(0, 5, steps), rng.integers(0, 5, steps)
    expected = torch_state_gradient_norms(model, ids, targets)
    for layer in range(num_layers):
        got = gradient_flow(model, ids, targets, layer=layer)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected[layer]))
        np.testing.assert_allclose(got, expected[layer], rtol=1e-9, atol=1e-12)


def test_gradient_flow_default_targets_are_the_models_guess():
    model = init_model("gru", 5, 4, 5, seed=3, scale=0.8)
    ids = np.random.default_rng(4).integers(0, 5, 6)
    from rnnviz.network import forward

    guesses = forward(model, ids[:, None]).logits[:, 0].argmax(-1)
    np.testing.assert_allclose(gradient_flow(model, ids), gradient_flow(model, ids, guesses))


def test_decay_curve_by_hand():
    g = np.array([[2.0, np.nan, np.nan], [1.0, 4.0, np.nan], [0.5, 1.0, 8.0]])
    d, absolute = decay_curve(g, relative=False)
    np.testing.assert_array_equal(d, [0, 1, 2])
    np.testing.assert_allclose(absolute, [(2 + 4 + 8) / 3, (1 + 1) / 2, 0.5])
    _, rel = decay_curve(g)
    np.testing.assert_allclose(rel, [1.0, (1 / 4 + 1 / 8) / 2, 0.5 / 8])


def test_memory_span_on_a_hand_made_sequence():
    # unit 0 drops below 0.1 after 3 steps; unit 1 dips then rises again (counts until it stays
    # below); unit 2 never exceeds eps; unit 3 is still above at the end (censored)
    delta = np.array(
        [
            [9.0, 9.0, 9.0, 9.0],  # before the change: ignored
            [1.0, 1.0, 0.0, 1.0],  # start = 1
            [0.5, 0.05, 0.0, 1.0],
            [0.2, 0.3, 0.01, 1.0],
            [0.05, 0.01, 0.0, 1.0],
            [0.0, 0.0, 0.0, 0.5],
        ]
    )
    spans, censored = memory_span(delta, start=1, eps=0.1)
    np.testing.assert_array_equal(spans, [3, 3, 0, 5])
    np.testing.assert_array_equal(censored, [False, False, False, True])


def test_what_changed_compares_two_runs():
    torch = pytest.importorskip("torch")
    model = init_model("lstm", 6, 5, 6, seed=0, scale=0.7)
    ids = np.random.default_rng(0).integers(0, 6, 20)
    other = perturb(ids, 4, (ids[4] + 1) % 6)
    result = what_changed(model, ids, other, eps=1e-4)
    lstm = torch.nn.LSTM(6, 5).double()
    lstm.load_state_dict({k: torch.from_numpy(v) for k, v in to_torch_state_dict(model).items() if not k.startswith("out.")})
    run = lambda x: lstm(torch.nn.functional.one_hot(torch.from_numpy(x), 6).double())[0].detach().numpy()
    expected = np.abs(run(ids) - run(other))
    np.testing.assert_allclose(result.delta, expected, atol=1e-12)
    assert result.step == 4
    np.testing.assert_array_equal(result.delta[:4], 0.0)
    last_above = [max((t for t in range(20) if expected[t, u] >= 1e-4), default=None) for u in range(5)]
    np.testing.assert_array_equal(result.spans, [0 if t is None else t - 4 + 1 for t in last_above])
    with pytest.raises(ValueError, match="identical"):
        what_changed(model, ids, ids)
