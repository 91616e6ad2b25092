"""The unrolled view's data (rnnviz/figures/unrolled.py): the strips are the trace's states, the
cell internals equal an independent NumPy loop (tests/unrolled_reference.py), the labels speak
the chosen notation, and big configurations stay within the stated bytes."""
from __future__ import annotations

import json

import numpy as np
import pytest

from rnnviz.figures import unrolled as U
from rnnviz.network import forward, init_model
from tests.unrolled_reference import reference_layers, reference_probs

F32 = dict(rtol=3e-6, atol=3e-7)


def model_and_trace(cell="rnn", layers=1, bidirectional=False, hidden=5, nonlinearity="tanh", T=7, vocab=6,
                    output=6, dense=0, seed=0):
    model = init_model(cell, dense or vocab, hidden, output, num_layers=layers, bidirectional=bidirectional,
                       nonlinearity=nonlinearity, init="uniform", scale=0.5, seed=seed)
    rng = np.random.default_rng(seed + 1)
    inputs = rng.standard_normal((T, dense)) if dense else rng.integers(0, vocab, T)
    return model, inputs, forward(model, inputs)


def spec_of(model, inputs, trace, **kw):
    T = len(inputs)
    O = trace.probs.shape[-1] if trace.probs is not None else 0
    return U.unrolled_spec(trace, model, step_labels=[f"s{t}" for t in range(T)],
                           output_labels=[f"o{k}" for k in range(O)] if O else None, **kw)


def inner_rows(spec) -> list[np.ndarray]:
    """The internals array cut into rows: (T, H, S) in mode "all", (T, S) in mode "unit"."""
    m, T, H = spec["inner_meta"], spec["T"], spec["H"]
    out = []
    for r, slots in enumerate(m["slots"]):
        block = spec["inner"][m["offsets"][r]:m["offsets"][r + 1]]
        out.append(block.reshape(T, H, len(slots)) if m["mode"] == "all" else block.reshape(T, len(slots)))
    return out


CASES = [("rnn", "tanh", 1, False), ("rnn", "relu", 2, True), ("lstm", "tanh", 1, False), ("lstm", "tanh", 2, True),
         ("gru", "tanh", 1, True), ("gru", "tanh", 3, False)]


@pytest.mark.parametrize("cell,nonlinearity,layers,bidi", CASES)
def test_strips_are_the_trace_and_internals_equal_an_independent_loop(cell, nonlinearity, layers, bidi):
    model, ids, trace = model_and_trace(cell, layers, bidi, nonlinearity=nonlinearity)
    spec = spec_of(model, ids, trace)
    ref = reference_layers(model, ids)
    T, H, D = len(ids), 5, 2 if bidi else 1
    assert (spec["T"], spec["L"], spec["D"], spec["H"], spec["R"], spec["U"]) == (T, layers, D, H, layers * D, H)
    assert not spec["binned"] and spec["inner_meta"]["mode"] == "all"
    hs = spec["hs"].reshape(layers * D, T, H)
    rows = inner_rows(spec)
    for r, row in enumerate(spec["rows"]):
        l, d = row["layer"], row["direction"]
        assert (l, d) == divmod(r, D) and row["reverse"] == bool(d)
        # the strips are the trace's states, value for value
        np.testing.assert_array_equal(hs[r], trace.layers[l][d].h[:, 0].astype(np.float32))
        np.testing.assert_allclose(hs[r], ref[l][d]["h"], **F32)
        # every internal by name against the reference loop
        slots = spec["inner_meta"]["slots"][r]
        assert len(slots) == rows[r].shape[-1]
        for k, name in enumerate(slots):
            np.testing.assert_allclose(rows[r][..., k], ref[l][d][name], **F32, err_msg=f"{cell} row {r} {name}")
    probs = reference_probs(model, np.concatenate([x["h"] for x in ref[-1]], axis=-1))
    np.testing.assert_allclose(spec["ps"].reshape(T, 6), probs, **F32)


def test_the_drawn_products_are_there():
    """The ⊙ nodes of the LSTM and GRU diagrams have their own numbers (not computed in the browser)."""
    for cell, extra in (("lstm", {"f_c", "i_g"}), ("gru", {"r_hn", "z_h", "omz_n"}), ("rnn", set())):
        model, ids, trace = model_and_trace(cell)
        slots = spec_of(model, ids, trace)["inner_meta"]["slots"][0]
        assert extra <= set(slots) and "h" in slots


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_unit_mode_holds_the_chosen_unit_only(cell):
    model, ids, trace = model_and_trace(cell, 2, True, hidden=6)
    ref = reference_layers(model, ids)
    spec = spec_of(model, ids, trace, unit=4, inner_bytes=0)
    assert spec["inner_meta"]["mode"] == "unit" and spec["inner_meta"]["unit"] == 4
    for r, block in enumerate(inner_rows(spec)):
        l, d = divmod(r, 2)
        for k, name in enumerate(spec["inner_meta"]["slots"][r]):
            np.testing.assert_allclose(block[:, k], ref[l][d][name][:, 4], **F32, err_msg=name)
    # the same model: the same sig whatever unit is chosen (the browser then keeps its drawing)
    assert spec_of(model, ids, trace, unit=1, inner_bytes=0)["sig"] == spec["sig"]
    assert spec_of(model, ids, trace, unit=99, inner_bytes=0)["inner_meta"]["unit"] == 5  # clamped


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_one_units_slice_gives_that_units_equation_values(cell):
    from rnnviz import cells

    model, ids, trace = model_and_trace(cell, hidden=7)
    lt, p = trace.layers[0][0], model.layers[0][0]
    sym = U._inner_symbols("torch", cell, False)
    full = cells.get(cell).equation_values(p, lt, 0, sym)
    for j in (0, 3, 6):
        q, one = U.unit_slice(p, lt, j)
        np.testing.assert_array_equal(cells.get(cell).equation_values(q, one, 0, sym)[:, 0], full[:, j])


def test_binned_strips_are_mean_min_max_of_runs_of_units():
    model, ids, trace = model_and_trace("rnn", hidden=40)
    spec = spec_of(model, ids, trace, max_strip=8)
    T = len(ids)
    assert spec["binned"] and spec["U"] == 8 and spec["edges"] == [0, 5, 10, 15, 20, 25, 30, 35, 40]
    h = trace.layers[0][0].h[:, 0]
    for k in range(8):  # a hand loop over the runs of 5 units
        run = h[:, 5 * k:5 * (k + 1)]
        np.testing.assert_allclose(spec["hs"].reshape(T, 8)[:, k], run.mean(axis=1), **F32)
        np.testing.assert_array_equal(spec["hs_lo"].reshape(T, 8)[:, k], run.min(axis=1).astype(np.float32))
        np.testing.assert_array_equal(spec["hs_hi"].reshape(T, 8)[:, k], run.max(axis=1).astype(np.float32))
    default = spec_of(model, ids, trace)  # 40 units > 32 cells: bins of one or two units
    assert default["binned"] and default["U"] == 32 and set(np.diff(default["edges"])) == {1, 2}
    exact = spec_of(model, ids, trace, max_strip=64)
    assert not exact["binned"] and exact["U"] == 40 and "hs_lo" not in exact


def test_strip_size_rule():
    assert U.strip_size(16, 6, 500) == 16  # up to 32 units: every unit
    assert U.strip_size(512, 1, 500) == 32
    assert U.strip_size(200, 6, 500) == 400_000 // (6 * 500 * 12) == 11  # bins get fewer to fit the bytes
    assert U.strip_size(512, 6, 10_000) == U.MIN_STRIP
    edges = U.bin_edges(512, 32)
    assert edges[0] == 0 and edges[-1] == 512 and set(np.diff(edges)) == {16}


def test_inputs_and_outputs():
    model, ids, trace = model_and_trace("gru", bidirectional=True)
    spec = spec_of(model, ids, trace)
    T = len(ids)
    np.testing.assert_array_equal(spec["xs"].reshape(T, 6), np.eye(6)[ids])  # one-hot, 6 tokens
    assert spec["x"] == {"tokens": True, "size": 6, "U": 6, "binned": False, "edges": None, "sym": "x_{#}",
                         "range": [0.0, 1.0]}
    probs = trace.probs[:, 0]
    K = spec["out"]["K"]
    top, top_p = spec["top"].reshape(T, K).astype(int), spec["top_p"].reshape(T, K)
    np.testing.assert_allclose(top_p, -np.sort(-probs, axis=1)[:, :K], **F32)  # the K largest, best first
    np.testing.assert_allclose(np.take_along_axis(probs, top, axis=1), top_p, **F32)
    assert spec["out"]["concat"] and spec["out"]["cat"] == "output[#]" and spec["out"]["labels"][2] == "o2"
    # dense inputs: the values themselves (<= 32 features), then bins
    model, x, trace = model_and_trace("rnn", dense=12)
    spec = spec_of(model, x, trace)
    np.testing.assert_array_equal(spec["xs"].reshape(len(x), 12), x.astype(np.float32))
    peak = float(np.abs(x).max())
    assert not spec["x"]["tokens"] and spec["x"]["range"] == pytest.approx([-peak, peak])
    model, x, trace = model_and_trace("rnn", dense=64)
    spec = spec_of(model, x, trace)
    assert spec["x"]["U"] == 32 and spec["x"]["binned"]
    np.testing.assert_allclose(spec["xs"].reshape(len(x), 32)[:, 3], x[:, 6:8].mean(axis=1), **F32)
    # no output layer: no softmax arrays
    model, ids, trace = model_and_trace("rnn", output=None)
    spec = spec_of(model, ids, trace)
    assert spec["out"]["O"] == 0 and not {"ps", "top", "top_p"} & set(spec)
    # a large vocabulary: the input is its label only
    model, ids, trace = model_and_trace("rnn", vocab=40, output=40)
    spec = spec_of(model, ids, trace)
    assert spec["x"]["U"] == 0 and "xs" not in spec and not spec["out"]["strip"] and "ps" not in spec


@pytest.mark.parametrize("notation,x,h,y,w", [
    ("torch", "x_{#}", "h_{#}", "ŷ_{#}", ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0 + bias_hh_l0", "out.weight")),
    ("class", "x_{#}", "h_{#}", "p_{#}", ("Wxh", "Whh", "bh", "Why")),
    ("functional", "x⟨#⟩", "a⟨#⟩", "ŷ⟨#⟩", ("Wax", "Waa", "ba", "Wya")),
    ("tensorflow", "X#", "Y#", "ŷ_{#}", ("Wx", "Wy", "b", "W_out")),
])
def test_labels_follow_the_notation(notation, x, h, y, w):
    model, ids, trace = model_and_trace("rnn", 2, True)
    spec = spec_of(model, ids, trace, notation=notation)
    fwd, rev, top_rev = spec["rows"][0], spec["rows"][1], spec["rows"][3]
    assert (spec["x"]["sym"], fwd["h"], spec["out"]["sym"]) == (x, h, y)
    assert (fwd["w_ih"], fwd["w_hh"], fwd["bias"], spec["out"]["w"]) == w
    # the textbook notations define no reverse direction: PyTorch's names, as the player writes it
    assert (rev["h"], rev["w_hh"], top_rev["w_ih"]) == ("h_{#}", "weight_hh_l0_reverse", "weight_ih_l1_reverse")
    assert [r["name"] for r in spec["rows"]] == ["layer 0 · forward →", "layer 0 · reverse ←", "layer 1 · forward →",
                                                 "layer 1 · reverse ←"]
    one_bias = notation != "torch"
    assert ("b" in spec["inner_meta"]["slots"][0]) == one_bias and "bih" in spec["inner_meta"]["slots"][1]


def test_gated_cells_speak_pytorch_in_every_notation():
    model, ids, trace = model_and_trace("lstm")
    spec = spec_of(model, ids, trace, notation="functional")
    assert (spec["rows"][0]["h"], spec["rows"][0]["w_hh"], spec["x"]["sym"]) == ("h_{#}", "weight_hh_l0", "x_{#}")
    assert spec["rows"][0]["name"] == "LSTM"


def test_same_inputs_give_the_same_bytes_and_no_step():
    model, ids, trace = model_and_trace("lstm", 2, True)
    a, b = spec_of(model, ids, trace), spec_of(model, ids, trace)
    meta = lambda s: json.dumps({k: v for k, v in s.items() if not isinstance(v, np.ndarray)}, sort_keys=True)  # noqa: E731
    assert meta(a) == meta(b)
    for key in a:
        if isinstance(a[key], np.ndarray):
            assert a[key].dtype == np.float32 and a[key].ndim == 1 and a[key].flags.c_contiguous
            np.testing.assert_array_equal(a[key], b[key])
    assert not {"step", "cmd"} & set(a)  # the step comes from the player in the browser, never from here
    assert spec_of(model, ids, trace, view_layer=1, view_direction=1)["sig"] == a["sig"]  # the viewed row is not drawn
    other = model_and_trace("lstm", 2, True, seed=3)
    assert spec_of(*other)["sig"] != a["sig"]


def test_bad_arguments_say_what_is_wrong():
    model, ids, trace = model_and_trace("rnn")
    with pytest.raises(ValueError, match="6 step labels for 7 steps"):
        U.unrolled_spec(trace, model, step_labels=["a"] * 6, output_labels=[str(k) for k in range(6)])
    with pytest.raises(ValueError, match="3 output labels for 6 outputs"):
        U.unrolled_spec(trace, model, step_labels=["a"] * 7, output_labels=["a", "b", "c"])
    with pytest.raises(ValueError, match="no layer 1"):
        spec_of(model, ids, trace, view_layer=1)


@pytest.mark.parametrize("cell,layers,bidi,hidden", [("rnn", 1, False, 512), ("lstm", 1, False, 512),
                                                     ("rnn", 2, True, 300), ("gru", 3, True, 200)])
def test_big_configurations_stay_bounded(cell, layers, bidi, hidden):
    """Length 500: the columns are windowed in the browser; what is sent stays under 1 MB."""
    model, x, trace = model_and_trace(cell, layers, bidi, hidden=hidden, T=500, dense=32, output=8)
    spec = spec_of(model, x, trace, unit=100)
    sent = U.spec_bytes(spec)
    assert sent["arrays"] + sent["json"] < 1_000_000, sent
    assert spec["binned"] and U.MIN_STRIP <= spec["U"] <= U.MAX_STRIP
    assert spec["inner_meta"]["mode"] == "unit" and spec["inner_meta"]["unit"] == 100
    R = layers * (2 if bidi else 1)
    assert spec["R"] == R and spec["hs"].size == R * 500 * spec["U"]
    # the chosen unit's internals are still the trace's (h slot = the state)
    h_slot = spec["inner_meta"]["slots"][R - 1].index("h")
    top = inner_rows(spec)[R - 1]
    np.testing.assert_allclose(top[:, h_slot], trace.layers[-1][-1].h[:, 0, 100], **F32)
