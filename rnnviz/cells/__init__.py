"""The recurrent cells and their registry: the only place that lists them.

Each cell is one module (rnn.py, lstm.py, gru.py) holding its gates, its forward loop, its
backward loop beside it and its equation, published as a :class:`CellType`. Adding a cell is
one new module and one line in ``_CELLS`` below.
"""
from __future__ import annotations

from . import gru, lstm, rnn
from .base import DISTRIBUTIONS, CellParams, CellType, Gate, default_scale, draw_weights, init_cell

_CELLS: tuple[CellType, ...] = (rnn.CELL, lstm.CELL, gru.CELL)

REGISTRY: dict[str, CellType] = {c.name: c for c in _CELLS}
CELLS: tuple[str, ...] = tuple(REGISTRY)
NONLINEARITIES: tuple[str, ...] = tuple(dict.fromkeys(n for c in _CELLS for n in c.nonlinearities))


def get(name: str) -> CellType:
    """The cell called ``name``, or a ValueError listing the known ones."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"cell must be one of {CELLS}, got {name!r}") from None


def check(cell: str, nonlinearity: str = "tanh") -> CellType:
    """The cell, after checking ``nonlinearity`` is one the engine knows (a gated cell ignores it)."""
    c = get(cell)
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    return c


def nonlinearity_for(cell: str, wanted: str) -> str:
    """``wanted`` when the cell takes it (ReLU: only the plain RNN), else the cell's own."""
    options = get(cell).nonlinearities
    return wanted if wanted in options else options[0]


def by_gate_count(count: int) -> CellType | None:
    """The cell whose W_hh has ``count`` * H rows, when exactly one has (PyTorch's files name no cell)."""
    found = [c for c in _CELLS if c.num_gates == count]
    return found[0] if len(found) == 1 else None


__all__ = ["CELLS", "DISTRIBUTIONS", "NONLINEARITIES", "REGISTRY", "CellParams", "CellType", "Gate", "by_gate_count",
           "check", "default_scale", "draw_weights", "get", "init_cell", "nonlinearity_for"]
