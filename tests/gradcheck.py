"""Finite-difference helpers shared by the gradient tests (an independent check of BPTT)."""
from __future__ import annotations

import numpy as np


def relative_error(a, b) -> float:
    return np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-12)


def central_difference(loss, array, eps=1e-6):
    """d loss / d array, perturbing ``array`` in place one entry at a time."""
    grad = np.zeros_like(array)
    for idx in np.ndindex(array.shape):
        old = array[idx]
        array[idx] = old + eps
        plus = loss()
        array[idx] = old - eps
        minus = loss()
        array[idx] = old
        grad[idx] = (plus - minus) / (2 * eps)
    return grad
