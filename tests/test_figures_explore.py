"""Figure builders: the data Plotly would send to the browser decodes back to the inputs."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from plotly_data import decode

from rnnviz.figures.style import display_char, to_figure
from rnnviz.figures.explore import (
    gradient_decay_figure,
    gradient_flow_figure,
    guesses_figure,
    loss_figure,
    memory_span_figure,
    text_activation_figure,
    trajectory_figure,
    unit_ranking_figure,
    what_changed_figure,
)


def payload(spec):
    """The figure as the browser receives it (validated by Plotly on the way)."""
    return json.loads(to_figure(spec).to_json())


def test_loss_figure_in_bits_and_nats():
    losses = np.array([2.0, 1.5, 1.2, 0.9], np.float32)
    data = payload(loss_figure(losses, baseline=1.8))
    y = decode(data["data"][0]["y"])
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, losses / math.log(2), rtol=1e-6)
    np.testing.assert_array_equal(decode(data["data"][0]["x"]), [1, 2, 3, 4])
    baseline_line = data["layout"]["shapes"][0]
    assert baseline_line["y0"] == pytest.approx(1.8 / math.log(2))
    nats = payload(loss_figure(losses, unit="nats"))
    np.testing.assert_array_equal(decode(nats["data"][0]["y"]), losses)


def test_text_activation_figure_keeps_values_and_draws_text_safely():
    text = 'a <b>bold</b> & "x"\n<script>'
    values = np.linspace(-1, 1, len(text)).astype(np.float32)
    data = payload(text_activation_figure(text, values, columns=8))
    trace = data["data"][0]
    z = decode(trace["z"])
    assert z.shape == (math.ceil(len(text) / 8), 8)
    np.testing.assert_array_equal(z.reshape(-1)[: len(text)], values)
    assert np.isnan(z.reshape(-1)[len(text):]).all()
    labels = [c for row in trace["text"] for c in row][: len(text)]
    assert all(len(c) == 1 for c in labels)  # one character per cell: no tag can form
    assert "".join(labels) == "a␣<b>bold</b>␣&␣\"x\"⏎<script>"
    positions = decode(trace["customdata"]).reshape(-1)
    np.testing.assert_array_equal(positions[: len(text)], np.arange(len(text)))
    with pytest.raises(ValueError, match="one value per character"):
        text_activation_figure("abc", np.zeros(2))


def test_display_char():
    assert [display_char(c) for c in " \n\tx\x00"] == ["␣", "⏎", "⇥", "x", "�"]


def test_unit_ranking_figure():
    r = np.array([0.1, -0.9, 0.5])
    order = np.array([1, 2, 0])
    data = payload(unit_ranking_figure(r, order, top=2))
    np.testing.assert_allclose(decode(data["data"][0]["y"]), [-0.9, 0.5], rtol=1e-6)
    np.testing.assert_array_equal(decode(data["data"][0]["customdata"]), [1, 2])


@pytest.mark.parametrize("dims", [2, 3])
def test_trajectory_figure(dims):
    rng = np.random.default_rng(0)
    coords = rng.standard_normal((6, dims)).astype(np.float32)
    data = payload(trajectory_figure(coords, "ab c\nd", step=2, explained=np.array([0.5, 0.3, 0.1])))
    path, here = data["data"]
    for i, axis in enumerate("xyz"[:dims]):
        np.testing.assert_array_equal(decode(path[axis]), coords[:, i])
        np.testing.assert_array_equal(decode(here[axis]), coords[2:3, i])
    assert list(path["text"]) == ["a", "b", "␣", "c", "⏎", "d"]


def test_gradient_flow_figures():
    rng = np.random.default_rng(1)
    flows = {}
    for name in ("RNN", "LSTM, forget bias 1"):
        g = np.exp(rng.standard_normal((5, 5)))
        g[np.triu_indices(5, 1)] = np.nan
        flows[name] = g
    data = payload(gradient_flow_figure(flows))
    for trace, name in zip(data["data"], flows):
        z = decode(trace["z"])
        np.testing.assert_allclose(z, np.log10(flows[name]), rtol=1e-6)
    assert [a["text"] for a in data["layout"]["annotations"]] == ["RNN", "LSTM, forget bias 1"]  # names as given
    curves = {"brackets-rnn after training": (np.arange(5), np.array([1.0, 0.1, 0.01, 1e-3, 1e-4]))}
    data = payload(gradient_decay_figure(curves, mark=3))
    np.testing.assert_allclose(decode(data["data"][0]["y"]), curves["brackets-rnn after training"][1], rtol=1e-6)
    assert data["data"][0]["name"] == "brackets-rnn after training"
    assert data["layout"]["yaxis"]["type"] == "log"
    assert [(s["x0"], s["x1"]) for s in data["layout"]["shapes"]] == [(3, 3)]  # the distance the sentence uses


def test_what_changed_and_memory_span_figures():
    delta = np.abs(np.random.default_rng(2).standard_normal((7, 3)))
    data = payload(what_changed_figure(delta, 2, text="abcdefg"))
    np.testing.assert_allclose(decode(data["data"][0]["z"]), delta.T, rtol=1e-6)
    assert data["layout"]["shapes"][0]["x0"] == 2
    spans = {"rnn": np.array([1, 4, 0]), "lstm": np.array([7, 2, 3])}
    data = payload(memory_span_figure(spans, {"rnn": np.array([False, False, False]), "lstm": np.array([True, False, False])}))
    for trace, name in zip(data["data"], spans):
        np.testing.assert_array_equal(decode(trace["y"]), spans[name])
    assert list(data["data"][1]["marker"]["pattern"]["shape"]) == ["/", "", ""]


def test_guesses_figure():
    vocab = " abc"
    text = "ab c"
    top_ids = np.array([[1, 2], [2, 0], [0, 3], [3, 1]])
    top_probs = np.array([[0.6, 0.3], [0.5, 0.4], [0.9, 0.05], [0.7, 0.2]], np.float32)
    data = payload(guesses_figure(text, top_ids, top_probs, vocab, start=1, count=2))
    trace = data["data"][0]
    np.testing.assert_array_equal(decode(trace["z"]), top_probs[1:3].T)
    assert [list(r) for r in trace["text"]] == [["b", "␣"], ["␣", "c"]]
    assert list(data["layout"]["xaxis"]["ticktext"]) == ["b", "␣"]
