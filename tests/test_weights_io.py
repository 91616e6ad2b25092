"""Uploaded parameter files: good ones load, every malformed one gets a WeightsError that says why."""
from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

from rnnviz.network import forward, init_model
from rnnviz.weights_io import WeightsError, infer_architecture, load_model_npz, read_npz, save_npz


def npz_bytes(arrays: dict, compressed: bool = False) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def valid_arrays(cell="lstm", layers=2, bidirectional=True, seed=0):
    from rnnviz.compat import to_torch_state_dict

    return to_torch_state_dict(init_model(cell, 4, 6, 3, num_layers=layers, bidirectional=bidirectional, seed=seed))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True), (3, False)])
def test_round_trip_infers_architecture(cell, layers, bidirectional):
    model = init_model(cell, 5, 7, 4, num_layers=layers, bidirectional=bidirectional, seed=1)
    loaded = load_model_npz(save_npz(model))
    assert (loaded.cell, loaded.num_layers, loaded.bidirectional) == (cell, layers, bidirectional)
    x = np.random.default_rng(0).integers(0, 5, size=(6, 2))
    np.testing.assert_array_equal(forward(loaded, x).probs, forward(model, x).probs)


def test_torch_saved_state_dict_loads():
    torch = pytest.importorskip("torch")
    gru = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True)
    data = npz_bytes({k: v.numpy() for k, v in gru.state_dict().items()})
    model = load_model_npz(data)
    assert (model.cell, model.num_layers, model.bidirectional, model.hidden_size) == ("gru", 2, True, 4)


# --- malformed files: generated, each must raise WeightsError (never another exception) ------

def malformed_cases():
    good = npz_bytes(valid_arrays())
    cases = [("empty", b"", "empty")]
    rng = np.random.default_rng(123)
    for i in range(15):
        cases.append((f"random-bytes-{i}", rng.bytes(int(rng.integers(1, 4000))), None))
    for i, cut in enumerate(np.linspace(10, len(good) - 1, 25).astype(int)):
        cases.append((f"truncated-{cut}", good[:cut], None))
    for proto in range(0, pickle.HIGHEST_PROTOCOL + 1):
        cases.append((f"pickle-protocol-{proto}", pickle.dumps(valid_arrays(), protocol=proto), None))
    obj = {"weight_hh_l0": np.array([{"a": 1}], dtype=object)}
    cases.append(("object-array", npz_bytes(obj), "weight_hh_l0"))
    buf = io.BytesIO()
    np.save(buf, np.zeros((4, 4)))
    cases.append(("plain-npy", buf.getvalue(), ".npy"))
    # zip bomb: a huge run of zeros compresses ~1000:1
    cases.append(("zip-bomb", npz_bytes({"weight_hh_l0": np.zeros((4000, 1000))}, compressed=True), "zip bomb"))
    many = {f"weight_hh_l{i}": np.zeros((2, 2)) for i in range(80)}
    cases.append(("too-many-members", npz_bytes(many), "at most"))
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("evil.py", "import os")
    cases.append(("non-npy-member", zbuf.getvalue(), "evil.py"))
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("../weight_hh_l0.npy", good[:100])
    cases.append(("path-traversal", zbuf.getvalue(), "weight_hh_l0"))
    base = valid_arrays()
    for key in base:
        missing = {k: v for k, v in base.items() if k != key}
        cases.append((f"missing-{key}", npz_bytes(missing), None))
        for label, bad in [
            ("transposed", base[key].T if base[key].ndim == 2 else base[key][:, None]),
            ("one-row-short", base[key][:-1]),
            ("scalar", np.float64(1.0)),
            ("3d", base[key][None]),
        ]:
            if bad.shape == base[key].shape:
                continue
            if key == "weight_ih_l0" and label == "one-row-short":
                pass
            cases.append((f"shape-{label}-{key}", npz_bytes({**base, key: bad}), key))
        for value in (np.nan, np.inf, -np.inf):
            bad = base[key].copy()
            bad.flat[0] = value
            cases.append((f"nonfinite-{value}-{key}", npz_bytes({**base, key: bad}), key))
        for dtype in (np.complex128, np.bool_, "U3"):
            cases.append((f"dtype-{np.dtype(dtype)}-{key}", npz_bytes({**base, key: base[key].astype(dtype)}), key))
    cases.append(("unknown-key", npz_bytes({**base, "decoder.weight": np.zeros(3)}), "decoder.weight"))
    cases.append(("gap-in-layers", npz_bytes({k: v for k, v in valid_arrays("rnn", 3, False).items() if "_l1" not in k}), "layer 1"))
    cases.append(("bad-gate-count", npz_bytes({"weight_hh_l0": np.zeros((12, 6)), "weight_ih_l0": np.zeros((12, 3)),
                                               "bias_ih_l0": np.zeros(12), "bias_hh_l0": np.zeros(12)}), "weight_hh_l0"))
    return cases


CASES = malformed_cases()


def test_at_least_100_malformed_files():
    assert len(CASES) >= 100


@pytest.mark.parametrize("name,data,must_mention", CASES, ids=[c[0] for c in CASES])
def test_malformed_file_gets_a_clear_error(name, data, must_mention):
    with pytest.raises(WeightsError) as err:
        load_model_npz(data)
    message = str(err.value)
    assert message and "Traceback" not in message
    if must_mention:
        assert must_mention in message


def test_size_cap():
    with pytest.raises(WeightsError, match="limit"):
        read_npz(npz_bytes(valid_arrays()), max_bytes=100)


@pytest.mark.parametrize("seed", range(40))
def test_random_byte_flips_never_escape_as_other_exceptions(seed):
    """Corrupting a valid file either still loads (finite numbers) or raises WeightsError."""
    good = bytearray(npz_bytes(valid_arrays()))
    rng = np.random.default_rng(seed)
    for pos in rng.integers(0, len(good), size=int(rng.integers(1, 8))):
        good[pos] ^= int(rng.integers(1, 256))
    try:
        model = load_model_npz(bytes(good))
    except WeightsError:
        return
    assert all(np.all(np.isfinite(p.w_hh)) for layer in model.layers for p in layer)


def test_limits_on_hidden_size_and_layers():
    with pytest.raises(WeightsError, match="hidden size"):
        load_model_npz(save_npz(init_model("rnn", 2, 40, None, seed=0)), max_hidden=32)
    with pytest.raises(WeightsError, match="layers"):
        load_model_npz(save_npz(init_model("rnn", 2, 4, None, num_layers=3, seed=0)), max_layers=2)


def test_infer_architecture_names_cell_from_gate_rows():
    assert infer_architecture(valid_arrays("gru", 1, False))["cell"] == "gru"
    assert infer_architecture(valid_arrays("rnn", 2, True)) == {"cell": "rnn", "num_layers": 2, "bidirectional": True}
