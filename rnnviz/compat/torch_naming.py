"""Formulation (c): PyTorch's parameter names and return values.

``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (+ ``_reverse`` for
the second direction), exactly as ``torch.nn.RNN/LSTM/GRU.state_dict()`` names them; the
``nn.RNNCell/LSTMCell/GRUCell`` names ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``
(one layer, one direction) are read too. The output layer, when the model has one, is stored
as ``out.weight`` / ``out.bias`` (an ``nn.Linear`` named ``out``, next to the recurrent module).

Values may be NumPy arrays or torch tensors: tensors are recognised by duck typing, so this
module never imports torch (only ``to_torch_state_dict(..., tensors=True)`` does, when asked).

Bidirectional (formulation e) follows PyTorch: the reverse direction reads the sequence
backwards, but its outputs are re-aligned to the original time index before the forward and
reverse halves are concatenated (``output[t] = [h_fwd[t], h_rev[t]]``), and ``h_n`` stacks
``[forward, reverse]`` per layer. A common hand-written version forgets to re-reverse the
backward outputs; rnnviz does not.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from .. import cells
from ..naming import OUT_BIAS, OUT_WEIGHT, PARTS, model_from_state_dict, state_dict, suffix
from ..network import RNNModel, forward
from ._shapes import Dims, as_numeric

__all__ = ["OUT_BIAS", "OUT_WEIGHT", "from_torch_state_dict", "to_torch_state_dict", "torch_forward"]

OUTPUT_PREFIX = OUT_WEIGHT[: -len("weight")]  # "out."
# any recurrent parameter name PyTorch writes: layered (nn.RNN ...) or cell (nn.RNNCell ...)
_RECURRENT_KEY = re.compile(r"^(weight|bias)_(ih|hh)(?:_l(\d+))?(_reverse)?$")


def to_torch_state_dict(
    model: RNNModel,
    *,
    tensors: bool = False,
    prefix: str = "",
    output_prefix: str = OUTPUT_PREFIX,
) -> dict:
    """The model's parameters under PyTorch's names (copies, so callers may keep them).

    ``tensors=True`` gives torch tensors (same dtype as the model, so load it into a
    ``.double()`` module for float64 models), ready for ``load_state_dict``; it imports torch
    only then. ``prefix`` goes before the recurrent names (``"rnn."`` for a module whose
    ``nn.RNN`` is the attribute ``rnn``); the output layer, if any, is ``output_prefix +
    "weight"`` / ``"bias"``. ``model`` may also be a :class:`~rnnviz.compat.MinimalRNN`.
    """
    if not isinstance(model, RNNModel) and callable(getattr(model, "model", None)):
        model = model.model()  # MinimalRNN and friends: their core model
    if not isinstance(model, RNNModel):
        raise ValueError(f"model must be an rnnviz RNNModel (e.g. from from_torch_state_dict), got {type(model).__name__}")
    convert = _torch_from_numpy() if tensors else (lambda a: a)
    outputs = {OUT_WEIGHT: output_prefix + "weight", OUT_BIAS: output_prefix + "bias"}
    return {outputs.get(key, prefix + key): convert(array) for key, array in state_dict(model).items()}


def _torch_from_numpy():
    try:
        import torch
    except ImportError:
        raise ImportError(
            "to_torch_state_dict(model, tensors=True) needs PyTorch, which is not installed (rnnviz "
            "itself is NumPy-only). Install torch, or call to_torch_state_dict(model) for NumPy "
            "arrays and convert them with torch.from_numpy where torch is available."
        ) from None
    return torch.from_numpy


def from_torch_state_dict(
    state_dict,
    cell: str,
    *,
    num_layers: int = 1,
    bidirectional: bool = False,
    nonlinearity: str = "tanh",
    prefix: str = "",
    output_prefix: str | None = OUTPUT_PREFIX,
) -> RNNModel:
    """Build a model from PyTorch-named parameters (NumPy arrays or torch tensors).

    ``state_dict``: what ``nn.RNN/LSTM/GRU.state_dict()`` or ``nn.RNNCell/LSTMCell/GRUCell.state_dict()``
    returns (or the module itself). ``cell``: ``"rnn"``, ``"lstm"`` or ``"gru"`` (any case).
    ``prefix``: read the recurrent keys ``prefix + name`` from a larger module's state dict,
    e.g. ``"rnn."``; other keys are ignored. ``output_prefix``: where the output layer is
    (``"out."`` reads ``out.weight`` / ``out.bias`` when present), ``None`` to ignore one.

    Raises ``ValueError`` naming the key, the expected shape and what was given when anything
    is missing, misshapen, or implies other ``num_layers`` / ``bidirectional`` / ``cell``.
    """
    cell = _cell_name(cell)
    G = cells.check(cell, nonlinearity).num_gates
    if isinstance(num_layers, bool) or not isinstance(num_layers, (int, np.integer)) or num_layers < 1:
        raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
    if not isinstance(bidirectional, (bool, np.bool_)):
        raise ValueError(f"bidirectional must be True or False, got {bidirectional!r}")
    state_dict = _mapping(state_dict)
    own = {k[len(prefix):]: v for k, v in state_dict.items() if isinstance(k, str) and k.startswith(prefix)}
    if prefix and not own:
        raise ValueError(f"no key of state_dict starts with prefix={prefix!r}; its keys: {_some_keys(state_dict)}")
    projected = sorted(k for k in own if isinstance(k, str) and k.startswith("weight_hr_l"))
    if projected:  # nn.LSTM(proj_size=...) projects h; rnnviz's cells have no projection
        raise ValueError(f"state_dict has {prefix + projected[0]!r}: nn.LSTM with proj_size > 0 is not supported")
    D = 2 if bidirectional else 1
    cell_layout = "weight_hh" in own and "weight_hh_l0" not in own  # nn.RNNCell / LSTMCell / GRUCell
    if cell_layout and (num_layers != 1 or bidirectional):
        raise ValueError(
            f"{prefix + 'weight_hh'!r} (no _l0) is an nn.{cell.upper()}Cell's state dict: one layer, one "
            f"direction; got num_layers={num_layers}, bidirectional={bidirectional}"
        )
    expected_keys = {
        torch_name + ("" if cell_layout else suffix(l, d))
        for l in range(num_layers)
        for d in range(D)
        for torch_name in PARTS
    }
    _check_unexpected(own, expected_keys, prefix, num_layers, bidirectional)

    # Checked here key by key, for messages that name the student's own keys; then handed to the
    # engine's reader under its canonical names (nn.RNN's, no prefix).
    canonical: dict[str, np.ndarray] = {}
    H = I = None
    for l in range(num_layers):
        for d in range(D):
            tail = "" if cell_layout else suffix(l, d)
            keys = {name: prefix + name + tail for name in PARTS}
            if H is None:  # weight_hh fixes H (and shows which cell the dict really is)
                w_hh = _get(own, "weight_hh" + tail, keys["weight_hh"], f"({G}*H, H) for cell={cell!r}", state_dict)
                if w_hh.ndim != 2 or w_hh.shape[0] != G * w_hh.shape[1]:
                    raise ValueError(
                        f"{keys['weight_hh']!r} must have shape ({G}*H, H) for cell={cell!r}, got {w_hh.shape}"
                        + _cell_hint(w_hh.shape, cell)
                    )
                H = w_hh.shape[1]
            if I is None:
                w_ih = _get(own, "weight_ih" + tail, keys["weight_ih"], f"({G}*H, I) = ({G * H}, I)", state_dict)
                if w_ih.ndim != 2:
                    raise ValueError(f"{keys['weight_ih']!r} must have shape ({G}*H, I) = ({G * H}, I), got {w_ih.shape}")
                I = w_ih.shape[1]
            in_size = I if l == 0 else D * H
            in_name = "I" if l == 0 else "D*H"
            shapes = {
                "weight_ih": (f"({G}*H, {in_name})", (G * H, in_size)),
                "weight_hh": (f"({G}*H, H)", (G * H, H)),
                "bias_ih": (f"({G}*H,)", (G * H,)),
                "bias_hh": (f"({G}*H,)", (G * H,)),
            }
            for name in PARTS:
                symbolic, shape = shapes[name]
                arr = _get(own, name + tail, keys[name], f"{symbolic} = {shape}", state_dict)
                if arr.shape != shape:
                    raise ValueError(
                        f"{keys[name]!r} must have shape {symbolic} = {shape} (H = {H}"
                        + (f", I = {I}" if l == 0 else "") + f"), got {arr.shape}"
                    )
                canonical[name + suffix(l, d)] = arr
    output_keys = None if output_prefix is None else (output_prefix + "weight", output_prefix + "bias")
    for key in output_keys or ():
        if key in state_dict:
            canonical[key] = _as_array(state_dict[key], key)
    return model_from_state_dict(canonical, cell=cell, num_layers=num_layers, bidirectional=bidirectional,
                                 nonlinearity=nonlinearity, output_keys=output_keys)


def _cell_name(cell) -> str:
    if not isinstance(cell, str):
        raise ValueError(f"cell must be one of {cells.CELLS}, got {cell!r}")
    return cell.lower()


def _mapping(state_dict) -> Mapping:
    """The state dict; a module (anything with ``.state_dict()``) is asked for its own."""
    if not isinstance(state_dict, Mapping) and callable(getattr(state_dict, "state_dict", None)):
        state_dict = state_dict.state_dict()
    if not isinstance(state_dict, Mapping):
        raise ValueError(
            f"state_dict must be a dict of arrays or tensors (e.g. module.state_dict()), got {type(state_dict).__name__}"
        )
    return state_dict


def _some_keys(state_dict: Mapping, n: int = 8) -> str:
    keys = list(state_dict)
    return ", ".join(repr(k) for k in keys[:n]) + (f", ... ({len(keys)} keys)" if len(keys) > n else "")


def _check_unexpected(own: Mapping, expected: set[str], prefix: str, num_layers: int, bidirectional: bool) -> None:
    """A recurrent-looking key the arguments do not account for means they describe another model."""
    for key in own:
        match = _RECURRENT_KEY.match(key) if isinstance(key, str) else None
        if match is None or key in expected:
            continue
        layer, reverse = match.group(3), match.group(4)
        if layer is None:
            hint = "it is an nn.*Cell name (no _l0), which holds one layer: do not mix the two namings"
        elif int(layer) >= num_layers:
            hint = f"pass num_layers={int(layer) + 1} (or more)"
        elif reverse and not bidirectional:
            hint = "pass bidirectional=True"
        else:
            hint = "the other keys use nn.*Cell names (no _l0): do not mix the two namings"
        raise ValueError(f"state_dict has {prefix + key!r}, which num_layers={num_layers}, "
                         f"bidirectional={bidirectional} do not use: {hint}")


def _get(own: Mapping, name: str, full_key: str, shape: str, state_dict: Mapping) -> np.ndarray:
    """``own[name]`` as an array, or a ValueError naming the missing key and its expected shape."""
    if name not in own:
        hint = ""
        elsewhere = [k for k in state_dict if isinstance(k, str) and k.endswith("." + name) and k != full_key]
        if elsewhere:
            hint = f"; the dict has {elsewhere[0]!r}: pass prefix={elsewhere[0][: -len(name)]!r}"
        elif name.startswith("bias") and not any(k.startswith("bias") for k in own if isinstance(k, str)):
            hint = "; a module built with bias=False has none: add zero biases of that shape"
        raise ValueError(f"state_dict is missing {full_key!r} (expected shape {shape}){hint}")
    return _as_array(own[name], full_key)


def _cell_hint(shape: tuple, cell: str) -> str:
    if len(shape) == 2 and shape[1] and shape[0] % shape[1] == 0:
        found = cells.by_gate_count(shape[0] // shape[1])
        other = found.name if found else None
        if other and other != cell:
            return f" (that is {shape[0] // shape[1]}*H with H = {shape[1]}, as in nn.{other.upper()}: pass cell={other!r})"
    return ""


def _as_array(value, key: str) -> np.ndarray:
    # Weights are read, never trained through: a parameter tensor that requires grad (from
    # dict(module.named_parameters())) is detached, unlike an input (see torch_forward).
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{key!r} must be a rectangular array of numbers: {err}") from None
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(f"{key!r} must hold floating-point numbers, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{key!r} contains NaN or infinity")
    return arr


def torch_forward(
    state_dict,
    x,
    cell: str,
    *,
    num_layers: int = 1,
    bidirectional: bool = False,
    batch_first: bool = False,
    nonlinearity: str = "tanh",
    h0=None,
    prefix: str = "",
    output_prefix: str | None = OUTPUT_PREFIX,
):
    """What ``torch.nn.RNN/GRU(...)(x, h0)`` returns, ``(output, h_n)``, and for LSTM
    ``(output, (h_n, c_n))`` with ``h0`` given as a pair ``(h0, c0)``; NumPy arrays throughout.

    ``x``: ``(T, B, I)``, ``(B, T, I)`` with ``batch_first``, or unbatched ``(T, I)`` (then the
    results are unbatched too, as in PyTorch); a NumPy array or a torch tensor that does not
    require grad. An ``nn.*Cell`` state dict runs as the one-layer ``nn.RNN/LSTM/GRU`` with the
    same weights (the cell applied at every step).

    Output layer: when the state dict holds ``out.weight`` / ``out.bias`` (``output_prefix``),
    a third element follows, the per-step ``logits = output @ out.weight.T + out.bias``, laid
    out like ``output`` (``(T, B, O)``, ``(B, T, O)``, ``(T, O)``): ``(output, h_n, logits)``
    or ``(output, (h_n, c_n), logits)``. ``output_prefix=None`` ignores the output layer.
    """
    model = from_torch_state_dict(
        state_dict, cell, num_layers=num_layers, bidirectional=bidirectional, nonlinearity=nonlinearity,
        prefix=prefix, output_prefix=output_prefix,
    )
    cell = model.cell
    L, D, H = model.num_layers, model.num_directions, model.hidden_size
    dims = Dims(I=model.input_size, H=H, **{"num_layers*D": L * D})
    x = as_numeric("x", x)
    if x.ndim == 2:
        layout = ("T", "I")
    elif x.ndim == 3:
        layout = ("B", "T", "I") if batch_first else ("T", "B", "I")
    else:
        order = "(B, T, I)" if batch_first else "(T, B, I)"
        raise ValueError(f"x must have shape {order} or, unbatched, (T, I), got {x.shape}")
    x = dims.check("x", x, layout).astype(model.dtype)  # floats: integer x are values, not token ids
    unbatched = x.ndim == 2
    state_dims = ("num_layers*D", "H") if unbatched else ("num_layers*D", "B", "H")
    c0 = None
    has_cell_state = cells.get(cell).has_cell_state
    if has_cell_state and h0 is not None:
        if not isinstance(h0, (tuple, list)) or len(h0) != 2:
            raise ValueError(f"for cell='lstm' h0 must be the pair (h0, c0), as nn.LSTM takes it, got {type(h0).__name__}")
        h0, c0 = h0
        c0 = dims.check("c0", c0, state_dims)
    elif isinstance(h0, (tuple, list)):
        raise ValueError(f"for cell={cell!r} h0 is one array {state_dims}, not a pair (only nn.LSTM takes (h0, c0))")
    if h0 is not None:
        h0 = dims.check("h0", h0, state_dims)
    trace = forward(model, x, batch_first=batch_first, h0=h0, c0=c0)
    output, h_n, c_n, logits = trace.output, trace.h_n, trace.c_n, trace.logits
    if unbatched:
        output, h_n = output[:, 0], h_n[:, 0]
        c_n = None if c_n is None else c_n[:, 0]
        logits = None if logits is None else logits[:, 0]
    elif batch_first:
        output = output.swapaxes(0, 1)
        logits = None if logits is None else logits.swapaxes(0, 1)
    state = (h_n, c_n) if has_cell_state else h_n
    return (output, state) if logits is None else (output, state, logits)

