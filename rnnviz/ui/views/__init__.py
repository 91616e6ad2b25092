"""The tabs of the page. Each tab is one module with ``render(cfg, computed)``; a new tab plugs in
by adding a :class:`Tab` to ``TABS``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ... import cells
from ...app.compute import Computed
from ...app.knobs import Config
from . import bidirectional, explore, gates, share, step, training, weights


@dataclass(frozen=True)
class Tab:
    title: str
    render: Callable[[Config, Computed], None]
    visible: Callable[[Config, Computed], bool] = lambda cfg, computed: True


TABS: list[Tab] = [
    Tab("Step through time", step.render),
    Tab("Gates & cell state", gates.render, lambda cfg, computed: cells.get(cfg.cell).gated),
    Tab("Bidirectional", bidirectional.render, lambda cfg, computed: cfg.bidirectional),
    Tab("Weights", weights.render),
    Tab("Train", training.render),
    Tab("Explore", explore.render),
    Tab("Share & export", share.render),
]
