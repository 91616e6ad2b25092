"""Train the models that ship with rnnviz and write their weights and model cards.

    python -m rnnviz.pretrain                   # train all, write rnnviz/data/trained/
    python -m rnnviz.pretrain --only brackets-rnn --out /tmp/x
    python -m rnnviz.pretrain --check           # re-derive every shipped card from its weights

Each model is trained by rnnviz's own :class:`rnnviz.train.Trainer` in float64 from
``init_model(..., seed=recipe.seed)``; nothing else is random, so a run reproduces the shipped
arrays bit for bit on the same NumPy/OpenBLAS build (tests/test_pretrained.py re-runs the
smallest). The card is computed, never typed: loss on the whole corpus, the unigram baseline,
and for each probed feature the unit whose h_t correlates best with it. A model that misses
its recipe's claims (loss, |r|) is not written.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import analysis
from .naming import state_dict
from .corpora import load_corpus
from .network import RNNModel, forward, init_model
from .pretrained import DATA_DIR, ModelCard, NotableUnit, TrainingSettings, weights_digest
from .train import Trainer, evaluate, unigram_entropy
from .weights_io import load_model_npz, save_npz

LN2 = math.log(2.0)


@dataclass(frozen=True)
class Probe:
    """A feature to look for (a key of ``analysis.FEATURES``), the |r| promised, and what a unit
    that follows it does, said for a positive and for a negative correlation."""

    feature: str
    claim: float
    if_positive: str
    if_negative: str


def depth_probe(claim: float) -> Probe:
    return Probe("bracket depth", claim, "follows the nesting depth: higher the deeper",
                 "follows the nesting depth: lower the deeper")


def quotes_probe(claim: float) -> Probe:
    return Probe("inside quotes", claim, "knows whether a quote is open: higher inside quotes",
                 "knows whether a quote is open: lower inside quotes")


@dataclass(frozen=True)
class Recipe:
    name: str
    title: str
    corpus: str
    cell: str
    hidden_size: int
    seed: int
    steps: int
    probes: tuple[Probe, ...]
    max_bits_per_char: float
    lr: float = 0.005
    optimizer: str = "adam"
    seq_len: int = 50
    batch_size: int = 16
    clip: str = "norm"
    clip_value: float = 5.0
    nonlinearity: str = "tanh"
    init: str = "uniform"

    def settings(self) -> TrainingSettings:
        return TrainingSettings(self.optimizer, self.lr, self.clip, self.clip_value, self.seq_len,
                                self.batch_size, self.steps, self.init)


# Seeds were chosen among the first few by how clearly a unit shows the feature (the card says
# which seed); claims leave a margin under what the chosen seed reaches.
RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe("brackets-rnn", "A vanilla RNN that counts brackets", "brackets", "rnn", 16, seed=1, steps=1000,
               probes=(depth_probe(0.9),), max_bits_per_char=0.55),
        Recipe("dialogue-lstm", "An LSTM that knows when a quote is open", "dialogue", "lstm", 32, seed=2,
               steps=2000, probes=(quotes_probe(0.85),), max_bits_per_char=1.0),
        Recipe("counting-gru", "A GRU that carries a count of up to 20", "counting", "gru", 16, seed=0, steps=2000,
               probes=(depth_probe(0.9),), max_bits_per_char=0.3),
    )
}


def train(recipe: Recipe) -> RNNModel:
    """The recipe's model, trained (float64)."""
    corpus = load_corpus(recipe.corpus)
    V = corpus.vocab.size
    model = init_model(recipe.cell, V, recipe.hidden_size, V, nonlinearity=recipe.nonlinearity, init=recipe.init,
                       seed=recipe.seed, dtype=np.float64)
    trainer = Trainer(model, corpus.ids, seq_len=recipe.seq_len, batch_size=recipe.batch_size,
                      optimizer=recipe.optimizer, lr=recipe.lr, clip=recipe.clip, clip_value=recipe.clip_value)
    trainer.train(recipe.steps)
    if trainer.diverged or trainer.steps != recipe.steps:
        raise RuntimeError(f"{recipe.name}: training diverged at step {trainer.steps}")
    return model


def make_card(recipe: Recipe, model: RNNModel) -> ModelCard:
    """Measure ``model`` on its whole corpus (read once from a zero state) and describe it."""
    corpus = load_corpus(recipe.corpus)
    ids, vocab = corpus.ids, corpus.vocab
    h = forward(model, ids[:, None]).layers[0][0].h[:, 0]  # h_t after reading text[t]
    units = []
    for probe in recipe.probes:
        order, r = analysis.rank_units(h, analysis.FEATURES[probe.feature](corpus.text))
        best = int(order[0])
        what = probe.if_positive if r[best] > 0 else probe.if_negative
        units.append(NotableUnit(best, probe.feature, float(r[best]), probe.claim, what))
    return ModelCard(
        name=recipe.name,
        title=recipe.title,
        corpus=recipe.corpus,
        vocab=vocab.chars,
        cell=model.cell,
        nonlinearity=model.nonlinearity,
        num_layers=model.num_layers,
        hidden_size=model.hidden_size,
        seed=recipe.seed,
        training=recipe.settings(),
        measured_on=f"its whole corpus ({len(corpus.text):,} characters, read once from a zero state)",
        bits_per_char=evaluate(model, ids) / LN2,
        max_bits_per_char=recipe.max_bits_per_char,
        unigram_bits_per_char=unigram_entropy(ids, vocab.size) / LN2,
        units=tuple(units),
        weights_sha256=weights_digest(state_dict(model)),
    )


def broken_claims(card: ModelCard) -> list[str]:
    problems = []
    if not card.bits_per_char <= card.max_bits_per_char:
        problems.append(f"loss {card.bits_per_char:.3f} bits/char > the claimed {card.max_bits_per_char}")
    for u in card.units:
        if not abs(u.r) >= u.claim:
            problems.append(f"best unit for {u.feature!r} has |r| = {abs(u.r):.3f} < the claimed {u.claim}")
    return problems


def card_json(card: ModelCard) -> str:
    return json.dumps(card.to_json(), indent=2, ensure_ascii=False) + "\n"


def write(card: ModelCard, model: RNNModel, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / card.file).write_bytes(save_npz(model))
    (out_dir / f"{card.name}.json").write_text(card_json(card), encoding="utf-8")


def _differences(shipped, derived, path: str = "") -> list[str]:
    """Where two JSON values differ. Floats may differ by 1e-9 relative: the statistics are
    re-derived by a forward pass whose last bits depend on the BLAS build."""
    if isinstance(derived, dict) and isinstance(shipped, dict):
        out = [f"{path}.{k}: missing" for k in derived if k not in shipped]
        out += [f"{path}.{k}: not derived" for k in shipped if k not in derived]
        for k in derived:
            if k in shipped:
                out += _differences(shipped[k], derived[k], f"{path}.{k}")
        return out
    if isinstance(derived, list) and isinstance(shipped, list) and len(derived) == len(shipped):
        return [d for i, (a, b) in enumerate(zip(shipped, derived)) for d in _differences(a, b, f"{path}[{i}]")]
    if isinstance(derived, float) and isinstance(shipped, float):
        ok = abs(shipped - derived) <= 1e-9 * max(1.0, abs(derived))
    else:
        ok = type(shipped) is type(derived) and shipped == derived
    return [] if ok else [f"{path}: card says {shipped!r}, the weights give {derived!r}"]


def check(names: Sequence[str], data_dir: Path = DATA_DIR) -> list[str]:
    """Re-derive the card of each model from its shipped weights and the recipe; list differences."""
    problems = []
    shipped_names = {p.stem for p in data_dir.glob("*.json")} | {p.stem for p in data_dir.glob("*.npz")}
    for extra in sorted(shipped_names - set(RECIPES)):
        problems.append(f"{extra}: shipped but no recipe in rnnviz/pretrain.py")
    for name in names:
        recipe = RECIPES[name]
        npz, card_path = data_dir / f"{name}.npz", data_dir / f"{name}.json"
        if not npz.exists() or not card_path.exists():
            problems.append(f"{name}: {npz.name} or {card_path.name} missing in {data_dir}")
            continue
        model = load_model_npz(npz.read_bytes(), nonlinearity=recipe.nonlinearity)
        derived = make_card(recipe, model)
        problems += [f"{name}{d}" for d in _differences(json.loads(card_path.read_text(encoding="utf-8")),
                                                         derived.to_json())]
        problems += [f"{name}: {p}" for p in broken_claims(derived)]
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnnviz.pretrain", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(RECIPES), action="append",
                        help="train (or check) only this model; repeat for several")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help=f"output directory (default {DATA_DIR})")
    parser.add_argument("--check", action="store_true",
                        help="do not train: re-derive the cards in --out from their weights and compare")
    args = parser.parse_args(argv)
    selected = args.only or list(RECIPES)
    if args.check:
        problems = check(selected, args.out)
        for p in problems:
            print(p, file=sys.stderr)
        print(f"checked {len(selected)} model card(s) in {args.out}: "
              + ("OK" if not problems else f"{len(problems)} problem(s)"))
        return 1 if problems else 0
    failed = False
    for name in selected:
        recipe = RECIPES[name]
        start, cpu = time.perf_counter(), time.process_time()
        model = train(recipe)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        card = make_card(recipe, model)
        units = "; ".join(f"unit {u.unit} r = {u.r:+.3f} with {u.feature}" for u in card.units)
        print(f"{name}: {recipe.steps} steps in {seconds:.1f} s ({cpu:.1f} s CPU), {card.bits_per_char:.3f} bits/char "
              f"(unigram {card.unigram_bits_per_char:.3f}); {units}", flush=True)
        problems = broken_claims(card)
        if problems:
            failed = True
            print(f"{name}: NOT written: " + "; ".join(problems), file=sys.stderr)
            continue
        write(card, model, args.out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
