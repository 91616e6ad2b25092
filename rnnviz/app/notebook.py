"""The functional notebook's set-up, drawn exactly as it draws it.

The notebook seeds NumPy's legacy global generator (``np.random.seed(1)``) and then draws
``x (n_x, m, T_x)``, ``a0 (n_a, m)``, ``Waa``, ``Wax``, ``Wya``, ``ba``, ``by`` in that order
with ``np.random.randn``. ``RandomState(seed).randn`` gives the same numbers without touching
global state. Its cell is ``a_t = tanh(Wax x_t + Waa a_{t-1} + ba)``, ``y_t = softmax(Wya a_t + by)``,
which is rnnviz's RNN with ``weight_ih = Wax``, ``weight_hh = Waa``, ``bias_ih = ba``,
``bias_hh = 0`` and the output layer ``out = (Wya, by)``.
"""
from __future__ import annotations

import numpy as np


def notebook_draws(n_x: int, n_a: int, n_y: int, m: int, T_x: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.RandomState(seed)
    draws = {"x": rng.randn(n_x, m, T_x), "a0": rng.randn(n_a, m)}
    for name, shape in (("Waa", (n_a, n_a)), ("Wax", (n_a, n_x)), ("Wya", (n_y, n_a)), ("ba", (n_a, 1)), ("by", (n_y, 1))):
        draws[name] = rng.randn(*shape)
    return draws


def notebook_state_dict(draws: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The notebook's parameters under PyTorch's names."""
    return {
        "weight_ih_l0": draws["Wax"],
        "weight_hh_l0": draws["Waa"],
        "bias_ih_l0": draws["ba"][:, 0],
        "bias_hh_l0": np.zeros(draws["ba"].shape[0]),
        "out.weight": draws["Wya"],
        "out.bias": draws["by"][:, 0],
    }
