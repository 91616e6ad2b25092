"""The trace as a downloadable .npz: every recorded array under a readable name."""
from __future__ import annotations

import io

import numpy as np

from .naming import suffix
from .trace import Trace


def trace_arrays(trace: Trace) -> dict[str, np.ndarray]:
    """``inputs``, ``output``, ``h_n`` (``c_n``), ``logits``, ``probs`` and per layer/direction
    ``{h,ih,hh,gates,c}_l{k}[_reverse]`` (PyTorch's suffixes); all time-major ``(T, B, ...)``."""
    arrays = {"inputs": trace.inputs, "output": trace.output, "h_n": trace.h_n}
    for name in ("c_n", "logits", "probs"):
        if getattr(trace, name) is not None:
            arrays[name] = getattr(trace, name)
    for l, layer in enumerate(trace.layers):
        for d, lt in enumerate(layer):
            for name in ("h", "ih", "hh", "gates", "c"):
                if getattr(lt, name) is not None:
                    arrays[name + suffix(l, d)] = getattr(lt, name)
    return arrays


def trace_npz(trace: Trace) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **trace_arrays(trace))
    return buf.getvalue()
