"""What every cell shares: PyTorch's parameter layout, seeded initialisation, the record a cell
module fills in (:class:`CellType`), and helpers of the fast time loops.

Every cell of one layer and one direction owns four arrays (G = gate blocks of the cell):

    w_ih (G*H, I)   w_hh (G*H, H)   b_ih (G*H,)   b_hh (G*H,)

with the gate blocks stacked in PyTorch's order, so parameters map 1:1 to ``torch.nn``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

DISTRIBUTIONS = ("uniform", "normal")  # how init_cell draws; the app's init schemes build on these


@dataclass(frozen=True)
class Gate:
    """One block of rows of W_ih / W_hh: its name, activation and what it does."""

    name: str
    kind: str  # "sigmoid" ([0, 1]) or "tanh" ([-1, 1])
    title: str  # "input gate"
    meaning: str  # what its value does


@dataclass(frozen=True)
class Equation:
    """A cell's equation as data: rows of (name, general form, the same with one unit's numbers),
    written in a small TeX subset (rnnviz/figures/mathml.py renders it): ``\\slot{name}`` is a
    number taken from the values array (slot order = ``slots``), ``\\res{name}`` a row's result,
    ``\\fin{name}`` the final value, ``\\J`` the unit index, ``\\input`` the input read,
    ``\\under{a}{b}`` writes b under a (where a number comes from)."""

    slots: tuple[str, ...]
    rows: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class CellType:
    """One cell: its gates, its forward loop, the backward loop beside it and its equation.

    ``forward(params, ih, h0, c0, *, reverse, record, nonlinearity)`` runs one direction over
    the whole sequence from the precomputed input part ``ih = W_ih x_t + b_ih`` (T, B, G*H);
    it returns a :class:`~rnnviz.trace.LayerTrace` when ``record``, else ``(h, final c or None)``.
    ``backward(params, lt, d_h, carry_h, d_ih, *, d_c_last, state_grads, workspace, key,
    nonlinearity)`` chains the gradients back through time, writing the pre-activation
    gradients into ``d_ih`` and the carried dL/dh into ``carry_h`` (in place); it returns
    ``(d_hh, carry_c)``. ``equation(symbols, *, nonlinearity, reverse, onehot, row)`` is the cell's
    :class:`Equation`; ``equation_values(params, lt, sample, symbols)`` its numbers, (T, H, slots).
    """

    name: str
    title: str
    gates: tuple[Gate, ...]
    forward: Callable
    backward: Callable
    equation: Callable
    equation_values: Callable
    nonlinearities: tuple[str, ...] = ("tanh",)  # the first is the default
    has_cell_state: bool = False

    @property
    def num_gates(self) -> int:
        """Number of stacked gate blocks in W_ih / W_hh."""
        return len(self.gates)

    @property
    def gate_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.gates)

    @property
    def gated(self) -> bool:
        """Whether the cell has gates to show (more than the one block of a plain RNN)."""
        return len(self.gates) > 1


@dataclass
class CellParams:
    """Parameters of one layer in one direction, in PyTorch's layout."""

    w_ih: np.ndarray  # (G*H, I)
    w_hh: np.ndarray  # (G*H, H)
    b_ih: np.ndarray  # (G*H,)
    b_hh: np.ndarray  # (G*H,)

    @property
    def hidden_size(self) -> int:
        """H: W_hh maps the H units to the G*H pre-activations."""
        return self.w_hh.shape[1]

    def arrays(self) -> dict[str, np.ndarray]:
        """The four arrays under PyTorch's names (without the ``_l{k}`` suffix), in its order."""
        return {"weight_ih": self.w_ih, "weight_hh": self.w_hh, "bias_ih": self.b_ih, "bias_hh": self.b_hh}

    @property
    def input_size(self) -> int:
        return self.w_ih.shape[1]

    def astype(self, dtype: np.dtype) -> "CellParams":
        return CellParams(*(np.asarray(a, dtype=dtype) for a in self.arrays().values()))


def draw_weights(
    rng: np.random.Generator, shape: tuple[int, ...], *, init: str, scale: float, dtype: np.dtype
) -> np.ndarray:
    """One parameter array: ``uniform`` draws U(-scale, scale), ``normal`` draws randn*scale."""
    if init == "uniform":
        return rng.uniform(-scale, scale, size=shape).astype(dtype)
    if init == "normal":
        return (rng.standard_normal(shape) * scale).astype(dtype)
    raise ValueError(f"init must be one of {DISTRIBUTIONS}, got {init!r}")


def default_scale(init: str, fan: int) -> float:
    """PyTorch's default: U(-1/sqrt(fan), 1/sqrt(fan)) for uniform; 0.01 for normal."""
    return 1.0 / np.sqrt(fan) if init == "uniform" else 0.01


def init_cell(
    rng: np.random.Generator,
    num_gates: int,
    input_size: int,
    hidden_size: int,
    *,
    init: str = "uniform",
    scale: float | None = None,
    zero_bias: bool = False,
    dtype: np.dtype = np.float64,
) -> CellParams:
    """Draw one cell's parameters in the order w_ih, w_hh, b_ih, b_hh (``scale=None``: PyTorch's default)."""
    rows = num_gates * hidden_size
    if scale is None:
        scale = default_scale(init, hidden_size)
    w_ih = draw_weights(rng, (rows, input_size), init=init, scale=scale, dtype=dtype)
    w_hh = draw_weights(rng, (rows, hidden_size), init=init, scale=scale, dtype=dtype)
    if zero_bias:
        b_ih, b_hh = np.zeros(rows, dtype), np.zeros(rows, dtype)
    else:
        b_ih = draw_weights(rng, (rows,), init=init, scale=scale, dtype=dtype)
        b_hh = draw_weights(rng, (rows,), init=init, scale=scale, dtype=dtype)
    return CellParams(w_ih, w_hh, b_ih, b_hh)


# ---------------------------------------------------------------------------------------------
# Helpers of the fast time loops (each cell module runs its own loop).
#
# Speed notes (measured with bench/engine.py; see docs/benchmarks.md):
# - Per step only W_hh h_{t-1} and elementwise ops run, written in place (``out=``) into
#   preallocated trace arrays; everything that does not depend on h_{t-1} (the input projection,
#   b_hh, scalings) is done for all steps at once before the loop, and the trace's fix-ups after.
# - Gates use sigmoid(x) = 1/(1 + exp(-x)) and tanh(x) = 2 sigmoid(2x) - 1 (exp is about twice
#   as fast as tanh here, see activations.py). The factors -1 and -2 are folded into W_hh's rows
#   and the precomputed input part (``exp_scaling``): exact, as they are powers of two, and undone
#   after the loop so the trace holds PyTorch's values. The loops of the bounded cells (tanh RNN,
#   LSTM, GRU: |h| <= 1, |c| grows by at most 1 per step) run under QUIET_EXP; the ReLU loop does
#   not: a ReLU state that really overflows warns as NumPy always does.
# - Measured and kept: np.dot on a C-contiguous (H, G*H) weight (less call overhead than matmul,
#   faster gemv at B = 1); per-gate (T, B, H) views made once, positional out= arguments and
#   local names for the ufuncs (-15-25% at B = 1, where a step is mostly call overhead); the
#   step-independent pre-activation written into the gates array itself (less fresh memory).
# - Measured and dropped: np.exp2 (no faster than exp for float64, slower for float32); a
#   float64 tanh through exp on small blocks (the extra calls cost more than they save).
# ---------------------------------------------------------------------------------------------

def time_buffer(T: int, shape: tuple[int, ...], dtype: np.dtype, record: bool) -> np.ndarray:
    """(T, *shape) storage per step, or, when not recording, one block that every step reuses
    (a stride-0 view over time: the loops run unchanged, memory stays the size of one step)."""
    if record:
        return np.empty((T, *shape), dtype)
    block = np.empty(shape, dtype)
    return np.lib.stride_tricks.as_strided(block, (T, *shape), (0, *block.strides))


def gated_buffers(ih: np.ndarray, H: int, record: bool) -> tuple[np.ndarray, ...]:
    """Storage of a gated cell's loop: ``h`` (T, B, H); ``hh`` and the activated ``gates``
    (T, B, G*H), per step or one reused block; ``pre``, the step-independent part of the
    pre-activation for all steps. When recording, ``pre`` is ``gates`` itself and each step
    activates it in place: one big array less to allocate (fresh memory costs a page fault per
    4 KiB, ~0.7 ms per MB here)."""
    T, B, GH = ih.shape
    h = np.empty((T, B, H), ih.dtype)
    hh = time_buffer(T, (B, GH), ih.dtype, record)
    gates = time_buffer(T, (B, GH), ih.dtype, record)
    return h, hh, gates, gates if record else np.empty_like(ih)


def backward_steps(lt, d_h: np.ndarray, carry_h: np.ndarray, dh: np.ndarray, state_grads: np.ndarray | None):
    """The steps of a backward loop, last processed first; before each, ``dh`` holds dL/dh_t: the
    gradient from above (``d_h[t]``) plus the one carried back from the step after (``carry_h``),
    also kept in ``state_grads`` when given."""
    for t in reversed(lt.time_order()):
        np.add(d_h[t], carry_h, out=dh)
        if state_grads is not None:
            state_grads[t] = dh
        yield t


def time_order(T: int, reverse: bool) -> range:
    return range(T - 1, -1, -1) if reverse else range(T)


def exp_scaling(gates: tuple[Gate, ...], H: int, dtype: np.dtype) -> np.ndarray:
    """Per gate row: -1 where the gate is a sigmoid, -2 where it is a tanh.

    With the pre-activation x scaled by k, exp(k x) + 1 followed by 1/. gives sigmoid(x) on
    sigmoid rows and sigmoid(2x) on tanh rows, and tanh(x) = 2 sigmoid(2x) - 1. The factors are
    powers of two: folding them into W_hh and the input part is exact."""
    return np.repeat(np.array([-1.0 if g.kind == "sigmoid" else -2.0 for g in gates], dtype), H)


def scaled_transpose(w_hh: np.ndarray, k: np.ndarray) -> np.ndarray:
    """C-contiguous (H, G*H) copy of (k * W_hh).T: np.dot with it beats a transposed view
    (up to ~1.5x for a single sequence, B = 1) and it is a copy we make anyway."""
    out = np.empty(w_hh.T.shape, w_hh.dtype)
    return np.multiply(w_hh.T, k, out=out)


def gate_views(gates: np.ndarray, count: int, H: int) -> list[np.ndarray]:
    """(T, B, H) views of each gate block, made once: indexing them by t in the loop is cheaper
    than slicing every step (at B = 1 a step is mostly per-call overhead)."""
    return [gates[..., j * H : (j + 1) * H] for j in range(count)]


# --- equation pieces the gated cells share --------------------------------------------------

def gate_rows(gates: tuple[Gate, ...], prev: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Slots and rows of ``g_t = act(W_ig x_t + b_ig + W_hg h_prev + b_hg)`` for each gate (PyTorch's names)."""
    slots, rows = [], []
    for gate in gates:
        g = gate.name
        fn = "\\tanh" if gate.kind == "tanh" else "\\sigma"
        slots += [f"{g}_xw", f"{g}_bi", f"{g}_hw", f"{g}_bh", f"{g}_pre", g]
        x_term = f"\\under{{\\slot{{{g}_xw}}}}{{(W_{{i{g}}}x_t)_{{\\J}}}}"
        b_i = f"\\under{{\\slot{{{g}_bi}}}}{{(b_{{i{g}}})_{{\\J}}}}"
        h_term = f"\\under{{\\slot{{{g}_hw}}}}{{(W_{{h{g}}}{prev})_{{\\J}}}}"
        b_h = f"\\under{{\\slot{{{g}_bh}}}}{{(b_{{h{g}}})_{{\\J}}}}"
        general = f"{g}_t = {fn}(W_{{i{g}}} x_t + b_{{i{g}}} + W_{{h{g}}} {prev} + b_{{h{g}}})"
        filled = f"{g}_{{t,\\J}} = {fn}({x_term} + {b_i} + {h_term} + {b_h}) = {fn}(\\slot{{{g}_pre}}) = \\res{{{g}}}"
        rows.append((g, general, filled))
    return slots, rows


def gate_values(p: CellParams, lt, sample: int) -> list[np.ndarray]:
    """Per gate, (T, H) each: W_i x, b_i, W_h h_prev, b_h, the pre-activation ih + hh, the gate."""
    H = lt.hidden_size
    ih, hh, gates = lt.ih[:, sample], lt.hh[:, sample], lt.gates[:, sample]
    cols = []
    for k in range(len(lt.gate_names)):
        blk = slice(k * H, (k + 1) * H)
        cols += [ih[:, blk] - p.b_ih[blk], np.broadcast_to(p.b_ih[blk], (ih.shape[0], H)),
                 hh[:, blk] - p.b_hh[blk], np.broadcast_to(p.b_hh[blk], (ih.shape[0], H)),
                 ih[:, blk] + hh[:, blk], gates[:, blk]]
    return cols


def previous_symbols(reverse: bool) -> tuple[str, str]:
    """The state a step starts from, for the whole vector and for unit J: the reverse direction
    comes from the right (h_{t+1})."""
    return ("h_{t+1}", "h_{t+1,\\J}") if reverse else ("h_{t-1}", "h_{t-1,\\J}")
