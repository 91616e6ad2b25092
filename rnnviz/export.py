"""The trace as a downloadable .npz: every recorded array under a readable name."""
from __future__ import annotations

import io

import numpy as np

from .trace import Trace


def trace_arrays(trace: Trace) -> dict[str, np.ndarray]:
    """``inputs``, ``output``, ``h_n`` (``c_n``), ``logits``, ``probs`` and per layer/direction
    ``l{k}[_reverse]_{h,ih,hh,gates,c}``; all time-major ``(T, B, ...)``."""
    arrays = {"inputs": trace.inputs, "output": trace.output, "h_n": trace.h_n}
    for name in ("c_n", "logits", "probs"):
        if getattr(trace, name) is not None:
            arrays[name] = getattr(trace, name)
    for l, layer in enumerate(trace.layers):
        for lt in layer:
            prefix = f"l{l}" + ("_reverse" if lt.reverse else "")
            for name in ("h", "ih", "hh", "gates", "c"):
                if getattr(lt, name) is not None:
                    arrays[f"{prefix}_{name}"] = getattr(lt, name)
    return arrays


def trace_npz(trace: Trace) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **trace_arrays(trace))
    return buf.getvalue()
