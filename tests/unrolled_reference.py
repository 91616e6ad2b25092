"""An independent NumPy reference for the unrolled view's tests: plain loops over layers,
directions and time, written from the textbook equations with the model's parameters (no
rnnviz.network, trace, cells or equations), for token ids or dense inputs and stacked layers.
Every internal the view draws is recomputed here by name (the live equation's slots and the
products the diagram writes beside its ⊙ nodes).
"""
from __future__ import annotations

import numpy as np


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _direction(cell: str, nonlinearity: str, p, inputs: np.ndarray, tokens: bool, reverse: bool) -> dict:
    """One layer and direction: (T, H) arrays of every named quantity."""
    H = p.w_hh.shape[1]
    T = len(inputs)
    out: dict[str, np.ndarray] = {}

    def put(name: str, t: int, value) -> None:
        out.setdefault(name, np.zeros((T, H)))[t] = value

    h, c = np.zeros(H), np.zeros(H)
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        x = p.w_ih[:, inputs[t]] if tokens else p.w_ih @ inputs[t]  # W_ih x_t (one-hot: a column)
        hw = p.w_hh @ h
        put("h_prev", t, h)
        if cell == "rnn":
            pre = x + p.b_ih + hw + p.b_hh
            new = np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0.0)
            for name, v in (("xw", x), ("bih", p.b_ih), ("hw", hw), ("bhh", p.b_hh), ("b", p.b_ih + p.b_hh),
                            ("pre", pre)):
                put(name, t, v)
        else:
            names = "ifgo" if cell == "lstm" else "rzn"
            act = {}
            for k, g in enumerate(names):
                blk = slice(k * H, (k + 1) * H)
                if cell == "gru" and g == "n":  # PyTorch's GRU: r multiplies W_hn h + b_hn
                    pre = x[blk] + p.b_ih[blk] + act["r"] * (hw[blk] + p.b_hh[blk])
                    put("r_hn", t, act["r"] * (hw[blk] + p.b_hh[blk]))
                else:
                    pre = x[blk] + p.b_ih[blk] + hw[blk] + p.b_hh[blk]
                act[g] = np.tanh(pre) if g in "gn" else _sigmoid(pre)
                for name, v in (("xw", x[blk]), ("bi", p.b_ih[blk]), ("hw", hw[blk]), ("bh", p.b_hh[blk]), ("pre", pre)):
                    put(f"{g}_{name}", t, v)
                put(g, t, act[g])
            if cell == "lstm":
                put("c_prev", t, c)
                put("f_c", t, act["f"] * c)
                put("i_g", t, act["i"] * act["g"])
                c = act["f"] * c + act["i"] * act["g"]
                put("c", t, c)
                put("tanh_c", t, np.tanh(c))
                new = act["o"] * np.tanh(c)
            else:
                put("z_h", t, act["z"] * h)
                put("omz_n", t, (1.0 - act["z"]) * act["n"])
                new = (1.0 - act["z"]) * act["n"] + act["z"] * h
        put("h", t, new)
        h = new
    return out


def reference_layers(model, inputs: np.ndarray) -> list[list[dict]]:
    """``[layer][direction]`` -> named (T, H) arrays, for one sequence: token ids (T,) or dense
    vectors (T, I). A layer above the first reads [forward h_t ; reverse h_t] of the layer below."""
    tokens = np.asarray(inputs).ndim == 1
    feed = np.asarray(inputs)
    result = []
    for layer in model.layers:
        dirs = [_direction(model.cell, model.nonlinearity, p, feed, tokens, bool(d)) for d, p in enumerate(layer)]
        result.append(dirs)
        feed = np.concatenate([d["h"] for d in dirs], axis=-1)
        tokens = False
    return result


def reference_probs(model, top: np.ndarray) -> np.ndarray:
    """Softmax of the output layer over the top layer's concatenated states (T, D*H)."""
    logits = top @ model.w_out.T + model.b_out
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
