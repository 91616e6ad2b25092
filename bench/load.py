"""Load test on loopback: N concurrent students (Playwright browser contexts in one Chromium),
each doing 20 interactions, against one `streamlit run app.py` started here and stopped at the end.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench/load.py            # N = 10
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench/load.py --ramp 10,20,30

Reports per round: errors (Playwright timeouts, Streamlit exception boxes, console errors), the
server-side script time p50/p95 (rnnviz/ui/timing.py: full runs and fragment reruns), client
latency p50/p95 (action -> chart updated), server CPU seconds, and server RSS (VmRSS from
/proc) at start, peak and after the sessions closed (disconnected sessions are dropped after
--session-ttl seconds). Every loop is bounded in count and time; only 127.0.0.1 is used.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.async_api import async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from conftest import start_server as start_streamlit  # noqa: E402  (one server starter for tests and benchmarks)

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 # every student's page is in front: no throttled timers or deferred painting in background windows
                 "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows",
                 "--disable-renderer-backgrounding"]
TIMEOUT_MS = 60_000
STEP_TITLE = """() => { try {
  const gd = document.querySelector('.st-key-step_views .js-plotly-plot');
  return gd._fullLayout.annotations.map(a => a.text.replace(/<\\/?b>/g, '')).find(t => t.startsWith('step ')) || '';
} catch (e) { return ''; } }"""
HEATMAP_ROWS = """() => { try { return document.querySelector('.st-key-heatmap .js-plotly-plot')._fullData[0].z.length; }
  catch (e) { return 0; } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int, field: str) -> float:
    """A /proc/<pid>/status field in MB (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(port: int, timing_file: str, session_ttl: int) -> subprocess.Popen:
    """The browser tests' server starter, with the app's timing hook on and a short session TTL."""
    return start_streamlit(port, env={"RNNVIZ_TIMING": timing_file},
                           extra_args=("--server.disconnectedSessionTTL", str(session_ttl)))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def wait_until(page, predicate_js: str, timeout: float = TIMEOUT_MS / 1000) -> None:
    """Poll ``predicate_js`` with page.evaluate every 0.25 s until it is true (bounded by ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not await page.evaluate(f"() => {{ try {{ return ({predicate_js})(); }} catch (e) {{ return false; }} }}"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {predicate_js[:80]}")
        await asyncio.sleep(0.25)


async def student(browser, url: str, index: int, interactions: int, latencies: list[float], errors: list[str]) -> None:
    """One browser context: open the page, then step, switch tabs and change the hidden size."""
    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await context.new_page()
    page.on("console", lambda msg: errors.append(f"student {index} console: {msg.text[:200]}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"student {index} page error: {str(exc)[:200]}"))
    hidden, step = 8 + index, 0
    try:
        await page.goto(f"{url}/?inputs=random_ids&length=60&hidden={hidden}&step=0", timeout=TIMEOUT_MS)
        await wait_until(page, f"() => ({HEATMAP_ROWS})() === {hidden}")
        for k in range(interactions):
            start = time.perf_counter()
            try:
                action = k % 5
                if action in (0, 1):  # the time step: the slider's arrow key, then the Next button
                    if action == 0:
                        slider = page.get_by_role("slider", name="Time step")
                        await slider.focus()
                        await slider.press("ArrowRight")
                    else:
                        await page.get_by_role("button", name="Next ▶").click()
                    step += 1
                    await wait_until(page, f"() => ({STEP_TITLE})().startsWith('step {step}:')")
                elif action == 2:  # another tab
                    await page.get_by_role("tab", name="Weights").click()
                    await page.locator(".st-key-weights_0 .js-plotly-plot").wait_for(timeout=TIMEOUT_MS)
                elif action == 3:  # back
                    await page.get_by_role("tab", name="Step through time").click()
                    await wait_until(page, f"() => ({HEATMAP_ROWS})() === {hidden}")
                else:  # a new model: hidden size + 1 (a cache miss, a forward pass)
                    slider = page.get_by_role("slider", name="Hidden size")
                    await slider.focus()
                    await slider.press("ArrowRight")
                    hidden += 1
                    await wait_until(page, f"() => ({HEATMAP_ROWS})() === {hidden}")
                latencies.append(time.perf_counter() - start)
            except Exception as exc:  # a timeout or a lost page: count it and go on
                errors.append(f"student {index} interaction {k}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        boxes = await page.locator('[data-testid="stException"]').count()
        if boxes:
            errors.append(f"student {index}: {boxes} exception box(es) on the page")
    except Exception as exc:
        errors.append(f"student {index} could not open the page: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        await page.screenshot(path=f"{tempfile.gettempdir()}/rnnviz-load-student{index}.png")
    finally:
        await context.close()


async def round_of(url: str, n: int, interactions: int, pid: int, timing_file: str, max_seconds: float) -> dict:
    Path(timing_file).write_text("")
    latencies: list[float] = []
    errors: list[str] = []
    rss_start, cpu_start = proc_status(pid, "VmRSS"), cpu_seconds(pid)
    peak = rss_start
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        start = time.perf_counter()
        tasks = [asyncio.create_task(student(browser, url, i, interactions, latencies, errors)) for i in range(n)]
        while not all(t.done() for t in tasks) and time.perf_counter() - start < max_seconds:
            peak = max(peak, proc_status(pid, "VmRSS"))
            await asyncio.sleep(0.5)
        for t in tasks:
            if not t.done():
                t.cancel()
                errors.append("a student did not finish within the time limit")
        await asyncio.gather(*tasks, return_exceptions=True)
        wall = time.perf_counter() - start
        await browser.close()
    cpu = cpu_seconds(pid) - cpu_start
    runs = [line.split() for line in Path(timing_file).read_text().splitlines() if line.strip()]
    full = [float(ms) for kind, ms in runs if kind == "full"]
    fragment = [float(ms) for kind, ms in runs if kind == "fragment"]
    return dict(n=n, wall=wall, errors=errors, latencies=latencies, full=full, fragment=fragment, cpu=cpu,
                rss_start=rss_start, rss_peak=peak)


def settle_rss(pid: int, target: float, seconds: float) -> float:
    """RSS once the closed sessions are dropped: poll until within 20% of ``target`` or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    rss = proc_status(pid, "VmRSS")
    while time.monotonic() < deadline and rss > 1.2 * target:
        time.sleep(1)
        rss = proc_status(pid, "VmRSS")
    return rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10, help="concurrent sessions (default 10)")
    parser.add_argument("--ramp", default="", help="comma-separated N values, one round each (e.g. 10,20,30)")
    parser.add_argument("--interactions", type=int, default=20)
    parser.add_argument("--session-ttl", type=int, default=5, help="server.disconnectedSessionTTL in seconds")
    parser.add_argument("--max-seconds", type=float, default=600, help="time limit of one round")
    args = parser.parse_args()
    rounds = [int(x) for x in args.ramp.split(",") if x] or [args.n]

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that `finally` stops the server
    port, timing_file = free_port(), tempfile.mktemp(prefix="rnnviz-timing-")
    server = start_server(port, timing_file, args.session_ttl)
    url = f"http://127.0.0.1:{port}"
    try:
        rss_cold = proc_status(server.pid, "VmRSS")
        warm_up = asyncio.run(round_of(url, 1, 5, server.pid, timing_file, 120))  # imports, first charts
        if warm_up["errors"]:
            print("warm-up errors:", *warm_up["errors"][:3], sep="\n  ")
        warm = settle_rss(server.pid, 0, args.session_ttl + 5)
        print(f"server pid {server.pid} on {url}; RSS cold {rss_cold:.0f} MB, after a warm-up session {warm:.0f} MB")
        for n in rounds:
            r = round_of_result = asyncio.run(round_of(url, n, args.interactions, server.pid, timing_file, args.max_seconds))
            after = settle_rss(server.pid, r["rss_start"], args.session_ttl + 30)
            runs = len(r["full"]) + len(r["fragment"])
            print(f"\nN = {n}: {len(r['latencies'])} interactions done in {r['wall']:.1f} s, {len(r['errors'])} errors")
            for e in r["errors"][:10]:
                print("   ", e)
            print(f"  server script time: full runs p50 {percentile(r['full'], 50):.0f} ms, p95 {percentile(r['full'], 95):.0f} ms "
                  f"({len(r['full'])}); fragment reruns p50 {percentile(r['fragment'], 50):.0f} ms, "
                  f"p95 {percentile(r['fragment'], 95):.0f} ms ({len(r['fragment'])})")
            print(f"  client latency (action -> chart updated): p50 {percentile(r['latencies'], 50) * 1000:.0f} ms, "
                  f"p95 {percentile(r['latencies'], 95) * 1000:.0f} ms")
            print(f"  server CPU {r['cpu']:.1f} s ({r['cpu'] / max(runs, 1) * 1000:.0f} ms per script run, "
                  f"{r['cpu'] / r['wall'] * 100:.0f}% of one core)")
            print(f"  server RSS: start {r['rss_start']:.0f} MB, peak {r['rss_peak']:.0f} MB, after the sessions closed "
                  f"{after:.0f} MB ({(after / r['rss_start'] - 1) * 100:+.0f}%)")
            del round_of_result
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        Path(timing_file).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
