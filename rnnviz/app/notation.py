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
    "torch": "PyTorch (nn.RNN state_dict names)",  # nn.LSTM / nn.GRU for those cells: see title()
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
    array: np.ndarray  # 2-D, as drawn (a 1-D bias as a column)
    rows: str  # what the rows index, as a size: "H", "3·H", "n_a", "hidden"
    cols: str
    one_d: bool = False  # the formulation holds it 1-D (PyTorch's biases: shape (G·H,)), drawn as a column
    note: str = ""  # e.g. which columns belong to which direction

    @property
    def shape_text(self) -> str:
        """The actual shape: "24 × 8", or "(24,)" for a 1-D array."""
        if self.one_d:
            return f"({self.array.shape[0]},)"
        return f"{self.array.shape[0]} × {self.array.shape[1]}"

    @property
    def dims_text(self) -> str:
        """The shape in symbols: "(3·H) × I", "H × H", "(3·H,)" (1-D), "n_a × n_x"."""
        wrap = lambda d: f"({d})" if "·" in d else d  # noqa: E731 - "(3·H) × I", not "3·H × I"
        if self.one_d:
            return f"({self.rows},)"
        return f"{wrap(self.rows)} × {wrap(self.cols)}"

    @property
    def title(self) -> str:
        """e.g. "weight_ih_l0: (3·H) × I = 24 × 8"; "bias_ih_l0: (3·H,) = (24,), 1-D"."""
        text = f"{self.name}: {self.dims_text} = {self.shape_text}"
        text += ", 1-D (drawn as a column)" if self.one_d else ""
        return text + (f"; {self.note}" if self.note else "")


def title(notation: str, cell: str) -> str:
    """What the Weights tab calls the notation it shows for ``cell``: PyTorch's names are those of
    nn.RNN, nn.LSTM or nn.GRU (the textbook formulations only define the vanilla RNN)."""
    shown = spoken(notation, cell)
    if shown == "torch":
        return f"PyTorch (nn.{ {'rnn': 'RNN', 'lstm': 'LSTM', 'gru': 'GRU'}.get(cell, cell.upper()) } state_dict names)"
    return TITLES[shown]


_FORMULATIONS = {"class": "class", "functional": "functional notebook", "tensorflow": "TensorFlow"}


def weights_note(notation: str, cell: str) -> str:
    """The Weights tab's caption on the notation: whose names, and why a gated cell keeps PyTorch's."""
    note = title(notation, cell)
    if spoken(notation, cell) != notation:
        note += (f" — the {_FORMULATIONS[notation]} formulation defines only the vanilla RNN, so {cell.upper()} "
                 "weights keep PyTorch's names (gate blocks stacked)")
    return note


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
    D = model.num_directions
    out = model.w_out is not None and layer == model.num_layers - 1 and direction == 0
    both = "columns: forward, then reverse units" if D == 2 else ""
    if spoken(notation, model.cell) == "torch":
        rows = "H" if G == 1 else f"{G}·H"
        # layer 0 reads the input; a higher layer reads the layer below (both directions: 2·H features)
        inputs = "I" if layer == 0 else ("2·H" if D == 2 else "H")
        mats = [
            NamedMatrix(f"weight_ih{tail}", p.w_ih, rows, inputs, note=both if layer > 0 else ""),
            NamedMatrix(f"weight_hh{tail}", p.w_hh, rows, "H"),
            NamedMatrix(f"bias_ih{tail}", p.b_ih[:, None], rows, "1", one_d=True),
            NamedMatrix(f"bias_hh{tail}", p.b_hh[:, None], rows, "1", one_d=True),
        ]
        if out:
            mats += [NamedMatrix("out.weight", model.w_out, "O", "2·H" if D == 2 else "H", note=both),
                     NamedMatrix("out.bias", model.b_out[:, None], "O", "1", one_d=True)]
        return mats
    bias = (p.b_ih + p.b_hh)[:, None]
    if notation in _COLUMN_NAMES:  # column-vector formulations: one bias, W·x with x a column
        (w_x, w_h, b, w_y, b_y), (hid, inp, outp) = _COLUMN_NAMES[notation]
        mats = [NamedMatrix(w_x, p.w_ih, hid, inp), NamedMatrix(w_h, p.w_hh, hid, hid), NamedMatrix(b, bias, hid, "1")]
        if out:
            mats += [NamedMatrix(w_y, model.w_out, outp, f"2·{hid}" if D == 2 else hid, note=both),
                     NamedMatrix(b_y, model.b_out[:, None], outp, "1")]
        return mats
    mats = [NamedMatrix("Wx", p.w_ih.T, "n_inputs", "n_neurons"), NamedMatrix("Wy", p.w_hh.T, "n_neurons", "n_neurons"),
            NamedMatrix("b", bias.T, "1", "n_neurons")]
    if out:
        mats += [NamedMatrix("W_out", model.w_out.T, "2·n_neurons" if D == 2 else "n_neurons", "n_outputs",
                             note="rows: forward, then reverse units" if D == 2 else ""),
                 NamedMatrix("b_out", model.b_out[None], "1", "n_outputs")]
    return mats
