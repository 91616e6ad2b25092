"""The step player of the real page in Chromium: the drawn values equal an independent NumPy loop
(tests/player_reference.py), keys/Play/clicks act in the browser, and Python (the URL it writes)
follows after the throttled reports.
"""
from __future__ import annotations

import re
import time

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from rnnviz.network import forward
from tests.player_reference import page_model, reference_model

pytestmark = pytest.mark.browser

# Everything a test reads from the player, in one evaluation (Playwright's CSS pierces shadow roots,
# page.evaluate does not: walk to the component's shadow root by hand).
READ = """() => {
  const host = document.querySelector('[data-testid=stBidiComponentIsolated]');
  const rp = host && host.shadowRoot && host.shadowRoot.querySelector('.rp');
  if (!rp || rp.dataset.step === undefined) return null;
  const vals = (sel) => Array.from(rp.querySelectorAll(sel)).map((e) => e.dataset.value);
  const slots = {};
  for (const e of rp.querySelectorAll('.eq .num [data-slot]')) {
    slots[e.dataset.slot] ??= { text: e.textContent, value: e.dataset.value ?? null };
  }
  const gates = {};
  for (const row of rp.querySelectorAll('.grow')) gates[row.dataset.gate] = vals(`.grow[data-gate="${row.dataset.gate}"] rect.b`);
  const tn = rp.querySelector('.soft rect.tn');
  return {
    step: Number(rp.dataset.step), unit: Number(rp.dataset.unit), playing: rp.dataset.playing || '0',
    h: vals('.hbars rect.b'), dh: vals('.dbars rect.b'), probs: vals('.soft rect.b'),
    top: Array.from(rp.querySelectorAll('.soft rect.b.top')).map((e) => Number(e.dataset.k)),
    topText: Array.from(rp.querySelectorAll('.soft .plab')).map((e) => [Number(e.dataset.k), e.textContent]),
    trueNext: tn && tn.getAttribute('visibility') === 'visible' ? Number(tn.dataset.k) : -1,
    slots, gates, stale: rp.querySelector('.eq').classList.contains('stale'),
    cursor: Number(rp.querySelector('.cursor').getAttribute('x')),
    units: Array.from(rp.querySelectorAll('.eq [data-idx=unit]')).map((e) => e.textContent),
    eqTitle: rp.querySelector('.eqtitle').textContent, read: rp.querySelector('.read').textContent,
    hReadout: rp.querySelector('.hbars .ro').textContent, live: rp.querySelector('.capt').textContent,
  };
}"""


@pytest.fixture
def player_url(app_url):
    return app_url


def open_player(page: Page, url: str, query: str = "") -> dict:
    page.goto(f"{url}/{query}")
    page.wait_for_function(f"() => ({READ})() !== null", timeout=60_000)
    return page.evaluate(READ)


def state(page: Page) -> dict:
    return page.evaluate(READ)


def wait_step(page: Page, step: int, unit: int | None = None) -> dict:
    cond = f"s && s.step === {step}" + (f" && s.unit === {unit}" if unit is not None else "")
    page.wait_for_function(f"() => {{ const s = ({READ})(); return {cond}; }}", timeout=10_000)
    return state(page)


def go_to(page: Page, step: int) -> dict:
    """Home, then → step times: keys reach the player with the focus on the page body."""
    page.keyboard.press("Home")
    for _ in range(step):
        page.keyboard.press("ArrowRight")
    return wait_step(page, step)


def number(text: str) -> float:
    return float(text.replace("−", "-"))


def check_step(s: dict, ref: dict, direction: int, t: int, j: int, probs: np.ndarray | None,
               true_next: np.ndarray | None, cell: str) -> None:
    """The drawn values of step t, unit j against the independent reference (float64)."""
    r = ref["dirs"][direction]
    assert s["step"] == t and s["cursor"] == t
    # full values: data-value attributes carry the float32 the server sent
    np.testing.assert_allclose([float(v) for v in s["h"]], r["h"][t], rtol=2e-6, atol=2e-7)
    np.testing.assert_allclose([float(v) for v in s["dh"]], r["h"][t] - r["h_prev"][t], rtol=2e-6, atol=2e-7)
    assert number(s["hReadout"].split(": ")[1]) == pytest.approx(r["h"][t, j], abs=5.001e-5)
    if probs is not None:
        np.testing.assert_allclose([float(v) for v in s["probs"]], probs[t], rtol=2e-6, atol=2e-7)
        assert sorted(s["top"]) == sorted(np.argsort(-probs[t])[:3].tolist())
        for k, text in s["topText"]:
            assert float(text) == pytest.approx(probs[t][k], abs=0.005001)  # written with 2 decimals
        assert s["trueNext"] == (-1 if true_next is None or true_next[t] < 0 else int(true_next[t]))
    # the equation: every slot, as displayed (4 decimals) and as data-value
    assert s["eqTitle"] == f"Live equation: unit {j} at step {t}" and set(s["units"]) == {str(j)}
    assert not s["stale"]
    for name, slot in s["slots"].items():
        expected = r[name][t, j]
        assert number(slot["text"]) == pytest.approx(expected, abs=5.001e-5), name
        assert float(slot["value"]) == pytest.approx(expected, rel=2e-6, abs=2e-7), name
    if cell != "rnn":
        G = 4 if cell == "lstm" else 3
        H = r["h"].shape[1]
        for k, g in enumerate("ifgo" if cell == "lstm" else "rzn"):
            np.testing.assert_allclose([float(v) for v in s["gates"][g]], r["gates"][t, k * H:(k + 1) * H],
                                       rtol=2e-6, atol=2e-7, err_msg=g)
        assert len(s["gates"]) == G + (cell == "lstm")
    if cell == "lstm":
        np.testing.assert_allclose([float(v) for v in s["gates"]["c"]], r["c"][t], rtol=2e-6, atol=2e-7)


@pytest.mark.parametrize("cell,hidden,query,direction", [
    ("rnn", 16, "", 0),
    ("lstm", 8, "cell=lstm&hidden=8", 0),
    ("gru", 8, "cell=gru&hidden=8&bidirectional=1&direction=reverse", 1),
])
def test_drawn_values_equal_the_engine(page: Page, player_url, console_errors, cell, hidden, query, direction):
    model, ids, true_next = page_model(cell, hidden, bidirectional=bool(direction))
    ref = reference_model(model, ids)
    trace = forward(model, ids)  # the engine agrees with the reference (so either failing is a real bug)
    np.testing.assert_allclose(trace.layers[0][direction].h[:, 0], ref["dirs"][direction]["h"], rtol=1e-9, atol=1e-12)
    s = open_player(page, player_url, f"?{query}&step=2&unit=3")
    check_step(s, ref, direction, 2, 3, ref["probs"], true_next, cell)
    for t in (0, 5, 10):
        s = go_to(page, t)
        check_step(s, ref, direction, t, 3, ref["probs"], true_next, cell)
    assert s["read"] == "step 10: reading ‘d’"  # the last step of 'hello world': no true next
    assert console_errors == []


def test_url_and_python_follow_the_step_after_scrubbing(page: Page, player_url, console_errors):
    open_player(page, player_url, "?step=0&unit=1")
    page.locator("h1").first.click()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    wait_step(page, 6)
    page.wait_for_function("() => location.search.includes('step=6')", timeout=10_000)  # Python wrote it
    assert "unit=1" in page.url
    assert console_errors == []


def focused_class(page: Page) -> str:
    return page.evaluate("""() => { const a = document.activeElement;
        const inner = a && a.shadowRoot ? a.shadowRoot.activeElement : null;
        return inner ? inner.className : (a ? a.tagName : ''); }""")


def test_keyboard_only(page: Page, player_url, console_errors):
    open_player(page, player_url, "?step=3")
    for _ in range(120):  # Tab through the page (the sidebar's controls come first) until the player has the focus
        page.keyboard.press("Tab")
        if focused_class(page) == "rp":
            break
    assert focused_class(page) == "rp"
    ring = page.evaluate("""() => { const rp = document.querySelector('[data-testid=stBidiComponentIsolated]')
        .shadowRoot.querySelector('.rp'); const cs = getComputedStyle(rp);
        return [cs.outlineStyle, cs.outlineWidth, rp.matches(':focus-visible')]; }""")
    assert ring == ["solid", "3px", True]
    top = page.locator(".rp").bounding_box()["y"]
    page.keyboard.press("ArrowRight")
    assert wait_step(page, 4)["step"] == 4
    page.keyboard.press("End")
    wait_step(page, 10)
    page.keyboard.press("Home")
    wait_step(page, 0)
    page.keyboard.press("ArrowLeft")  # already at the start: stays
    assert state(page)["step"] == 0
    assert page.locator(".rp").bounding_box()["y"] == pytest.approx(top, abs=1)  # keys did not scroll the page
    # the buttons are reachable (◀ Prev is disabled at step 0, so Tab goes on to Next ▶)
    page.keyboard.press("Tab")
    assert focused_class(page) == "next"
    page.keyboard.press("Enter")
    wait_step(page, 1)
    page.keyboard.press("Shift+Tab")
    assert focused_class(page) == "prev"
    page.keyboard.press("Enter")
    wait_step(page, 0)
    page.keyboard.press("p")
    page.wait_for_function(f"() => ({READ})().playing === '1'")
    page.keyboard.press("p")
    page.wait_for_function(f"() => ({READ})().playing === '0'")
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    assert console_errors == []


def test_keys_work_from_anywhere_but_not_while_typing(page: Page, player_url, console_errors):
    open_player(page, player_url, "?step=5")
    page.locator("h1").first.click()  # focus outside the player
    page.keyboard.press("ArrowRight")
    wait_step(page, 6)
    page.keyboard.press("Shift+ArrowRight")  # a modifier: not ours
    page.keyboard.press("Control+ArrowLeft")
    time.sleep(0.2)
    assert state(page)["step"] == 6
    box = page.get_by_label("Text", exact=True)
    box.click()
    for key in ("ArrowRight", "ArrowLeft", "End", "Home", "p", "Backspace"):  # "p" typed, then taken back
        page.keyboard.press(key)
    time.sleep(0.3)
    s = state(page)
    assert s["step"] == 6 and s["playing"] == "0"
    page.locator("h1").first.click()  # leave the text unchanged (no model change)
    # the unit field of the equation is a text field too
    unit_box = page.locator(".eqhead input")
    unit_box.fill("4")
    unit_box.press("Enter")
    page.wait_for_function(f"() => ({READ})().unit === 4")
    unit_box.press("ArrowLeft")
    time.sleep(0.2)
    assert state(page)["step"] == 6
    assert console_errors == []


def test_play_advances_at_the_speed_and_stops_at_the_end(page: Page, player_url, console_errors):
    open_player(page, player_url, "?text=the+quick+brown+fox+jumps&step=0")  # 25 characters
    speed = page.get_by_label("Play speed, steps per second")
    speed.focus()
    page.keyboard.press("End")  # the speed slider keeps its own keys: 10 steps/s
    expect(page.locator(".ctl output")).to_have_text("10 /s")
    page.evaluate("""() => { const rp = document.querySelector('[data-testid=stBidiComponentIsolated]')
        .shadowRoot.querySelector('.rp'); window.__drawn = [];
        new MutationObserver(() => window.__drawn.push([Number(rp.dataset.step), performance.now()]))
          .observe(rp, { attributes: true, attributeFilter: ['data-step'] }); }""")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"() => {{ const s = ({READ})(); return s.step === 24 && s.playing === '0'; }}", timeout=15_000)
    drawn = page.evaluate("window.__drawn")
    steps = [d[0] for d in drawn]
    assert steps == list(range(1, 25))  # every step drawn, in order, and no further
    gaps = np.diff([d[1] for d in drawn])
    assert 60 < np.median(gaps) < 140  # ~100 ms at 10 steps/s
    time.sleep(0.5)
    assert state(page)["step"] == 24
    page.wait_for_function("() => location.search.includes('step=24')", timeout=10_000)  # the final value reaches Python
    assert console_errors == []


def test_heatmap_click_moves_step_and_unit(page: Page, player_url, console_errors):
    open_player(page, player_url, "?step=0&unit=0")
    box = page.locator(".hm .plot canvas").bounding_box()
    T, H, t, j = 11, 16, 7, 12
    page.mouse.click(box["x"] + (t + 0.5) / T * box["width"], box["y"] + (H - 1 - j + 0.5) / H * box["height"])
    s = wait_step(page, t, j)
    assert s["eqTitle"] == "Live equation: unit 12 at step 7"
    page.wait_for_function("() => location.search.includes('step=7') && location.search.includes('unit=12')",
                           timeout=10_000)
    # hover says which cell it is
    page.mouse.move(box["x"] + 2.5 / T * box["width"], box["y"] + 0.5 / H * box["height"])
    expect(page.locator(".tip")).to_contain_text("step 2 (‘l’), unit 15:")
    assert console_errors == []


def test_bad_url_is_clamped_with_the_notice(page: Page, player_url, console_errors):
    s = open_player(page, player_url, "?step=999&unit=-3")
    assert (s["step"], s["unit"]) == (10, 0)
    expect(page.get_by_text("Time step: '999' is outside [0, 499]; using 499.")).to_be_visible()
    expect(page.get_by_text("Unit: '-3' is outside [0, 511]; using 0.")).to_be_visible()
    assert console_errors == []


def test_a_step_set_elsewhere_and_a_model_change(page: Page, player_url, console_errors):
    open_player(page, player_url, "?step=6&unit=2")
    page.locator("h1").first.click()
    page.keyboard.press("ArrowRight")
    wait_step(page, 7)
    page.wait_for_function("() => location.search.includes('step=7')", timeout=10_000)
    # the Explore tab's trajectory has its own step slider: back on the step tab, the player is there
    page.get_by_role("tab", name="Explore").click()
    # the page's model (Explore opens on a shipped trained model, whose trajectory has a step of its own)
    page.locator(".st-key-explore_model [data-testid=stSelectbox]").click()
    page.get_by_role("option", name="the page's model", exact=True).click()
    page.get_by_text("The page shows random weights").wait_for(timeout=20_000)
    page.get_by_text("Trajectory", exact=True).click()
    slider = page.locator(".stMain [data-testid=stSlider] input").first
    slider.wait_for(timeout=20_000)
    slider.focus()
    page.keyboard.press("Home")
    page.wait_for_function("() => location.search.includes('step=0') || !location.search.includes('step=')",
                           timeout=10_000)
    page.get_by_role("tab", name="Step through time").click()
    page.wait_for_function(f"() => {{ const s = ({READ})(); return s && s.step === 0 && s.unit === 2; }}",
                           timeout=20_000)
    page.locator("h1").first.click()
    page.keyboard.press("End")
    wait_step(page, 10)
    # another model: the player rebuilds and keeps the step
    page.locator(".st-key-w_cell [data-testid=stSelectbox]").click()  # the Cell box (not a preset)
    page.get_by_role("option", name="LSTM", exact=True).click()
    page.wait_for_function("() => document.querySelector('[data-testid=stBidiComponentIsolated]')"
                           ".shadowRoot.querySelector('.grow[data-gate=f]') !== null", timeout=20_000)
    assert state(page)["step"] == 10
    assert console_errors == []


def test_hidden_512_steps_in_the_browser_and_a_new_unit_shows_updating(page: Page, player_url, console_errors):
    from rnnviz.network import forward, init_model

    x = np.random.default_rng(0).standard_normal((500, 1, 32))  # the random-dense input mode, seed 0
    lt = forward(init_model("rnn", 32, 512, 8, init="uniform", scale=0.5, seed=0), x).layers[0][0]
    s = open_player(page, player_url, "?inputs=random_dense&input_size=32&hidden=512&length=500&step=250&unit=100")
    assert number(s["slots"]["h"]["text"]) == pytest.approx(lt.h[250, 0, 100], abs=5.001e-5)
    page.locator("h1").first.click()
    page.keyboard.press("ArrowRight")
    s = wait_step(page, 251)
    assert number(s["slots"]["h"]["text"]) == pytest.approx(lt.h[251, 0, 100], abs=5.001e-5)
    page.locator(".hm .plot canvas").scroll_into_view_if_needed()  # dense inputs: their heatmap comes first
    box = page.locator(".hm .plot canvas").bounding_box()  # a click on unit ~300: its numbers come from the server
    page.mouse.click(box["x"] + (251.5 / 500) * box["width"], box["y"] + (511 - 300 + 0.5) / 512 * box["height"])
    page.wait_for_function(f"() => {{ const s = ({READ})(); return s && s.unit !== 100; }}", timeout=10_000)
    s = state(page)
    unit = s["unit"]
    if s["stale"]:  # usually seen: the new unit's numbers are one round trip away
        assert all(slot["text"] == "…" for slot in s["slots"].values())
    page.wait_for_function(f"() => !({READ})().stale", timeout=20_000)
    s = state(page)
    assert number(s["slots"]["h"]["text"]) == pytest.approx(lt.h[s["step"], 0, unit], abs=5.001e-5)
    assert console_errors == []


def test_live_text_for_screen_readers(page: Page, player_url, console_errors):
    open_player(page, player_url, "?step=4")
    live = page.locator(".rp [aria-live=polite]")
    expect(live).to_have_text(re.compile(r"^Step 4 of 10: reading ‘o’\. Top guesses: .+ True next: ‘␣’ \d+%\.$"))
    assert console_errors == []
