"""Benchmark a full character-model training step: rnnviz (NumPy) vs torch autograd vs min-char-rnn.

Run from the repository root (OpenBLAS tuning variables unset, so NumPy picks its own):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench/train.py [--rounds N] [--calls N]

One training step = forward + loss + BPTT + gradient clipping + optimizer update, for a
vanilla tanh RNN (``--cell lstm|gru`` for the others) with V=65 symbols, H=128 units, B=32 sequences of T=100 characters, float32,
Adagrad (lr 0.1) and elementwise clipping to [-5, 5] (min-char-rnn's recipe), hidden state
carried across steps (truncated BPTT). Contenders, timed in interleaved batches in one process:

- ``rnnviz``: ``rnnviz.train.Trainer.step`` (pure NumPy);
- ``torch``: the same model in torch on the CPU: ``nn.RNN`` + ``nn.Linear`` on one-hot
  inputs, ``cross_entropy``, ``backward``, ``clip_grad_value_``, ``optim.Adagrad``;
- ``min-char-rnn``: a per-character, batch-1 loop in the style of Karpathy's classic
  min-char-rnn.py (column vectors, one-hot inputs, float64, Adagrad, np.clip), T=100;
- ``rnnviz forward``: only ``rnnviz.network.forward`` of the same batch (to show its share).

Threads: ``--threads 1`` (default) runs NumPy's OpenBLAS and torch on one thread each, the
same resources for every contender. On this shared 2-core machine a threaded BLAS call waits
for a second thread that other processes may be using: threaded timings swing by 10x from run
to run (both libraries' per-step products are tiny). ``--threads 0`` keeps each library's
default (2 here) for comparison.

Prints the median time per step, characters per second and the ratios. Each timed batch
starts after a 0.2 s sleep (OpenBLAS / OpenMP threads spin ~0.1 s after a call and would slow
the other library). Targets (issue 4): rnnviz >= 2.5x torch and >= 40x min-char-rnn.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path


def _threads_from_argv(default: int = 1) -> int:
    """``--threads N`` must act before NumPy loads OpenBLAS, so it is read ahead of argparse."""
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return int(sys.argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return default


THREADS = _threads_from_argv()
if THREADS > 0:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(THREADS)

import numpy as np  # noqa: E402
import torch  # noqa: E402

if THREADS > 0:
    torch.set_num_threads(THREADS)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rnnviz.compat import to_torch_state_dict  # noqa: E402
from rnnviz.network import forward, init_model  # noqa: E402
from rnnviz.train import Trainer  # noqa: E402

V, H, B, T = 65, 128, 32, 100
LR, CLIP = 0.1, 5.0
SPIN_SLEEP = 0.2


def rnnviz_step(corpus: np.ndarray, cell: str):
    model = init_model(cell, V, H, V, seed=0, dtype=np.float32)
    trainer = Trainer(model, corpus, seq_len=T, batch_size=B, optimizer="adagrad", lr=LR, clip="value", clip_value=CLIP)
    x, _ = trainer.next_chunk()
    return trainer.step, (lambda: forward(model, x, h0=trainer.h)), model


def torch_step(corpus: np.ndarray, model):
    sd = to_torch_state_dict(model)
    rnn, out = getattr(torch.nn, model.cell.upper())(V, H), torch.nn.Linear(H, V)
    rnn.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items() if not k.startswith("out.")})
    out.load_state_dict({"weight": torch.from_numpy(sd["out.weight"]), "bias": torch.from_numpy(sd["out.bias"])})
    params = list(rnn.parameters()) + list(out.parameters())
    opt = torch.optim.Adagrad(params, lr=LR)
    data = torch.from_numpy(corpus)
    offsets = torch.arange(B) * (len(corpus) // B)
    zeros = torch.zeros(1, B, H)
    state = {"h": (zeros, zeros) if model.cell == "lstm" else zeros, "pos": 0}

    def step():
        idx = (offsets[None, :] + state["pos"] + torch.arange(T)[:, None]) % len(corpus)
        x, y = data[idx], data[(idx + 1) % len(corpus)]
        output, h = rnn(torch.nn.functional.one_hot(x, V).float(), state["h"])
        loss = torch.nn.functional.cross_entropy(out(output).reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_value_(params, CLIP)
        opt.step()
        state["h"] = tuple(s.detach() for s in h) if model.cell == "lstm" else h.detach()
        state["pos"] += T
        return loss.item()

    return step


def min_char_rnn_step(corpus: np.ndarray):
    """The classic loop (Karpathy's min-char-rnn.py), sizes set to this benchmark's."""
    rng = np.random.default_rng(0)
    Wxh, Whh, Why = rng.standard_normal((H, V)) * 0.01, rng.standard_normal((H, H)) * 0.01, rng.standard_normal((V, H)) * 0.01
    bh, by = np.zeros((H, 1)), np.zeros((V, 1))
    params = [Wxh, Whh, Why, bh, by]
    mem = [np.zeros_like(p) for p in params]
    state = {"h": np.zeros((H, 1)), "p": 0}

    def loss_fun(inputs, targets, hprev):
        xs, hs, ys, ps = {}, {}, {}, {}
        hs[-1] = np.copy(hprev)
        loss = 0.0
        for t in range(len(inputs)):
            xs[t] = np.zeros((V, 1))
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
            ys[t] = np.dot(Why, hs[t]) + by
            ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
            loss += -np.log(ps[t][targets[t], 0])
        dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
        dbh, dby = np.zeros_like(bh), np.zeros_like(by)
        dhnext = np.zeros_like(hs[0])
        for t in reversed(range(len(inputs))):
            dy = np.copy(ps[t])
            dy[targets[t]] -= 1
            dWhy += np.dot(dy, hs[t].T)
            dby += dy
            dh = np.dot(Why.T, dy) + dhnext
            dhraw = (1 - hs[t] * hs[t]) * dh
            dbh += dhraw
            dWxh += np.dot(dhraw, xs[t].T)
            dWhh += np.dot(dhraw, hs[t - 1].T)
            dhnext = np.dot(Whh.T, dhraw)
        for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
            np.clip(dparam, -CLIP, CLIP, out=dparam)
        return loss, [dWxh, dWhh, dWhy, dbh, dby], hs[len(inputs) - 1]

    def step():
        p = state["p"]
        if p + T + 1 >= len(corpus):
            p, state["h"] = 0, np.zeros((H, 1))
        inputs, targets = corpus[p : p + T], corpus[p + 1 : p + T + 1]
        loss, grads, state["h"] = loss_fun(inputs, targets, state["h"])
        for param, dparam, m in zip(params, grads, mem):
            m += dparam * dparam
            param += -LR * dparam / np.sqrt(m + 1e-8)
        state["p"] = p + T
        return loss

    return step


def time_batch(fn, calls: int) -> list[float]:
    time.sleep(SPIN_SLEEP)
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="interleaved timing rounds")
    parser.add_argument("--calls", type=int, default=6, help="steps per timed batch (min-char-rnn: a third)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS / OpenMP threads for NumPy and torch alike (0: library defaults)")
    parser.add_argument("--cell", choices=("rnn", "lstm", "gru"), default="rnn",
                        help="cell for rnnviz and torch (min-char-rnn is always a vanilla RNN)")
    args = parser.parse_args()
    corpus = np.random.default_rng(1).integers(0, V, size=200_000)
    ours, ours_forward, model = rnnviz_step(corpus, args.cell)
    contenders = {
        "rnnviz": (ours, B * T, args.calls),
        "torch": (torch_step(corpus, model), B * T, args.calls),
        "min-char-rnn": (min_char_rnn_step(corpus), T, max(3, args.calls // 3)),
        "rnnviz forward": (ours_forward, B * T, args.calls),
    }
    for fn, _, _ in contenders.values():  # warm-up
        fn()
        fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, (fn, _, calls) in contenders.items():
            times[name] += time_batch(fn, calls)
    print(f"Training step, {args.cell.upper()} V={V} H={H} B={B} T={T}, float32 (min-char-rnn: batch 1, float64), "
          f"threads: torch {torch.get_num_threads()}, OpenBLAS {os.environ.get('OPENBLAS_NUM_THREADS', 'default')}, "
          f"{args.rounds} rounds")
    rate = {}
    for name, (_, chars, _) in contenders.items():
        med = statistics.median(times[name])
        rate[name] = chars / med
        print(f"  {name:15s} median {med * 1e3:8.2f} ms/step   {rate[name]:>12,.0f} chars/s   ({len(times[name])} steps)")
    print(f"  rnnviz / torch        = {rate['rnnviz'] / rate['torch']:.2f}x   (target >= 2.5x)")
    print(f"  rnnviz / min-char-rnn = {rate['rnnviz'] / rate['min-char-rnn']:.1f}x   (target >= 40x)")
    share = rate["rnnviz"] / rate["rnnviz forward"]
    print(f"  forward share of the rnnviz step = {share:.0%}")


if __name__ == "__main__":
    main()
