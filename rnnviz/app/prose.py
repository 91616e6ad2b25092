"""Sentences the page says about what is on screen, as functions of the configuration.

A teaching tool is judged first by whether what it says is true: every sentence that depends on
the configuration is written here, once, so tests can check it against the numbers for every
configuration it can appear in. Markdown; user text is escaped.
"""
from __future__ import annotations

from .compute import Computed
from .knobs import Config, choice_label
from .markdown import markdown_literal


def cell_name(cfg: Config) -> str:
    """'vanilla RNN (tanh)', 'LSTM', ..."""
    return choice_label("cell", cfg.cell) + (f" ({cfg.nonlinearity})" if cfg.cell == "rnn" else "")


def story(cfg: Config, computed: Computed) -> str:
    """One paragraph saying what the page shows right now (the weights' origin aside)."""
    shape = f"{cfg.layers}-layer " if cfg.layers > 1 else ""
    shape += "bidirectional " if cfg.bidirectional else ""
    what = {
        "text": f"reads “{markdown_literal(cfg.text if len(cfg.text) <= 40 else cfg.text[:40] + '…')}” one character at a time",
        "ids": f"reads the token ids {list(cfg.ids[:12])}{'…' if len(cfg.ids) > 12 else ''}",
        "random_ids": f"reads {cfg.length} random token ids",
        "random_dense": f"reads {cfg.length} random {cfg.input_size}-dimensional vectors",
        "tf_example": "reads the TensorFlow example's mini-batch (X0, X1: 4 instances × 3 features)",
        "notebook": f"runs the functional notebook's set-up (np.random.seed({cfg.weight_seed}): x, a0, Waa, Wax, Wya, ba, by)",
    }[cfg.inputs]
    text = (f"A {shape}**{cell_name(cfg)}** with **{cfg.hidden} hidden units** {what}. Each column of the heatmap is its "
            "hidden state after reading that input (blue negative, red positive); ")
    if computed.trace.probs is not None:
        text += "the bars on the right are its softmax guess for the next token. "
    else:
        text += "it has no output layer. "
    return text


def weights_sentence(cfg: Config, *, trained: tuple[str, int, float | None] | None, uploaded: bool) -> str:
    """Where the weights come from. ``trained``: (corpus, steps, bits/char) of a model trained
    here that the page shows; ``uploaded``: the page shows an uploaded file."""
    if trained is not None:
        corpus, steps, bits = trained
        loss = f", {bits:.2f} bits per character at the last step" if bits is not None else ""
        return f"Its weights were **trained here** on the *{markdown_literal(corpus)}* corpus for {steps} steps{loss} (Train tab)."
    if uploaded:
        return "The weights come from your uploaded file."
    if cfg.inputs == "notebook":
        return ""
    return (f"Its weights are random (seed {cfg.weight_seed}): it has not learned anything yet, so watch the "
            "mechanics, not the meaning. Press **▶ Play** or click a cell to explain it.")
