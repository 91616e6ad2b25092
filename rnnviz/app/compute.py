"""Config -> model -> inputs -> trace: everything one view of the app needs, computed once."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import cells
from ..cells import CellParams
from ..naming import model_from_state_dict
from ..network import RNNModel, forward, init_model
from ..text import Vocab
from ..trace import Trace
from .inputs import InputBatch, build_inputs
from .knobs import Config
from .notebook import notebook_draws, notebook_state_dict
from .prose import overflow_note


@dataclass
class Computed:
    """The model a config describes (or the one given), its inputs and its forward trace."""

    cfg: Config
    model: RNNModel
    batch: InputBatch
    trace: Trace
    overflow: str | None = None  # a note for the page when values saturate or overflow


def build_model(cfg: Config) -> RNNModel:
    """Seeded initial weights, or the notebook's draws (float64 throughout)."""
    if cfg.inputs == "notebook":
        draws = notebook_draws(cfg.input_size, cfg.hidden, cfg.output_size, cfg.batch, cfg.length, cfg.weight_seed)
        return model_from_state_dict(notebook_state_dict(draws), cell="rnn")
    return fresh_model(cfg)


def fresh_model(cfg: Config, *, cell: str | None = None, hidden: int | None = None, layers: int | None = None,
                bidirectional: bool | None = None, seed: int | None = None) -> RNNModel:
    """A model freshly initialised as the sidebar's Weights section says (scheme, scale, biases,
    seed), optionally of another cell, size or seed: the page's model, and the fresh models the
    Explore views compare with it. The notebook mode's own draws are :func:`build_model`'s."""
    cell = cfg.cell if cell is None else cell
    hidden = cfg.hidden if hidden is None else hidden
    layers = cfg.layers if layers is None else layers
    bidirectional = cfg.bidirectional if bidirectional is None else bidirectional
    seed = cfg.weight_seed if seed is None else seed
    nonlinearity = cells.nonlinearity_for(cell, cfg.nonlinearity)
    if cfg.init == "class":
        return class_model(cell, cfg.input_size, hidden, cfg.output_size, num_layers=layers,
                           bidirectional=bidirectional, nonlinearity=nonlinearity, scale=cfg.scale, seed=seed)
    return init_model(
        cell,
        cfg.input_size,
        hidden,
        cfg.output_size or None,
        num_layers=layers,
        bidirectional=bidirectional,
        nonlinearity=nonlinearity,
        init="uniform" if cfg.init == "torch_default" else cfg.init,
        scale=None if cfg.init == "torch_default" else cfg.scale,
        zero_bias=cfg.zero_bias,
        seed=seed,
        dtype=np.float64,
    )


def class_model(cell: str, input_size: int, hidden: int, output_size: int, *, num_layers: int = 1,
                bidirectional: bool = False, nonlinearity: str = "tanh", scale: float = 0.01,
                seed: int = 0) -> RNNModel:
    """The class formulation's draws: ``np.random.seed(seed)``, then ``np.random.randn(...) * scale``
    for W_xh, W_hh of each layer and direction in turn, then W_hy; every bias zero.

    For a one-layer vanilla RNN with ``scale=0.01`` these are exactly the arrays
    ``MinimalRNN(input_size, hidden, output_size, seed=seed)`` holds (``Wxh``, ``Whh``, ``Why``,
    drawn in that order); other cells and sizes follow the same recipe. ``RandomState(seed).randn``
    gives the numbers ``np.random.seed(seed)`` + ``np.random.randn`` give, without touching NumPy's
    global state.
    """
    randn = np.random.RandomState(seed).randn
    G = cells.check(cell, nonlinearity).num_gates
    D = 2 if bidirectional else 1
    layers = []
    for layer in range(num_layers):
        fan_in = input_size if layer == 0 else D * hidden
        row = []
        for _ in range(D):
            w_ih = randn(G * hidden, fan_in) * scale
            w_hh = randn(G * hidden, hidden) * scale
            row.append(CellParams(w_ih, w_hh, np.zeros(G * hidden), np.zeros(G * hidden)))
        layers.append(row)
    w_out = b_out = None
    if output_size:
        w_out, b_out = randn(output_size, D * hidden) * scale, np.zeros(output_size)
    return RNNModel(cell, layers, w_out, b_out, nonlinearity)


def with_forget_bias(model: RNNModel, value: float = 1.0) -> RNNModel:
    """A copy of an LSTM whose forget gates start with bias ``value`` (``b_if = value``,
    ``b_hf = 0``, in every layer and direction); the other parameters are unchanged.
    With ``value = 1`` a fresh forget gate sits near sigma(1) = 0.73 instead of sigma(0) = 0.5."""
    if model.cell != "lstm":
        raise ValueError(f"a forget gate belongs to an LSTM, not a {model.cell}")
    layers = []
    for layer in model.layers:
        row = []
        for p in layer:
            H = p.hidden_size
            b_ih, b_hh = p.b_ih.copy(), p.b_hh.copy()
            b_ih[H:2 * H], b_hh[H:2 * H] = value, 0.0  # PyTorch's gate order i, f, g, o
            row.append(CellParams(p.w_ih, p.w_hh, b_ih, b_hh))
        layers.append(row)
    return RNNModel(model.cell, layers, model.w_out, model.b_out, model.nonlinearity, dict(model.meta))


def compute(cfg: Config, model: RNNModel | None = None, vocab: Vocab | None = None) -> Computed:
    """Forward ``cfg``'s inputs through ``model`` (default: the model ``cfg`` describes);
    ``vocab``: the characters a trained ``model`` reads (see ``build_inputs``)."""
    if model is None:
        model = build_model(cfg)
    batch = build_inputs(cfg, vocab)
    h0 = batch.h0
    if h0 is None or model.num_layers * model.num_directions != 1:
        h0 = None
    # An exploding ReLU may overflow on purpose (weight scale up to 100): the page shows an
    # "overflow" note and saturated values (Computed.overflow), so NumPy's warnings add nothing.
    with np.errstate(over="ignore", invalid="ignore"):
        trace = forward(model, batch.data, h0=h0)
    return Computed(cfg, model, batch, trace, overflow_note(trace))


def model_dims(model: RNNModel) -> dict:
    """The config fields a model read from a file or trained here decides."""
    return {
        "cell": model.cell,
        "layers": model.num_layers,
        "bidirectional": model.bidirectional,
        "hidden": model.hidden_size,
        "input_size": model.input_size,
        "output_size": model.output_size or 0,
    }
