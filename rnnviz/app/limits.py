"""Work limits: no URL may ask for more memory or compute than a classroom server can give.

Each ``fit_*`` rule takes a Config and a list of notices, and returns the Config reduced until it
fits (the batch gives way first, then the sequence length or the hidden size), adding a notice
that says what changed and why.
"""
from __future__ import annotations

from dataclasses import replace

from .. import cells
from ..text import vocab_from_text
from .knobs import Config

# A trace holds ~4 arrays of T*B*G*H numbers per layer and direction: cap them (~100 MB a trace)
# so that no URL can ask for gigabytes; the batch gives way first.
MAX_TRACE_NUMBERS = 4_000_000
# One forward pass costs about T*B*D*G*H*(L*H + I + (L-1)*D*H) multiply-adds (input and recurrent
# products of every layer) plus a fixed cost per step and layer (FORWARD_STEP_OVERHEAD). Capped so that
# no URL asks for more than ~1 s of compute here: the batch, then the sequence length gives way.
MAX_FORWARD_WORK = 250_000_000
FORWARD_STEP_OVERHEAD = 40_000
# Weights of a seeded model (the same sum as one sample-step of work): ~16 MB of float64; the hidden size gives way.
MAX_PARAMETERS = 2_000_000


def forward_work(c: Config) -> int:
    """Multiply-adds of one forward pass, as MAX_FORWARD_WORK counts them."""
    return c.length * (c.batch * _sample_step_work(c) + c.layers * c.num_directions * FORWARD_STEP_OVERHEAD)


def _gates(c: Config) -> int:
    return cells.get(c.cell).num_gates


def _sample_step_work(c: Config) -> int:
    inputs = c.layers * c.hidden + c.input_size + (c.layers - 1) * c.num_directions * c.hidden
    return c.num_directions * _gates(c) * c.hidden * inputs


def fit_trace(c: Config, notices: list[str]) -> Config:
    """Reduce the batch until the recorded trace stays under MAX_TRACE_NUMBERS per kind of array."""
    # states of every layer, plus the inputs and the logits and probabilities (T x I, 2 x T x O)
    per_sample = c.length * (c.hidden * _gates(c) * c.layers * c.num_directions + c.input_size + 2 * c.output_size)
    if per_sample * c.batch <= MAX_TRACE_NUMBERS:
        return c
    batch = max(1, MAX_TRACE_NUMBERS // per_sample)
    if batch == c.batch:
        return c
    notices.append(f"Batch size reduced to {batch} so the recorded trace stays under "
                   f"{MAX_TRACE_NUMBERS / 1e6:g} million numbers per kind of array.")
    return replace(c, batch=batch)


def fit_parameters(c: Config, notices: list[str]) -> Config:
    """Reduce the hidden size until the model has at most MAX_PARAMETERS weights."""
    if _sample_step_work(c) <= MAX_PARAMETERS:
        return c
    hidden = c.hidden
    while hidden > 1 and _sample_step_work(replace(c, hidden=hidden)) > MAX_PARAMETERS:
        hidden = int(hidden * 0.95)
    notices.append(f"Hidden size reduced to {hidden} so that the model has at most {MAX_PARAMETERS / 1e6:g} million "
                   f"weights ({c.cell.upper()}, {c.layers} layer(s), {c.num_directions} direction(s)).")
    return replace(c, hidden=hidden, unit=min(c.unit, hidden - 1))


def fit_forward_work(c: Config, notices: list[str]) -> Config:
    """Reduce the batch, then the sequence length, until one forward pass fits MAX_FORWARD_WORK."""
    if forward_work(c) <= MAX_FORWARD_WORK:
        return c
    per_sample, fixed = _sample_step_work(c), c.layers * c.num_directions * FORWARD_STEP_OVERHEAD
    batch = max(1, (MAX_FORWARD_WORK // c.length - fixed) // per_sample)
    why = f"so that one forward pass stays under {MAX_FORWARD_WORK / 1e6:g} million multiply-adds"
    if batch < c.batch:
        notices.append(f"Batch size reduced to {batch} {why}.")
        c = replace(c, batch=batch)
    if forward_work(c) <= MAX_FORWARD_WORK:
        return c
    length = max(1, MAX_FORWARD_WORK // (per_sample * c.batch + fixed))
    notices.append(f"Sequence length cut to {length} {why} (hidden size {c.hidden}, {c.layers} layer(s), "
                   f"{c.num_directions} direction(s)).")
    if c.inputs == "text":
        vocab = vocab_from_text(c.text[:length])
        return replace(c, text=c.text[:length], input_size=vocab.size, output_size=vocab.size, length=length)
    if c.inputs == "ids":
        return replace(c, ids=c.ids[:length], length=length)
    return replace(c, length=length)
