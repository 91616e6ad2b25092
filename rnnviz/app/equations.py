"""The cell's equations as LaTeX, filled in with the numbers of one unit at one step.

Each cell writes its own equation (rnnviz/cells/); this picks the cell and the notation.
Every number comes from the trace (``ih = W_ih x_t + b_ih`` and ``hh = W_hh h_{t-1} + b_hh``
are recorded apart) and the model's biases, so the sum shown is exactly what the heatmap shows.
"""
from __future__ import annotations

from .. import cells
from ..network import RNNModel
from .notation import symbols
from ..trace import LayerTrace


def unit_equations(
    model: RNNModel, lt: LayerTrace, *, layer: int, direction: int, t: int, b: int, j: int,
    notation: str, input_label: str | None = None,
) -> list[str]:
    """LaTeX lines: the general equation, then the same with unit ``j``'s numbers at step ``t``."""
    # The textbook notations have no reverse direction: it is written in PyTorch's names.
    s = symbols("torch" if lt.reverse else notation, model.cell)
    return cells.get(model.cell).equation(model.layers[layer][direction], lt, t=t, b=b, j=j, symbols=s,
                                          nonlinearity=model.nonlinearity, input_label=input_label)
