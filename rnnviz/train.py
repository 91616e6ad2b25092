"""Training a character-level language model: optimizers, clipping, truncated BPTT, sampling.

The model reads token ids and predicts the next one (``output_size == input_size == vocab``).
Truncated BPTT: the corpus is read as ``batch_size`` parallel streams, ``seq_len`` characters
per step; the final hidden (and cell) state of one chunk is the initial state of the next,
but no gradient flows across the chunk boundary (the carried state is a constant).

:class:`Trainer` is bounded: :meth:`Trainer.run` does at most ``max_steps`` steps and stops
early after ``max_seconds``, so a UI can call it repeatedly, redraw the loss curve between
calls, and stop at any time. Parameters are updated in place: ``trainer.model`` *is* the model.

Gradient clipping: ``"norm"`` (default) rescales all gradients together when their global L2
norm exceeds ``clip_value`` (like ``torch.nn.utils.clip_grad_norm_``): it keeps the update's
direction. ``"value"`` clips every element to [-clip_value, clip_value], as the classic
min-char-rnn does (``np.clip(d, -5, 5)``); ``"none"`` disables clipping.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .backprop import Gradients, Workspace, backward, parameter_arrays, softmax_cross_entropy
from . import cells
from .activations import softmax
from .text import Vocab
from .network import RNNModel, forward
from .trace import Trace

OPTIMIZERS = ("sgd", "adagrad", "adam")
CLIP_MODES = ("norm", "value", "none")
DEFAULT_LR = {"sgd": 0.5, "adagrad": 0.1, "adam": 0.005}
LN2 = math.log(2.0)


# --- optimizers: update a list of parameter arrays in place, PyTorch's formulas --------------

class SGD:
    """``p -= lr * buf``, ``buf = momentum * buf + g`` (torch.optim.SGD, dampening 0)."""

    def __init__(self, params: list[np.ndarray], lr: float = DEFAULT_LR["sgd"], momentum: float = 0.0) -> None:
        self.params, self.lr, self.momentum = params, lr, momentum
        self.buffers: list[np.ndarray] | None = None

    def step(self, grads: list[np.ndarray]) -> None:
        if self.momentum:
            if self.buffers is None:
                self.buffers = [np.array(g) for g in grads]
            else:
                for buf, g in zip(self.buffers, grads):
                    buf *= self.momentum
                    buf += g
            grads = self.buffers
        for p, g in zip(self.params, grads):
            p -= self.lr * g


class Adagrad:
    """``sum += g^2``, ``p -= lr * g / (sqrt(sum) + eps)`` (torch.optim.Adagrad defaults)."""

    def __init__(
        self,
        params: list[np.ndarray],
        lr: float = DEFAULT_LR["adagrad"],
        eps: float = 1e-10,
        initial_accumulator_value: float = 0.0,
    ) -> None:
        self.params, self.lr, self.eps = params, lr, eps
        self.sums = [np.full_like(p, initial_accumulator_value) for p in params]
        self.scratch = [np.empty_like(p) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        for p, g, s, tmp in zip(self.params, grads, self.sums, self.scratch):
            np.multiply(g, g, out=tmp)
            s += tmp
            np.sqrt(s, out=tmp)
            tmp += self.eps
            np.divide(g, tmp, out=tmp)
            tmp *= self.lr
            p -= tmp


class Adam:
    """torch.optim.Adam: moments m, v with bias correction ``1 - beta^t``."""

    def __init__(
        self,
        params: list[np.ndarray],
        lr: float = DEFAULT_LR["adam"],
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.scratch = [np.empty_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.betas
        step_size = self.lr / (1.0 - b1**self.t)
        bc2_sqrt = math.sqrt(1.0 - b2**self.t)
        for p, g, m, v, tmp in zip(self.params, grads, self.m, self.v, self.scratch):
            m *= b1
            np.multiply(g, 1.0 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp /= bc2_sqrt
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp


def make_optimizer(name: str, params: list[np.ndarray], lr: float | None = None):
    """``name`` in :data:`OPTIMIZERS`; ``lr=None`` uses :data:`DEFAULT_LR`."""
    classes = {"sgd": SGD, "adagrad": Adagrad, "adam": Adam}
    if name not in classes:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
    lr = DEFAULT_LR[name] if lr is None else float(lr)
    if not lr >= 0 or not math.isfinite(lr):
        raise ValueError(f"learning rate must be a non-negative number, got {lr}")
    return classes[name](params, lr=lr)


def clip_gradients(grads: list[np.ndarray], mode: str = "norm", clip_value: float = 5.0) -> float:
    """Clip in place; returns the global L2 norm *before* clipping."""
    if mode not in CLIP_MODES:
        raise ValueError(f"clip mode must be one of {CLIP_MODES}, got {mode!r}")
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    if mode == "norm":
        coef = clip_value / (norm + 1e-6)  # torch.nn.utils.clip_grad_norm_
        if coef < 1.0:
            for g in grads:
                g *= coef
    elif mode == "value":
        for g in grads:
            np.clip(g, -clip_value, clip_value, out=g)
    return norm


# --- one chunk of truncated BPTT -------------------------------------------------------------

def chunk_loss_and_grads(
    model: RNNModel,
    inputs: np.ndarray,
    targets: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    *,
    workspace: Workspace | None = None,
) -> tuple[float, Gradients, Trace]:
    """Mean next-character cross-entropy of one ``(T, B)`` chunk and its parameter gradients.

    ``h0`` / ``c0`` are constants (the carried state of truncated BPTT): no gradient flows
    into the previous chunk; their gradients are still reported in ``Gradients.h0`` / ``c0``.
    ``workspace``: scratch memory reused across calls (see :class:`~rnnviz.backprop.Workspace`).
    """
    trace = forward(model, inputs, h0=h0, c0=c0)
    loss, d_logits = softmax_cross_entropy(trace.logits, targets, trace.probs, workspace=workspace)
    return loss, backward(model, trace, d_logits=d_logits, workspace=workspace), trace


def check_language_model(model: RNNModel, vocab_size: int | None = None) -> None:
    """A readable ValueError unless ``model`` can be trained as a next-character model."""
    if model.w_out is None:
        raise ValueError("the model needs an output layer to be trained as a language model")
    if model.bidirectional:
        raise ValueError("a bidirectional model sees the next character; train a unidirectional one")
    if model.output_size != model.input_size:
        raise ValueError(
            f"a language model needs output size == input size (the vocabulary), got "
            f"{model.output_size} and {model.input_size}"
        )
    if vocab_size is not None and model.input_size != vocab_size:
        raise ValueError(f"the model reads {model.input_size} symbols but the text has {vocab_size}")


class Trainer:
    """Truncated-BPTT training of a character model on one id sequence, in bounded chunks.

    ``ids``: the corpus as token ids. Each step reads ``batch_size`` streams (evenly spaced
    starting points on the corpus, read cyclically) for ``seq_len`` characters. ``losses``
    (float32, nats per character) records the mean training loss of every step.
    """

    def __init__(
        self,
        model: RNNModel,
        ids: np.ndarray,
        *,
        seq_len: int = 50,
        batch_size: int = 16,
        optimizer: str = "adam",
        lr: float | None = None,
        clip: str = "norm",
        clip_value: float = 5.0,
    ) -> None:
        check_language_model(model)
        ids = np.asarray(ids)
        if ids.ndim != 1 or ids.size < 2 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError("the corpus must be a 1-D sequence of at least 2 token ids")
        if ids.min() < 0 or ids.max() >= model.input_size:
            raise ValueError(f"token ids must lie in [0, {model.input_size - 1}]")
        if seq_len < 1 or batch_size < 1:
            raise ValueError("seq_len and batch_size must be at least 1")
        if clip not in CLIP_MODES:
            raise ValueError(f"clip mode must be one of {CLIP_MODES}, got {clip!r}")
        self.model, self.ids = model, ids.astype(np.int64)
        self.seq_len, self.batch_size = int(seq_len), int(batch_size)
        self.clip, self.clip_value = clip, float(clip_value)
        self.params = parameter_arrays(model)
        self.workspace = Workspace()
        self.optimizer = make_optimizer(optimizer, self.params, lr)
        n = ids.size
        self.offsets = (np.arange(self.batch_size) * n) // self.batch_size
        self.position = 0
        self._losses: list[float] = []
        self.grad_norms: list[float] = []
        self.reset_state()

    def reset_state(self) -> None:
        """Forget the carried hidden state (zeros), e.g. after jumping in the corpus."""
        L, H, B = self.model.num_layers, self.model.hidden_size, self.batch_size
        self.h = np.zeros((L, B, H), self.model.dtype)
        self.c = np.zeros((L, B, H), self.model.dtype) if cells.get(self.model.cell).has_cell_state else None

    def next_chunk(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``(T, B)`` inputs and targets of the next step (does not advance)."""
        idx = self.offsets[None, :] + self.position + np.arange(self.seq_len)[:, None]
        n = self.ids.size
        return self.ids[idx % n], self.ids[(idx + 1) % n]

    def step(self) -> float:
        """One truncated-BPTT step: forward, backward, clip, update; carries the state on."""
        x, y = self.next_chunk()
        loss, grads, trace = chunk_loss_and_grads(self.model, x, y, self.h, self.c, workspace=self.workspace)
        g = grads.arrays()
        self.grad_norms.append(clip_gradients(g, self.clip, self.clip_value))
        self.optimizer.step(g)
        self.h = trace.h_n
        self.c = trace.c_n
        self.position = (self.position + self.seq_len) % self.ids.size
        self._losses.append(loss)
        return loss

    def train(self, max_steps: int, max_seconds: float | None = None) -> int:
        """At most ``max_steps`` steps, stopping early once ``max_seconds`` have passed.

        Returns the number of steps done. Stops (raising nothing) if the loss becomes NaN;
        check :attr:`diverged`.
        """
        start = time.perf_counter()
        done = 0
        while done < max_steps and not self.diverged:
            self.step()
            done += 1
            if max_seconds is not None and time.perf_counter() - start >= max_seconds:
                break
        return done

    @property
    def diverged(self) -> bool:
        return bool(self._losses) and not math.isfinite(self._losses[-1])

    @property
    def steps(self) -> int:
        return len(self._losses)

    @property
    def chars_seen(self) -> int:
        return self.steps * self.seq_len * self.batch_size

    @property
    def losses(self) -> np.ndarray:
        """(steps,) float32 mean loss per step, nats per character."""
        return np.asarray(self._losses, np.float32)

    @property
    def bits_per_char(self) -> np.ndarray:
        return self.losses / np.float32(LN2)


def evaluate(model: RNNModel, ids: np.ndarray) -> float:
    """Mean next-character loss (nats) over one whole id sequence, from a zero state."""
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.size < 2:
        raise ValueError("need a 1-D sequence of at least 2 token ids")
    trace = forward(model, ids[:-1, None])
    return softmax_cross_entropy(trace.logits, ids[1:, None], trace.probs)[0]


def unigram_entropy(ids: np.ndarray, vocab_size: int) -> float:
    """Entropy (nats) of the character frequencies: the loss of the best context-free guess."""
    p = np.bincount(np.asarray(ids).reshape(-1), minlength=vocab_size) / np.asarray(ids).size
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


# --- sampling and top-k guesses ----------------------------------------------------------------

@dataclass
class Guesses:
    """Per position: the model's top-k next characters and their probabilities.

    ``ids`` (n,): the characters (sampled, or the given text); ``top_ids`` / ``top_probs``
    (n, k): what the model expected *at* that position, most likely first (the distribution
    the character was drawn from when sampling). ``text`` is ``vocab.decode(ids)``.
    """

    text: str
    ids: np.ndarray
    top_ids: np.ndarray
    top_probs: np.ndarray  # float32


def _top_k(probs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-probs, axis=-1, kind="stable")[..., :k]
    return order, np.take_along_axis(probs, order, axis=-1).astype(np.float32)


def _scaled_probs(logits: np.ndarray, temperature: float) -> np.ndarray:
    return softmax(np.asarray(logits, np.float64) / temperature)


def sample(
    model: RNNModel,
    vocab: Vocab,
    *,
    length: int = 200,
    prime: str = "",
    temperature: float = 1.0,
    top_k: int = 5,
    seed: int = 0,
) -> Guesses:
    """Draw ``length`` characters after ``prime`` (empty: start from the first vocabulary char).

    ``temperature`` divides the logits: < 1 sharper, > 1 flatter. The top-k guesses are those
    of the tempered distribution each character was drawn from.
    """
    check_language_model(model, vocab.size)
    if not (isinstance(temperature, (int, float)) and 0 < temperature <= 100 and math.isfinite(temperature)):
        raise ValueError(f"temperature must be in (0, 100], got {temperature!r}")
    if length < 1:
        raise ValueError("length must be at least 1")
    rng = np.random.default_rng(seed)
    k = max(1, min(top_k, vocab.size))
    prime_ids = vocab.encode(prime) if prime else np.zeros(1, np.int64)
    trace = forward(model, prime_ids[:, None])
    h, c, logits = trace.h_n, trace.c_n, trace.logits[-1, 0]
    ids = np.empty(length, np.int64)
    top_ids = np.empty((length, k), np.int64)
    top_probs = np.empty((length, k), np.float32)
    for t in range(length):
        p = _scaled_probs(logits, temperature)
        top_ids[t], top_probs[t] = _top_k(p, k)
        ids[t] = rng.choice(p.size, p=p)
        step = forward(model, ids[t : t + 1, None], h0=h, c0=c)
        h, c, logits = step.h_n, step.c_n, step.logits[-1, 0]
    return Guesses(vocab.decode(ids), ids, top_ids, top_probs)


def top_guesses(model: RNNModel, vocab: Vocab, text: str, *, top_k: int = 5) -> Guesses:
    """Teacher-forced: under each character of ``text`` (from the second on), the model's top-k
    guesses for it given everything before. Position 0 has no context and is skipped."""
    check_language_model(model, vocab.size)
    ids = vocab.encode(text)
    if ids.size < 2:
        raise ValueError("need at least 2 characters")
    k = max(1, min(top_k, vocab.size))
    probs = forward(model, ids[:-1, None]).probs[:, 0]
    top_ids, top_probs = _top_k(probs, k)
    return Guesses(vocab.decode(ids[1:]), ids[1:], top_ids, top_probs)
