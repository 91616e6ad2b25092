"""Train: a character model on a built-in corpus or pasted text, in bounded chunks, with a live
loss curve; then samples with the model's top-5 guesses. The trained model becomes the page's model.

Training happens only inside reruns: a fragment with ``run_every`` calls ``Trainer.train`` for at most
TICK_SECONDS per tick while the "training" flag is set, so the page (and other sessions) stay
responsive and nothing runs once the session ends.
"""
from __future__ import annotations

import math
import time
import uuid
from dataclasses import replace

import numpy as np
import streamlit as st

from ... import cells, corpora, pretrained, train
from ...app import rules
from ...app.compute import Computed
from ...app.knobs import Config
from ...app.markdown import markdown_literal
from ...app.prose import cell_name, learning_rate_help, sampling_caption
from ...figures.explore import guesses_figure, loss_figure
from ...network import init_model
from ...weights_io import save_npz
from .. import session, state
from ..charts import show
from ..session import TRAINER, TRAINING, TRAINING_ERROR, TrainedHere, TrainingJob

TICK_SECONDS = 0.3  # training per fragment rerun
TICK_INTERVAL = 0.5  # seconds between fragment reruns while training
# One step costs about B*T*L*G*H*(H+V) multiply-adds (x ~3 for forward + backward): capped so that a
# single step (the smallest unit a tick can do) stays well under a second here.
MAX_STEP_WORK = 60_000_000
PASTE_LIMIT = 20_000
CUSTOM = "your text"


def render(cfg: Config, computed: Computed) -> None:
    st.markdown("Train a **character-level language model**: it reads the corpus and learns to guess the next "
                "character. The loss curve is in *bits per character*; the dashed line is what guessing from letter "
                "frequencies alone achieves (the unigram baseline). When you stop (or the steps run out), the trained "
                "model is what every other tab shows.")
    start = _start_picker(cfg)
    corpus = _corpus_picker() if start is None else corpora.load_corpus(pretrained.card(start).corpus)
    if start is not None:
        _shipped_caption(start, corpus)
    settings = _settings(cfg, corpus, start)
    _buttons(cfg, corpus, settings)
    if session.get(TRAINING_ERROR):
        st.error(session.get(TRAINING_ERROR))
    interval = TICK_INTERVAL if session.training() else None
    st.fragment(run_every=interval)(_progress)()
    _sampling(cfg)


# --- choosing what to train ------------------------------------------------------------------

RANDOM_START = "random"  # Start from: the sidebar's model with fresh random weights


def _start_picker(cfg: Config) -> str | None:
    """Start from the sidebar's random weights, or from a trained model that ships with rnnviz
    (then its corpus and architecture; ``pretrained.load`` gives a fresh copy to train)."""
    names = list(pretrained.names())
    options = [RANDOM_START] + names
    page = rules.shipped(cfg)
    choice = st.selectbox("Start from", options, index=options.index(page) if page in options else 0,
                          key=session.TRAIN_START,
                          format_func=lambda o: "random weights (the sidebar's model)" if o == RANDOM_START
                          else f"trained: {o} — {pretrained.card(o).title}",
                          help="A shipped model continues training on its own corpus: watch its loss go on from "
                               "where its model card left it, or its units change.")
    return None if choice == RANDOM_START else choice


def _shipped_caption(name: str, corpus: corpora.Corpus) -> None:
    card = pretrained.card(name)
    st.caption(f"Continues training **{name}** ({card.describe_model()}, already {card.training.steps:,} steps, "
               f"{card.bits_per_char:.2f} bits/char) on its own corpus, *{corpus.name}* ({len(corpus.text):,} "
               "characters). The sidebar's model settings do not apply.")

def _corpus_picker() -> corpora.Corpus | None:
    names = list(corpora.builtin_names()) + [CUSTOM]
    left, right = st.columns([2, 3])
    name = left.selectbox("Corpus", names, key="train_corpus",
                          format_func=lambda n: n if n == CUSTOM else f"{n}: {corpora.BUILTIN[n][1]}")
    if name != CUSTOM:
        corpus = corpora.load_corpus(name)
        right.caption(f"{len(corpus.text):,} characters, {corpus.vocab.size} distinct. It starts:")
        right.code("\n".join(corpus.text[:240].split("\n")[:3]), language=None)
        return corpus
    pasted = right.text_area(f"Paste your text (up to {PASTE_LIMIT:,} characters are used)", key="train_text",
                             height=140, max_chars=None)
    if len(pasted) > PASTE_LIMIT:
        right.info(f"Your text has {len(pasted):,} characters; training uses the first {PASTE_LIMIT:,}.")
    try:
        return corpora.corpus_from_text(pasted, max_chars=PASTE_LIMIT) if pasted else None
    except ValueError as exc:
        right.error(str(exc))
        return None


def _settings(cfg: Config, corpus: corpora.Corpus | None, start: str | None = None) -> dict:
    if start is None:
        st.caption(f"Model (from the sidebar): **{cell_name(cfg)}**, {cfg.layers} layer(s), **{cfg.hidden} hidden units**, "
                   "one direction, input and output = the corpus's characters, weight seed "
                   f"{cfg.weight_seed}. To train another architecture, press ↺ New model, then change the sidebar.")
    cols = st.columns(6)
    optimizer = cols[0].selectbox("Optimizer", train.OPTIMIZERS, index=2, key="train_optimizer",
                                  format_func={"sgd": "SGD", "adagrad": "Adagrad", "adam": "Adam"}.get)
    lr = cols[1].number_input("Learning rate", 1e-5, 5.0, value=None, key="train_lr", format="%.4g",
                              placeholder=f"{train.DEFAULT_LR[optimizer]:g}",
                              help=learning_rate_help(train.DEFAULT_LR))
    clip = cols[2].selectbox("Clipping", train.CLIP_MODES, key="train_clip",
                             format_func={"norm": "global norm ≤ 5", "value": "each value in ±5", "none": "none"}.get)
    seq_len = cols[3].slider("Sequence length", 5, 200, 50, key="train_seq_len", help="Characters per truncated-BPTT chunk.")
    batch = cols[4].slider("Batch", 1, 64, 16, key="train_batch", help="Parallel streams through the corpus.")
    steps = cols[5].number_input("Steps", 10, 20_000, 400, step=50, key="train_steps")
    settings = dict(optimizer=optimizer, lr=lr, clip=clip, seq_len=seq_len, batch=batch, steps=int(steps), start=start)
    if corpus is not None:
        settings = _bounded(settings, _trained_shape(cfg, start), corpus.vocab.size)
    return settings


def _trained_shape(cfg: Config, start: str | None) -> Config:
    """The Config whose cell, layers and hidden size describe the model to train."""
    if start is None:
        return cfg
    card = pretrained.card(start)
    return replace(cfg, cell=card.cell, nonlinearity=card.nonlinearity, layers=card.num_layers, hidden=card.hidden_size)


def _bounded(settings: dict, cfg: Config, vocab_size: int) -> dict:
    """Cut the batch, then the sequence length, so that one step stays under MAX_STEP_WORK."""
    per_char = cfg.layers * cells.get(cfg.cell).num_gates * cfg.hidden * (cfg.hidden + vocab_size)
    batch, seq_len = settings["batch"], settings["seq_len"]
    if batch * seq_len * per_char > MAX_STEP_WORK:
        batch = max(1, min(batch, MAX_STEP_WORK // (seq_len * per_char)))
        seq_len = max(1, min(seq_len, MAX_STEP_WORK // (batch * per_char)))
        st.info(f"This model is large: training uses batch {batch} and sequence length {seq_len} so that each step "
                "stays short.")
    return {**settings, "batch": batch, "seq_len": seq_len}


def _signature(cfg: Config, corpus: corpora.Corpus, s: dict) -> tuple:
    """What makes a new training job (the learning rate and step target can change on the way)."""
    cfg = _trained_shape(cfg, s.get("start"))
    return (corpus.name, hash(corpus.text), cfg.cell, cfg.nonlinearity, cfg.layers, cfg.hidden, cfg.weight_seed,
            s["optimizer"], s["clip"], s["seq_len"], s["batch"], s.get("start"))


# --- start / stop ----------------------------------------------------------------------------

def _buttons(cfg: Config, corpus: corpora.Corpus | None, settings: dict) -> None:
    training = session.training()
    job = session.training_job()
    same = job is not None and corpus is not None and job.signature == _signature(cfg, corpus, settings)
    cols = st.columns([1.3, 1.3, 5])
    if training:
        cols[0].button("■ Stop", key="train_stop", type="primary", on_click=_stop, width="stretch")
    else:
        label = "▶ Continue" if same and session.trainer() else "▶ Train"
        cols[0].button(label, key="train_start", type="primary", on_click=_start, args=(cfg, corpus, settings),
                       disabled=corpus is None, width="stretch")
    cols[1].button("↺ New model", key="train_reset", on_click=_reset, disabled=training, width="stretch",
                   help="Forget the trained model: the page goes back to the sidebar's random weights.")
    if job is not None and not same and not training:
        start = settings.get("start")
        cols[2].caption("The settings changed: ▶ Train starts a new model from "
                        + (f"a fresh copy of {start}." if start else "random weights."))


def _start(cfg: Config, corpus: corpora.Corpus, settings: dict) -> None:
    session.put(TRAINING_ERROR, None)
    job = session.training_job()
    signature = _signature(cfg, corpus, settings)
    trainer = session.trainer()
    if trainer is None or job is None or job.signature != signature:
        try:
            if settings.get("start"):  # a fresh copy of a shipped model, on its own corpus and vocabulary
                model, vocab, _ = pretrained.load(settings["start"])
                model = model.astype(np.float32)
            else:
                vocab = corpus.vocab
                model = init_model(cfg.cell, vocab.size, cfg.hidden, vocab.size, num_layers=cfg.layers,
                                   nonlinearity=cfg.nonlinearity, seed=cfg.weight_seed, dtype=np.float32)
            trainer = train.Trainer(model, vocab.encode(corpus.text), seq_len=settings["seq_len"],
                                    batch_size=settings["batch"], optimizer=settings["optimizer"], lr=settings["lr"],
                                    clip=settings["clip"])
        except ValueError as exc:
            session.put(TRAINING_ERROR, f"Cannot train: {markdown_literal(str(exc))}")  # may quote user text
            return
        job = TrainingJob(signature, uuid.uuid4().hex[:8], corpus.name, vocab, corpus.text,
                          baseline=train.unigram_entropy(vocab.encode(corpus.text), vocab.size))
        session.put(TRAINER, trainer)
        session.put(session.TRAINING_JOB, job)
    if settings["lr"] is not None:
        trainer.optimizer.lr = float(settings["lr"])
    # "Steps" is the total to reach; once reached, ▶ Continue trains that many steps more
    job.target = settings["steps"] if trainer.steps < settings["steps"] else trainer.steps + settings["steps"]
    session.put(TRAINING, True)
    _install(trainer, job)
    # the page now shows the trained model reading an excerpt of its corpus
    state.update(weights="session", inputs="text", text=session.trained().excerpt)


def _stop() -> None:
    session.put(TRAINING, False)
    trainer, job = session.trainer(), session.training_job()
    if trainer is not None and job is not None:  # a tick interrupted by this click may not have installed
        _install(trainer, job)


def _reset() -> None:
    session.put(TRAINING, False)
    for key in (TRAINER, session.TRAINING_JOB, TRAINING_ERROR, session.TRAINED):
        session.put(key, None)
    state.update(weights="init")


def _install(trainer: train.Trainer, job: TrainingJob) -> None:
    """Make a float64 snapshot of the trainer's model the session's trained model."""
    bits = float(trainer.bits_per_char[-1]) if trainer.steps else None
    session.put(session.TRAINED, TrainedHere(
        digest=f"trained:{job.id}:{trainer.steps}", model=trainer.model.astype(np.float64), vocab=job.vocab,
        corpus=job.corpus, text=job.text, steps=trainer.steps, bits=bits if bits is None or math.isfinite(bits) else None))


# --- the live part: one bounded chunk of training per rerun -----------------------------------

def _progress() -> None:
    trainer, job = session.trainer(), session.training_job()
    if trainer is None or job is None:
        st.info("Press ▶ Train to start. A small RNN on *brackets* or *phrase* learns something visible within "
                "a few hundred steps (about a minute).")
        return
    if session.training():
        start = time.perf_counter()
        trainer.train(max_steps=max(0, job.target - trainer.steps), max_seconds=TICK_SECONDS)
        job.seconds += time.perf_counter() - start
        _install(trainer, job)
        if trainer.steps >= job.target or trainer.diverged:
            session.put(TRAINING, False)
            st.rerun()  # the whole page: stop the timer, show the trained model everywhere
    done = min(1.0, trainer.steps / max(job.target, 1))
    speed = trainer.chars_seen / job.seconds if job.seconds > 0 else 0.0
    st.progress(done, text=f"Step {trainer.steps} of {job.target} · {trainer.chars_seen:,} characters read · "
                           f"{speed:,.0f} characters/s" + (" · training…" if session.training() else ""))
    if trainer.diverged:
        st.error("The loss became NaN (the training diverged): press ↺ New model and lower the learning rate.")
    losses = trainer.losses
    show(loss_figure(losses, baseline=job.baseline, unit="bits"), key="train_loss")
    if trainer.steps:
        last = losses[-20:][np.isfinite(losses[-20:])]
        now = float(last.mean() / math.log(2)) if last.size else float("nan")
        st.caption(f"Recent loss {now:.3f} bits/char (mean of the last {last.size} steps); unigram baseline "
                   f"{job.baseline / math.log(2):.3f}; a model that always knew the next character would reach 0.")
        trained = session.trained()
        if trained is not None and not trainer.diverged:
            g = _cached_sample(trained.digest, trained.model, trained.vocab, 1.0, 80, "", 0)
            st.caption("A sample from the model right now (temperature 1):")
            st.code(g.text, language=None)


# --- sampling with the top-5 guesses ---------------------------------------------------------

@st.cache_data(max_entries=24, show_spinner=False)
def _cached_sample(digest: str, _model, _vocab, temperature: float, length: int, prime: str, seed: int) -> train.Guesses:
    return train.sample(_model, _vocab, length=length, prime=prime, temperature=temperature, top_k=5, seed=seed)


@st.fragment
def _sampling(cfg: Config) -> None:
    st.subheader("Sample from the trained model")
    trained = session.trained()
    if trained is None:
        st.caption("Train a model first (or continue after ↺ New model).")
        return
    model, vocab = trained.model, trained.vocab
    cols = st.columns([3, 2, 2, 3])
    temperature = cols[0].slider("Temperature", 0.1, 3.0, 1.0, 0.05, key="sample_temperature",
                                 help="Divides the logits: below 1 the model picks its favourites, above 1 it takes risks.")
    length = cols[1].slider("Length", 20, 400, 200, 10, key="sample_length")
    seed = cols[2].number_input("Sample seed", 0, 2**31 - 1, 0, key="sample_seed")
    prime = cols[3].text_input("Start with (optional)", key="sample_prime", max_chars=100)
    unknown = sorted(set(prime) - set(vocab.chars))
    if unknown:
        st.warning(f"The model does not know {', '.join(repr(c) for c in unknown)}; starting without those.")
        prime = "".join(c for c in prime if c in vocab.chars)
    g = _cached_sample(trained.digest, model, vocab, float(temperature), int(length), prime, int(seed))
    st.code(prime + g.text, language=None)
    window = 40
    start = 0
    if len(g.text) > window:
        start = st.slider("Show characters from", 0, len(g.text) - window, 0, key="sample_window")
    st.caption(sampling_caption(g.ids, g.top_ids, float(temperature)))
    show(guesses_figure(g.text, g.top_ids, g.top_probs, vocab.chars, start=start, count=window), key="sample_guesses")
    st.download_button("Trained parameters (.npz, PyTorch names)", data=lambda: save_npz(model),
                       file_name=f"rnnviz_trained_{trained.corpus.replace(' ', '_')}.npz",
                       mime="application/octet-stream", on_click="ignore", key="download_trained",
                       help="weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, …, out.weight, out.bias; "
                            "the vocabulary is the corpus's sorted distinct characters.")
