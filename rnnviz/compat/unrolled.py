"""Formulation (d): the TensorFlow-1.x "manually unrolled" RNN, row-major (batch in rows).

    Y0 = tanh(X0 @ Wx + b)
    Y1 = tanh(Y0 @ Wy + X1 @ Wx + b)      ... one Y_t (m, n_neurons) per X_t (m, n_inputs)

``Wx (n_inputs, n_neurons)``, ``Wy (n_neurons, n_neurons)``, ``b (1, n_neurons)``. The weights
act from the right, so they are the transposes of PyTorch's: rnnviz's core runs it with
``W_ih = Wx.T``, ``W_hh = Wy.T``, ``b_ih = b[0]``, ``b_hh = 0`` and ``h0 = 0`` (which makes
step 0 exactly ``tanh(X0 Wx + b)``).
"""
from __future__ import annotations

import numpy as np

from ..cells import CellParams
from ..network import RNNModel, forward
from ._shapes import Dims, as_numeric, float_dtype


def unrolled_forward(x_steps, Wx, Wy, b) -> list[np.ndarray]:
    """``[Y_0, ..., Y_{T-1}]``, each ``(m, n_neurons)``, for ``x_steps = [X_0, ..., X_{T-1}]``
    (a list of ``(m, n_inputs)`` arrays, or one ``(T, m, n_inputs)`` array).

    Integer inputs (like the classic ``np.array([[0, 1, 2], ...])`` mini-batches) are values,
    not token ids. The result is float32 when every argument is float32, else float64.
    """
    dims = Dims()
    if isinstance(x_steps, (list, tuple)):
        if len(x_steps) == 0:
            raise ValueError("x_steps must hold at least one time step X_t (m, n_inputs)")
        steps = [dims.check(f"x_steps[{t}]", x, ("m", "n_inputs")) for t, x in enumerate(x_steps)]
    else:
        steps = list(dims.check("x_steps", x_steps, ("T", "m", "n_inputs")))
    Wx = dims.check("Wx", Wx, ("n_inputs", "n_neurons"))
    Wy = dims.check("Wy", Wy, ("n_neurons", "n_neurons"))
    b = as_numeric("b", b)
    b = dims.check("b", b[None] if b.ndim == 1 else b, ("1", "n_neurons"))  # (n_neurons,) broadcasts alike
    dtype = float_dtype(Wx, Wy, b, *steps)
    cell = CellParams(w_ih=Wx.T, w_hh=Wy.T, b_ih=b[0], b_hh=np.zeros(Wy.shape[0]))
    model = RNNModel("rnn", [[cell]]).astype(dtype)
    trace = forward(model, np.stack(steps).astype(dtype))  # cast first: ints would be read as token ids
    return list(trace.output)
