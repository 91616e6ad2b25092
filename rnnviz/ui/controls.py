"""The sidebar and every Config widget, generated from the knob table (rnnviz/app/knobs.py):
one widget per field, of the kind, bounds and section the table gives, keyed ``w_<field>``."""
from __future__ import annotations

import streamlit as st

from .. import pretrained
from ..app import rules
from ..app.knobs import KNOBS, TYPES, Config, choice_label, choices, shown, widget_max
from ..app.markdown import markdown_literal
from ..app.presets import PRESETS
from ..weights_io import MAX_FILE_BYTES
from . import compute, session, state

SIDEBAR_SECTIONS = {"model": "Model", "input": "Input", "weights": "Weights", "display": "Display"}
PRESET_HELP = ("Each preset sets up one formulation's example: its sizes and notation, and its inputs where the "
               "example fixes them. The class and functional-notebook presets also reproduce its random draws exactly "
               "(np.random.seed, then randn in the formulation's order), so your own run with that seed prints the "
               "same numbers. The PyTorch and TensorFlow presets use the formulation's initial distribution "
               "(U(±1/√H); N(0, 1) with zero biases) but NumPy's random numbers, not torch's or TensorFlow's.")


def widget(name: str, cfg: Config, *, container=st, **overrides) -> None:
    """Draw the widget of field ``name`` unless a lesson link hides it; locked fields are disabled."""
    if name in cfg.hide:
        return
    key = session.widget_key(name)
    if not session.has(key):  # Streamlit forgets the state of widgets that were not drawn
        session.put(key, state.to_widget(name, getattr(cfg, name)))
    k, typ = KNOBS[name], TYPES[name]
    locked = rules.locked_fields(cfg, external=session.external_model(cfg) is not None).get(name)
    common = dict(key=key, on_change=state.on_widget_change, args=(name,), disabled=bool(locked),
                  help=(f"Fixed: {locked}." if locked else k.help) or None)
    common.update(overrides)
    if k.widget == "slider":
        lo, hi = k.lo, widget_max(name, cfg)
        if lo >= hi:  # a slider needs min < max
            container.caption(f"{k.label}: {getattr(cfg, name)}")
            return
        container.slider(k.label, typ(lo), typ(hi), **common)
    elif k.widget == "number":
        fmt = {"format": "%.4g"} if typ is float else {}
        container.number_input(k.label, typ(k.lo), typ(k.hi), step=typ(k.increment), **fmt, **common)
    elif k.widget == "toggle":
        container.toggle(k.label, **common)
    elif k.widget == "select":
        container.selectbox(k.label, choices(name), format_func=lambda v: choice_label(name, v), **common)
    elif k.widget == "text_area":
        # The browser guards against huge pastes; the codec cuts to max_len with a notice the user sees.
        container.text_area(k.label, max_chars=20 * k.max_len, height=80, **common)
    elif k.widget == "text_input":
        container.text_input(k.label, placeholder=k.placeholder, **common)
    else:  # pragma: no cover - "none" fields are never drawn
        raise ValueError(f"{name} has no widget")


def sidebar(cfg: Config) -> None:
    with st.sidebar:
        st.header("rnnviz")
        if not cfg.hide:  # a lesson link fixes the set-up: no presets to escape it
            _preset_box()
        for section, title in SIDEBAR_SECTIONS.items():
            st.subheader(title)
            if section == "weights" and cfg.inputs == "notebook":
                st.caption("The notebook draws x, a0, Waa, Wax, Wya, ba, by with `np.random.randn` after "
                           "`np.random.seed(weight seed)`.")
            for name, k in KNOBS.items():
                if k.section == section and shown(name, cfg):
                    widget(name, cfg)
                    if name == "weights" and name not in cfg.hide:
                        _weights_source(cfg)
            if section == "weights" and "weights" in cfg.hide and rules.shipped(cfg):
                model_card(rules.shipped(cfg))  # a lesson link fixed the model: its card still says what it is


def _preset_box() -> None:
    st.selectbox(
        "Preset", list(PRESETS), index=None, key=session.PRESET_WIDGET, placeholder="Load a preset…",
        format_func=lambda p: PRESETS[p].title, on_change=_on_preset,
        help=PRESET_HELP,
    )


def _on_preset() -> None:
    name = session.get(session.PRESET_WIDGET)
    if name:
        compute.forget_upload()
        state.apply_preset(name)
    session.put(session.PRESET_WIDGET, None)


def _weights_source(cfg: Config) -> None:
    """What stands behind Weights = upload / trained here / a shipped trained model."""
    name = rules.shipped(cfg)
    if name is not None:
        model_card(name, container=st)
    elif cfg.weights == "upload":
        _uploader()
    elif cfg.weights == "session":
        trained = session.trained()
        if trained is None:
            st.caption("No model trained here yet (Train tab): showing random weights.")
        else:
            st.success(f"Trained here on {markdown_literal(trained.corpus)} for {trained.steps} steps.")


def model_card(name: str, *, container=st, expanded: bool = False) -> None:
    """The model card of a shipped trained model: what it is, how it was trained, its loss against
    the unigram baseline and what its notable units do (``pretrained.ModelCard.summary``)."""
    card = pretrained.card(name)
    box = container.expander(f"Model card: {card.title}", expanded=expanded)
    box.markdown(markdown_literal(card.summary()))
    units = ", ".join(f"unit {u.unit}" for u in card.units)
    box.caption(f"Explore → Neuron over text shows {units} over its corpus ({card.corpus}).")


def _uploader() -> None:
    st.file_uploader(
        "Parameters (.npz, PyTorch names)", type=["npz"], key=session.UPLOAD_WIDGET,
        max_upload_size=MAX_FILE_BYTES // 2**20, on_change=_on_upload,
        help="weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 (…_l1, …_reverse) and optionally out.weight, out.bias, "
             "as numpy.savez(**model.state_dict()) writes them.",
    )
    error = session.get(session.UPLOAD_ERROR)
    upload = session.upload()
    if error:
        st.error(markdown_literal(error))  # it quotes key names from the file
    elif upload is not None:
        m = upload.model
        st.success(f"Loaded: {m.cell.upper()}, {m.num_layers} layer(s), hidden {m.hidden_size}, "
                   f"{'bidirectional' if m.bidirectional else 'one direction'}.")
    else:
        st.caption("No file yet: showing random weights.")


def _on_upload() -> None:
    file = session.get(session.UPLOAD_WIDGET)
    session.put(session.UPLOAD_ERROR, None)
    if file is None:
        compute.forget_upload()
    else:
        session.put(session.UPLOAD_ERROR, compute.load_upload(file.getvalue(), state.current().nonlinearity))
    state.set_config(state.current())
