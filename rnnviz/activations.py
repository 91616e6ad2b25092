"""Numerically stable activations shared by the cells, the output layer and training.

NumPy's tanh is slow here (float64 ~15-19 ns/element, float32 ~4); exp is about twice as
fast, so the cells' time loops compute sigmoid and (in float64, on large blocks) tanh through
exp. exp(-x) overflows to inf for x < ~-709 (float64) / -88 (float32); 1/(1 + inf) = 0 is
then the exact limit, so those loops run under ``np.errstate(**QUIET_EXP)``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

QUIET_EXP = {"over": "ignore", "under": "ignore"}  # exp(-x) -> inf / 0 are the exact limits here
Activation = Callable[[np.ndarray, np.ndarray], np.ndarray]  # f(x, out) -> out


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, shifted by the max so exp never overflows."""
    shifted = logits - logits.max(axis=axis, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=axis, keepdims=True)
    return shifted


def tanh_for(block: np.ndarray) -> Activation:
    """The tanh to use on per-step blocks like ``block``: in float64 on >= 1024 elements
    2 / (1 + exp(-2x)) - 1, since NumPy's float64 tanh is ~2.5x slower than its exp here, which
    pays for the extra calls; np.tanh otherwise (float32 tanh is fast enough, and on small
    blocks the per-call overhead dominates). Both are called as f(x, out)."""
    return tanh_via_exp if block.dtype == np.float64 and block.size >= 1024 else np.tanh


def tanh_via_exp(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """tanh(x) = 2 / (1 + exp(-2x)) - 1, within ~4e-16 of np.tanh. Call under QUIET_EXP."""
    np.multiply(x, -2.0, out)
    np.exp(out, out)
    np.add(out, 1.0, out)
    np.divide(2.0, out, out)
    np.add(out, -1.0, out)
    return out


def relu(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0, out=out)  # (positional out is deprecated for np.maximum)
