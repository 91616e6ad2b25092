"""The trained models that ship with rnnviz (rnnviz/data/trained, made by rnnviz/pretrain.py).

Every claim is recomputed here from the engine's forward pass with the test's own arithmetic:
the loss with a log-softmax written below, Pearson's r with its textbook formula, the features
(bracket depth, inside quotes) and the unigram entropy by hand. The thresholds are written in
this file (CLAIMS), not read from the cards, so a weakened card cannot pass.
"""
from __future__ import annotations

import io
import json
import math
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rnnviz import pretrained
from rnnviz.corpora import builtin_names, load_corpus, make_brackets, make_dialogue
from rnnviz.network import forward
from rnnviz.pretrain import RECIPES, main as pretrain_main
from rnnviz.train import Trainer
from rnnviz.weights_io import WeightsError, load_model_npz

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "rnnviz" / "data" / "trained"

# name: (corpus, cell, feature of the notable unit, min |r|, max bits/char on the corpus)
CLAIMS = {
    "brackets-rnn": ("brackets", "rnn", "bracket depth", 0.9, 0.55),
    "dialogue-lstm": ("dialogue", "lstm", "inside quotes", 0.85, 1.0),
    "counting-gru": ("counting", "gru", "bracket depth", 0.9, 0.3),
}
# held-out text from the corpus's generator with a seed it was not trained on
HELD_OUT = {
    "brackets-rnn": lambda: make_brackets(100, seed=7),
    "dialogue-lstm": lambda: make_dialogue(100, seed=7),
    "counting-gru": lambda: make_brackets(100, max_height=20, max_hills=1, seed=7),
}


# --- independent references ------------------------------------------------------------------

def depth_by_hand(text: str) -> np.ndarray:
    out, depth = [], 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        out.append(depth)
    return np.array(out, float)


def inside_quotes_by_hand(text: str) -> np.ndarray:
    out, inside = [], False
    for ch in text:
        if ch == '"':
            inside = not inside  # the opening quote counts as inside, the closing one as outside
        out.append(float(inside))
    return np.array(out)


FEATURE = {"bracket depth": depth_by_hand, "inside quotes": inside_quotes_by_hand}


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    n = x.size
    sx, sy = x.sum(), y.sum()
    num = n * (x * y).sum() - sx * sy
    den = math.sqrt(n * (x * x).sum() - sx * sx) * math.sqrt(n * (y * y).sum() - sy * sy)
    return num / den if den > 0 else 0.0


def bits_per_char(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean -log2 p(target) with a log-softmax written out: z - max - log(sum(exp(z - max)))."""
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(targets.size), targets].mean() / math.log(2))


def unigram_bits(text: str) -> float:
    n = len(text)
    return -sum(k / n * math.log2(k / n) for k in Counter(text).values())


def encode_by_hand(vocab: tuple[str, ...], text: str) -> np.ndarray:
    return np.array([vocab.index(ch) for ch in text])


def load_shipped(name: str):
    card = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    model = load_model_npz((DATA / f"{name}.npz").read_bytes(), nonlinearity=card["nonlinearity"])
    return model, card


# --- the catalogue -----------------------------------------------------------------------------

def test_every_recipe_is_shipped_and_small():
    assert set(pretrained.names()) == set(CLAIMS) == set(RECIPES)
    assert pretrained.names() == tuple(sorted(CLAIMS))
    files = sorted(p.name for p in DATA.iterdir())
    assert files == sorted([f"{n}.npz" for n in CLAIMS] + [f"{n}.json" for n in CLAIMS])
    assert sum(p.stat().st_size for p in DATA.iterdir()) <= 2 * 2**20


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_shipped_model_meets_its_claims(name):
    corpus_name, cell, feature, min_r, max_bits = CLAIMS[name]
    model, card = load_shipped(name)  # the same safe loader as an upload
    assert (card["name"], card["corpus"], card["cell"], model.cell) == (name, corpus_name, cell, cell)
    assert 16 <= model.hidden_size == card["hidden_size"] <= 64 and model.num_layers == 1
    assert model.dtype == np.float64 and not model.bidirectional

    text = load_corpus(corpus_name).text
    vocab = tuple(card["vocab"])
    assert vocab == tuple(sorted(set(text)))  # the card's characters, in order, encode the corpus
    ids = encode_by_hand(vocab, text)
    assert "".join(vocab[i] for i in ids) == text
    assert model.input_size == model.output_size == len(vocab)

    trace = forward(model, ids[:, None])
    bits = bits_per_char(trace.logits[:-1, 0], ids[1:])
    assert bits == pytest.approx(card["bits_per_char"], abs=1e-9)
    assert bits <= max_bits
    baseline = unigram_bits(text)
    assert baseline == pytest.approx(card["unigram_bits_per_char"], abs=1e-9)
    assert bits < 0.5 * baseline

    h = trace.layers[0][0].h[:, 0]
    f = FEATURE[feature](text)
    r = np.array([pearson(h[:, u], f) for u in range(h.shape[1])])
    [unit] = card["units"]
    assert unit["feature"] == feature
    assert unit["unit"] == int(np.argmax(np.abs(r)))  # the card names the best unit
    assert unit["r"] == pytest.approx(r[unit["unit"]], abs=1e-9)
    assert abs(r[unit["unit"]]) >= min_r


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_notable_unit_holds_on_held_out_text(name):
    """Not memorised: on fresh text from the corpus's generator the same unit follows the
    feature and the loss stays far below the unigram baseline."""
    _, _, feature, _, _ = CLAIMS[name]
    model, card = load_shipped(name)
    text = HELD_OUT[name]()
    assert text not in load_corpus(card["corpus"]).text
    ids = encode_by_hand(tuple(card["vocab"]), text)
    trace = forward(model, ids[:, None])
    h = trace.layers[0][0].h[:, 0]
    assert abs(pearson(h[:, card["units"][0]["unit"]], FEATURE[feature](text))) >= 0.85
    assert bits_per_char(trace.logits[:-1, 0], ids[1:]) < 0.5 * unigram_bits(text)


def test_load_gives_fresh_trainable_models_and_the_card():
    model, vocab, card = pretrained.load("brackets-rnn")
    assert card == pretrained.card("brackets-rnn") and vocab.chars == card.vocab
    expected, _ = load_shipped("brackets-rnn")
    np.testing.assert_array_equal(model.layers[0][0].w_hh, expected.layers[0][0].w_hh)
    # the Train tab may start from it: training changes this copy only
    Trainer(model, vocab.encode(load_corpus("brackets").text), seq_len=10, batch_size=2).train(2)
    again, _, _ = pretrained.load("brackets-rnn")
    np.testing.assert_array_equal(again.layers[0][0].w_hh, expected.layers[0][0].w_hh)
    assert not np.array_equal(model.layers[0][0].w_hh, expected.layers[0][0].w_hh)


def test_card_summary_says_what_the_card_holds():
    card = pretrained.card("counting-gru")
    text = card.summary()
    assert card.training.chars_seen == card.training.steps * card.training.seq_len * card.training.batch_size
    for part in ("GRU", "16 units", "counting", f"{card.training.steps:,} steps", f"{card.bits_per_char:.2f}",
                 f"{card.unigram_bits_per_char:.2f}", f"Unit {card.units[0].unit}", f"{card.units[0].r:+.2f}"):
        assert part in text


def test_unknown_name_lists_the_known_ones():
    for call in (pretrained.card, pretrained.load):
        with pytest.raises(KeyError) as err:
            call("brackets-gru")
        assert isinstance(err.value, ValueError)
        assert str(err.value) == ("unknown trained model 'brackets-gru'; the trained models are: "
                                  "brackets-rnn, counting-gru, dialogue-lstm")


def test_unreadable_characters_in_order_of_first_appearance():
    assert pretrained.unreadable("brackets-rnn", "(a)(b)\na") == ("a", "b")
    assert pretrained.unreadable("brackets-rnn", "(())\n") == ()
    assert pretrained.unreadable(pretrained.card("dialogue-lstm"), 'tom said "HI!" é') == ("!", "é")
    assert pretrained.cannot_read_message("brackets-rnn", "(())") is None
    assert pretrained.cannot_read_message("brackets-rnn", "(a)\t\u202e") == (
        "This trained model (brackets-rnn) cannot read 'a', '\\t', '\\u202e'; "
        "it knows only the characters of the brackets corpus.")
    many = pretrained.cannot_read_message("brackets-rnn", "abcdefghijk", limit=3)
    assert many.startswith("This trained model (brackets-rnn) cannot read 'a', 'b', 'c' and 8 more;")


# --- the script: reproduction, --check, tampering ----------------------------------------------

def test_rerunning_the_script_reproduces_the_smallest_model_exactly(tmp_path):
    """Exact, bit for bit: float64 training on the same NumPy/OpenBLAS build is deterministic
    (also with OPENBLAS_NUM_THREADS=1 vs the default). OpenBLAS kernels for other CPUs sum in
    another order: forcing them here (OPENBLAS_CORETYPE=Nehalem / Sandybridge) moved the weights
    by up to 3e-13 / 4e-12 after the 1,000 steps. Compared are the arrays and the card text; the
    .npz bytes themselves differ (zip timestamps)."""
    smallest = min(RECIPES, key=lambda n: (DATA / f"{n}.npz").stat().st_size)
    assert smallest == "brackets-rnn"
    done = subprocess.run([sys.executable, "-m", "rnnviz.pretrain", "--only", smallest, "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with np.load(DATA / f"{smallest}.npz") as shipped, np.load(tmp_path / f"{smallest}.npz") as again:
        assert shipped.files == again.files
        for key in shipped.files:
            assert shipped[key].dtype == again[key].dtype == np.float64
            assert shipped[key].tobytes() == again[key].tobytes(), key
    assert (tmp_path / f"{smallest}.json").read_text() == (DATA / f"{smallest}.json").read_text()


def test_check_mode_rederives_the_cards_and_catches_an_edit(tmp_path, capsys):
    data = tmp_path / "trained"
    shutil.copytree(DATA, data)
    assert pretrain_main(["--check", "--out", str(data)]) == 0
    path = data / "counting-gru.json"
    original = json.loads(path.read_text())
    for field, value in (("bits_per_char", original["bits_per_char"] - 0.01), ("hidden_size", 32),
                         ("vocab", list(reversed(original["vocab"])))):
        path.write_text(json.dumps({**original, field: value}))
        assert pretrain_main(["--check", "--only", "counting-gru", "--out", str(data)]) == 1
        assert f"counting-gru.{field}" in capsys.readouterr().err
    edited_unit = {**original["units"][0], "r": 0.999}
    path.write_text(json.dumps({**original, "units": [edited_unit]}))
    assert pretrain_main(["--check", "--only", "counting-gru", "--out", str(data)]) == 1
    assert "counting-gru.units[0].r" in capsys.readouterr().err


def test_a_weights_file_that_does_not_match_its_card_is_refused(tmp_path):
    def shipped_with(npz: bytes, folder: str) -> Path:
        data = tmp_path / folder
        shutil.copytree(DATA, data)
        (data / "brackets-rnn.npz").write_bytes(npz)
        return data

    with np.load(DATA / "brackets-rnn.npz") as npz:
        arrays = {k: npz[k].copy() for k in npz.files}
    arrays["weight_hh_l0"][0, 0] += 1e-9  # same sizes, other weights
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    with pytest.raises(WeightsError, match="digest"):
        pretrained.load("brackets-rnn", shipped_with(buf.getvalue(), "nudged"))
    with pytest.raises(WeightsError, match="card describes"):  # a GRU where the card says RNN
        pretrained.load("brackets-rnn", shipped_with((DATA / "counting-gru.npz").read_bytes(), "gru"))
    with pytest.raises(WeightsError, match="not an .npz"):
        pretrained.load("brackets-rnn", shipped_with(b"not a zip", "junk"))


# --- the corpus added for the LSTM -------------------------------------------------------------

def test_dialogue_corpus_is_its_generators_output_with_speech_in_capitals():
    corpus = load_corpus("dialogue")
    assert "dialogue" in builtin_names()
    assert corpus.text == make_dialogue()
    assert corpus.vocab.decode(corpus.ids) == corpus.text
    for line in corpus.text.splitlines():
        parts = line.split('"')
        assert len(parts) in (3, 5)  # one or two quotations
        for i, part in enumerate(parts):
            assert part == (part.upper() if i % 2 else part.lower()) and part.strip()


def test_the_engine_modules_import_neither_streamlit_nor_plotly():
    code = ("import sys, rnnviz.pretrained, rnnviz.pretrain; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'streamlit', 'plotly'}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
