"""The sidebar: one widget per Config field, bounded by the field's metadata, keyed ``w_<field>``."""
from __future__ import annotations

import streamlit as st

from .. import config
from ..config import Config
from ..text import markdown_literal
from . import compute, state

SLIDERS = ("layers", "hidden", "output_size", "input_size", "length", "batch", "sample")
NUMBERS = ("input_seed", "weight_seed", "scale")
TOGGLES = ("bidirectional", "zero_bias")
SELECTS = ("notation", "cell", "nonlinearity", "inputs", "weights", "init", "direction")
MAX_UPLOAD_MB = 32


def widget(name: str, cfg: Config, *, container=st, **overrides) -> None:
    """Draw the widget of field ``name`` unless a lesson link hides it; locked fields are disabled."""
    if name in cfg.hide:
        return
    key = state.widget_key(name)
    if not state.has(key):  # Streamlit forgets the state of widgets that were not drawn
        st.session_state[key] = state.to_widget(name, getattr(cfg, name))
    meta = config.FIELDS[name].metadata
    locked = config.locked_fields(cfg, uploaded=bool(st.session_state.get(state.UPLOAD_DIMS))).get(name)
    common = dict(key=key, on_change=state.on_widget_change, args=(name,), disabled=bool(locked),
                  help=(f"Fixed: {locked}." if locked else meta["help"]) or None)
    common.update(overrides)
    label = meta["label"]
    if name in SLIDERS or name in ("speed", "topk", "step", "unit", "layer"):
        lo, hi = config.bounds(name)
        hi = _dynamic_max(name, cfg, hi)
        if lo >= hi:  # a slider needs min < max
            container.caption(f"{label}: {getattr(cfg, name)}")
            return
        container.slider(label, int(lo) if name != "speed" else float(lo), int(hi) if name != "speed" else float(hi),
                         **common)
    elif name in NUMBERS:
        lo, hi = config.bounds(name)
        if name == "scale":
            container.number_input(label, float(lo), float(hi), step=0.1, format="%.4g", **common)
        else:
            container.number_input(label, int(lo), int(hi), step=1, **common)
    elif name in TOGGLES:
        container.toggle(label, **common)
    elif name in SELECTS:
        container.selectbox(label, config.choices(name), format_func=lambda v, n=name: config.choice_label(n, v), **common)
    elif name == "text":
        # The browser guards against huge pastes; config cuts to MAX_TEXT with a notice the user sees.
        container.text_area(label, max_chars=20 * config.MAX_TEXT, height=80, **common)
    elif name == "ids":
        container.text_input(label, **common, placeholder="e.g. 1,2,3,4,5")
    else:  # pragma: no cover
        raise ValueError(name)


def _dynamic_max(name: str, cfg: Config, hi: float) -> float:
    if name == "sample":
        return cfg.batch - 1
    if name == "step":
        return cfg.length - 1
    if name == "unit":
        return cfg.hidden - 1
    if name == "layer":
        return cfg.layers - 1
    if name == "topk":
        return min(hi, max(cfg.output_size, 1))
    return hi


def sidebar(cfg: Config) -> None:
    with st.sidebar:
        st.header("rnnviz")
        if not cfg.hide:  # a lesson link fixes the set-up: no presets to escape it
            _preset_box()
        st.subheader("Model")
        for name in ("cell", "nonlinearity", "layers", "bidirectional", "hidden", "output_size", "notation"):
            if name == "nonlinearity" and cfg.cell != "rnn":
                continue
            widget(name, cfg)
        st.subheader("Input")
        widget("inputs", cfg)
        if cfg.inputs == "text":
            widget("text", cfg)
        elif cfg.inputs == "ids":
            widget("ids", cfg)
        for name in ("input_size", "length", "batch", "sample"):
            widget(name, cfg)
        if cfg.inputs in ("random_ids", "random_dense"):
            widget("input_seed", cfg)
        st.subheader("Weights")
        if cfg.inputs == "notebook":
            st.caption("The notebook draws x, a0, Waa, Wax, Wya, ba, by with `np.random.randn` after "
                       "`np.random.seed(weight seed)`.")
            widget("weight_seed", cfg)
            return
        widget("weights", cfg)
        if cfg.weights == "upload" and "weights" not in cfg.hide:
            _uploader(cfg)
        for name in ("init", "scale", "zero_bias", "weight_seed"):
            if name == "scale" and cfg.init == "torch_default":
                continue
            widget(name, cfg)


def _preset_box() -> None:
    st.selectbox(
        "Preset", list(config.PRESETS), index=None, key="preset", placeholder="Load a preset…",
        format_func=lambda p: config.PRESETS[p].title, on_change=_on_preset,
        help="Each preset reproduces one formulation's set-up exactly.",
    )


def _on_preset() -> None:
    name = st.session_state.get("preset")
    if name:
        state.apply_preset(name)
        compute.forget_upload()
    st.session_state["preset"] = None


def _uploader(cfg: Config) -> None:
    st.file_uploader(
        "Parameters (.npz, PyTorch names)", type=["npz"], key="upload_file", max_upload_size=MAX_UPLOAD_MB,
        on_change=_on_upload,
        help="weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 (…_l1, …_reverse) and optionally out.weight, out.bias, "
             "as numpy.savez(**model.state_dict()) writes them.",
    )
    error = st.session_state.get("upload_error")
    dims = st.session_state.get(state.UPLOAD_DIMS)
    if error:
        st.error(markdown_literal(error))  # it quotes key names from the file
    elif dims:
        st.success(f"Loaded: {dims['cell'].upper()}, {dims['layers']} layer(s), hidden {dims['hidden']}, "
                   f"{'bidirectional' if dims['bidirectional'] else 'one direction'}.")
    else:
        st.caption("No file yet: showing random weights.")


def _on_upload() -> None:
    file = st.session_state.get("upload_file")
    st.session_state["upload_error"] = None
    if file is None:
        compute.forget_upload()
    else:
        st.session_state["upload_error"] = compute.load_upload(file.getvalue(), state.current().nonlinearity)
    state.set_config(state.current())
