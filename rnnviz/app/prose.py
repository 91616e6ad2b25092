"""Sentences the page says about what is on screen, as functions of the configuration.

A teaching tool is judged first by whether what it says is true: every sentence that depends on
the configuration is written here, once, so tests can check it against the numbers for every
configuration it can appear in. Markdown; user text is escaped.
"""
from __future__ import annotations

import numpy as np

from .. import cells
from ..trace import Trace
from .knobs import Config, choice_label
from .markdown import markdown_literal

# Beyond this, float32 charts saturate (the engine itself computes in float64).
FLOAT32_MAX = float(np.finfo(np.float32).max)


def cell_name(cfg: Config) -> str:
    """'vanilla RNN (tanh)', 'LSTM', ..."""
    return choice_label("cell", cfg.cell) + (f" ({cfg.nonlinearity})" if len(cells.get(cfg.cell).nonlinearities) > 1 else "")


def story(cfg: Config, *, has_softmax: bool) -> str:
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
    if has_softmax:
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


def overflow_note(trace: Trace) -> str | None:
    """Say so when states exceed what a chart can draw or overflowed to inf/NaN (an exploding ReLU)."""
    states = [a for layer in trace.layers for lt in layer for a in (lt.h, lt.c) if a is not None]
    if trace.logits is not None:
        states.append(trace.logits)
    worst = 0.0
    for a in states:
        if not np.isfinite(a).all():
            return ("Overflow: some values grew beyond floating-point range (inf/NaN), as an unbounded ReLU with large "
                    "weights does. Charts draw them saturated at ±3.4e38 (NaN as 0); lower the scale or use tanh.")
        worst = max(worst, float(np.abs(a).max()) if a.size else 0.0)
    if worst > FLOAT32_MAX:
        return (f"Overflow: states reach {worst:.3g}, beyond what charts draw (float32, ±3.4e38); they are shown "
                "saturated. Lower the scale or use tanh.")
    if worst > 1e6:
        return f"The states explode (up to {worst:.3g}): a ReLU with large weights has no bound; colour scales fit the largest value."
    return None
