"""Config -> model -> inputs -> trace: everything one view of the app needs, computed once."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    scheme = "uniform" if cfg.init == "torch_default" else cfg.init
    return init_model(
        cfg.cell,
        cfg.input_size,
        cfg.hidden,
        cfg.output_size or None,
        num_layers=cfg.layers,
        bidirectional=cfg.bidirectional,
        nonlinearity=cfg.nonlinearity,
        init=scheme,
        scale=None if cfg.init == "torch_default" else cfg.scale,
        zero_bias=cfg.zero_bias,
        seed=cfg.weight_seed,
        dtype=np.float64,
    )


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
