"""App speed benchmark (issue 9): the step player timed inside the page, the server's work, the bytes,
next to an ordinary Streamlit page (one slider + one Plotly chart in a fragment), in one run.

Run (benchmarks unset the OpenBLAS tuning variables the tests keep):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench/app.py [--presses 20] [--loads 5]

Measures, with the app's own settings (.streamlit/config.toml), on the default page (RNN, hidden 16,
"hello world"; a 132-character text where a measure needs more steps) and at hidden 512 x length 500
(random dense inputs):
- key press -> step view redrawn, timed INSIDE the page: t0 = a capture-phase keydown listener on
  window; "DOM" = a MutationObserver (on the document and every open shadow root) sees the new step
  AND changed h bars; "frame" = the next requestAnimationFrame; "produced" = a message posted from
  that rAF. Presses from Playwright, 300 ms apart, alternating -> / <-. The same for the ordinary
  slider + chart page: keydown on its slider -> the chart's text shows the new step.
- Play at 10 steps/s for 100 steps: the largest gap between drawn steps (MutationObserver times);
  control: a bare 100 ms timer on a blank page (the machine's load alone makes gaps).
- holding -> for 2 s (keydowns with repeat=true dispatched in the page at 30 Hz): websocket frames the
  browser sent during the 2 s and until settled, and the server's CPU over that window (/proc).
- bytes: websocket bytes on first load and per model change (Cell select, RNN -> LSTM).
- first load: a new browser context each time (empty HTTP cache): navigation -> the step drawn.
- AppTest: the page script's own time for a full rerun and for a step report (the fragment).
Prints a table with the targets of issue 9 beside the figures.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from chromium import RP, Wire, arrow_presses, cpu_seconds, median, new_page  # noqa: E402  (bench/chromium.py)

DEFAULT = "?step=4"
DEFAULT_LONG = "?text=" + "the+quick+brown+fox+jumps+over+the+lazy+dog+" * 3 + "&step=0"  # 132 characters
BIG = "?inputs=random_dense&input_size=32&hidden=512&length=500&step=250&unit=100"

# The ordinary way: a slider and a Plotly chart in a fragment (each step is a server round trip).
MINIMAL_APP = """
import streamlit as st

@st.fragment
def step():
    s = st.slider("Time step", 0, 10, 4, key="s")
    st.plotly_chart({"data": [{"type": "bar", "x": [0, 1, 2], "y": [1, s, 2]}],
                     "layout": {"height": 300, "annotations": [{"text": f"step {s}:", "showarrow": False}]}},
                    key="chart", theme=None)

step()
"""
MINIMAL_HARNESS = """() => {
  const B = window.__M = { want: '', t0: 0, dom: null };
  window.addEventListener('keydown', () => { B.t0 = performance.now(); B.dom = null; }, true);
  new MutationObserver(() => { if (B.dom === null && B.t0 && document.body.innerText.includes(B.want))
    B.dom = performance.now() - B.t0; }).observe(document, { subtree: true, childList: true, characterData: true,
                                                             attributes: true });
  return true; }"""


def minimal_latency(browser, url: str, presses: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(url)
    page.wait_for_function("() => document.body.innerText.includes('step 4:')", timeout=60_000)
    page.evaluate(MINIMAL_HARNESS)
    slider = page.locator("[data-testid=stSlider] input")
    slider.focus()
    value, out = 4, []
    for k in range(presses):
        forward = k % 2 == 0
        value += 1 if forward else -1
        page.evaluate("(w) => { window.__M.want = w; }", f"step {value}:")
        slider.press("ArrowRight" if forward else "ArrowLeft")
        page.wait_for_function("() => window.__M.dom !== null", timeout=30_000)
        out.append(page.evaluate("() => window.__M.dom"))
        time.sleep(0.3)
    page.close()
    return out


def apptest_times(repeats: int) -> dict:
    """The page script's own time (RNNVIZ_TIMING) for a full rerun and for a step report, in AppTest."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from rnnviz.ui import timing

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "timing.txt"
        timing._PATH = str(path)
        for name, params in (("default", {}), ("512x500", dict(inputs="random_dense", input_size="32", hidden="512",
                                                                 length="500", step="250"))):
            st.cache_data.clear()
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.query_params.update(params)
            at.run()
            path.write_text("")
            for _ in range(repeats):
                at.run()
            full = [float(l.split()[1]) for l in path.read_text().splitlines() if l.startswith("full")]
            path.write_text("")
            for k in range(repeats):
                at.session_state["player"] = {"step": 3 + k % 2, "unit": 0, "speed": 2.0}
                at.run()
            frag = [float(l.split()[1]) for l in path.read_text().splitlines() if l.startswith("fragment")]
            out[name] = (median(full), median(frag))
        timing._PATH = None
    return out


READY = f"() => {{ try {{ const rp = {RP}; return rp && rp.dataset.step !== undefined; }} catch (e) {{ return false; }} }}"

HARNESS = """() => {
  const rp = %s;
  // what the h bars look like now: first rect's value (H <= 64) or the area path (H > 64)
  const bars = () => { const r = rp.querySelector('.hbars rect.b'); if (r) return r.dataset.value;
                       const p = rp.querySelector('.hbars path.area.pos'); return p ? p.getAttribute('d') : ''; };
  const B = window.__B = { want: -1, before: '', t0: 0, dom: null, raf: null, paint: null, bars };
  window.addEventListener('keydown', () => {
    B.t0 = performance.now(); B.dom = B.raf = B.paint = null;
    requestAnimationFrame(() => {
      B.raf = performance.now() - B.t0;
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { B.paint = performance.now() - B.t0; };
      ch.port2.postMessage(0);
    });
  }, true);
  const check = () => {
    if (B.dom === null && B.t0 && rp.dataset.step === String(B.want) && bars() !== B.before) B.dom = performance.now() - B.t0;
  };
  const opts = { subtree: true, attributes: true, childList: true, characterData: true };
  const observe = (node) => {
    new MutationObserver(check).observe(node, opts);
    for (const el of node.querySelectorAll('*')) if (el.shadowRoot) observe(el.shadowRoot);
  };
  observe(document);
  // steps drawn, for Play
  B.drawn = [];
  new MutationObserver(() => B.drawn.push([Number(rp.dataset.step), performance.now()]))
    .observe(rp, { attributes: true, attributeFilter: ['data-step'] });
  return true;
}""" % RP


def open_page(browser, url: str, query: str):
    start = time.perf_counter()
    context, page, wire, errors = new_page(browser, url + "/" + query, height=1100)
    page.wait_for_function(READY, timeout=120_000, polling="raf")
    loaded_ms = (time.perf_counter() - start) * 1000
    time.sleep(1.5)
    http = page.evaluate("""() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
        .reduce((a, e) => a + (e.transferSize || 0), 0)""")
    page.evaluate(HARNESS)
    return context, page, wire, errors, {"load_ms": loaded_ms, "ws_first": wire.received, "http_first": http}


def key_latency(page, presses: int) -> dict:
    page.locator("h1").first.click()  # the focus on the page, not in the player: keys work from anywhere
    step = page.evaluate(f"() => Number({RP}.dataset.step)")
    T = page.evaluate(f"() => Number({RP}.querySelector('.slider').max) + 1")
    got = arrow_presses(page, start=step, T=T, presses=presses,
                        arm="(w) => { window.__B.want = w; window.__B.before = window.__B.bars(); }",
                        done="() => window.__B.dom !== null && window.__B.paint !== null",
                        read="() => ({dom: window.__B.dom, raf: window.__B.raf, paint: window.__B.paint})")
    return {name: [g[name] for g in got] for name in ("dom", "raf", "paint")}


def play_gaps(page, steps: int = 100) -> dict:
    page.get_by_label("Play speed, steps per second").focus()
    page.keyboard.press("End")  # 10 steps/s
    page.locator("h1").first.click()
    page.keyboard.press("Home")
    time.sleep(0.5)
    page.evaluate("() => { window.__B.drawn = []; }")
    page.keyboard.press("p")
    page.wait_for_function(f"() => window.__B.drawn.length >= {steps}", timeout=60_000)
    page.keyboard.press("p")
    drawn = page.evaluate("() => window.__B.drawn")[:steps]
    times = [t for _, t in drawn]
    gaps = [b - a for a, b in zip(times, times[1:])]
    ordered = [s for s, _ in drawn] == list(range(1, steps + 1))
    return {"max_gap": max(gaps), "median_gap": median(gaps), "ordered": ordered, "steps": len(drawn)}


def hold(page, wire: Wire, pid: int, seconds: float = 2.0, hz: float = 30.0) -> dict:
    page.locator("h1").first.click()
    page.keyboard.press("Home")
    time.sleep(2.0)  # let the Home report settle
    n0 = len(wire.sent)
    cpu0 = cpu_seconds(pid)
    start = time.perf_counter()
    page.evaluate("""([ms, hz]) => new Promise((done) => {
        const end = performance.now() + ms;
        const id = setInterval(() => {
          if (performance.now() >= end) { clearInterval(id); done(); return; }
          document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true,
            cancelable: true, composed: true, repeat: true }));
        }, 1000 / hz);
      })""", [seconds * 1000, hz])
    held_until = time.perf_counter()
    time.sleep(2.5)
    cpu = cpu_seconds(pid) - cpu0
    during = [t for t in wire.sent[n0:] if t <= held_until]
    total = len(wire.sent) - n0
    step = page.evaluate(f"() => Number({RP}.dataset.step)")
    return {"during": len(during), "total": total, "steps": step, "cpu_ms": cpu * 1000, "held_s": held_until - start}


def model_change(page, wire: Wire) -> int:
    before = wire.received
    page.locator(".st-key-w_cell [data-testid=stSelectbox]").click()
    page.get_by_role("option", name="LSTM", exact=True).click()
    page.wait_for_function(f"() => {{ try {{ return {RP}.querySelector('.grow[data-gate=f]') !== null; }} catch (e) {{ return false; }} }}",
                           timeout=120_000)
    time.sleep(1.5)
    return wire.received - before


CONTROL = """() => new Promise((done) => { const ts = [];
  const id = setInterval(() => { ts.push(performance.now()); if (ts.length > 100) { clearInterval(id);
    const g = ts.slice(1).map((t, i) => t - ts[i]); done(Math.max(...g)); } }, 100); })"""


def timer_floor(browser) -> float:
    """The largest gap of a bare 100 ms setInterval on a blank page: what this machine's load alone does."""
    page = browser.new_page()
    page.set_content("<p>control</p>")
    gap = page.evaluate(CONTROL)
    page.close()
    return gap


def cold_loads(browser, url: str, query: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url + "/" + query)
        page.wait_for_function(READY, timeout=120_000, polling="raf")
        out.append((time.perf_counter() - start) * 1000)
        context.close()
    return out


def fmt_ms(xs) -> str:
    return f"{median(xs):.1f} / {max(xs):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=20)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_server

    script = apptest_times(max(10, args.presses))
    port = free_port()
    proc = start_server(port)
    url = f"http://127.0.0.1:{port}"
    res: dict = {}
    errors_all: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal_app.py"
        minimal.write_text(MINIMAL_APP)
        port_m = free_port()
        proc_m = start_server(port_m, minimal)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for name, query, long_query in (("default", DEFAULT, DEFAULT_LONG), ("512x500", BIG, BIG)):
                    print(f"[{name}] loading {query}", flush=True)
                    context, page, wire, errors, first = open_page(browser, url, query)
                    r = res[name] = dict(first)
                    r["keys"] = key_latency(page, args.presses)
                    print(f"[{name}] key -> DOM median/max {fmt_ms(r['keys']['dom'])} ms", flush=True)
                    r["model_change_bytes"] = model_change(page, wire)
                    errors_all += errors
                    context.close()
                    context, page, wire, errors, _ = open_page(browser, url, long_query)
                    r["play"] = play_gaps(page)
                    print(f"[{name}] play: max gap {r['play']['max_gap']:.1f} ms", flush=True)
                    r["hold"] = hold(page, wire, proc.pid)
                    print(f"[{name}] hold: {r['hold']}", flush=True)
                    r["calls"] = page.evaluate(f"() => Number({RP}.dataset.calls)")
                    errors_all += errors
                    context.close()
                res["floor"] = timer_floor(browser)
                res["minimal"] = minimal_latency(browser, f"http://127.0.0.1:{port_m}", args.presses)
                print(f"[minimal] key -> chart median/max {fmt_ms(res['minimal'])} ms", flush=True)
                res["cold"] = cold_loads(browser, url, DEFAULT, args.loads)
                res["cold_big"] = cold_loads(browser, url, BIG, max(2, args.loads // 2))
                browser.close()
        finally:
            for p in (proc, proc_m):
                p.terminate()
                p.wait(10)

    d, b = res["default"], res["512x500"]
    rows = [
        ("key press -> step view redrawn (in-page DOM), median / max", "178 / 288 ms", "<= 16 / <= 50 ms",
         fmt_ms(d["keys"]["dom"]) + " ms", fmt_ms(b["keys"]["dom"]) + " ms"),
        ("  ordinary slider + chart page, same measure", "", "", fmt_ms(res["minimal"]) + " ms", ""),
        ("  to the next frame (rAF), median / max", "", "", fmt_ms(d["keys"]["raf"]) + " ms",
         fmt_ms(b["keys"]["raf"]) + " ms"),
        ("  frame produced (post-rAF message), median / max", "", "", fmt_ms(d["keys"]["paint"]) + " ms",
         fmt_ms(b["keys"]["paint"]) + " ms"),
        ("Play at 10 steps/s, 100 steps: largest gap (median)", "-", "<= 150 ms",
         f"{d['play']['max_gap']:.1f} ms ({d['play']['median_gap']:.1f})",
         f"{b['play']['max_gap']:.1f} ms ({b['play']['median_gap']:.1f})"),
        ("  every step drawn, in order", "", "", str(d["play"]["ordered"]), str(b["play"]["ordered"])),
        ("  control: largest gap of a bare 100 ms timer", "", "", f"{res['floor']:.1f} ms", ""),
        ("messages to the server while holding -> 2 s (until settled)", "one rerun per step", "<= 10",
         f"{d['hold']['during']} ({d['hold']['total']}), {d['hold']['steps']} steps",
         f"{b['hold']['during']} ({b['hold']['total']}), {b['hold']['steps']} steps"),
        ("server CPU over that hold (2 s + 2.5 s settle), per message", "~100 ms per step", "~0",
         f"{d['hold']['cpu_ms']:.0f} ms, {d['hold']['cpu_ms'] / max(d['hold']['total'], 1):.0f} ms/msg",
         f"{b['hold']['cpu_ms']:.0f} ms, {b['hold']['cpu_ms'] / max(b['hold']['total'], 1):.0f} ms/msg"),
        ("page script per step report (AppTest, RNNVIZ_TIMING)", "", "", f"{script['default'][1]:.1f} ms",
         f"{script['512x500'][1]:.1f} ms"),
        ("page script per full rerun (AppTest, RNNVIZ_TIMING)", "", "", f"{script['default'][0]:.1f} ms",
         f"{script['512x500'][0]:.1f} ms"),
        ("times Streamlit invoked the player's JS (load, keys, Play, hold)", "", "1", str(d["calls"]), str(b["calls"])),
        ("websocket bytes, first load", "", "report", f"{d['ws_first']:,} B", f"{b['ws_first']:,} B"),
        ("websocket bytes, model change (RNN -> LSTM)", "", "report", f"{d['model_change_bytes']:,} B",
         f"{b['model_change_bytes']:,} B"),
        ("first load, cold browser context, median (min-max)", "~3-10 s", "no slower than now",
         f"{median(res['cold']):.0f} ms ({min(res['cold']):.0f}-{max(res['cold']):.0f}), n={len(res['cold'])}",
         f"{median(res['cold_big']):.0f} ms ({min(res['cold_big']):.0f}-{max(res['cold_big']):.0f}), "
         f"n={len(res['cold_big'])}"),
    ]
    w = [max(len(r[i]) for r in rows + [("measure", "before (issue 9)", "target", "default", "512 x 500")]) for i in range(5)]
    line = lambda r: "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |"  # noqa: E731
    print()
    print(line(("measure", "before (issue 9)", "target", "default", "512 x 500")))
    print("|" + "|".join("-" * (x + 2) for x in w) + "|")
    for r in rows:
        print(line(r))
    print(f"\n{args.presses} presses per size; default = RNN hidden 16 reading 'hello world' (Play and hold: a "
          f"132-character text); 512 x 500 = RNN hidden 512, 500 random dense inputs. 'before' quoted from issue 9.")
    print(f"console errors: {len(errors_all)}" + ("" if not errors_all else f": {errors_all[:3]}"))
    with open("/proc/loadavg") as f:
        print(f"load average at the end (2 cores, shared): {f.read().split()[:3]}")


if __name__ == "__main__":
    main()
