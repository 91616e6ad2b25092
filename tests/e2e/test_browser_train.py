"""Training in a real Chromium: the loss curve grows and the progress moves while training runs in
ticks, Stop halts it, and the Step tab then shows the trained model. No console errors."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser
TIMEOUT = 30_000

LOSS_POINTS = """() => { try {
  const gd = document.querySelector('.st-key-train_loss .js-plotly-plot');
  return gd._fullData[0].y.length; } catch (e) { return 0; } }"""
PROGRESS = """() => { const p = document.querySelector('[data-testid="stProgress"]'); return p ? p.innerText : ''; }"""


def scroll_to(page: Page, key: str) -> None:
    page.evaluate("(key) => document.querySelector('.st-key-' + key).scrollIntoView({block: 'center'})", key)


def loss_points(page: Page) -> int:
    """Points on the loss curve (waits while the chart is being redrawn)."""
    return page.wait_for_function(f"() => ({LOSS_POINTS})() || null", timeout=TIMEOUT).json_value()


def test_train_watch_the_loss_fall_stop_and_see_the_trained_model(page: Page, app_url, console_errors):
    page.goto(app_url + "/?tab=Train")
    expect(page.get_by_role("button", name="▶ Train")).to_be_visible(timeout=TIMEOUT)
    steps = page.get_by_label("Steps")
    steps.fill("20000")
    steps.press("Enter")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="▶ Train").click()
    page.wait_for_function(f"() => ({LOSS_POINTS})() > 5", timeout=TIMEOUT)
    first, progress = loss_points(page), page.evaluate(PROGRESS)
    assert re.search(r"Step \d+ of 20000", progress)
    page.wait_for_function(f"() => ({LOSS_POINTS})() > {first + 20}", timeout=TIMEOUT)  # the curve grows tick by tick
    page.wait_for_function(f"() => ({PROGRESS})() !== {progress!r}", timeout=TIMEOUT)
    scroll_to(page, "train_loss")
    page.screenshot(path=ARTIFACTS / "browser-training.png")
    page.get_by_role("button", name="■ Stop").click()
    expect(page.get_by_role("button", name="▶ Continue")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_timeout(1000)  # a tick already in flight when Stop was pressed may still land
    stopped = loss_points(page)
    page.wait_for_timeout(2000)
    assert loss_points(page) == stopped  # nothing trains after Stop
    curve = page.wait_for_function("() => { try { return Array.from(document.querySelector("
                                   "'.st-key-train_loss .js-plotly-plot')._fullData[0].y); } catch (e) { return null; } }",
                                   timeout=TIMEOUT).json_value()
    assert sum(curve[-10:]) / 10 < sum(curve[:10]) / 10  # bits per character went down
    expect(page.get_by_text(re.compile(r"trained here"))).to_be_visible()
    scroll_to(page, "sample_guesses")
    page.wait_for_timeout(500)
    page.screenshot(path=ARTIFACTS / "browser-trained.png")
    page.get_by_role("tab", name="Step through time").click()
    # the step player shows the trained model: 16 units, the brackets corpus's characters as outputs
    softmax = page.wait_for_function("""() => { const host = document.querySelector('[data-testid=stBidiComponentIsolated]');
        const rp = host && host.shadowRoot && host.shadowRoot.querySelector('.rp');
        if (!rp || rp.querySelectorAll('.hbars rect.b').length !== 16) return null;
        const labels = Array.from(rp.querySelectorAll('.soft .xax .tick'), (e) => e.textContent);
        return labels.length ? labels : null; }""", timeout=TIMEOUT).json_value()
    assert softmax == ["⏎", "(", ")"]
    page.get_by_role("tab", name="Explore").click()
    page.wait_for_function("() => !!document.querySelector('.st-key-neuron_text .js-plotly-plot')", timeout=TIMEOUT)
    page.get_by_text("bracket depth").first.wait_for(timeout=TIMEOUT)
    page.wait_for_timeout(800)
    scroll_to(page, "neuron_text")
    page.screenshot(path=ARTIFACTS / "browser-explore-neuron.png")
    for view, key in (("Trajectory", "trajectory"), ("Vanishing gradients", "gradient_flow"),
                      ("What changed", "memory_span")):
        page.locator(".st-key-explore_view").get_by_text(view, exact=True).click()
        page.wait_for_function(f"() => !!document.querySelector('.st-key-{key} .js-plotly-plot')", timeout=TIMEOUT)
        page.wait_for_timeout(800)
        scroll_to(page, key)
        page.screenshot(path=ARTIFACTS / f"browser-explore-{key}.png")
    assert console_errors == []
