"""An independent NumPy reference for the player tests: one plain loop per cell, written from the
textbook equations with the model's parameters (it does not use rnnviz.network, trace or
equations), for a one-layer model reading token ids. Every equation slot of the player is
recomputed here by name.
"""
from __future__ import annotations

import numpy as np


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def reference_direction(model, ids: np.ndarray, direction: int) -> dict[str, np.ndarray]:
    """Per step (T, H) arrays of layer 0, ``direction``: h, h_prev, gates (T, G*H), c, and every slot."""
    p = model.layers[0][direction]
    H = p.w_hh.shape[1]
    T = len(ids)
    cell = model.cell
    out: dict[str, np.ndarray] = {}

    def put(name: str, t: int, value: np.ndarray) -> None:
        out.setdefault(name, np.zeros((T, H)))[t] = value

    h = np.zeros(H)
    c = np.zeros(H)
    order = range(T - 1, -1, -1) if direction else range(T)
    gates_all = np.zeros((T, 4 * H if cell == "lstm" else 3 * H)) if cell != "rnn" else None
    for t in order:
        x = p.w_ih[:, ids[t]]  # W_ih one_hot(x_t): the column of the token
        hw = p.w_hh @ h
        put("h_prev", t, h)
        if cell == "rnn":
            pre = x + p.b_ih + hw + p.b_hh
            new = np.tanh(pre) if model.nonlinearity == "tanh" else np.maximum(pre, 0.0)
            for name, v in (("xw", x), ("bih", p.b_ih), ("hw", hw), ("bhh", p.b_hh), ("b", p.b_ih + p.b_hh),
                            ("pre", pre)):
                put(name, t, v)
        elif cell == "lstm":
            acts = {}
            for k, g in enumerate("ifgo"):
                blk = slice(k * H, (k + 1) * H)
                pre = x[blk] + p.b_ih[blk] + hw[blk] + p.b_hh[blk]
                acts[g] = np.tanh(pre) if g == "g" else _sigmoid(pre)
                for name, v in (("xw", x[blk]), ("bi", p.b_ih[blk]), ("hw", hw[blk]), ("bh", p.b_hh[blk]), ("pre", pre)):
                    put(f"{g}_{name}", t, v)
                put(g, t, acts[g])
                gates_all[t, blk] = acts[g]
            put("c_prev", t, c)
            c = acts["f"] * c + acts["i"] * acts["g"]
            put("c", t, c)
            put("tanh_c", t, np.tanh(c))
            new = acts["o"] * np.tanh(c)
        else:  # GRU, PyTorch's form: n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
            acts = {}
            for k, g in enumerate("rzn"):
                blk = slice(k * H, (k + 1) * H)
                if g == "n":
                    pre = x[blk] + p.b_ih[blk] + acts["r"] * (hw[blk] + p.b_hh[blk])
                    acts[g] = np.tanh(pre)
                else:
                    pre = x[blk] + p.b_ih[blk] + hw[blk] + p.b_hh[blk]
                    acts[g] = _sigmoid(pre)
                for name, v in (("xw", x[blk]), ("bi", p.b_ih[blk]), ("hw", hw[blk]), ("bh", p.b_hh[blk]), ("pre", pre)):
                    put(f"{g}_{name}", t, v)
                put(g, t, acts[g])
                gates_all[t, blk] = acts[g]
            new = (1.0 - acts["z"]) * acts["n"] + acts["z"] * h
        put("h", t, new)
        h = new
    if gates_all is not None:
        out["gates"] = gates_all
    return out


def reference_model(model, ids: np.ndarray) -> dict:
    """Both directions of layer 0 and, when the model has an output layer, the softmax (T, O)."""
    dirs = [reference_direction(model, ids, d) for d in range(model.num_directions)]
    res = {"dirs": dirs}
    if model.w_out is not None:
        states = np.concatenate([d["h"] for d in dirs], axis=-1)
        logits = states @ model.w_out.T + model.b_out
        e = np.exp(logits - logits.max(axis=-1, keepdims=True))
        res["probs"] = e / e.sum(axis=-1, keepdims=True)
    return res


def demo_model(cell: str = "rnn", hidden: int = 16, length: int = 11, text: str = "hello world",
               bidirectional: bool = False, output: str = "next", nonlinearity: str = "tanh", seed: int = 0):
    """A model like a demo of the player (torch's default init) for these parameters, its token
    ids, step labels and true next ids, built here from the engine's public functions."""
    from rnnviz.network import init_model
    from rnnviz.text import vocab_from_text

    seq = (text * (length // len(text) + 1))[:length]
    vocab = vocab_from_text(seq)
    ids = vocab.encode(seq)
    O = {"next": vocab.size, "class": 4, "none": None}[output]
    model = init_model(cell, vocab.size, hidden, O, bidirectional=bidirectional, nonlinearity=nonlinearity, seed=seed)
    labels = vocab.labels()
    out_labels = labels if output == "next" else [f"class {k}" for k in range(4)] if output == "class" else None
    return model, ids, [labels[i] for i in ids], out_labels, np.append(ids[1:], -1)


def page_model(cell: str = "rnn", hidden: int = 16, bidirectional: bool = False, text: str = "hello world"):
    """The app's default model for typed ``text`` (uniform ±0.5, seed 0: the knob defaults), its
    token ids and, for a one-direction model, the true next id of every step (-1 at the end)."""
    from rnnviz.network import init_model
    from rnnviz.text import vocab_from_text

    vocab = vocab_from_text(text)
    ids = vocab.encode(text)
    model = init_model(cell, vocab.size, hidden, vocab.size, bidirectional=bidirectional, init="uniform", scale=0.5,
                       seed=0)
    return model, ids, None if bidirectional else np.append(ids[1:], -1)
