"""Reading and writing parameter files (.npz in PyTorch naming), safely.

An uploaded file is untrusted: it may be truncated, corrupt, a pickle in disguise or a zip
bomb. It is checked as a zip archive *before* anything is decompressed (member count, names,
declared sizes, compression ratio), then read with ``allow_pickle=False`` only, and every
problem becomes a :class:`WeightsError` whose message names the key and what was expected.
"""
from __future__ import annotations

import io
import zipfile

import numpy as np

from . import cells
from .naming import OUT_BIAS, OUT_WEIGHT, model_from_state_dict, parse_key, state_dict
from .network import RNNModel

MAX_FILE_BYTES = 32 * 1024 * 1024  # the upload itself
MAX_UNPACKED_BYTES = 128 * 1024 * 1024  # all arrays once decompressed
MAX_MEMBERS = 64
MAX_RATIO = 200  # decompressed / compressed size of one member; float arrays compress far less


class WeightsError(ValueError):
    """A parameter file that cannot be used, with a message meant for the person who uploaded it."""


def save_npz(model: RNNModel) -> bytes:
    """The model's parameters as .npz bytes in PyTorch naming."""
    buf = io.BytesIO()
    np.savez(buf, **state_dict(model))
    return buf.getvalue()


def read_npz(data: bytes, *, max_bytes: int = MAX_FILE_BYTES) -> dict[str, np.ndarray]:
    """Arrays of an .npz archive, after checking it cannot exhaust memory or run code."""
    if len(data) == 0:
        raise WeightsError("the file is empty")
    if len(data) > max_bytes:
        raise WeightsError(f"the file is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB")
    if data[:2] == b"\x80\x03" or data[:1] == b"\x80":
        raise WeightsError("the file is a Python pickle; only .npz archives of plain arrays are accepted")
    if data.startswith(b"\x93NUMPY"):
        raise WeightsError("this is a single .npy array; upload an .npz archive of named arrays (numpy.savez)")
    if not data.startswith(b"PK"):
        raise WeightsError("not an .npz archive (a zip of .npy arrays, as numpy.savez writes)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise WeightsError(f"the archive is corrupt or truncated ({exc})") from None
    if len(members) > MAX_MEMBERS:
        raise WeightsError(f"the archive holds {len(members)} files; at most {MAX_MEMBERS} are allowed")
    total = 0
    for m in members:
        if not m.filename.endswith(".npy") or "/" in m.filename:
            raise WeightsError(f"unexpected file {m.filename!r} in the archive; only <key>.npy arrays are allowed")
        total += m.file_size
        if m.compress_size and m.file_size / m.compress_size > MAX_RATIO:
            raise WeightsError(f"{m.filename!r} is compressed {m.file_size // m.compress_size}:1, like a zip bomb")
    if total > MAX_UNPACKED_BYTES:
        raise WeightsError(
            f"the arrays unpack to {total / 2**20:.0f} MB; the limit is {MAX_UNPACKED_BYTES / 2**20:.0f} MB"
        )
    arrays: dict[str, np.ndarray] = {}
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            for key in npz.files:
                arrays[key] = _read_member(npz, key)
    except WeightsError:
        raise
    except Exception as exc:  # numpy raises many kinds on corrupt data; all mean the same to a user
        raise WeightsError(f"the archive could not be read ({type(exc).__name__}: {exc})") from None
    return arrays


def _read_member(npz, key: str) -> np.ndarray:
    try:
        arr = npz[key]
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise WeightsError(f"{key!r} holds Python objects (pickled); only numeric arrays are accepted") from None
        raise WeightsError(f"{key!r} could not be read ({exc})") from None
    except Exception as exc:
        raise WeightsError(f"{key!r} is corrupt or truncated ({type(exc).__name__}: {exc})") from None
    if arr.dtype.kind not in "fiu":
        raise WeightsError(f"{key!r} has dtype {arr.dtype}; expected floating-point numbers")
    return arr


def infer_architecture(arrays: dict[str, np.ndarray]) -> dict:
    """cell, num_layers and bidirectional as PyTorch's key names and shapes imply them."""
    layers, reverse, unknown = set(), False, []
    for key in arrays:
        parsed = parse_key(key)
        if parsed:
            layers.add(parsed[1])
            reverse |= bool(parsed[2])
        elif key not in (OUT_WEIGHT, OUT_BIAS):
            unknown.append(key)
    if unknown:
        raise WeightsError(
            f"unknown key {unknown[0]!r}; expected weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 "
            "(more layers: _l1, _l2; bidirectional: _reverse) and optionally out.weight, out.bias"
        )
    if "weight_hh_l0" not in arrays:
        raise WeightsError("missing key 'weight_hh_l0' (shape (G*H, H): G = 1 RNN, 3 GRU, 4 LSTM)")
    num_layers = max(layers) + 1
    if layers != set(range(num_layers)):
        missing = min(set(range(num_layers)) - layers)
        raise WeightsError(f"missing keys for layer {missing} ('weight_ih_l{missing}', ...)")
    w_hh = np.asarray(arrays["weight_hh_l0"])
    if w_hh.ndim != 2 or w_hh.shape[1] == 0 or w_hh.shape[0] % w_hh.shape[1]:
        raise WeightsError(f"'weight_hh_l0' must have shape (G*H, H) with G in 1, 3, 4; got {w_hh.shape}")
    gates = w_hh.shape[0] // w_hh.shape[1]
    cell = cells.by_gate_count(gates)
    if cell is None:
        expected = ", ".join(f"{c.num_gates}*H ({c.title})" for c in cells.REGISTRY.values())
        raise WeightsError(f"'weight_hh_l0' has {gates}*H rows; expected {expected}")
    return {"cell": cell.name, "num_layers": num_layers, "bidirectional": reverse}


def load_model_npz(
    data: bytes,
    *,
    nonlinearity: str = "tanh",
    max_bytes: int = MAX_FILE_BYTES,
    max_hidden: int = 1024,
    max_layers: int = 3,
) -> RNNModel:
    """An uploaded .npz of PyTorch-named parameters as a model, or a WeightsError saying why not."""
    arrays = read_npz(data, max_bytes=max_bytes)
    arch = infer_architecture(arrays)
    hidden = np.asarray(arrays["weight_hh_l0"]).shape[1]
    if hidden > max_hidden:
        raise WeightsError(f"hidden size {hidden} is larger than the {max_hidden} this app draws")
    if arch["num_layers"] > max_layers:
        raise WeightsError(f"{arch['num_layers']} layers; this app shows at most {max_layers}")
    floats = {k: np.asarray(v, dtype=np.float64) if v.dtype.kind in "iu" else v for k, v in arrays.items()}
    try:
        model = model_from_state_dict(floats, nonlinearity=nonlinearity, **arch)
    except ValueError as exc:
        raise WeightsError(str(exc)) from None
    if model.dtype not in (np.float32, np.float64):
        model = model.astype(np.float64)
    return model
