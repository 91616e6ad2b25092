"""The worst configurations the URL allows: time and memory of one full page run (compute + render).

Each configuration runs in its own process (so peak RSS belongs to it): a warm-up run of the
default page, then REPEATS cold runs (cache cleared: forward pass + charts) timed with AppTest,
then one run under tracemalloc for the peak of Python/NumPy allocations. Reports medians.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench/worst_case.py
Goal (issue 5): every row under 2 s and 300 MB.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
REPEATS = 3
BIG = dict(hidden="512", length="500", layers="3", bidirectional="1", batch="64", inputs="random_dense",
           input_size="256", output_size="256", scale="100", step="499", unit="511")
CASES = {
    "lstm, every size at its maximum": dict(BIG, cell="lstm"),
    "lstm, every size at its maximum (Gates tab)": dict(BIG, cell="lstm", tab="Gates & cell state"),
    "gru, every size at its maximum (Bidirectional tab)": dict(BIG, cell="gru", tab="Bidirectional"),
    "rnn relu, every size at its maximum (explodes)": dict(BIG, cell="rnn", nonlinearity="relu"),
    "rnn relu, every size at its maximum (Weights tab)": dict(BIG, cell="rnn", nonlinearity="relu", tab="Weights"),
    "rnn, 1 layer, hidden 512, 500 steps, batch 64": dict(BIG, layers="1", bidirectional="0", cell="rnn"),
    "rnn, hidden 16, 3x2 layers, 500 steps, batch 64 (largest trace)": dict(BIG, hidden="16", cell="rnn", unit="15"),
    "text: 500 characters, 256 different, lstm 512": dict(cell="lstm", hidden="512", text="".join(map(chr, range(0x100, 0x200))) * 2),
}


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one(name: str) -> dict:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def page(params: dict) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params.update(params)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    page({})  # imports and first-run costs
    base = rss_mb()
    times = []
    for _ in range(REPEATS):
        st.cache_data.clear()
        time.sleep(0.2)
        start = time.perf_counter()
        at = page(CASES[name])
        times.append(time.perf_counter() - start)
    cfg = at.session_state["cfg"]
    st.cache_data.clear()
    tracemalloc.start()
    page(CASES[name])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return dict(case=name, seconds=statistics.median(times), tracemalloc_peak_mb=peak / 2**20,
                rss_base_mb=base, rss_peak_mb=rss_mb("VmHWM"),
                shape=f"{cfg.cell} L{cfg.layers}x{cfg.num_directions} H{cfg.hidden} T{cfg.length} B{cfg.batch} I{cfg.input_size}")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2])))
        return
    rows = []
    for name in CASES:
        out = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            print(f"{name}: FAILED\n{out.stderr[-2000:]}")
            continue
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(f"{r['case']:<66} {r['shape']:<34} {r['seconds']:6.2f} s  tracemalloc peak {r['tracemalloc_peak_mb']:6.1f} MB  "
              f"RSS {r['rss_base_mb']:.0f} -> peak {r['rss_peak_mb']:.0f} MB", flush=True)
    worst_s = max(r["seconds"] for r in rows)
    worst_mb = max(r["tracemalloc_peak_mb"] for r in rows)
    worst_rss = max(r["rss_peak_mb"] - r["rss_base_mb"] for r in rows)
    print(f"worst: {worst_s:.2f} s (goal < 2 s), tracemalloc peak {worst_mb:.0f} MB, "
          f"RSS growth over the warmed-up process {worst_rss:.0f} MB (goal < 300 MB)")


if __name__ == "__main__":
    main()
