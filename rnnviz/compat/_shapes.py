"""Input checking shared by the formulation adapters: named dimensions, clear messages.

A :class:`Dims` binds each dimension name (``n_a``, ``m``, ...) to the size of the first
array that has it, so a later mismatch says which argument set the size:

    Waa must have shape (n_a, n_a) = (5, 5), got (5, 4) (n_a = 5 from a_prev)
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The floating dtype the computation runs in: float64 unless every array is float32 or narrower."""
    return np.result_type(*(a.dtype for a in arrays), np.float32)


def from_tensor(name: str, value):
    """A torch tensor as a NumPy array (duck-typed: torch is never imported); anything else as is.

    A tensor that requires grad is refused: rnnviz is NumPy-only and builds no autograd graph,
    so silently detaching it would hide that no gradient will ever flow back through rnnviz.
    """
    if not hasattr(value, "detach"):
        return value
    if getattr(value, "requires_grad", False):
        raise ValueError(
            f"{name} is a torch tensor with requires_grad=True; rnnviz is NumPy-only (it computes no "
            f"autograd graph): pass {name}.detach() instead"
        )
    return value.detach().cpu().numpy()


def as_numeric(name: str, value) -> np.ndarray:
    """``value`` as a real-valued array, or a ValueError naming the argument."""
    value = from_tensor(name, value)
    try:
        arr = np.asarray(value)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers: {err}") from None
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr


class Dims:
    """Named dimension sizes, bound by the first array that shows them."""

    def __init__(self, **known: int) -> None:
        self.sizes: dict[str, int] = dict(known)
        self.source: dict[str, str] = {k: "the model" for k in known}

    def bind(self, label: str, size: int, source: str) -> None:
        self.sizes.setdefault(label, size)
        self.source.setdefault(label, source)

    def check(self, name: str, value, dims: tuple[str, ...]) -> np.ndarray:
        """``value`` as an array of shape ``dims``; unknown dimension names are bound from it."""
        arr = as_numeric(name, value)
        expected = "(" + ", ".join(dims) + (",)" if len(dims) == 1 else ")")
        if arr.ndim != len(dims):
            raise ValueError(f"{name} must have shape {expected} ({len(dims)} dims), got {arr.shape}")
        for label, size in zip(dims, arr.shape):
            want = int(label) if label.isdigit() else self.sizes.get(label, size)
            if want != size:
                resolved = tuple(int(d) if d.isdigit() else self.sizes.get(d, s) for d, s in zip(dims, arr.shape))
                origin = "" if label.isdigit() else f" ({label} = {want} from {self.source[label]})"
                raise ValueError(f"{name} must have shape {expected} = {resolved}, got {arr.shape}{origin}")
            if not label.isdigit():
                self.bind(label, size, name)
        if 0 in arr.shape:
            raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
        return arr


def parameter(parameters: Mapping, key: str, dims: Dims, shape: tuple[str, ...]) -> np.ndarray:
    """``parameters[key]`` checked against ``shape``; a missing key names what was expected."""
    if key not in parameters:
        expected = "(" + ", ".join(shape) + ")"
        raise ValueError(f"parameters is missing {key!r} (an array of shape {expected})")
    return dims.check(f"parameters[{key!r}]", parameters[key], shape)


def check_mapping(parameters) -> None:
    if not isinstance(parameters, Mapping):
        raise ValueError(f"parameters must be a dict of arrays, got {type(parameters).__name__}")
