"""The input batch for each input mode of a :class:`~rnnviz.config.Config`, seeded.

Everything is time-major, like the engine's trace: token ids ``(T, B)`` or vectors ``(T, B, I)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..text import Vocab, vocab_from_text
from .knobs import Config
from .notebook import notebook_draws

# The TensorFlow example's mini-batch: 4 instances x 3 features at steps 0 and 1.
TF_X0 = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 0, 1]], dtype=np.float64)
TF_X1 = np.array([[9, 8, 7], [0, 0, 0], [6, 5, 4], [3, 2, 1]], dtype=np.float64)
TF_EXAMPLE_SHAPE = {"input_size": TF_X0.shape[1], "length": 2, "batch": TF_X0.shape[0]}


@dataclass
class InputBatch:
    data: np.ndarray  # (T, B) int token ids, or (T, B, I) float
    token_labels: list[str] | None  # display label of each token id (characters in text mode)
    h0: np.ndarray | None = None  # (1, B, H) initial state when the formulation gives one

    @property
    def seq_len(self) -> int:
        return self.data.shape[0]

    @property
    def tokens(self) -> bool:
        """Token ids (T, B) rather than vectors (T, B, I)."""
        return self.data.ndim == 2

    def step_labels(self, sample: int) -> list[str]:
        """One short label per time step of ``sample`` (the character, the id, or ``x0``...)."""
        if self.tokens:
            return [self.token_labels[i] for i in self.data[:, sample]]
        return [f"x{t}" for t in range(self.seq_len)]

    def targets(self, sample: int) -> np.ndarray | None:
        """(T,) the next token id at each step (-1 at the last step), for token inputs."""
        if not self.tokens:
            return None
        ids = self.data[:, sample]
        return np.append(ids[1:], -1)


def build_inputs(cfg: Config, vocab: Vocab | None = None) -> InputBatch:
    """The inputs ``cfg`` describes; random modes draw from ``default_rng(cfg.input_seed)``.

    ``vocab``: the characters of a model trained in the app (text mode encodes with it instead of
    the text's own sorted characters)."""
    rng = np.random.default_rng(cfg.input_seed)
    if cfg.inputs == "text":
        vocab = vocab or vocab_from_text(cfg.text)
        ids = vocab.encode(cfg.text)
        return InputBatch(np.repeat(ids[:, None], cfg.batch, axis=1), vocab.labels())
    if cfg.inputs == "ids":
        ids = np.array(cfg.ids, dtype=np.int64)
        return InputBatch(np.repeat(ids[:, None], cfg.batch, axis=1), [str(i) for i in range(cfg.input_size)])
    if cfg.inputs == "random_ids":
        data = rng.integers(0, cfg.input_size, size=(cfg.length, cfg.batch))
        return InputBatch(data, [str(i) for i in range(cfg.input_size)])
    if cfg.inputs == "random_dense":
        return InputBatch(rng.standard_normal((cfg.length, cfg.batch, cfg.input_size)), None)
    if cfg.inputs == "tf_example":
        return InputBatch(np.stack([TF_X0, TF_X1]), None)
    if cfg.inputs == "notebook":
        draws = notebook_draws(cfg.input_size, cfg.hidden, cfg.output_size, cfg.batch, cfg.length, cfg.weight_seed)
        x = np.ascontiguousarray(draws["x"].transpose(2, 1, 0))  # (n_x, m, T_x) -> (T, B, I)
        return InputBatch(x, None, h0=draws["a0"].T[None])
    raise ValueError(f"unknown input mode {cfg.inputs!r}")
