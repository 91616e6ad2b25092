"""Benchmark rnnviz's forward pass against torch.nn.RNN / LSTM / GRU on the CPU.

Run it from the repository root (OpenBLAS tuning variables unset, so NumPy picks its own):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench/engine.py [--quick] [--out FILE]

For B in {1, 32}, T in {50, 500}, H in {16, 64, 256, 1024}, float32 and float64, and every
cell (RNN tanh, LSTM, GRU; input size = H, one layer, unidirectional, dense inputs) it prints
the median time of

- ``rnnviz``: ``rnnviz.network.forward`` (records the whole trace),
- ``states``: the same engine with recording switched off (``network.forward_states``: only
  the outputs and final states, the per-step ``hh`` / gate blocks go to scratch buffers),
- ``torch``: ``torch.nn.RNN/LSTM/GRU`` with the same weights, under ``torch.no_grad()``,

all measured in the same run, with the ratio rnnviz/torch and the cost of recording the trace
(rnnviz/states - 1). The three contenders are timed in interleaved batches (rnnviz, states,
torch, repeated ``--rounds`` = 2 times) so that noise from other processes hits all of them alike;
each batch starts after a 0.2 s sleep (OpenBLAS and OpenMP threads spin ~0.1 s after a call and
would slow the other library down). Repeats adapt to the size, after one untimed warm-up call
each: a batch aims at ``--budget`` seconds (0.4 s, 0.2 s with --quick) with 3 to 25 calls,
so 6 to 50 timed calls per contender (column "reps"); a size whose warm-up call took more
than 2 s (B=32, T=500, H >= 256: 1-10 s per call single-threaded) gets one timed call per
contender after the warm-up (reps = 1; the warm-up itself is never timed: the first touch of
hundreds of MB of fresh memory costs seconds here). The full run takes about 15 minutes on
this machine (most of it in those few largest sizes), --quick about one and a half.

Threads and clock: by default both libraries run single-threaded (``--threads 1``: OpenBLAS
and torch's OpenMP pool) and time is the calling thread's CPU time (``time.thread_time``).
On this shared 2-core machine, with other processes busy, multi-threaded BLAS/OpenMP timings
swing by 10-20x (a worker thread waiting for a busy core) and wall time by +-50%; single-threaded
CPU time compares the two implementations like for like. ``--threads 0 --clock wall`` measures
the libraries' own defaults instead.

Targets (issue 2): RNN and GRU <= 0.7x torch at every size; LSTM <= 0.8x in float64 and <= 1.5x
in float32; recording the trace costs <= ~20%.
"""
from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

CELLS = ("rnn", "lstm", "gru")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T=50 only, H in {16, 64, 256}, shorter batches")
    parser.add_argument("--out", type=Path, help="also write the markdown table to this file")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for both OpenBLAS (NumPy) and torch (default 1; 0 keeps the libraries' defaults)")
    parser.add_argument("--clock", choices=["cpu", "wall"], default=None,
                        help="cpu: the calling thread's CPU time (default with --threads 1: immune to being "
                             "descheduled on a shared machine); wall: elapsed time (default otherwise)")
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=CELLS)
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--B", nargs="+", type=int, help="override batch sizes")
    parser.add_argument("--T", nargs="+", type=int, help="override sequence lengths")
    parser.add_argument("--H", nargs="+", type=int, help="override hidden sizes")
    parser.add_argument("--budget", type=float, help="seconds per contender per size (default 0.4, quick 0.2)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved batches per contender")
    return parser.parse_args()


ARGS = parse_args()
if ARGS.threads:  # must be set before NumPy / torch load their thread pools
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402

if ARGS.threads:
    torch.set_num_threads(ARGS.threads)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rnnviz.compat import to_torch_state_dict  # noqa: E402
from rnnviz.network import forward, forward_states, init_model  # noqa: E402

TARGETS = {("rnn", "float32"): 0.7, ("rnn", "float64"): 0.7, ("gru", "float32"): 0.7, ("gru", "float64"): 0.7,
           ("lstm", "float32"): 1.5, ("lstm", "float64"): 0.8}
SPIN_SLEEP = 0.2
SLOW_CALL = 2.0  # seconds: above this, a size gets a single timed call per contender


CLOCK = time.thread_time if (ARGS.clock or ("cpu" if ARGS.threads == 1 else "wall")) == "cpu" else time.perf_counter


def time_calls(fn, n: int) -> list[float]:
    time.sleep(SPIN_SLEEP)
    times = []
    for _ in range(n):
        start = CLOCK()
        fn()
        times.append(CLOCK() - start)
    return times


def bench_one(cell: str, dtype: str, B: int, T: int, H: int, budget: float, rounds: int) -> dict:
    np_dtype = np.dtype(dtype)
    model = init_model(cell, H, H, None, seed=0, dtype=np_dtype)
    x = np.random.default_rng(1).standard_normal((T, B, H)).astype(np_dtype)
    module = getattr(torch.nn, cell.upper())(H, H).to(getattr(torch, dtype))
    module.load_state_dict({k: torch.from_numpy(v) for k, v in to_torch_state_dict(model).items()})
    xt = torch.from_numpy(x)

    def run_torch():
        with torch.no_grad():
            module(xt)

    contenders = {"rnnviz": lambda: forward(model, x), "states": lambda: forward_states(model, x), "torch": run_torch}
    # One call each: a warm-up, and an estimate of the time per call to size the batches.
    estimate = {}
    for name, fn in contenders.items():
        estimate[name] = min(time_calls(fn, 1), default=0.0) or 1e-6
    slowest = max(estimate.values())
    samples = {name: [] for name in contenders}
    if slowest > SLOW_CALL:  # seconds per call: one timed call each after the warm-up (the first
        rounds, n = 1, 1  # touch of hundreds of MB of fresh memory is much slower: not timed)
    else:
        n = int(min(25, max(3, budget / rounds / slowest)))
    for _ in range(rounds):
        for name, fn in contenders.items():
            samples[name] += time_calls(fn, n)
    med = {name: statistics.median(s) for name, s in samples.items()}
    return {
        "cell": cell, "dtype": dtype, "B": B, "T": T, "H": H, "repeats": len(samples["rnnviz"]),
        **{f"{k}_ms": v * 1e3 for k, v in med.items()},
        "ratio": med["rnnviz"] / med["torch"],
        "trace_cost": med["rnnviz"] / med["states"] - 1.0,
    }


HEADER = "| cell | dtype | B | T | H | reps | rnnviz ms | states ms | torch ms | rnnviz/torch | target | met | trace cost |"


def row_markdown(r: dict) -> str:
    target = TARGETS[(r["cell"], r["dtype"])]
    met = "yes" if r["ratio"] <= target else "**no**"
    return (
        f"| {r['cell']} | {r['dtype']} | {r['B']} | {r['T']} | {r['H']} | {r['repeats']} | {r['rnnviz_ms']:.3f} "
        f"| {r['states_ms']:.3f} | {r['torch_ms']:.3f} | {r['ratio']:.2f} | {target} | {met} | {r['trace_cost']:+.0%} |"
    )


def summary(rows: list[dict]) -> list[str]:
    lines = ["", "| cell | dtype | ratio min | median | max | target | sizes meeting it | trace cost median | max |",
             "|---|---|---|---|---|---|---|---|---|"]
    for cell, dtype in itertools.product(CELLS, ("float32", "float64")):
        rs = [r for r in rows if r["cell"] == cell and r["dtype"] == dtype]
        if not rs:
            continue
        ratios = [r["ratio"] for r in rs]
        costs = [r["trace_cost"] for r in rs]
        target = TARGETS[(cell, dtype)]
        met = sum(x <= target for x in ratios)
        lines.append(
            f"| {cell} | {dtype} | {min(ratios):.2f} | {statistics.median(ratios):.2f} | {max(ratios):.2f} | {target} "
            f"| {met}/{len(rs)} | {statistics.median(costs):+.0%} | {max(costs):+.0%} |"
        )
    return lines


def main() -> None:
    args = ARGS
    budget = args.budget or (0.2 if args.quick else 0.4)
    Bs = args.B or [1, 32]
    Ts = args.T or ([50] if args.quick else [50, 500])
    Hs = args.H or ([16, 64, 256] if args.quick else [16, 64, 256, 1024])

    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")}
    print(f"numpy {np.__version__}, torch {torch.__version__} (threads {torch.get_num_threads()}), "
          f"cpus {os.cpu_count()}, --threads {args.threads}, clock {CLOCK.__name__}, env {env}", flush=True)
    print(HEADER, flush=True)
    print("|" + "---|" * (HEADER.count("|") - 1), flush=True)
    rows = []
    started = time.perf_counter()
    for cell, dtype, B, T, H in itertools.product(args.cells, args.dtypes, Bs, Ts, Hs):
        r = bench_one(cell, dtype, B, T, H, budget, args.rounds)
        rows.append(r)
        print(row_markdown(r), flush=True)
    lines = summary(rows)
    print("\n".join(lines))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if args.out:
        table = [HEADER, "|" + "---|" * (HEADER.count("|") - 1)] + [row_markdown(r) for r in rows] + lines
        args.out.write_text("\n".join(table) + "\n")


if __name__ == "__main__":
    main()
