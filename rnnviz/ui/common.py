"""Small helpers shared by the tabs."""
from __future__ import annotations

from ..app.compute import Computed
from ..app.knobs import Config
from ..app.notation import state_letter
from ..trace import LayerTrace

# Plotly's own toolbar keeps its PNG button ("Download plot as a png"); the rest is noise in class.
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
                 "toImageButtonOptions": {"format": "png", "scale": 2}}


def viewed_layer(cfg: Config, computed: Computed) -> LayerTrace:
    return computed.trace.layers[cfg.layer][cfg.dir_index]


def state_kind(cfg: Config) -> str:
    """Colour scale of hidden states: tanh-bounded except for a ReLU RNN."""
    return "relu" if cfg.nonlinearity == "relu" else "tanh"


def state_symbol(cfg: Config) -> str:
    return state_letter(cfg.notation, cfg.cell)


def where(cfg: Config) -> str:
    """'layer 1 (reverse), sample 3' — only the parts that matter for this model."""
    parts = []
    if cfg.layers > 1:
        parts.append(f"layer {cfg.layer}")
    if cfg.bidirectional:
        parts.append(f"{cfg.direction} direction")
    if cfg.batch > 1:
        parts.append(f"sample {cfg.sample}")
    return ", ".join(parts)
