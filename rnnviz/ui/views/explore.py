"""Explore what hidden states mean: neurons over text, the PCA trajectory, gradient flow (RNN vs
LSTM vs GRU), two models side by side, and "what changed" when one input differs.

Every view reads the page's model (random, uploaded or trained in the Train tab) and its input;
each heavy computation is cached with ``max_entries`` and bounded (MAX_* below).
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from ... import analysis, cells
from ...app.compute import Computed
from ...app.knobs import Config
from ...figures import explore as figures
from ...figures.model import units_heatmap
from ...network import forward, init_model
from .. import compute, controls, session
from ..charts import show
from ..common import state_kind

VIEWS = ("Neuron over text", "Trajectory", "Vanishing gradients", "Side by side", "What changed")
MAX_NEURON_CHARS = 2000  # corpus excerpt for the neuron search
FLOW_STEPS_SHOWN = 80  # gradient flow: T losses backpropagated through T steps, for three cells (engine: <= 400)
MAX_FLOW_HIDDEN = 64
MAX_COMPARE_HIDDEN = 128


def render(cfg: Config, computed: Computed) -> None:
    view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="explore_view", label_visibility="collapsed")
    view = view or VIEWS[0]
    if session.trained_active(cfg) is None:
        st.caption("Tip: these views mean most after training (Train tab); with random weights they show the mechanics.")
    {"Neuron over text": _neuron, "Trajectory": _trajectory, "Vanishing gradients": _gradients,
     "Side by side": _side_by_side, "What changed": _what_changed}[view](cfg, computed)


def _step_inputs(cfg: Config, computed: Computed) -> np.ndarray:
    """The viewed sample's inputs: ids (T,) or vectors (T, I)."""
    return computed.batch.data[:, cfg.sample]


def _one_char_labels(computed: Computed, cfg: Config) -> str:
    return "".join(label if len(label) == 1 else "•" for label in computed.batch.step_labels(cfg.sample))


# --- neuron over text --------------------------------------------------------------------------

@st.cache_data(max_entries=8, show_spinner=False)
def _states(token: tuple, text: str, layer: int, direction: int, _model, _vocab) -> np.ndarray:
    ids = _vocab.encode(text)
    return forward(_model, ids[:, None]).layers[layer][direction].h[:, 0]


def _neuron_text(cfg: Config, computed: Computed) -> tuple[str, np.ndarray] | None:
    trained = session.trained_active(cfg)
    if trained is not None:
        source = st.radio("Text", ["the training corpus", "the sidebar text"], horizontal=True, key="neuron_source")
        corpus = trained.text
        if source == "the training corpus" and corpus:
            n = st.slider("Characters of the corpus", 100, min(MAX_NEURON_CHARS, len(corpus)),
                          min(600, len(corpus)), 50, key="neuron_chars") if len(corpus) > 100 else len(corpus)
            text = corpus[:n]
            return text, _states(compute.model_token(cfg), text, cfg.layer, cfg.dir_index, computed.model, trained.vocab)
    if cfg.inputs != "text":
        st.info("This view colours characters: choose Input → typed text in the sidebar (or train a model).")
        return None
    return cfg.text, computed.trace.layers[cfg.layer][cfg.dir_index].h[:, cfg.sample]


def _neuron(cfg: Config, computed: Computed) -> None:
    st.markdown("Each character is coloured by one unit's value **after reading it** (blue negative, red positive). "
                "Find units that track something: the units are ranked by how strongly they correlate with a feature "
                "of the text.")
    got = _neuron_text(cfg, computed)
    if got is None:
        return
    text, h = got
    features = list(analysis.FEATURES) + ["a span I choose"]
    cols = st.columns([2, 3])
    name = cols[0].selectbox("Find units that follow", features, key="neuron_feature")
    if name == "a span I choose":
        lo, hi = cols[1].slider("Span (character positions, end excluded)", 0, len(text), (0, max(1, len(text) // 4)),
                                key="neuron_span")
        if hi <= lo:
            st.warning("Choose a span of at least one character.")
            return
        feature = analysis.span_mask(len(text), [(lo, hi)])
        cols[1].code(text[lo:hi][:200], language=None)
    else:
        feature = analysis.FEATURES[name](text)
    order, r = analysis.rank_units(h, feature)
    options = [int(u) for u in order]
    ranking = (name, len(text), tuple(options[:3]))
    if session.get(session.NEURON_RANKING) != ranking:  # a new ranking: start from its best unit
        session.put(session.NEURON_RANKING, ranking)
        session.put(session.NEURON_UNIT_WIDGET, options[0])
    unit = st.selectbox("Unit (best match first)", options, key=session.NEURON_UNIT_WIDGET,
                        format_func=lambda u: f"unit {u}  (r = {r[u]:+.2f})")
    show(figures.text_activation_figure(text, h[:, unit], columns=50, label=f"unit {unit}",
                                        symmetric=state_kind(cfg) != "relu"), key="neuron_text")
    st.caption(f"Correlation of every unit with “{name}” (top 20 shown); |r| near 1 means the unit follows it closely.")
    show(figures.unit_ranking_figure(r, order, top=20, feature=name), key="neuron_ranking")


# --- trajectory ----------------------------------------------------------------------------------

@st.cache_data(max_entries=8, show_spinner=False)
def _pca(token: tuple, layer: int, direction: int, sample: int, n: int, _h: np.ndarray) -> analysis.PCAResult:
    return analysis.pca(_h, n_components=n)


def _trajectory(cfg: Config, computed: Computed) -> None:
    st.markdown("The hidden state h_t has one number per unit: too many dimensions to draw. PCA finds the 2 or 3 "
                "directions in which the states differ most; each point is the state after reading its character. "
                "The red ring is the current time step, the same one as in *Step through time*.")
    cols = st.columns([1, 4])
    n = cols[0].radio("Dimensions", [2, 3], horizontal=True, key="trajectory_dims")
    with cols[1]:
        controls.widget("step", cfg)
    h = computed.trace.layers[cfg.layer][cfg.dir_index].h[:, cfg.sample]
    p = _pca(compute.model_token(cfg), cfg.layer, cfg.dir_index, cfg.sample, n, h)
    show(figures.trajectory_figure(p.coords, _one_char_labels(computed, cfg), step=cfg.step,
                                   explained=p.explained_variance_ratio), key="trajectory")
    st.caption(f"The axes explain {p.explained_variance_ratio.sum():.0%} of the variance of the states.")


# --- vanishing gradients ------------------------------------------------------------------------

def _init_kwargs(cfg: Config) -> dict:
    if cfg.init == "torch_default":
        return dict(init="uniform", scale=None, zero_bias=cfg.zero_bias)
    return dict(init=cfg.init, scale=cfg.scale, zero_bias=cfg.zero_bias)


@st.cache_data(max_entries=6, show_spinner="Backpropagating every loss through time…")
def _flows(inputs: np.ndarray, input_size: int, hidden: int, output_size: int, seed: int, init: tuple,
           nonlinearity: str) -> dict:
    kw = dict(init)
    return {cell: analysis.gradient_flow(init_model(cell, input_size, hidden, output_size or None, seed=seed,
                                                    nonlinearity=cells.nonlinearity_for(cell, nonlinearity), **kw), inputs)
            for cell in cells.CELLS}


def _gradients(cfg: Config, computed: Computed) -> None:
    st.markdown("How much does the loss at step t depend on the state at an earlier step k? Each cell of a heatmap "
                "is log10 ‖∂L_t/∂h_k‖ (row t, column k) for a **freshly initialised** RNN, LSTM and GRU reading the same "
                "input with the same seed. In a vanilla RNN the colour fades quickly to the left of the diagonal: the "
                "gradient vanishes (or, with large weights, explodes).")
    x = _step_inputs(cfg, computed)[:FLOW_STEPS_SHOWN]
    hidden = min(cfg.hidden, MAX_FLOW_HIDDEN)
    notes = []
    if computed.batch.seq_len > FLOW_STEPS_SHOWN:
        notes.append(f"the first {FLOW_STEPS_SHOWN} steps")
    if cfg.hidden > MAX_FLOW_HIDDEN:
        notes.append(f"{MAX_FLOW_HIDDEN} hidden units")
    if notes:
        st.caption("To stay fast this view uses " + " and ".join(notes) + ".")
    flows = _flows(x, cfg.input_size, hidden, cfg.output_size, cfg.weight_seed, tuple(_init_kwargs(cfg).items()),
                   cfg.nonlinearity)
    show(figures.gradient_flow_figure(flows), key="gradient_flow")
    st.caption("Decay curve: the mean of ‖∂L_t/∂h_{t−d}‖ / ‖∂L_t/∂h_t‖ over t, against the distance d (log scale). "
               "Change the init scale in the sidebar to see vanishing turn into exploding.")
    show(figures.gradient_decay_figure({name: analysis.decay_curve(g) for name, g in flows.items()}),
         key="gradient_decay")


# --- side by side ---------------------------------------------------------------------------------

@st.cache_data(max_entries=8, show_spinner=False)
def _side_states(cell: str, seed: int, inputs: np.ndarray, input_size: int, hidden: int, layers: int,
                 output_size: int, init: tuple, nonlinearity: str) -> np.ndarray:
    model = init_model(cell, input_size, hidden, output_size or None, num_layers=layers, seed=seed,
                       nonlinearity=cells.nonlinearity_for(cell, nonlinearity), **dict(init))
    return forward(model, inputs[:, None]).layers[layers - 1][0].h[:, 0]


def _side_by_side(cfg: Config, computed: Computed) -> None:
    st.markdown("The same input through two freshly initialised models at once: change the cell or the seed on either "
                "side. Rows are units, columns time steps (top layer).")
    x = _step_inputs(cfg, computed)
    hidden = min(cfg.hidden, MAX_COMPARE_HIDDEN)
    labels = computed.batch.step_labels(cfg.sample)
    sides = st.columns(2)
    defaults = (("rnn", cfg.weight_seed), ("lstm", cfg.weight_seed))
    for k, (side, (cell0, seed0)) in enumerate(zip(sides, defaults)):
        with side:
            a, b = st.columns(2)
            cell = a.selectbox("Cell", cells.CELLS, index=cells.CELLS.index(cell0),
                               key=f"side_cell_{k}", format_func=str.upper)
            seed = b.number_input("Seed", 0, 2**31 - 1, seed0, key=f"side_seed_{k}")
            h = _side_states(cell, int(seed), x, cfg.input_size, hidden, cfg.layers, cfg.output_size,
                             tuple(_init_kwargs(cfg).items()), cfg.nonlinearity)
            kind = "relu" if cells.nonlinearity_for(cell, cfg.nonlinearity) == "relu" else "tanh"
            show(units_heatmap(h, labels, title=f"{cell.upper()}, seed {seed}", kind=kind),
                 key=f"side_{k}")
    if hidden < cfg.hidden:
        st.caption(f"Both use {hidden} hidden units (capped to keep this view fast).")


# --- what changed ---------------------------------------------------------------------------------

@st.cache_data(max_entries=8, show_spinner=False)
def _changed(name: str, token: tuple, a: np.ndarray, b: np.ndarray, eps: float, _model) -> analysis.WhatChanged:
    return analysis.what_changed(_model, a, b, eps=eps)


def _what_changed(cfg: Config, computed: Computed) -> None:
    st.markdown("Two inputs that differ at **one** step. How long does each unit remember the difference? "
                "The heatmap shows |Δh_t| per unit; the bars count, per unit, the steps until |Δh| falls below ε "
                "for good (its memory span; hatched bars are still above ε at the end).")
    if not computed.batch.tokens or computed.batch.seq_len < 2:
        st.info("This view changes one token: choose an input of characters or token ids (at least 2 steps).")
        return
    ids = _step_inputs(cfg, computed)
    labels = computed.batch.token_labels
    T = ids.shape[0]
    cols = st.columns(3)
    step = cols[0].slider("Change the input at step", 0, T - 1, min(1, T - 1), key="changed_step")
    choices = [i for i in range(len(labels)) if i != ids[step]] or [int(ids[step])]
    new = cols[1].selectbox("… to", choices, key="changed_to", format_func=lambda i: labels[i])
    eps = cols[2].select_slider("ε", [1e-4, 1e-3, 1e-2, 1e-1], value=1e-3, key="changed_eps")
    other = analysis.perturb(ids, step, new)
    models = {}
    if session.trained_active(cfg) is not None and not cfg.bidirectional:
        models["trained"] = computed.model
    hidden = min(cfg.hidden, MAX_COMPARE_HIDDEN)
    for cell in ("rnn", "lstm"):
        models[cell] = init_model(cell, cfg.input_size, hidden, cfg.output_size or None, seed=cfg.weight_seed,
                                  nonlinearity=cells.nonlinearity_for(cell, cfg.nonlinearity), **_init_kwargs(cfg))
    token = (compute.model_token(cfg), hidden)
    results = {name: _changed(name, token, ids, other, float(eps), m) for name, m in models.items()}
    text = "".join(label if len(label) == 1 else "•" for label in (labels[i] for i in ids))
    for name, wc in results.items():
        st.markdown(f"**|Δh_t| of {'the trained model' if name == 'trained' else 'a fresh ' + name.upper()}** "
                    f"(the dotted line marks step {wc.step})")
        show(figures.what_changed_figure(wc.delta, wc.step, text=text if T <= 80 else None), key=f"changed_{name}")
    show(figures.memory_span_figure({n: wc.spans for n, wc in results.items()},
                                    {n: wc.censored for n, wc in results.items()}), key="memory_span")
