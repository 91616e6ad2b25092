"""The unrolled view of the real page in Chromium: it follows the step player in the browser (keys,
no server round trip), a click on a column moves the player and the URL, a click on a row views
that layer/direction, the bidirectional animation fills the forward half left to right and then
the reverse half right to left, and hidden 512 x length 500 draws and steps. The numbers drawn
inside the cell equal an independent NumPy loop (tests/unrolled_reference.py).
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.player_reference import page_model
from tests.unrolled_reference import reference_layers

pytestmark = pytest.mark.browser

# Everything a test reads, in one evaluation (page.evaluate does not pierce shadow roots).
READ = """() => {
  let ru = null, rp = null;
  for (const host of document.querySelectorAll('[data-testid=stBidiComponentIsolated]')) {
    const r = host.shadowRoot;
    if (!r) continue;
    ru = ru || r.querySelector('.ru');
    rp = rp || r.querySelector('.rp');
  }
  if (!ru || ru.dataset.step === undefined) return null;
  const parts = {};
  for (const p of ru.querySelectorAll('.inner [data-part]')) {
    parts[p.dataset.part] = Array.from(p.querySelectorAll('text')).map((t) => t.textContent);
  }
  const cur = ru.querySelectorAll('.col.cur');
  return {
    step: Number(ru.dataset.step), shown: Number(ru.dataset.shown), unit: Number(ru.dataset.unit),
    row: Number(ru.dataset.row), start: Number(ru.dataset.start), anim: ru.dataset.anim || '',
    cur: Array.from(cur).map((c) => Number(c.dataset.t)), cols: ru.querySelectorAll('.col').length,
    parts, stale: ru.querySelector('.inner').classList.contains('stale'),
    title: ru.querySelector('.ititle').textContent, capt: ru.querySelector('.capt').textContent,
    playerStep: rp ? Number(rp.dataset.step) : null, playerUnit: rp ? Number(rp.dataset.unit) : null,
    playerTitle: rp ? rp.querySelector('.ttl').textContent : null,
  };
}"""


def state(page: Page) -> dict:
    return page.evaluate(READ)


def open_view(page: Page, url: str, query: str) -> dict:
    page.goto(f"{url}/{query}")
    page.wait_for_function(f"() => {{ const s = ({READ})(); return s !== null && s.playerStep !== null; }}",
                           timeout=90_000)
    page.locator(".ru").scroll_into_view_if_needed()
    return state(page)


def wait_for(page: Page, cond: str, timeout: int = 15_000) -> dict:
    page.wait_for_function(f"() => {{ const s = ({READ})(); return s !== null && ({cond}); }}", timeout=timeout)
    return state(page)


def number(text: str) -> float:
    return float(text.replace("−", "-"))


def inner_h(s: dict) -> float:
    """The value the cell diagram writes for h_t of the chosen unit (the result box)."""
    return number(s["parts"]["h"][1])


def test_the_view_follows_the_players_keys_in_the_browser(page: Page, app_url, console_errors):
    model, ids, _ = page_model("rnn", 16)
    ref = reference_layers(model, ids)[0][0]
    s = open_view(page, app_url, "?unrolled=1&step=2&unit=3")
    assert (s["step"], s["unit"], s["cur"], s["playerStep"]) == (2, 3, [2], 2)
    assert s["cols"] == 11 and s["start"] == 0  # "hello world": every column drawn
    assert inner_h(s) == pytest.approx(ref["h"][2, 3], abs=5.001e-5)
    assert s["title"] == "Inside the RNN cell: unit 3 at step 2"
    page.locator("h1").first.click()
    # one key press: the player draws, announces, and the view follows in the same task (no server)
    same_task = page.evaluate(f"""() => {{
        window.dispatchEvent(new KeyboardEvent('keydown', {{ key: 'ArrowRight', bubbles: true }}));
        return ({READ})(); }}""")
    assert (same_task["playerStep"], same_task["step"], same_task["cur"]) == (3, 3, [3])
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    s = wait_for(page, "s.step === 5")
    assert s["cur"] == [5] and s["playerStep"] == 5
    assert inner_h(s) == pytest.approx(ref["h"][5, 3], abs=5.001e-5)
    assert number(s["parts"]["pre"][1]) == pytest.approx(ref["pre"][5, 3], abs=5.001e-5)
    assert number(s["parts"]["two.hw"][1]) == pytest.approx(ref["hw"][5, 3], abs=5.001e-5)
    page.keyboard.press("End")
    s = wait_for(page, "s.step === 10")
    assert s["cur"] == [10]
    assert s["capt"].startswith("Step 10 of 10, reading ‘d’. h_10: 16 units from ")
    expect(page.locator(".ru [aria-live=polite]")).to_have_text(re.compile(r"^Step 10 of 10, reading ‘d’\."))
    assert console_errors == []


def test_a_column_click_moves_the_player_and_the_url(page: Page, app_url, console_errors):
    open_view(page, app_url, "?unrolled=1&step=0&unit=0")
    page.locator(".ru .col[data-t='7'] .foot").click()
    s = wait_for(page, "s.step === 7")
    assert (s["playerStep"], s["cur"]) == (7, [7])
    page.wait_for_function("() => location.search.includes('step=7')", timeout=10_000)  # Python wrote it
    # a click on one unit's cell of a strip: that step and that unit, everywhere
    page.locator(".ru .col[data-t='3'] rect.c[data-what='h'][data-u='12']").click()
    s = wait_for(page, "s.step === 3 && s.unit === 12")
    assert (s["playerStep"], s["playerUnit"]) == (3, 12)
    page.wait_for_function("() => location.search.includes('step=3') && location.search.includes('unit=12')",
                           timeout=10_000)
    # hover says what the cell is
    page.locator(".ru .col[data-t='3'] rect.c[data-what='h'][data-u='5']").hover()
    expect(page.locator(".ru .net .tip")).to_contain_text("h_3, unit 5: ")
    assert console_errors == []


def test_toggled_on_later_it_starts_at_the_players_step(page: Page, app_url, console_errors):
    page.goto(f"{app_url}/?step=4")
    page.wait_for_function("() => document.querySelector('[data-testid=stBidiComponentIsolated]')", timeout=90_000)
    page.locator("h1").first.click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.get_by_text("Unrolled network", exact=True).click()
    s = wait_for(page, "true", timeout=30_000)
    assert s["step"] == 6 and s["cur"] == [6]  # it asked the player where it is
    page.wait_for_function("() => location.search.includes('unrolled=1')", timeout=10_000)
    assert console_errors == []


@pytest.mark.parametrize("layers", [1, 2])
def test_the_bidirectional_animation_fills_forward_then_reverse(page: Page, app_url, console_errors, layers):
    s = open_view(page, app_url, f"?unrolled=1&cell=gru&hidden=8&bidirectional=1&layers={layers}&text=hello&speed=10")
    T = 5
    # record, in the page, every phase and every half of output[t] that becomes filled
    page.evaluate("""() => {
      let ru = null;
      for (const h of document.querySelectorAll('[data-testid=stBidiComponentIsolated]')) ru = ru || h.shadowRoot.querySelector('.ru');
      window.__phases = []; window.__fills = []; window.__y = [];
      new MutationObserver(() => window.__phases.push(ru.dataset.anim)).observe(ru, { attributes: true, attributeFilter: ['data-anim'] });
      new MutationObserver((recs) => { for (const r of recs) {
          const now = r.target.getAttribute('data-filled');
          if (r.oldValue === '0' && now === '1') window.__fills.push([Number(r.target.closest('.col').dataset.t), Number(r.target.dataset.half)]);
        } }).observe(ru, { attributes: true, attributeFilter: ['data-filled'], attributeOldValue: true, subtree: true });
    }""")
    page.locator(".ru .play").click()
    s = wait_for(page, "s.anim === 'done'", timeout=30_000)
    phases = page.evaluate("window.__phases")
    expected = []
    for l in range(layers):
        expected += [f"f{l}:{t}" for t in range(T)] + [f"r{l}:{t}" for t in reversed(range(T))]
    assert phases == expected + ["done"]
    fills = [tuple(f) for f in page.evaluate("window.__fills")]
    # the top layer fills output[t]: its forward half left -> right, then its reverse half right -> left
    # (one layer: the first phase, column 0's forward half, is already drawn when Play starts)
    first = 1 if layers == 1 else 0
    assert fills == [(t, 0) for t in range(first, T)] + [(t, 1) for t in reversed(range(T))]
    halves = page.locator(".ru .half").evaluate_all("els => els.map((e) => e.getAttribute('data-filled'))")
    assert set(halves) == {"1"} and len(halves) == 2 * T
    assert s["capt"].startswith("output[t] = [h_fwd[t] ; h_rev[t]]: the reverse half of column t has just read x[t]")
    # a key gives the view back to the player's step
    page.locator("h1").first.click()
    page.keyboard.press("Home")
    s = wait_for(page, "s.anim === '' && s.step === 0")
    assert s["cur"] == [0]
    assert console_errors == []


def test_a_row_click_views_that_layer_and_direction(page: Page, app_url, console_errors):
    model, ids, _ = page_model("gru", 8, bidirectional=True, text="hello world")
    ref = reference_layers(model, ids)[0]
    s = open_view(page, app_url, "?unrolled=1&cell=gru&hidden=8&bidirectional=1&step=4&unit=2")
    assert s["row"] == 0 and "forward direction" in s["playerTitle"]
    page.locator(".ru .col[data-t='4'] .node.h[data-r='1'] rect.nb").click()  # the reverse cell of column 4
    page.wait_for_function("() => location.search.includes('direction=reverse')", timeout=20_000)
    s = wait_for(page, "s.row === 1 && s.playerTitle.includes('reverse direction')", timeout=30_000)
    assert s["step"] == 4 and s["title"].startswith("Inside the GRU cell — reverse ←: unit 2 at step 4")
    assert inner_h(s) == pytest.approx(ref[1]["h"][4, 2], abs=5.001e-5)
    assert number(s["parts"]["hprev"][1]) == pytest.approx(ref[1]["h"][5, 2], abs=5.001e-5)  # h_{t+1}: it came from the right
    assert number(s["parts"]["z"][1].lstrip("= ")) == pytest.approx(ref[1]["z"][4, 2], abs=5.001e-5)
    assert console_errors == []


def test_hidden_512_by_length_500_draws_a_window_and_steps(page: Page, app_url, console_errors):
    from rnnviz.network import forward, init_model

    x = np.random.default_rng(0).standard_normal((500, 1, 32))  # the random-dense input mode, seed 0
    lt = forward(init_model("rnn", 32, 512, 8, init="uniform", scale=0.5, seed=0), x).layers[0][0]
    s = open_view(page, app_url, "?unrolled=1&inputs=random_dense&input_size=32&hidden=512&length=500&step=250&unit=100")
    W = s["cols"]
    assert 5 <= W <= 30 and s["cur"] == [250] and s["start"] == 250 - W // 2
    assert not s["stale"] and inner_h(s) == pytest.approx(lt.h[250, 0, 100], abs=5.001e-5)
    page.locator("h1").first.click()
    page.keyboard.press("ArrowRight")
    s = wait_for(page, "s.step === 251")
    assert s["cur"] == [251] and s["start"] == 251 - W // 2
    assert inner_h(s) == pytest.approx(lt.h[251, 0, 100], abs=5.001e-5)
    page.keyboard.press("End")
    s = wait_for(page, "s.step === 499")
    assert s["start"] == 500 - W and s["cur"] == [499]
    expect(page.locator(".ru .where")).to_have_text(f"steps {500 - W}–499 of 500")
    page.locator(".ru .col[data-t='495'] .foot").click()
    s = wait_for(page, "s.step === 495")
    assert s["playerStep"] == 495
    assert console_errors == []
