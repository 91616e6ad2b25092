"""How each formulation names the same parameters (so the app speaks the user's notation).

The engine stores PyTorch's layout: ``W_ih (G*H, I)``, ``W_hh (G*H, H)``, ``b_ih``, ``b_hh``,
``out.weight (O, D*H)``, ``out.bias``. Other formulations rename, merge the two biases, or
transpose (the TensorFlow formulation is row-major: ``Y = X Wx + Y_prev Wy + b``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..naming import suffix
from ..network import RNNModel

TITLES = {
    "torch": "PyTorch (nn.RNN state_dict names)",
    "class": "Class formulation (MinimalRNN: Wxh, Whh, Why)",
    "functional": "Functional notebook (Wax, Waa, Wya; a⟨t⟩)",
    "tensorflow": "TensorFlow 1.x unrolled (row-major Wx, Wy, b)",
}


@dataclass(frozen=True)
class Symbols:
    """LaTeX symbols for one notation (vanilla RNN)."""

    x: str
    h: str
    h_prev: str
    w_ih: str
    w_hh: str
    b_ih: str
    b_hh: str | None  # None: the formulation has one bias (b_ih + b_hh)
    w_out: str
    b_out: str
    y: str
    row_major: bool = False


SYMBOLS = {
    "torch": Symbols("x_t", "h_t", "h_{t-1}", "W_{ih}", "W_{hh}", "b_{ih}", "b_{hh}", "W_{out}", "b_{out}", "\\hat y_t"),
    "class": Symbols("x_t", "h_t", "h_{t-1}", "W_{xh}", "W_{hh}", "b_h", None, "W_{hy}", "b_y", "p_t"),
    "functional": Symbols(
        "x^{\\langle t \\rangle}", "a^{\\langle t \\rangle}", "a^{\\langle t-1 \\rangle}",
        "W_{ax}", "W_{aa}", "b_a", None, "W_{ya}", "b_y", "\\hat y^{\\langle t \\rangle}",
    ),
    "tensorflow": Symbols("X_t", "Y_t", "Y_{t-1}", "W_x", "W_y", "b", None, "W_{out}", "b_{out}", "\\hat y_t", True),
}


@dataclass
class NamedMatrix:
    name: str  # as the formulation writes it
    array: np.ndarray  # 2-D, as the formulation lays it out
    rows: str  # what the rows index, e.g. "n_a (hidden)"
    cols: str

    @property
    def shape_text(self) -> str:
        return f"{self.array.shape[0]} × {self.array.shape[1]}"


def spoken(notation: str, cell: str) -> str:
    """The notation a cell is written in: the textbook formulations (class, functional, TensorFlow)
    define the vanilla RNN only, so gated cells keep PyTorch's names."""
    return notation if cell == "rnn" else "torch"


def state_letter(notation: str, cell: str) -> str:
    """What the notation calls the hidden state: a (functional notebook), Y (TensorFlow), else h."""
    return {"functional": "a", "tensorflow": "Y"}.get(spoken(notation, cell), "h")


def symbols(notation: str, cell: str) -> Symbols:
    """Symbols of ``notation`` for ``cell`` (see :func:`spoken`)."""
    return SYMBOLS[spoken(notation, cell)]


# names (W_x, W_h, bias, W_y, b_y) and dimension names (hidden, input, output) per formulation
_COLUMN_NAMES = {
    "class": (("Wxh", "Whh", "bh", "Why", "by"), ("hidden", "input", "output")),
    "functional": (("Wax", "Waa", "ba", "Wya", "by"), ("n_a", "n_x", "n_y")),
}


def weight_matrices(model: RNNModel, notation: str, layer: int, direction: int) -> list[NamedMatrix]:
    """The parameters of one layer/direction (and the output layer) named as ``notation`` names them."""
    p = model.layers[layer][direction]
    tail = suffix(layer, direction)
    G = p.w_hh.shape[0] // p.w_hh.shape[1]
    rows = "hidden" if G == 1 else f"{G} gates × hidden"
    out = model.w_out is not None and layer == model.num_layers - 1 and direction == 0
    if spoken(notation, model.cell) == "torch":
        mats = [
            NamedMatrix(f"weight_ih{tail}", p.w_ih, rows, "input"),
            NamedMatrix(f"weight_hh{tail}", p.w_hh, rows, "hidden"),
            NamedMatrix(f"bias_ih{tail}", p.b_ih[:, None], rows, "1"),
            NamedMatrix(f"bias_hh{tail}", p.b_hh[:, None], rows, "1"),
        ]
        if out:
            mats += [NamedMatrix("out.weight", model.w_out, "output", "hidden"),
                     NamedMatrix("out.bias", model.b_out[:, None], "output", "1")]
        return mats
    bias = (p.b_ih + p.b_hh)[:, None]
    if notation in _COLUMN_NAMES:  # column-vector formulations: one bias, W·x with x a column
        (w_x, w_h, b, w_y, b_y), (hid, inp, outp) = _COLUMN_NAMES[notation]
        mats = [NamedMatrix(w_x, p.w_ih, hid, inp), NamedMatrix(w_h, p.w_hh, hid, hid), NamedMatrix(b, bias, hid, "1")]
        if out:
            mats += [NamedMatrix(w_y, model.w_out, outp, hid), NamedMatrix(b_y, model.b_out[:, None], outp, "1")]
        return mats
    mats = [NamedMatrix("Wx", p.w_ih.T, "n_inputs", "n_neurons"), NamedMatrix("Wy", p.w_hh.T, "n_neurons", "n_neurons"),
            NamedMatrix("b", bias.T, "1", "n_neurons")]
    if out:
        mats += [NamedMatrix("W_out", model.w_out.T, "n_neurons", "n_outputs"), NamedMatrix("b_out", model.b_out[None], "1", "n_outputs")]
    return mats
