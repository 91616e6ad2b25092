"""App speed benchmark: server script time, websocket bytes and browser latency (medians).

Run (benchmarks unset the OpenBLAS tuning variables the tests keep):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench/app.py [--repeats 30]

Measures, at the default view and at hidden 512 x length 500:
- server script time of a full rerun and of a time-step change (the app's own opt-in timer,
  RNNVIZ_TIMING, inside a real `streamlit run`; AppTest's full-rerun time as a cross-check),
- bytes the browser receives over the websocket per action (Playwright's framereceived),
- slider key press -> step chart redrawn in Chromium.
Targets (issue 3): full rerun <= 50 ms, step change <= 15 ms and <= 20 KB, slider -> chart
<= 200 ms, hidden 512 x length 500 answers within 1 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

BIG = "/?inputs=random_dense&input_size=32&hidden=512&length=500&step=250"
STRIP_TITLE = """() => { try { const gd = document.querySelector('.st-key-step_views .js-plotly-plot');
    return gd._fullLayout.annotations.map(a => a.text.replace(/<\/?b>/g, '')).find(t => t.startsWith('step ')) || ''; } catch (e) { return ''; } }"""


# The floor on this machine: a minimal Streamlit page (one slider and one small Plotly chart in
# a fragment), measured the same way in the same run.
MINIMAL_APP = """
import streamlit as st

@st.fragment
def step():
    s = st.slider("Time step", 0, 10, 4, key="s")
    st.plotly_chart({"data": [{"type": "bar", "x": [0, 1, 2], "y": [1, s, 2]}],
                     "layout": {"height": 300, "annotations": [{"text": f"step {s}:", "showarrow": False}]}},
                    key="step_views", theme=None)

step()
"""


def median(values):
    return statistics.median(values) if values else float("nan")


def apptest_full_rerun(repeats: int, timing_file: Path) -> dict:
    """Median AppTest rerun time, and the script's own timers (whole page / step views) in it."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    out = {}
    for name, params in (("default", {}), ("512x500", dict(inputs="random_dense", input_size="32", hidden="512",
                                                             length="500", step="250"))):
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        for k, v in params.items():
            at.query_params[k] = v
        at.run()
        assert not at.exception, at.exception
        times = []
        timing_file.write_text("")
        for _ in range(repeats):
            time.sleep(0.02)
            start = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - start) * 1000)
        lines = [line.split() for line in timing_file.read_text().splitlines()]
        out[name] = (median(times), median([float(ms) for kind, ms in lines if kind == "full"]),
                     median([float(ms) for kind, ms in lines if kind == "fragment"]))
    return out


class ServerTimes:
    """Reads the lines the app appends to RNNVIZ_TIMING."""

    def __init__(self, path: Path):
        self.path, self.seen = path, 0

    def new(self, kind: str, timeout: float = 10.0) -> list[float]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.path.read_text().splitlines() if self.path.exists() else []
            fresh = lines[self.seen:]
            if any(line.startswith(kind) for line in fresh):
                time.sleep(0.05)
                lines = self.path.read_text().splitlines()
                fresh, self.seen = lines[self.seen:], len(lines)
                return [float(line.split()[1]) for line in fresh if line.startswith(kind)]
            time.sleep(0.01)
        raise TimeoutError(f"no {kind!r} timing within {timeout} s")

    def skip(self) -> None:
        time.sleep(0.3)
        self.seen = len(self.path.read_text().splitlines()) if self.path.exists() else 0


def browser_run(url: str, query: str, repeats: int, timing: ServerTimes | None, label: str) -> dict:
    """Load the page, then time full reruns (when the app's timer is on) and step changes."""
    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM, CHROMIUM_ARGS

    received = [0]
    first_frame = [None]

    def on_frame(payload) -> None:
        received[0] += len(payload)
        if first_frame[0] is None:
            first_frame[0] = time.perf_counter()

    res: dict = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1100})
        page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
        start = time.perf_counter()
        page.goto(url + query)
        page.wait_for_function(f"() => ({STRIP_TITLE})() !== ''", timeout=60_000)
        res["first load to charts (ms)"] = (time.perf_counter() - start) * 1000
        res["first load bytes (KB)"] = received[0] / 1024
        time.sleep(1.0)
        if timing is not None:
            _full_reruns(page, res, repeats, timing, received)
        _step_changes(page, res, repeats, timing, received, first_frame)
        browser.close()
    return res


def _full_reruns(page, res: dict, repeats: int, timing: ServerTimes, received: list) -> None:
    timing.skip()
    # full reruns: Streamlit's own "R" shortcut reruns the whole script with nothing changed
    page.get_by_role("heading", name="rnnviz: watch a recurrent network think").click()
    full_ms, full_kb = [], []
    for _ in range(max(5, repeats // 3)):
        page.keyboard.press("r")  # the first press may only take the focus; count reruns that happened
        try:
            ms = timing.new("full", timeout=3.0)[-1:]
        except TimeoutError:
            continue
        time.sleep(0.5)
        full_ms += ms
        full_kb.append(received[0] / 1024)
        timing.skip()
        received[0] = 0
    res["full rerun: server (ms)"] = median(full_ms)
    res["full rerun: sent (KB)"] = median(full_kb)


def _step_changes(page, res: dict, repeats: int, timing: ServerTimes | None, received: list, first_frame: list) -> None:
    # time-step changes: arrow keys on the slider, alternating so the step stays in range
    slider = page.get_by_role("slider", name="Time step")
    slider.focus()
    frag_ms, step_kb, latency, to_first_frame = [], [], [], []
    for k in range(repeats):
        before = page.evaluate(STRIP_TITLE)
        key = "ArrowRight" if k % 2 == 0 else "ArrowLeft"
        time.sleep(0.25)
        received[0] = 0
        first_frame[0] = None
        start = time.perf_counter()
        slider.press(key)
        page.wait_for_function(f"(before) => ({STRIP_TITLE})() !== before && ({STRIP_TITLE})() !== ''", arg=before,
                               polling="raf", timeout=30_000)
        done = time.perf_counter()
        latency.append((done - start) * 1000)
        to_first_frame.append(((first_frame[0] or done) - start) * 1000)
        if timing is not None:
            frag_ms += timing.new("fragment")[-1:]
        time.sleep(0.3)
        step_kb.append(received[0] / 1024)
    if timing is not None:
        res["step change: server (ms)"] = median(frag_ms)
    res["step change: sent (KB)"] = median(step_kb)
    res["step change: slider -> chart in Chromium (ms)"] = median(latency)
    res["  of which: key press -> first websocket frame (ms)"] = median(to_first_frame)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    from conftest import free_port, start_server

    with tempfile.TemporaryDirectory() as tmp:
        timing_file = Path(tmp) / "timing.txt"
        os.environ["RNNVIZ_TIMING"] = str(timing_file)
        print("AppTest reruns, median ms: AppTest total | page script | step views (the fragment's work)")
        for name, (total, full, fragment) in apptest_full_rerun(args.repeats, timing_file).items():
            print(f"  {name:10s} {total:8.1f} | {full:8.1f} | {fragment:8.1f}")
        timing_file.write_text("")
        port = free_port()
        proc = start_server(port)
        try:
            url = f"http://127.0.0.1:{port}"
            timing = ServerTimes(timing_file)
            results = {"default": browser_run(url, "/", args.repeats, timing, "default"),
                       "512x500": browser_run(url, BIG, max(10, args.repeats // 2), timing, "512x500")}
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        minimal = Path(tmp) / "minimal_app.py"
        minimal.write_text(MINIMAL_APP)
        port = free_port()
        proc = start_server(port, minimal)
        try:
            results["minimal"] = browser_run(f"http://127.0.0.1:{port}", "/", args.repeats, None, "minimal")
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    targets = {
        ("default", "full rerun: server (ms)"): 50,
        ("default", "step change: server (ms)"): 15,
        ("default", "step change: sent (KB)"): 20,
        ("default", "step change: slider -> chart in Chromium (ms)"): 200,
        ("512x500", "full rerun: server (ms)"): 1000,
        ("512x500", "step change: slider -> chart in Chromium (ms)"): 1000,
        ("512x500", "first load to charts (ms)"): None,
    }
    print("\nReal server + Chromium, medians ('minimal' = a one-slider, one-chart Streamlit page, the floor here):")
    print(f"  {'view':8s} {'measure':48s} {'value':>9s}  target")
    for view, res in results.items():
        for name, value in res.items():
            target = targets.get((view, name))
            verdict = "" if target is None else (f"<= {target}  {'ok' if value <= target else 'MISSED'}")
            print(f"  {view:8s} {name:48s} {value:9.1f}  {verdict}")


if __name__ == "__main__":
    main()
