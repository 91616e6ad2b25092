"""What hidden states mean: PCA, neuron search, gradient flow, "what changed". NumPy only.

Every function takes plain arrays (or a model and its inputs) and returns arrays, so the
figure builders (``figures_explore``) and the UI stay thin.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .backprop import backward, softmax_cross_entropy
from .network import RNNModel, forward

# --- PCA of hidden states --------------------------------------------------------------------

@dataclass
class PCAResult:
    coords: np.ndarray  # (N, k) projections of the centred states
    components: np.ndarray  # (k, H) unit-length principal axes
    mean: np.ndarray  # (H,)
    explained_variance_ratio: np.ndarray  # (k,)


def pca(states: np.ndarray, n_components: int = 2) -> PCAResult:
    """Principal components of ``states`` ``(N, H)`` (or ``(T, B, H)``, flattened) via the SVD.

    Signs are fixed so that each axis's largest-magnitude loading is positive (deterministic).
    With fewer than ``n_components`` directions of variance, the missing columns are zeros.
    """
    if n_components not in (1, 2, 3):
        raise ValueError(f"n_components must be 1, 2 or 3, got {n_components}")
    x = np.asarray(states, np.float64)
    x = x.reshape(-1, x.shape[-1])
    if x.shape[0] < 1:
        raise ValueError("need at least one state")
    mean = x.mean(0)
    centred = x - mean
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    k = min(n_components, vt.shape[0])
    comps = np.zeros((n_components, x.shape[1]))
    comps[:k] = vt[:k]
    flip = np.sign(comps[np.arange(n_components), np.abs(comps).argmax(1)])
    flip[flip == 0] = 1.0
    comps *= flip[:, None]
    total = float((s**2).sum())
    ratio = np.zeros(n_components)
    if total > 0:
        ratio[:k] = s[:k] ** 2 / total
    return PCAResult(centred @ comps.T, comps, mean, ratio)


# --- features of a text, one value per character (the state *after* reading it) --------------

def bracket_depth(text: str, pairs: str = "()[]{}") -> np.ndarray:
    """Nesting depth after each character (openers ``pairs[0::2]``, closers ``pairs[1::2]``)."""
    step = {c: 1 for c in pairs[0::2]} | {c: -1 for c in pairs[1::2]}
    return np.cumsum([step.get(c, 0) for c in text], dtype=np.float64)


def inside_quotes(text: str, quote: str = '"') -> np.ndarray:
    """1 from an opening quote up to (not including) its closing quote, else 0."""
    flips = np.array([c == quote for c in text], dtype=np.int64)
    return (np.cumsum(flips) % 2).astype(np.float64)


def position_in_word(text: str) -> np.ndarray:
    """1, 2, 3 ... for the letters of a word (letters, digits, apostrophes), 0 elsewhere."""
    out = np.zeros(len(text))
    run = 0
    for i, c in enumerate(text):
        run = run + 1 if (c.isalnum() or c == "'") else 0
        out[i] = run
    return out


def span_mask(length: int, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """1 on the half-open character ranges ``[start, stop)``, 0 elsewhere."""
    out = np.zeros(length)
    for start, stop in spans:
        if not 0 <= start < stop <= length:
            raise ValueError(f"span {(start, stop)} must satisfy 0 <= start < stop <= {length}")
        out[start:stop] = 1.0
    return out


FEATURES: dict[str, Callable[[str], np.ndarray]] = {
    "bracket depth": bracket_depth,
    "inside quotes": inside_quotes,
    "position in word": position_in_word,
}


def rank_units(activations: np.ndarray, feature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson r of every unit ``activations (T, H)`` with ``feature (T,)``.

    Returns (order, r): unit indices sorted by |r| (largest first) and r per unit. A constant
    unit or a constant feature has r = 0.
    """
    a = np.asarray(activations, np.float64)
    f = np.asarray(feature, np.float64).reshape(-1)
    if a.ndim != 2 or a.shape[0] != f.size:
        raise ValueError(f"activations must be (T, H) with T = {f.size}, got {a.shape}")
    a = a - a.mean(0)
    f = f - f.mean()
    denom = np.sqrt((a * a).sum(0) * (f @ f))
    r = np.divide(f @ a, denom, out=np.zeros(a.shape[1]), where=denom > 1e-12)
    return np.argsort(-np.abs(r), kind="stable"), r


# --- gradient flow: ||dL_t / dh_k|| ----------------------------------------------------------

def _check_unidirectional(model: RNNModel) -> None:
    if model.bidirectional:
        raise ValueError("gradient flow and memory spans are shown for unidirectional models")


MAX_FLOW_STEPS = 400
_FLOW_BLOCK = 32  # losses backpropagated together (a batch of copies of the sequence)


def gradient_flow(
    model: RNNModel, inputs: np.ndarray, targets: np.ndarray | None = None, *, layer: int = 0
) -> np.ndarray:
    """``G[t, k] = ||dL_t / dh_k||`` of layer ``layer``, for one sequence; NaN where k > t.

    ``inputs``: token ids ``(T,)`` or vectors ``(T, I)``, T <= MAX_FLOW_STEPS. ``L_t`` is the
    cross-entropy of the output at step t against ``targets[t]`` (default: the model's own
    most likely output, so no labels are needed); without an output layer ``L_t`` is the sum
    of the top layer's h_t. Each loss is backpropagated on its own, as one element of a batch
    of copies of the sequence (blocks of 32 losses bound the memory).
    """
    _check_unidirectional(model)
    if not 0 <= layer < model.num_layers:
        raise ValueError(f"layer must be in [0, {model.num_layers - 1}]")
    x = np.asarray(inputs)
    T = x.shape[0]
    if not 1 <= T <= MAX_FLOW_STEPS:
        raise ValueError(f"gradient flow needs 1 to {MAX_FLOW_STEPS} steps, got {T}")
    if model.w_out is not None:
        if targets is None:
            targets = forward(model, x[:, None]).logits[:, 0].argmax(-1)
        targets = np.asarray(targets).reshape(-1)
        if targets.size != T:
            raise ValueError(f"targets must have one entry per step ({T}), got {targets.size}")
    norms = np.full((T, T), np.nan)
    for first in range(0, T, _FLOW_BLOCK):
        losses = np.arange(first, min(T, first + _FLOW_BLOCK))  # loss L_t for copy b: t = losses[b]
        copies = np.repeat(x[:, None], losses.size, axis=1)
        trace = forward(model, copies)
        picked = np.arange(losses.size)
        if model.w_out is not None:
            _, d_rows = softmax_cross_entropy(trace.logits[losses, picked], targets[losses])
            d_logits = np.zeros_like(trace.logits)
            d_logits[losses, picked] = d_rows * losses.size  # undo the mean: each L_t on its own
            grads = backward(model, trace, d_logits=d_logits, keep_state_grads=True)
        else:
            d_output = np.zeros_like(trace.output)
            d_output[losses, picked] = 1.0
            grads = backward(model, trace, d_output=d_output, keep_state_grads=True)
        norms[losses] = np.linalg.norm(grads.states[layer][0], axis=-1).T
    norms[np.triu_indices(T, 1)] = np.nan
    return norms


def decay_curve(norms: np.ndarray, *, relative: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``G[t, t - d]`` over t for each distance d = 0..T-1.

    ``relative=True`` divides each row by its diagonal ``G[t, t]`` first, so curves of
    different cells start at 1 and show only the decay.
    """
    g = np.asarray(norms, np.float64)
    T = g.shape[0]
    if relative:
        diag = np.diag(g)[:, None]
        g = np.divide(g, diag, out=np.full_like(g, np.nan), where=diag > 0)
    means = np.array([np.nanmean(np.diagonal(g, -d)) if np.isfinite(np.diagonal(g, -d)).any() else np.nan
                      for d in range(T)])
    return np.arange(T), means


# What sets the pace of the decay: the recurrent weights and, in gated cells, the gate on the
# direct path from one state to the next (LSTM: c_t = f * c_{t-1} + ...; GRU: h_t = z * h_{t-1} + ...).
CARRY_GATES = {"lstm": "f", "gru": "z"}


def recurrent_radius(w_hh: np.ndarray) -> np.ndarray:
    """Spectral radius (largest |eigenvalue|) of each square gate block of ``W_hh (G*H, H)``:
    G values, in the cell's gate order (one for a vanilla RNN)."""
    w = np.asarray(w_hh, np.float64)
    H = w.shape[1]
    return np.array([np.abs(np.linalg.eigvals(w[k * H:(k + 1) * H])).max() for k in range(w.shape[0] // H)])


def recurrent_norm(w_hh: np.ndarray) -> float:
    """Largest singular value (spectral norm) of ``W_hh`` (all gate blocks stacked). For a
    one-layer vanilla RNN it bounds the decay: each step back multiplies dL/dh by
    W_hh^T diag(act'), and |act'| <= 1 for tanh and ReLU, so when it is < 1 the gradient shrinks
    at least that much per step."""
    return float(np.linalg.norm(np.asarray(w_hh, np.float64), 2))


@dataclass
class GatePath:
    gate: str  # "f" (LSTM) or "z" (GRU)
    mean: float  # mean gate value over steps and units
    product: float  # mean over t >= d and units of the gate's product over the d steps t-d+1..t
    distance: int


def gate_path(model: RNNModel, inputs: np.ndarray, distance: int, *, layer: int = 0) -> GatePath | None:
    """How much the gated direct path keeps over ``distance`` steps, measured on ``inputs``
    (``(T,)`` ids or ``(T, I)`` vectors) in layer ``layer``, forward direction.

    Along that path alone, d c_t / d c_{t-d} (LSTM) or d h_t / d h_{t-d} (GRU) is the product of
    the carry gate over the d steps; ``product`` is its mean. None for a vanilla RNN, or when
    the sequence is not longer than ``distance``.
    """
    name = CARRY_GATES.get(model.cell)
    x = np.asarray(inputs)
    T = x.shape[0]
    if name is None or not 1 <= distance < T:
        return None
    g = forward(model, x[:, None]).layers[layer][0].gate(name)[:, 0]  # (T, H)
    windows = np.lib.stride_tricks.sliding_window_view(g, distance, axis=0)  # (T-d+1, H, d)
    # the products ending at t = d..T-1 (a window starting at t-d+1); t = d-1 has no state t-d
    product = windows[1:].prod(-1)
    return GatePath(name, float(g.mean()), float(product.mean()), distance)


# --- "what changed": two inputs differing at one step ----------------------------------------

@dataclass
class WhatChanged:
    delta: np.ndarray  # (T, H) |h_a - h_b| of the chosen layer
    step: int  # first step where the inputs differ
    spans: np.ndarray  # (H,) steps until the difference falls below eps for good
    censored: np.ndarray  # (H,) True when still >= eps at the last step (span is a lower bound)
    eps: float


def memory_span(delta: np.ndarray, start: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, how many steps from ``start`` on the difference stays >= eps.

    ``span = last t with delta[t] >= eps, minus start, plus 1`` (0 if it never reaches eps):
    the number of steps until it falls below eps and stays below. ``censored``: still >= eps
    at the last step.
    """
    d = np.asarray(delta)[start:]
    above = d >= eps
    any_above = above.any(0)
    last = d.shape[0] - 1 - np.argmax(above[::-1], axis=0)
    spans = np.where(any_above, last + 1, 0)
    return spans.astype(np.int64), above[-1].copy() if d.shape[0] else np.zeros(d.shape[1], bool)


def perturb(ids: np.ndarray, step: int, new_id: int) -> np.ndarray:
    """A copy of token ids with position ``step`` replaced by ``new_id``."""
    out = np.array(ids, copy=True)
    if not 0 <= step < out.shape[0]:
        raise ValueError(f"step must be in [0, {out.shape[0] - 1}]")
    out[step] = new_id
    return out


def what_changed(
    model: RNNModel, inputs_a: np.ndarray, inputs_b: np.ndarray, *, eps: float = 1e-3, layer: int = 0
) -> WhatChanged:
    """Run both sequences (``(T,)`` ids or ``(T, I)`` vectors) and compare layer ``layer``'s h_t."""
    _check_unidirectional(model)
    a, b = np.asarray(inputs_a), np.asarray(inputs_b)
    if a.shape != b.shape:
        raise ValueError(f"both inputs must have the same shape, got {a.shape} and {b.shape}")
    differs = (a != b).reshape(a.shape[0], -1).any(1)
    if not differs.any():
        raise ValueError("the two inputs are identical; change one step")
    step = int(np.argmax(differs))
    both = forward(model, np.stack([a, b], axis=1))
    h = both.layers[layer][0].h
    delta = np.abs(h[:, 0] - h[:, 1])
    spans, censored = memory_span(delta, step, eps)
    return WhatChanged(delta, step, spans, censored, eps)
