"""Opt-in server-side timing for the benchmark: set RNNVIZ_TIMING=<file> and each script run
(and each fragment rerun) appends "<kind> <milliseconds>" to that file. Off by default."""
from __future__ import annotations

import os
import time
from contextlib import contextmanager

_PATH = os.environ.get("RNNVIZ_TIMING")


@contextmanager
def timed(kind: str):
    if not _PATH:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        with open(_PATH, "a") as f:
            f.write(f"{kind} {(time.perf_counter() - start) * 1000:.3f}\n")
