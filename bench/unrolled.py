"""Unrolled view benchmark (issue 11): bytes on the wire and redraw time per step, in Chromium.

Run (benchmarks unset the OpenBLAS tuning variables the tests keep):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench/unrolled.py [--presses 30]

Serves the real app (app.py) and measures, per configuration (the default "hello world" RNN,
a 2-layer bidirectional LSTM of 64 units over 120 random ids, and hidden 512 x length 500):
- bytes: websocket bytes received on the first load with the view on, minus the same page with
  it off (= what the view costs); the view's data as Python builds it (figures.unrolled.spec_bytes);
  websocket bytes per step report while stepping with keys (the view's data is not re-sent).
- redraw per step: the view's own drawing, timed in the page: performance.now() around a
  synchronous "rnnviz:step" dispatch (what the player sends when it draws a step), 200 steps
  one at a time (a long sequence's window then shifts by one column each step); and key
  press -> the view's column moved (a capture-phase keydown on window to the view's data-step,
  which includes the player's own redraw), then -> the next animation frame, against the same
  page with the view off (key -> frame of the player alone).
- how often Streamlit invoked the view's JS over the session (1 = its data was never re-sent).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chromium import RP, arrow_presses, median, new_page  # noqa: E402  (bench/chromium.py, beside this file)
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_server  # noqa: E402

CONFIGS = {
    "default (RNN 16, 'hello world', T=11)": "?step=4",
    "2-layer bidirectional LSTM 64, T=120": "?cell=lstm&hidden=64&layers=2&bidirectional=1&inputs=random_ids"
                                           "&input_size=20&length=120&step=60",
    "RNN 512 x length 500 (dense)": "?inputs=random_dense&input_size=32&hidden=512&length=500&step=250&unit=100",
}
RU = """(() => { for (const h of document.querySelectorAll('[data-testid=stBidiComponentIsolated]')) {
  const r = h.shadowRoot && h.shadowRoot.querySelector('.ru'); if (r) return r; } return null; })()"""

HARNESS = """(target) => {
  const el = target === 'view' ? %s : %s;
  const B = window.__U = { t0: 0, want: -1, dom: null, raf: null };
  window.addEventListener('keydown', () => {
    B.t0 = performance.now(); B.dom = B.raf = null;
    requestAnimationFrame(() => { B.raf = performance.now() - B.t0; });
  }, true);
  new MutationObserver(() => { if (B.dom === null && B.t0 && el.dataset.step === String(B.want)) B.dom = performance.now() - B.t0; })
    .observe(el, { attributes: true, attributeFilter: ['data-step'] });
  return true;
}""" % (RU, RP)

DRAW = """([T, H, n]) => {
  // the view's drawing alone: the event the player dispatches, synchronously handled
  const out = [];
  const rp = %s;
  const base = Number(rp.dataset.step), unit = Number(rp.dataset.unit);
  // one step at a time, as keys and Play move it: forward from the current step, back at the end
  let step = base, dir = 1;
  for (let i = 0; i < n; i++) {
    if (step + dir < 0 || step + dir > T - 1) dir = -dir;
    step += dir;
    const t0 = performance.now();
    window.dispatchEvent(new CustomEvent('rnnviz:step', { detail: { step, unit, T, H, speed: 2 } }));
    out.push(performance.now() - t0);
  }
  window.dispatchEvent(new CustomEvent('rnnviz:ask'));
  return out;
}""" % RP


def load(browser, url: str, query: str, *, view: bool):
    context, page, wire, errors = new_page(browser, f"{url}/{query}{'&unrolled=1' if view else ''}", height=1000)
    ready = f"() => {{ try {{ const ru = {RU}; return {'ru && ru.dataset.step !== undefined' if view else 'true'} && {RP}.dataset.step !== undefined; }} catch (e) {{ return false; }} }}"
    page.wait_for_function(ready, timeout=180_000)
    time.sleep(2.0)
    return context, page, wire, errors


def keys(page, wire, target: str, T: int, presses: int):
    """Arrow keys 300 ms apart: key -> ``target``'s data-step moved, key -> next frame (ms)."""
    page.evaluate(HARNESS, target)
    page.locator("h1").first.click()
    step = page.evaluate(f"() => Number({RP}.dataset.step)")
    before = wire.received
    got = arrow_presses(page, start=step, T=T, presses=presses, arm="(w) => { window.__U.want = w; }",
                        done="() => window.__U.dom !== null && window.__U.raf !== null",
                        read="() => ({ dom: window.__U.dom, raf: window.__U.raf })")
    dom, raf = [g["dom"] for g in got], [g["raf"] for g in got]
    return dom, raf, before


def measure(browser, url: str, name: str, query: str, presses: int) -> dict:
    from rnnviz.app.codec import from_query
    from rnnviz.app.compute import compute
    from rnnviz.figures.unrolled import spec_bytes, unrolled_spec

    cfg, _ = from_query({k: [v] for k, v in (p.split("=") for p in query.lstrip("?").split("&"))})
    c = compute(cfg)
    spec = unrolled_spec(c.trace, c.model, step_labels=c.batch.step_labels(0), unit=cfg.unit,
                         output_labels=[str(i) for i in range(c.trace.probs.shape[-1])] if c.trace.probs is not None else None)
    built = spec_bytes(spec)

    ctx, page, wire, _ = load(browser, url, query, view=False)
    without = wire.received
    _, raf_off, _ = keys(page, wire, "player", spec["T"], presses)
    ctx.close()
    ctx, page, wire, errors = load(browser, url, query, view=True)
    first = wire.received
    T, H = spec["T"], spec["H"]
    draw = page.evaluate(DRAW, [T, H, 200])
    dom, raf, before = keys(page, wire, "view", T, presses)
    time.sleep(1.0)
    per_step = (wire.received - before) / presses
    calls = page.evaluate(f"() => Number({RU}.dataset.calls)")
    cols = page.evaluate(f"() => {RU}.querySelectorAll('.col').length")
    ctx.close()
    return {"name": name, "T": T, "H": H, "U": spec["U"], "cols": cols, "built": built, "first_with": first,
            "first_without": without, "per_step": per_step, "draw": draw, "dom": dom, "raf": raf, "raf_off": raf_off,
            "calls": calls,
            "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=30)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = start_server(port)
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            rows = [measure(browser, url, name, q, args.presses) for name, q in CONFIGS.items()]
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"\nUnrolled view, medians ({args.presses} key presses 300 ms apart; 200 synchronous redraws)\n")
    print("| configuration | T × H | strip cells | columns drawn | view data (arrays + JSON) | ws bytes first load: "
          "view on − off | ws bytes per step | view redraw per step (med / p90) | key → view moved | key → frame, view on / off | JS invocations |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        d = sorted(r["draw"])
        p90 = d[int(0.9 * (len(d) - 1))]
        print(f"| {r['name']} | {r['T']} × {r['H']} | {r['U']} | {r['cols']} | {r['built']['arrays']:,} + {r['built']['json']:,} B "
              f"| {r['first_with'] - r['first_without']:,} B | {r['per_step']:,.0f} B | {median(r['draw']):.2f} / {p90:.2f} ms "
              f"| {median(r['dom']):.1f} ms | {median(r['raf']):.1f} / {median(r['raf_off']):.1f} ms | {r['calls']} |")
    for r in rows:
        if r["errors"]:
            print("console errors:", r["name"], r["errors"])


if __name__ == "__main__":
    main()
