"""The step player's ``highlight`` entry (what a lesson's revealed answer outlines): plain JSON,
indices checked against the sizes, absent unless given, and never part of ``sig`` (a new
highlight must not rebuild the player or move it)."""
from __future__ import annotations

import json

import numpy as np

from rnnviz.figures.player import player_spec
from rnnviz.network import forward, init_model


def spec(**kw) -> dict:
    model = init_model("rnn", 5, 4, 5, seed=0)
    trace = forward(model, np.array([0, 1, 2, 3, 4, 1]))
    return player_spec(trace, model, step_labels=list("abcdeb"), output_labels=list("abcde"), **kw)


def test_no_highlight_unless_given():
    assert "highlight" not in spec()


def test_the_highlight_is_json_with_its_indices_checked():
    got = spec(highlight={"step": 3, "unit": 2, "slot": "h", "out": np.int64(4), "steps": [0, 1, 9]})["highlight"]
    assert got == {"step": 3, "unit": 2, "slot": "h", "out": 4, "steps": [0, 1]}  # step 9 does not exist
    json.dumps(got)  # plain JSON, no NumPy scalars
    bad = spec(highlight={"step": 6, "unit": -1, "slot": None, "out": 5, "steps": []})["highlight"]
    assert bad == {"step": None, "unit": None, "slot": None, "out": None, "steps": []}  # out of range: dropped


def test_a_highlight_keeps_the_sig_and_the_command():
    plain, lit = spec(step=2, seq=3), spec(step=2, seq=3, highlight={"step": 2, "unit": 0, "slot": "pre"})
    assert plain["sig"] == lit["sig"] and plain["cmd"] == lit["cmd"]
    assert {k for k in lit if k not in plain} == {"highlight"}
