"""Explore what hidden states mean: neurons over text, the PCA trajectory, gradient flow (fresh RNN
vs LSTM vs GRU, or a shipped model before and after training), two models side by side, and
"what changed" when one input differs.

Neuron over text, Trajectory and What changed read the *explored* model: the trained models that
ship with rnnviz come first (a random model shows mechanics, not meaning: on a page with random
weights the tab opens on brackets-rnn and its depth unit), or the page's own model (random,
uploaded, trained in the Train tab, or a shipped one chosen in the sidebar). Vanishing gradients
and Side by side compare freshly initialised models (and the shipped trained ones) on the page's
input. Each heavy computation is cached with ``max_entries`` and bounded (MAX_* below).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import streamlit as st

from ... import analysis, cells, corpora, pretrained
from ...app import prose, rules
from ...app.compute import Computed, fresh_model, with_forget_bias
from ...app.knobs import TRAINED_PREFIX, Config
from ...app.markdown import markdown_literal
from ...figures import explore as figures
from ...figures.model import units_heatmap
from ...network import forward, init_model
from ...text import Vocab
from .. import compute, controls, session, state
from ..charts import show
from ..common import state_kind

VIEWS = ("Neuron over text", "Trajectory", "Vanishing gradients", "Side by side", "What changed")
MAX_NEURON_CHARS = 2000  # corpus excerpt for the neuron search
FLOW_STEPS_SHOWN = 80  # gradient flow: T losses backpropagated through T steps, for three cells (engine: <= 400)
MAX_FLOW_HIDDEN = 64
MAX_COMPARE_HIDDEN = 128


PAGE = "page"  # the explore-model choice that means "the page's own model"
# the neuron view's widgets that start afresh for another explored model (its feature, its text)
_NEURON_KEYS = ("neuron_feature", "neuron_source", "neuron_chars", "neuron_span")


@dataclass(frozen=True)
class _Explored:
    """The model the neuron, trajectory and what-changed views read, and what is known about it."""

    cfg: Config  # the page's Config, or the page's with the shipped model and its corpus as input
    computed: Computed
    own: bool  # Explore's own choice, not the page's model: its step is not the page's
    label: str  # how the views name it
    corpus: str | None = None  # the text it was trained on (a shipped model, or one trained here)
    vocab: Vocab | None = None
    card: pretrained.ModelCard | None = None


def render(cfg: Config, computed: Computed) -> None:
    explored = _explored(cfg, computed)
    view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="explore_view", label_visibility="collapsed")
    view = view or VIEWS[0]
    if view in ("Vanishing gradients", "Side by side"):  # fresh models on the page's input
        st.caption("This view compares freshly initialised models on the page's input (the model chosen above "
                   "is for Neuron over text, Trajectory and What changed"
                   + ("; *Before and after training* compares the shipped ones)." if view == "Vanishing gradients"
                      else ")."))
        {"Vanishing gradients": _gradients, "Side by side": _side_by_side}[view](cfg, computed)
        return
    if explored.corpus is None and not rules.external_weights(explored.cfg):
        st.caption("Tip: these views mean most for a trained model (choose one above, or train one in the Train tab); "
                   "with random weights they show the mechanics.")
    {"Neuron over text": _neuron, "Trajectory": _trajectory, "What changed": _what_changed}[view](explored)


# --- which model ---------------------------------------------------------------------------------

def _page_label(cfg: Config) -> str:
    """What the page's model is, in a few words."""
    shipped = rules.shipped(cfg)
    if shipped:
        return f"The page shows the trained model {shipped}."
    if session.trained_active(cfg) is not None:
        return f"The page shows the model trained here on {markdown_literal(session.trained_active(cfg).corpus)}."
    if cfg.weights == "upload" and session.external_model(cfg) is not None:
        return "The page shows the uploaded model."
    if cfg.inputs == "notebook":
        return "The page shows the functional notebook's random draws."
    return f"The page shows random weights (seed {cfg.weight_seed})."


def _explored(cfg: Config, computed: Computed) -> _Explored:
    """The model chooser: the shipped trained models first, then the page's own model. The default is
    the page's model when it is trained (shipped, trained here or uploaded), else the first shipped one."""
    names = list(pretrained.names())
    page_shipped = rules.shipped(cfg)
    options = [n for n in names if n != page_shipped] + [PAGE]
    trained_page = rules.external_weights(cfg) and session.external_model(cfg) is not None
    default = options.index(PAGE) if trained_page or not names else 0
    labels = {n: f"trained: {n} — {pretrained.card(n).title}" for n in names}
    left, right = st.columns([3, 2])
    choice = left.selectbox("Model to explore", options, index=default, key=session.EXPLORE_MODEL,
                            format_func=lambda o: "the page's model" if o == PAGE else labels[o],
                            on_change=_forget_neuron_choices,
                            help="The trained models that ship with rnnviz have units that mean something (their "
                                 "model cards say which). The page's model is what the sidebar set up.")
    if choice == PAGE or choice not in names:
        right.caption(_page_label(cfg))  # the label stays the same: Streamlit keys a choice by its label
        trained = session.trained_active(cfg)
        if page_shipped:
            card = pretrained.card(page_shipped)
            controls.model_card(page_shipped, container=st)
            return _Explored(cfg, computed, False, f"the trained model {page_shipped}",
                             corpora.load_corpus(card.corpus).text, card.vocabulary, card)
        if trained is not None:
            return _Explored(cfg, computed, False, "the trained model", trained.text, trained.vocab)
        return _Explored(cfg, computed, False, "the page's model")
    right.button("Show it on every tab", key="explore_use", on_click=state.update,
                 kwargs={"weights": TRAINED_PREFIX + choice}, help="Weights → trained: " + choice + " in the sidebar.")
    controls.model_card(choice, container=st)
    card = pretrained.card(choice)
    own, _ = rules.normalise(replace(cfg, weights=TRAINED_PREFIX + choice, inputs="text",
                                     text=rules.shipped_excerpt(choice), batch=1, sample=0, layer=0,
                                     bidirectional=False, direction="forward"))
    return _Explored(own, compute.current(own), True, f"the trained model {choice}",
                     corpora.load_corpus(card.corpus).text, card.vocabulary, card)


def _forget_neuron_choices() -> None:
    for key in _NEURON_KEYS + (session.NEURON_RANKING,):
        session.pop(key)


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


def _neuron_text(e: _Explored) -> tuple[str, np.ndarray] | None:
    cfg, computed = e.cfg, e.computed
    if e.corpus:
        # Explore's own model reads only its corpus; the page's trained model also the sidebar's text
        source = "the training corpus" if e.own else st.radio(
            "Text", ["the training corpus", "the sidebar text"], horizontal=True, key="neuron_source")
        corpus = e.corpus
        if source == "the training corpus":
            n = st.slider("Characters of the corpus", 100, min(MAX_NEURON_CHARS, len(corpus)),
                          min(600, len(corpus)), 50, key="neuron_chars") if len(corpus) > 100 else len(corpus)
            text = corpus[:n]
            return text, _states(compute.model_token(cfg), text, cfg.layer, cfg.dir_index, computed.model, e.vocab)
    if cfg.inputs != "text":
        st.info("This view colours characters: choose Input → typed text in the sidebar (or explore a trained model).")
        return None
    return cfg.text, computed.trace.layers[cfg.layer][cfg.dir_index].h[:, cfg.sample]


def _neuron(e: _Explored) -> None:
    cfg = e.cfg
    st.markdown(prose.neuron_intro(cfg))
    got = _neuron_text(e)
    if got is None:
        return
    text, h = got
    features = list(analysis.FEATURES) + ["a span I choose"]
    if e.card is not None and e.card.units and not session.has("neuron_feature"):
        session.put("neuron_feature", e.card.units[0].feature)  # start on what the model card promises
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


def _trajectory(e: _Explored) -> None:
    cfg, computed = e.cfg, e.computed
    st.markdown("The hidden state h_t has one number per unit: too many dimensions to draw. PCA finds the 2 or 3 "
                "directions in which the states differ most; each point is the state after reading its character. "
                "The red ring is the current time step" + (
                    f" ({e.label} reads the start of its corpus)." if e.own else
                    ", the same one as in *Step through time*."))
    cols = st.columns([1, 4])
    n = cols[0].radio("Dimensions", [2, 3], horizontal=True, key="trajectory_dims")
    with cols[1]:
        if e.own:  # not the page's input: a step of its own
            step = cols[1].slider("Time step", 0, cfg.length - 1, min(cfg.step, cfg.length - 1),
                                  key="trajectory_step") if cfg.length > 1 else 0
        else:
            controls.widget("step", cfg)
            step = cfg.step
    h = computed.trace.layers[cfg.layer][cfg.dir_index].h[:, cfg.sample]
    p = _pca(compute.model_token(cfg), cfg.layer, cfg.dir_index, cfg.sample, n, h)
    show(figures.trajectory_figure(p.coords, _one_char_labels(computed, cfg), step=step,
                                   explained=p.explained_variance_ratio), key="trajectory")
    st.caption(f"The axes explain {p.explained_variance_ratio.sum():.0%} of the variance of the states.")


# --- vanishing gradients ------------------------------------------------------------------------

FLOW_MODES = ("Fresh RNN, LSTM, GRU", "Before and after training")
TRAINED_TEXT = 80  # characters of its corpus a shipped model reads in this view


@dataclass
class _Entry:
    """One model of the comparison, before its gradients are measured."""

    name: str
    spoken: str
    model: object  # RNNModel
    fresh: bool
    token: tuple  # identifies the model for the cache


@st.cache_data(max_entries=12, show_spinner="Backpropagating every loss through time…")
def _flow(token: tuple, inputs: np.ndarray, _model) -> np.ndarray:
    return analysis.gradient_flow(_model, inputs)


def _fresh_entries(cfg: Config, computed: Computed) -> tuple[str, np.ndarray, list[_Entry]]:
    x = _step_inputs(cfg, computed)[:FLOW_STEPS_SHOWN]
    hidden = min(cfg.hidden, MAX_FLOW_HIDDEN)
    notes = []
    if computed.batch.seq_len > FLOW_STEPS_SHOWN:
        notes.append(f"the first {FLOW_STEPS_SHOWN} steps")
    if cfg.hidden > MAX_FLOW_HIDDEN:
        notes.append(f"{MAX_FLOW_HIDDEN} hidden units")
    if notes:
        st.caption("To stay fast this view uses " + " and ".join(notes) + ".")
    forget = st.toggle("Add a fresh LSTM with forget-gate bias 1 (b_if = 1, b_hf = 0)", key="flow_forget_bias",
                       help="A common initialisation (Gers et al. 2000; Jozefowicz et al. 2015; Keras' "
                            "unit_forget_bias): the forget gates start near σ(1) = 0.73 instead of σ(0) = 0.5. The "
                            "other weights are the fresh LSTM's.")
    weights = prose.init_description(cfg, hidden)
    base = (cfg.input_size, hidden, cfg.output_size, cfg.init, cfg.scale, cfg.zero_bias, cfg.weight_seed,
            cfg.nonlinearity)
    entries = []
    for cell in cells.CELLS:
        model = fresh_model(cfg, cell=cell, hidden=hidden, layers=1, bidirectional=False)
        name = cell.upper() + (" (ReLU)" if model.nonlinearity == "relu" else "")
        entries.append(_Entry(name, f"the fresh {name}", model, True, (cell,) + base))
        if cell == "lstm" and forget:
            entries.append(_Entry("LSTM, forget bias 1", "the fresh LSTM with forget bias 1", with_forget_bias(model),
                                  True, ("lstm-forget-1",) + base))
    intro = ("for a **freshly initialised** RNN, LSTM and GRU reading the page's input, with the sidebar's "
             f"initialisation ({weights}, weight seed {cfg.weight_seed}) and {hidden} hidden units")
    external = session.external_model(cfg)  # a model trained here, uploaded or shipped: compare it too
    if external is not None:
        digest, model, _ = external
        name = {"session": "model trained here", "upload": "uploaded model"}.get(
            cfg.weights, f"trained model {rules.shipped(cfg)}")
        if model.bidirectional:
            st.caption(f"The page's {name} is bidirectional: its gradients flow both ways, so it is not drawn here.")
        else:
            layer = " (its layer 0)" if model.num_layers > 1 else ""
            entries.append(_Entry(name, f"the {name}", model, False, ("page", digest)))
            intro += f", and for the page's {name}{layer} on the same input"
    return intro + ".", x, entries


def _trained_entries() -> tuple[str, np.ndarray, list[_Entry]]:
    names = pretrained.names()
    name = st.selectbox("Shipped model", names, key="flow_trained", format_func=lambda n: pretrained.card(n).title)
    model, vocab, card = pretrained.load(name)
    t = card.training
    before = init_model(card.cell, len(card.vocab), card.hidden_size, len(card.vocab), num_layers=card.num_layers,
                        nonlinearity=card.nonlinearity, init=t.init, seed=card.seed)
    text = corpora.load_corpus(card.corpus).text[:TRAINED_TEXT]
    H = card.hidden_size
    init = f"U(±1/√{H}) = U(±{1 / np.sqrt(H):.3g})" if t.init == "uniform" else t.init
    entries = [
        _Entry(f"{name} before training", f"{name} before training", before, True, ("shipped", name, "before")),
        _Entry(f"{name} after training", f"{name} after training", model, False, ("shipped", name, "after")),
    ]
    st.code(text, language=None)
    optimizer = prose.OPTIMIZER_NAMES.get(t.optimizer, t.optimizer)
    intro = (f"for the shipped **{name}** ({card.describe_model()}) **before** training (its seeded start, seed "
             f"{card.seed}, {init}) and **after** {t.steps:,} steps of {optimizer} on the *{card.corpus}* corpus; both "
             f"read the first {len(text)} characters of that corpus (above).")
    return intro, vocab.encode(text), entries


def _gradients(cfg: Config, computed: Computed) -> None:
    mode = st.segmented_control("Compare", FLOW_MODES, default=FLOW_MODES[0], key="flow_mode") or FLOW_MODES[0]
    if mode == FLOW_MODES[0]:
        intro, x, entries = _fresh_entries(cfg, computed)
        has_output = cfg.output_size > 0
    else:
        intro, x, entries = _trained_entries()
        has_output = True
    st.markdown("How much does the loss at step t depend on the state at an earlier step k? Each cell of a heatmap is "
                "log10 ‖∂L_t/∂h_k‖ (row t, column k) " + intro + " " + prose.loss_sentence(has_output))
    flows = {e.name: _flow(e.token, x, e.model) for e in entries}
    show(figures.gradient_flow_figure(flows), key="gradient_flow")
    T = x.shape[0]
    if T < 2:
        st.info("The input has one step: there is no earlier state to compare with.")
        return
    curves = {e.name: analysis.decay_curve(g) for e, g in zip(entries, flows.values())}
    d = prose.default_distance(T)
    if T > 2:
        d = st.slider("Compare at distance d (steps back)", 1, T - 1, d, key=f"flow_distance_{T}")
    panels = []
    for e in entries:
        w_hh = e.model.layers[0][0].w_hh
        panels.append(prose.FlowPanel(
            e.name, e.spoken, e.model.cell, curves[e.name][1], tuple(analysis.recurrent_radius(w_hh)),
            analysis.recurrent_norm(w_hh), e.fresh, analysis.gate_path(e.model, x, d), e.model.num_layers,
            e.model.nonlinearity, prose.flow_gap(flows[e.name])))
    st.markdown(prose.gradient_sentence(panels, d))
    left, right = st.columns([1, 1])
    with left:
        show(figures.gradient_decay_figure(curves, mark=d), key="gradient_decay")
    right.markdown(prose.gradient_table(panels, d))
    right.caption("ρ: spectral radius (largest |eigenvalue|) of each gate block of W_hh (layer 0); ‖W_hh‖₂: its "
                  "largest singular value (gate blocks stacked). Carry gate: the gate on the direct path from one "
                  "state to the next (LSTM f: c_t = f ⊙ c_(t−1) + …; GRU z: h_t = z ⊙ h_(t−1) + …), its mean and "
                  "its product over d steps.")
    caption = "Decay curve: the mean over t of ‖∂L_t/∂h_(t−d)‖ / ‖∂L_t/∂h_t‖ against the distance d (log scale)."
    if mode == FLOW_MODES[0] and cfg.init != "torch_default" and cfg.inputs != "notebook":
        if cfg.nonlinearity == "relu":
            caption += (" The sidebar's init scale moves W_hh's spectral radius: for a ReLU RNN (relu′ is 0 or 1, it "
                        "never saturates) a radius above 1 lets states and gradients grow without bound.")
        else:
            caption += (" The sidebar's init scale moves W_hh's spectral radius: for a vanilla RNN a radius well above "
                        "1 lets the gradient grow while the units are not saturated (tanh′ = 1 − h² near 1); very "
                        "large weights saturate the units and it vanishes again.")
    st.caption(caption)


def _init_token(cfg: Config) -> tuple:
    """The fields fresh_model reads besides the cell, size and seed (a cache key)."""
    return (cfg.input_size, cfg.output_size, cfg.layers, cfg.init, cfg.scale, cfg.zero_bias, cfg.nonlinearity)


# --- side by side ---------------------------------------------------------------------------------

@st.cache_data(max_entries=8, show_spinner=False)
def _side_states(cell: str, seed: int, inputs: np.ndarray, token: tuple, hidden: int, _cfg: Config) -> np.ndarray:
    model = fresh_model(_cfg, cell=cell, hidden=hidden, bidirectional=False, seed=seed)
    return forward(model, inputs[:, None]).layers[_cfg.layers - 1][0].h[:, 0]


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
            h = _side_states(cell, int(seed), x, _init_token(cfg), hidden, cfg)
            kind = "relu" if cells.nonlinearity_for(cell, cfg.nonlinearity) == "relu" else "tanh"
            show(units_heatmap(h, labels, title=f"{cell.upper()}, seed {seed}", kind=kind),
                 key=f"side_{k}")
    if hidden < cfg.hidden:
        st.caption(f"Both use {hidden} hidden units (capped to keep this view fast).")


# --- what changed ---------------------------------------------------------------------------------

@st.cache_data(max_entries=8, show_spinner=False)
def _changed(name: str, token: tuple, a: np.ndarray, b: np.ndarray, eps: float, _model) -> analysis.WhatChanged:
    return analysis.what_changed(_model, a, b, eps=eps)


def _what_changed(e: _Explored) -> None:
    cfg, computed = e.cfg, e.computed
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
    if (session.trained_active(cfg) is not None or rules.shipped(cfg)) and not cfg.bidirectional:
        models["trained"] = computed.model
    hidden = min(cfg.hidden, MAX_COMPARE_HIDDEN)
    for cell in ("rnn", "lstm"):
        models[cell] = fresh_model(cfg, cell=cell, hidden=hidden, layers=1, bidirectional=False)
    token = (compute.model_token(cfg), hidden)
    results = {name: _changed(name, token, ids, other, float(eps), m) for name, m in models.items()}
    text = "".join(label if len(label) == 1 else "•" for label in (labels[i] for i in ids))
    for name, wc in results.items():
        st.markdown(f"**|Δh_t| of {'the trained model' if name == 'trained' else 'a fresh ' + name.upper()}** "
                    f"(the dotted line marks step {wc.step})")
        show(figures.what_changed_figure(wc.delta, wc.step, text=text if T <= 80 else None), key=f"changed_{name}")
    show(figures.memory_span_figure({n: wc.spans for n, wc in results.items()},
                                    {n: wc.censored for n, wc in results.items()}), key="memory_span")
