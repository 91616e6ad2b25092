"""What the browser benchmarks (bench/app.py, bench/unrolled.py) share: the step player's root in
the page, a page with its websocket bytes and console errors recorded, medians, a process's CPU."""
from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

# the step player's root: the first isolated component (the theme watcher is not isolated)
RP = "document.querySelector('[data-testid=stBidiComponentIsolated]').shadowRoot.querySelector('.rp')"


def median(xs) -> float:
    return statistics.median(xs) if xs else float("nan")


class Wire:
    """Websocket frames of a page: bytes received, frames sent (with times)."""

    def __init__(self, page):
        self.received = 0
        self.sent: list[float] = []
        page.on("websocket", self._on_ws)

    def _on_ws(self, ws) -> None:
        ws.on("framereceived", lambda payload: setattr(self, "received", self.received + len(payload)))
        ws.on("framesent", lambda payload: self.sent.append(time.perf_counter()))


def new_page(browser, url: str, *, height: int):
    """A fresh context (empty HTTP cache) at 1440 × ``height`` with ``url`` loading: (context, page,
    wire, console errors)."""
    context = browser.new_context(viewport={"width": 1440, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    wire = Wire(page)
    page.goto(url)
    return context, page, wire, errors


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (/proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def arrow_presses(page, *, start: int, T: int, presses: int, arm: str, done: str, read: str) -> list[dict]:
    """Arrow keys 300 ms apart, alternating → / ← (← from the last step), from step ``start`` of ``T``.
    Before each press ``arm`` (a JS function of the step wanted) primes the page's timing harness;
    after it, the press waits for ``done`` (a JS predicate) and collects ``read`` (a JS function)."""
    out, step = [], start
    for k in range(presses):
        forward = k % 2 == 0 and step < T - 1
        want = step + 1 if forward else step - 1
        page.evaluate(arm, want)
        page.keyboard.press("ArrowRight" if forward else "ArrowLeft")
        page.wait_for_function(done, timeout=10_000)
        out.append(page.evaluate(read))
        step = want
        time.sleep(0.3)
    return out
