"""The hand-computation worksheet: numbers read back from the HTML, an independent NumPy hand
computation for the key, limits, escaping, variants, and the printed tolerance.

Nothing here reuses the module's arrays as a reference: every number a test checks is parsed
out of the printed page (``parse_sheet``), and the reference answers are computed below from
those printed numbers with plain NumPy, in each notation's own layout.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from html.parser import HTMLParser

import numpy as np
import pytest

from rnnviz.app import worksheet as W
from rnnviz.app.compute import build_model
from rnnviz.app.codec import from_values
from rnnviz.app.knobs import Config
from rnnviz.app.inputs import build_inputs


# ---------------------------------------------------------------- reading the page back


class _SheetParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[tuple[dict, str]] = []  # (attributes, text) of every <td>
        self.text: list[str] = []  # visible text (not <style>/<title>)
        self.hrefs: list[str] = []
        self._td: dict | None = None
        self._buf: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("style", "title", "script"):
            self._skip += 1
        if tag == "td":
            self._td, self._buf = a, []
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])

    def handle_endtag(self, tag):
        if tag in ("style", "title", "script"):
            self._skip -= 1
        if tag == "td" and self._td is not None:
            self.cells.append((self._td, "".join(self._buf).strip()))
            self._td = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._td is not None:
            self._buf.append(data)


def number(text: str) -> float:
    return float(text.replace("−", "-"))


class Sheet:
    """What a page prints: matrices by name (as laid out on the page), key values, empty boxes."""

    def __init__(self, page: str) -> None:
        p = _SheetParser()
        p.feed(page)
        self.text = " ".join("".join(p.text).split())
        self.hrefs = p.hrefs
        entries: dict[str, dict[tuple[int, int], str]] = defaultdict(dict)
        self.key: dict[tuple[str, int, int], str] = {}
        self.boxes: set[tuple[str, int, int]] = set()
        for attrs, text in p.cells:
            if "data-m" in attrs:
                entries[attrs["data-m"]][int(attrs["data-r"]), int(attrs["data-c"])] = text
            elif "data-k" in attrs:
                where = (attrs["data-k"], int(attrs["data-t"]), int(attrs["data-u"]))
                if "ans" in attrs.get("class", ""):
                    self.key[where] = text
                else:
                    assert text == "", f"a question box is not empty: {where} {text!r}"
                    self.boxes.add(where)
        self.printed = {name: cells for name, cells in entries.items()}  # the strings, for the PDF test
        self.m = {}
        for name, cells in entries.items():
            rows = 1 + max(r for r, _ in cells)
            cols = 1 + max(c for _, c in cells)
            a = np.full((rows, cols), np.nan)
            for (r, c), text in cells.items():
                a[r, c] = number(text)
            assert not np.isnan(a).any(), name
            self.m[name] = a

    def key_array(self, kind: str) -> np.ndarray:
        """(T, n) the key's printed values of one row kind, in step order."""
        items = {(t, u): number(v) for (k, t, u), v in self.key.items() if k == kind}
        steps = sorted({t for t, _ in items})
        units = sorted({u for _, u in items})
        return np.array([[items[t, u] for u in units] for t in steps])

    @property
    def tolerance(self) -> float:
        return float(re.search(r"Answers within ±([\d.]+) of the key count as right", self.text).group(1))

    def question_numbers(self) -> list[str]:
        return [t for cells in self.printed.values() for t in cells.values()]

    def key_numbers(self) -> list[str]:
        return list(self.key.values())


def css_footer(page: str) -> str:
    """The running footer's text: the CSS string of the @bottom-left page-margin box, unescaped."""
    literal = re.search(r'@bottom-left \{ content: "((?:[^"\\]|\\.)*)"', page).group(1)
    return re.sub(r"\\([0-9a-fA-F]{1,6}) ?", lambda m: chr(int(m.group(1), 16)), literal)


def sheet_for(values: dict, variant: int | None = 0, **kw) -> tuple[W.Worksheet, Sheet, str]:
    cfg, _ = from_values(values)
    ws = W.make_worksheet(cfg, variant, **kw)
    page = W.render_html(ws)
    return ws, Sheet(page), page


# ---------------------------------------------------------------- the independent hand computation


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def relu(v):
    return np.maximum(v, 0.0)


def layout(s: Sheet, notation: str, cell: str):
    """The printed numbers in one common column-vector form, read the way each notation prints them."""
    m = s.m
    if cell != "rnn":
        gates = "ifgo" if cell == "lstm" else "rzn"
        I = m["x"].shape[0]
        H = m["h0"].shape[0]
        parts = {g: m[f"gate_{g}"] for g in gates}
        w = {g: (p[:, :I], p[:, I:I + H], p[:, I + H], p[:, I + H + 1]) for g, p in parts.items()}
        xs = m["x"].T  # one column per step
        out = (m["out.weight"], m["out.bias"][:, 0]) if "out.weight" in m else None
        return dict(w=w, xs=xs, h0=m["h0"][:, 0], c0=m.get("c0", np.zeros((H, 1)))[:, 0], out=out)
    if notation == "tensorflow":  # row-major: X_t Wx + Y_{t-1} Wy + b; turn into columns
        out = (m["W_out"].T, m["b_out"][0]) if "W_out" in m else None
        return dict(w=(m["Wx"].T, m["Wy"].T, m["b"][0], 0.0), xs=m["x"], h0=m["h0"][0], out=out)
    names = {"torch": ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "out.weight", "out.bias"),
             "class": ("Wxh", "Whh", "bh", None, "Why", "by"),
             "functional": ("Wax", "Waa", "ba", None, "Wya", "by")}[notation]
    wi, wh, bi, bh, wo, bo = names
    b_hh = m[bh][:, 0] if bh else 0.0
    out = (m[wo], m[bo][:, 0]) if wo in m else None
    return dict(w=(m[wi], m[wh], m[bi][:, 0], b_hh), xs=m["x"].T, h0=m["h0"][:, 0], out=out)


def hand_forward(s: Sheet, notation: str, cell: str, nonlinearity: str, q=lambda v: v, shift_softmax=True) -> dict:
    """Every box from the printed numbers. ``q``: what writing a result down does to it (identity:
    exact; rounding to 3 decimals: the careful student the tolerance is about)."""
    L = layout(s, notation, cell)
    h = L["h0"]
    rows = defaultdict(list)
    if cell == "rnn":
        w_ih, w_hh, b_ih, b_hh = L["w"]
        act = np.tanh if nonlinearity == "tanh" else relu
        for x in L["xs"]:
            pre = q(w_ih @ x + b_ih + w_hh @ h + b_hh)
            h = q(act(pre))
            rows["pre"].append(pre)
            rows["h"].append(h)
    elif cell == "lstm":
        c = L["c0"]
        for x in L["xs"]:
            g = {}
            for k in "ifgo":
                wi, wh, bi, bh = L["w"][k]
                pre = q(wi @ x + bi + wh @ h + bh)
                g[k] = q(np.tanh(pre) if k == "g" else sigmoid(pre))
                rows[k].append(g[k])
            c = q(g["f"] * c + g["i"] * g["g"])
            h = q(g["o"] * np.tanh(c))
            rows["c"].append(c)
            rows["h"].append(h)
    else:
        for x in L["xs"]:
            g = {}
            for k in "rz":
                wi, wh, bi, bh = L["w"][k]
                g[k] = q(sigmoid(q(wi @ x + bi + wh @ h + bh)))
                rows[k].append(g[k])
            wi, wh, bi, bh = L["w"]["n"]
            hn = q(wh @ h + bh)
            n = q(np.tanh(q(wi @ x + bi + g["r"] * hn)))
            h = q((1 - g["z"]) * n + g["z"] * h)
            rows["n"].append(n)
            rows["h"].append(h)
    if L["out"] is not None:
        w_out, b_out = L["out"]
        for h in rows["h"]:
            y = q(w_out @ h + b_out)
            u = q(np.exp(y - (y.max() if shift_softmax else 0.0)))
            rows["logits"].append(y)
            rows["probs"].append(q(u / q(u.sum())))
    return {k: np.array(v) for k, v in rows.items()}


def round3(v):
    return np.round(v, 3)


# One configuration per notation, cell and input kind, at and below the limits.
CONFIGS = [
    dict(notation="torch", cell="rnn", text="hell", hidden=3),
    dict(notation="torch", cell="rnn", nonlinearity="relu", inputs="random_dense", input_size=4, hidden=4, length=4,
         output_size=4),
    dict(notation="class", cell="rnn", inputs="ids", ids=(0, 2, 1), input_size=3, hidden=2, output_size=3),
    dict(notation="class", cell="rnn", nonlinearity="relu", inputs="random_ids", input_size=4, hidden=4, length=4,
         output_size=2),
    dict(notation="functional", cell="rnn", inputs="notebook", input_size=3, hidden=3, output_size=2, length=4,
         batch=2, sample=1),
    dict(notation="functional", cell="rnn", inputs="random_dense", input_size=2, hidden=4, length=3, output_size=0),
    dict(notation="tensorflow", cell="rnn", inputs="tf_example", hidden=4, output_size=0, sample=2),
    dict(notation="tensorflow", cell="rnn", inputs="random_dense", input_size=3, hidden=3, length=4, output_size=3),
    dict(notation="torch", cell="lstm", text="abba", hidden=4),
    dict(notation="functional", cell="lstm", inputs="random_dense", input_size=4, hidden=2, length=4, output_size=0),
    dict(notation="torch", cell="gru", inputs="random_ids", input_size=4, hidden=4, length=4, output_size=4),
    dict(notation="tensorflow", cell="gru", text="ab", hidden=1),
    dict(notation="torch", cell="rnn", inputs="random_dense", input_size=1, hidden=1, length=1, output_size=1),
]


def cfg_id(values: dict) -> str:
    return "-".join(str(values.get(k, "")) for k in ("notation", "cell", "nonlinearity", "inputs"))


# ---------------------------------------------------------------- the key


@pytest.mark.parametrize("values", CONFIGS, ids=cfg_id)
@pytest.mark.parametrize("variant", [0, 5, None])
def test_key_equals_an_independent_hand_computation_from_the_printed_numbers(values, variant):
    ws, s, _ = sheet_for(values, variant)
    cfg, _ = from_values(values)
    ref = hand_forward(s, cfg.notation, cfg.cell, cfg.nonlinearity)
    expected_rows = {"rnn": {"pre", "h"}, "lstm": {"i", "f", "g", "o", "c", "h"}, "gru": {"r", "z", "n", "h"}}[cfg.cell]
    if cfg.output_size:
        expected_rows |= {"logits", "probs"}
    assert set(ref) == expected_rows
    assert {k for k, _, _ in s.key} == expected_rows
    key = W.answer_key(ws)
    for kind, want in ref.items():
        # The printed key: 3 decimals of the exact value (half a unit, plus float slack at a tie).
        np.testing.assert_allclose(s.key_array(kind), want, atol=0.0005 + 1e-9, rtol=0, err_msg=kind)
        # The module's own float64 key, to full precision.
        np.testing.assert_allclose(key.boxes()[kind], want, atol=1e-12, rtol=1e-12, err_msg=kind)
    # One empty box on the sheet for every answer of the key.
    assert s.boxes == set(s.key)
    if cfg.output_size:
        np.testing.assert_allclose(s.key_array("probs").sum(axis=1), 1.0, atol=0.003)


def test_the_key_is_not_the_unrounded_networks_answer():
    """The key follows the printed numbers, not the app's full-precision weights (a hand
    computation from the sheet must match it): the two differ beyond the key's 3 decimals."""
    values = dict(cell="rnn", inputs="random_dense", input_size=4, hidden=4, length=4, output_size=4)
    ws, s, _ = sheet_for(values, 3)
    cfg, _ = from_values(values)
    from rnnviz.app.compute import compute as run

    exact = run(W.variant_config(cfg, 3)).trace.output[:, 0]
    assert np.abs(exact - s.key_array("h")).max() > 0.001
    np.testing.assert_allclose(s.key_array("h"), hand_forward(s, "torch", "rnn", "tanh")["h"], atol=0.0005 + 1e-9)


# ---------------------------------------------------------------- what is printed


def test_printed_numbers_are_the_apps_numbers_rounded_to_2_decimals():
    """Variant k = the app's configuration with weight seed = input seed = k (the sheet says so)."""
    values = dict(notation="torch", cell="gru", inputs="random_dense", input_size=3, hidden=2, length=4, output_size=2,
                  batch=3, sample=2)
    _, s, _ = sheet_for(values, 11)
    cfg, _ = from_values({**values, "weight_seed": 11, "input_seed": 11})
    model, batch = build_model(cfg), build_inputs(cfg)
    p = model.layers[0][0]
    for k, g in enumerate("rzn"):
        rows = slice(2 * k, 2 * k + 2)
        want = np.hstack([p.w_ih[rows], p.w_hh[rows], p.b_ih[rows, None], p.b_hh[rows, None]])
        np.testing.assert_array_equal(s.m[f"gate_{g}"], np.round(want, 2))
    np.testing.assert_array_equal(s.m["out.weight"], np.round(model.w_out, 2))
    np.testing.assert_array_equal(s.m["x"], np.round(batch.data[:, 2].T, 2))
    assert "weight seed = input seed = 11" in s.text and "sample 2 of the batch of 3" in s.text
    # Every given number has exactly 2 decimals; every key value 3.
    assert all(re.fullmatch(r"−?\d+\.\d\d", t) for t in s.question_numbers())
    assert all(re.fullmatch(r"−?\d+\.\d\d\d", t) for t in s.key_numbers())
    assert "−0.00" not in s.question_numbers()


@pytest.mark.parametrize("notation, names", [
    ("torch", ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "out.weight", "out.bias"]),
    ("class", ["Wxh", "Whh", "bh", "Why", "by"]),
    ("functional", ["Wax", "Waa", "ba", "Wya", "by"]),
    ("tensorflow", ["Wx", "Wy", "b", "W_out", "b_out"]),
])
def test_each_notation_prints_its_own_names_shapes_and_single_bias(notation, names):
    values = dict(notation=notation, inputs="random_dense", input_size=3, hidden=2, length=2, output_size=4)
    _, s, _ = sheet_for(values, 2)
    assert sorted(set(s.m) - {"x", "h0"}) == sorted(names)
    w_x = s.m[names[0]]
    assert w_x.shape == ((3, 2) if notation == "tensorflow" else (2, 3))
    if notation != "torch":  # one bias: the printed bias is round(b_ih + b_hh, 2)
        cfg, _ = from_values({**values, "weight_seed": 2, "input_seed": 2, "notation": notation})
        p = build_model(cfg).layers[0][0]
        np.testing.assert_array_equal(s.m[names[2]].ravel(), np.round(p.b_ih + p.b_hh, 2))
    state = {"torch": "h", "class": "h", "functional": "a", "tensorflow": "Y"}[notation]
    first = {"tensorflow": "Step 0: input X0", "functional": "Step 1: input x⟨1⟩"}.get(notation, "Step 1: input x1")
    assert first in s.text
    if notation == "functional":
        assert "a⟨1⟩" in s.text and "a⟨0⟩" in s.text  # Initial state a<0>, boxes a<1> ...
    elif notation == "tensorflow":
        assert "Y0" in s.text and "Y−1" in s.text  # the book's X0, Y0; the initial state before it
    else:
        assert f"{state}1" in s.text and f"{state}0" in s.text


def test_lstm_and_gru_use_pytorch_names_whatever_the_notation():
    for cell, gates in (("lstm", "ifgo"), ("gru", "rzn")):
        _, s, page = sheet_for(dict(notation="functional", cell=cell, text="ab", hidden=2), 1)
        assert sorted(s.m) == sorted([f"gate_{g}" for g in gates] + ["x", "h0", "out.weight", "out.bias"]
                                     + (["c0"] if cell == "lstm" else []))
        for g in gates:
            assert f"<mi>W</mi><mrow><mi>i</mi><mi>{g}</mi></mrow>" in page  # W_i{g} in MathML
        assert "weight_ih_l0" in s.text and "Wax" not in s.text


def test_sheet_contents_title_variant_rules_and_page_break():
    ws, s, page = sheet_for(dict(cell="lstm", text="aab", hidden=3), 42, link="https://example.org/app?cell=lstm")
    assert "RNN by hand — Variant 42" in s.text and "LSTM: hidden 3, input 2 (one-hot tokens), 3 steps" in s.text
    assert "Answer key — Variant 42" in s.text
    assert s.tolerance == 0.01
    assert "Answers within ±0.01 of the key count as right" in s.text
    # The key starts on its own printed page, after every question box.
    assert re.search(r"\.key \{ break-before: page; \}", page)
    assert page.index("class='key'") > max(page.index(f"data-k='h' data-t='{t}'") for t in (1, 2, 3))
    # One-hot tokens are shown with their characters and ids, h0 and c0 as zeros.
    assert "‘a’ (id 0)" in s.text and "‘b’ (id 1)" in s.text
    np.testing.assert_array_equal(s.m["c0"], 0.0)
    assert s.hrefs == ["https://example.org/app?cell=lstm"]  # under the title
    assert css_footer(page) == "rnnviz worksheet · Variant 42 · https://example.org/app?cell=lstm"
    assert 'counter(page) " of " counter(pages)' in page
    # Self-contained: no external resources at all.
    assert not re.search(r"<(script|link|img|iframe)\b|@import|url\(|src=", page)
    assert W.filename(ws) == "rnnviz-worksheet-lstm-variant-42.html"


def test_questions_alone_hold_no_answer():
    cfg, _ = from_values(dict(cell="gru", text="abba", hidden=2))
    full = Sheet(W.worksheet_html(cfg, 3))
    alone = Sheet(W.worksheet_html(cfg, 3, include_key=False))
    assert alone.key == {} and "Answer key" not in alone.text and alone.boxes == full.boxes
    assert alone.question_numbers() == full.question_numbers()
    # None of the key's values appears anywhere on the questions-only page.
    assert not set(full.key_numbers()) & set(re.findall(r"−?\d+\.\d{3}\b", alone.text))


def test_no_output_layer_means_no_softmax_boxes():
    _, s, _ = sheet_for(dict(inputs="random_dense", input_size=2, hidden=2, length=3, output_size=0), 1)
    assert {k for k, _, _ in s.boxes} == {"pre", "h"}
    assert "softmax" not in s.text


# ---------------------------------------------------------------- variants


def test_variants_give_different_numbers_and_the_same_variant_the_same_page():
    for values in (dict(text="hell", hidden=3), dict(cell="gru", inputs="random_dense", input_size=2, hidden=2,
                                                        length=3, output_size=2)):
        pages = {v: sheet_for(values, v)[2] for v in (0, 1, 2, 1000, 2**31 - 1)}
        assert sheet_for(values, 1)[2] == pages[1]  # deterministic
        numbers = {v: Sheet(p).question_numbers() for v, p in pages.items()}
        for a in numbers:
            for b in numbers:
                if a < b:
                    assert numbers[a] != numbers[b], (a, b)
    # Dense random inputs change with the variant too (typed text keeps its tokens).
    x = [sheet_for(dict(inputs="random_dense", input_size=2, hidden=2, length=3, output_size=0), v)[1].m["x"]
         for v in (3, 4)]
    assert not np.array_equal(*x)


def test_page_own_numbers_match_the_variant_with_the_same_seeds():
    values = dict(cell="rnn", inputs="random_ids", input_size=4, hidden=3, length=4, output_size=4)
    own = sheet_for({**values, "weight_seed": 9, "input_seed": 9}, None)[1]
    variant = sheet_for(values, 9)[1]
    assert set(own.m) == set(variant.m) and all(np.array_equal(own.m[k], variant.m[k]) for k in own.m)
    assert "The numbers on the app's page (weight seed 9, input seed 9)" in own.text
    assert "RNN by hand — The page's own numbers" in own.text
    # Different seeds on the page: its own numbers, not variant 0's.
    other = sheet_for({**values, "weight_seed": 4, "input_seed": 8}, None)[1]
    assert not np.array_equal(other.m["weight_ih_l0"], sheet_for(values, 0)[1].m["weight_ih_l0"])


def test_page_own_numbers_from_an_uploaded_or_trained_model():
    from rnnviz.network import init_model

    model = init_model("lstm", 3, 2, 3, init="normal", scale=0.7, seed=123)
    cfg, _ = from_values(dict(cell="lstm", text="abc", hidden=2))
    ws = W.make_worksheet(cfg, None, model=model)
    s = Sheet(W.render_html(ws))
    p = model.layers[0][0]
    np.testing.assert_array_equal(s.m["gate_i"], np.round(np.hstack([p.w_ih[:2], p.w_hh[:2], p.b_ih[:2, None],
                                                                     p.b_hh[:2, None]]), 2))
    with pytest.raises(ValueError, match="variant=None"):
        W.make_worksheet(cfg, 3, model=model)
    # Uploaded weights must come with the page's model; a variant of that page draws seeded weights.
    upload = replace(cfg, weights="upload")
    with pytest.raises(ValueError, match="pass them as model="):
        W.make_worksheet(upload, None)
    np.testing.assert_array_equal(Sheet(W.render_html(W.make_worksheet(upload, 4))).m["gate_f"],
                                  Sheet(W.render_html(W.make_worksheet(cfg, 4))).m["gate_f"])


@pytest.mark.parametrize("bad", [-1, 2**31, 1.5, True, "3"])
def test_bad_variant_is_refused_with_the_range(bad):
    with pytest.raises(ValueError, match=r"variant must be a whole number from 0 to 2147483647"):
        W.make_worksheet(from_values(dict(text="ab", hidden=2))[0], bad)


# ---------------------------------------------------------------- limits


@pytest.mark.parametrize("values, over", [
    (dict(inputs="random_dense", hidden=5, input_size=2, length=2, output_size=2), "hidden size 5 is over 4"),
    (dict(inputs="random_dense", hidden=2, input_size=5, length=2, output_size=2), "input size 5 is over 4"),
    (dict(inputs="random_dense", hidden=2, input_size=2, length=5, output_size=2), "sequence length 5 is over 4"),
    (dict(inputs="random_dense", hidden=2, input_size=2, length=2, output_size=5), "output size 5 is over 4"),
    (dict(inputs="random_dense", hidden=2, input_size=2, length=2, layers=2), "2 layers (a worksheet has 1)"),
    (dict(inputs="random_dense", hidden=2, input_size=2, length=2, bidirectional=True), "bidirectional"),
    (dict(text="hello", hidden=2), "sequence length 5 is over 4 (the text 'hello' is 5 characters long)"),
    (dict(text="abcde", hidden=2), "input size 5 is over 4 (the text 'abcde' has 5 different characters)"),
    (dict(inputs="ids", ids=(0, 7), hidden=2, output_size=2), "input size 8 is over 4 (token id 7 needs it)"),
])
def test_too_big_says_the_limits_and_the_value_over(values, over):
    cfg, _ = from_values(values)
    with pytest.raises(W.WorksheetLimitError) as err:
        W.make_worksheet(cfg, 0)
    msg = str(err.value)
    assert over in msg
    assert ("hidden size ≤ 4, input size ≤ 4, sequence length ≤ 4, output size ≤ 4 (or 0: no output layer), "
            "1 layer, one direction") in msg
    assert isinstance(err.value, ValueError)


def test_the_default_page_is_too_big_and_every_value_over_is_named():
    with pytest.raises(W.WorksheetLimitError) as err:
        W.make_worksheet(Config(), None)
    msg = str(err.value)
    for part in ("hidden size 16 is over 4", "input size 8 is over 4", "sequence length 11 is over 4",
                 "output size 8 is over 4"):
        assert part in msg


def test_exactly_at_the_limits_is_fine():
    for cell in ("rnn", "lstm", "gru"):
        _, s, _ = sheet_for(dict(cell=cell, inputs="random_ids", hidden=4, input_size=4, length=4, output_size=4), 7)
        assert len({t for _, t, _ in s.boxes}) == 4 and len({u for k, _, u in s.boxes if k == "h"}) == 4


# ---------------------------------------------------------------- escaping


@pytest.mark.parametrize("text", ["<b>", "&&<", "</a>", "😀\"'", "'<&"])
def test_typed_characters_and_the_link_are_escaped(text):
    link = 'https://x.org/?text=</footer><script>alert(1)</script>&a="b"'
    ws, s, page = sheet_for(dict(text=text, hidden=2), 1, link=link)
    assert "<script" not in page and page.count("</style") == 1
    assert css_footer(page) == f"rnnviz worksheet · Variant 1 · {link}"  # exact, once the CSS escapes are read
    labels = ws.token_labels
    for label in labels:
        assert f"‘{label}’" in s.text  # shown as typed, after the parser unescaped it
    assert s.hrefs[0] == link  # the attribute round-trips exactly
    assert not re.search(r"<(?!/?(?:html|head|meta|title|style|body|main|section|header|footer|div|p|span|h1|h2|"
                         r"table|caption|thead|tbody|tr|th|td|i|sub|sup|br|code|a|math|mrow|mi|mo|mn|msub|msup|"
                         r"msubsup|mfrac)\b|!DOCTYPE)", page)


def test_a_non_web_link_is_not_a_hyperlink():
    _, s, page = sheet_for(dict(text="ab", hidden=2), 1, link="javascript:alert(1)")
    assert s.hrefs == [] and "javascript:alert(1)" in s.text


def test_a_long_link_is_cut_in_the_running_footer_but_whole_on_page_one():
    link = "https://x.org/?text=" + "a" * 300
    _, s, page = sheet_for(dict(text="ab", hidden=2), 1, link=link)
    assert s.hrefs == [link]
    footer = css_footer(page)
    assert footer.endswith("…") and len(footer) < 150 and link[:80] in footer


# ---------------------------------------------------------------- the tolerance


def _q_noise(rng: np.random.Generator):
    """Writing a result down off by up to ±0.0005 in a random direction (any rounding, not just nearest)."""
    return lambda v: np.asarray(v) + rng.choice([-1.0, 1.0], size=np.shape(v)) * 0.0005


@pytest.mark.parametrize("cell, nonlinearity", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")])
@pytest.mark.parametrize("inputs", ["random_ids", "random_dense"])
def test_three_decimal_hand_computation_stays_within_the_printed_tolerance(cell, nonlinearity, inputs):
    """The justification of "±0.01": for the largest allowed sizes and many variants, a student who
    writes every box and every sum inside a nonlinearity with 3 decimals (and goes on from what
    was written) lands within the printed tolerance of the key, and the printed tolerance is 0.01
    at the app's usual weight scale. The same holds when every written number is off by 0.0005 in
    a random direction (worse than rounding to nearest)."""
    values = dict(cell=cell, nonlinearity=nonlinearity, inputs=inputs, hidden=4, input_size=4, length=4, output_size=4)
    rng = np.random.default_rng(0)
    worst = {"round": 0.0, "noise": 0.0}
    for variant in range(40):
        ws, s, _ = sheet_for(values, variant)
        assert s.tolerance == 0.01, variant
        exact = hand_forward(s, "torch", cell, nonlinearity)
        bound = W.hand_error_bound(ws, W.answer_key(ws))  # per box: must hold box by box too
        for name, q in (("round", round3), ("noise", _q_noise(rng))):
            for shift in (True, False):
                hand = hand_forward(s, "torch", cell, nonlinearity, q=q, shift_softmax=shift)
                err = max(np.abs(hand[k] - exact[k]).max() for k in exact)
                worst[name] = max(worst[name], err)
                assert err <= s.tolerance, (variant, name, shift, err)
                for k in exact:
                    assert (np.abs(hand[k] - exact[k]) <= bound[k] + 1e-12).all(), (variant, name, k)
    # Printed for the report: how much room the tolerance leaves.
    print(f"{cell}/{nonlinearity}/{inputs}: worst error, rounding to nearest {worst['round']:.4f}, "
          f"±0.0005 noise {worst['noise']:.4f}")


def test_large_weights_widen_the_printed_tolerance_and_it_still_holds():
    """±0.01 would be wrong for big weights (rounding errors grow step by step): the sheet then
    states a wider tolerance, says why, and a 3-decimal computation stays within it."""
    values = dict(cell="rnn", nonlinearity="relu", inputs="random_dense", hidden=4, input_size=4, length=4,
                  output_size=4, scale=2.0)
    rng = np.random.default_rng(1)
    widened = 0
    for variant in range(15):
        try:
            ws, s, _ = sheet_for(values, variant)
        except W.WorksheetLimitError:
            continue  # beyond ±1: refused (see the next test)
        exact = hand_forward(s, "torch", "rnn", "relu")
        bound = W.hand_error_bound(ws, W.answer_key(ws))
        for q in (round3, _q_noise(rng)):
            hand = hand_forward(s, "torch", "rnn", "relu", q=q)
            assert max(np.abs(hand[k] - exact[k]).max() for k in exact) <= s.tolerance
            for k in exact:
                assert (np.abs(hand[k] - exact[k]) <= bound[k] + 1e-12).all(), (variant, k)
        if s.tolerance > 0.01:
            widened += 1
            assert "rounding errors grow from step to step (smaller weights give a ±0.01 sheet)" in s.text
    assert widened >= 10
    # And at least one of these sheets really needs more than ±0.01.
    worst = 0.0
    for variant in range(15):
        try:
            _, s, _ = sheet_for(values, variant)
        except W.WorksheetLimitError:
            continue
        exact = hand_forward(s, "torch", "rnn", "relu")
        worst = max(worst, max(np.abs(hand_forward(s, "torch", "rnn", "relu", q=_q_noise(rng))[k] - exact[k]).max()
                               for k in exact))
    assert worst > 0.01


@pytest.mark.parametrize("values", [
    dict(cell="rnn", nonlinearity="relu", inputs="random_dense", hidden=4, input_size=4, length=4, output_size=4,
         scale=5.0),
    dict(cell="rnn", nonlinearity="relu", inputs="random_dense", hidden=4, input_size=4, length=4, output_size=0,
         init="normal", scale=10.0),
])
def test_exploding_numbers_are_refused_with_a_clear_message(values):
    cfg, _ = from_values(values)
    with pytest.raises(W.WorksheetLimitError, match=r"grow too large to check by hand: .* more than ±1 from the key"
                                                    r".*Lower the weight scale \(now (5|10)\) or use tanh"):
        W.make_worksheet(cfg, 0)


def test_the_printed_bound_is_stated_in_the_key():
    _, s, _ = sheet_for(dict(cell="gru", text="abab", hidden=3), 8)
    bound = float(re.search(r"stays within ±([\d.]+) here", s.text).group(1))
    assert 0 < bound <= s.tolerance


def test_fmt_never_prints_negative_zero_and_uses_a_minus_sign():
    assert W.fmt(-0.001) == "0.00" and W.fmt(-0.0) == "0.00" and W.fmt(-0.5) == "−0.50"
    assert W.fmt(0.0004, 3) == "0.000" and W.fmt(-1.23456, 3) == "−1.235"
    assert W.fmt(float("nan")) == "overflow"
