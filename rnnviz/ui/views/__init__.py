"""The tabs of the page. Each tab is one module with ``render(cfg, run)``; new tabs (e.g. Train,
Explore) plug in by adding a :class:`Tab` to ``TABS``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ...build import Run
from ...config import Config
from . import bidirectional, explore, gates, share, step, train, weights


@dataclass(frozen=True)
class Tab:
    title: str
    render: Callable[[Config, Run], None]
    visible: Callable[[Config, Run], bool] = lambda cfg, run: True


TAB_KEY = "tab"  # the open tab's URL parameter (Streamlit binds it; config.py leaves it alone)
TABS: list[Tab] = [
    Tab("Step through time", step.render),
    Tab("Gates & cell state", gates.render, lambda cfg, run: cfg.cell != "rnn"),
    Tab("Bidirectional", bidirectional.render, lambda cfg, run: cfg.bidirectional),
    Tab("Weights", weights.render),
    Tab("Train", train.render),
    Tab("Explore", explore.render),
    Tab("Share & export", share.render),
]
