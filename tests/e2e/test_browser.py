"""The app in a real Chromium: load, move sliders, see charts change, play, upload, no console errors."""
from __future__ import annotations

import io
import re

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser
TIMEOUT = 60_000  # generous: the CI machine may be busy (load average above 10 seen here)
expect.set_options(timeout=TIMEOUT)

# JS: the decoded data of the chart with Streamlit key `key`, or null while it is being redrawn.
CHART = """([key, trace, attr]) => { try {
  const gd = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
  const v = gd._fullData[trace][attr];
  return Array.from(v, row => (row && row.length !== undefined && typeof row !== 'string') ? Array.from(row) : row);
} catch (e) { return null; } }"""
# JS: the time strip's title ("step 4: reading ...") in the step chart
STEP_TITLE = r"""() => { try {
  const gd = document.querySelector('.st-key-step_views .js-plotly-plot');
  return gd._fullLayout.annotations.map(a => a.text.replace(/<\/?b>/g, '')).find(t => t.startsWith('step ')) || '';
} catch (e) { return ''; } }"""


def chart(page: Page, key: str, trace: int = 0, attr: str = "z"):
    return page.evaluate(CHART, [key, trace, attr])


def wait_chart(page: Page, key: str, predicate_js: str, trace: int = 0, attr: str = "z") -> None:
    """Wait until ``predicate_js`` (a JS expression over ``v``, the chart data) holds."""
    page.wait_for_function(
        f"([key, trace, attr]) => {{ try {{ const gd = document.querySelector('.st-key-' + key + ' .js-plotly-plot');"
        f" const v = gd._fullData[trace][attr]; return ({predicate_js}); }} catch (e) {{ return false; }} }}",
        arg=[key, trace, attr], timeout=TIMEOUT,
    )


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    wait_chart(page, "heatmap", "v.length > 0")
    page.wait_for_function(f"() => ({STEP_TITLE})() !== ''", timeout=TIMEOUT)


def wait_step(page: Page, step: int) -> None:
    """Wait until the step chart shows ``step``."""
    page.wait_for_function(f"() => ({STEP_TITLE})().startsWith('step {step}:')", timeout=TIMEOUT)


def trace_y(page: Page, name: str):
    return page.evaluate("""(name) => { try { const gd = document.querySelector('.st-key-step_views .js-plotly-plot');
        return Array.from(gd._fullData.find(t => t.name === name).y); } catch (e) { return null; } }""", name)


def test_default_page_moves_through_time_without_resending_the_heatmap(page: Page, app_url, console_errors):
    open_app(page, app_url)
    expect(page.get_by_role("heading", name=re.compile("watch a recurrent network think"))).to_be_visible()
    heat = chart(page, "heatmap")
    assert len(heat) == 16 and len(heat[0]) == 11
    page.screenshot(path=ARTIFACTS / "browser-default.png", full_page=True)
    bars_before = trace_y(page, "h_t")
    # mark the heatmap's DOM node: a re-sent figure would be redrawn, a kept one stays the same object
    page.evaluate("() => { document.querySelector('.st-key-heatmap .js-plotly-plot')._rnnvizMark = 1; }")
    slider = page.get_by_role("slider", name="Time step")
    slider.focus()
    slider.press("ArrowRight")
    expect(slider).to_have_value("5")
    wait_step(page, 5)
    assert trace_y(page, "h_t") != bars_before
    assert chart(page, "heatmap") == heat
    assert page.evaluate("() => document.querySelector('.st-key-heatmap .js-plotly-plot')._rnnvizMark") == 1
    expect(page).to_have_url(re.compile(r"step=5"))
    slider.press("End")
    expect(slider).to_have_value("10")
    wait_step(page, 10)
    page.screenshot(path=ARTIFACTS / "browser-step-end.png", full_page=True)
    assert console_errors == []


def test_hidden_size_slider_reshapes_the_heatmap(page: Page, app_url, console_errors):
    open_app(page, app_url)
    hidden = page.get_by_role("slider", name="Hidden size")
    press_until(hidden, "ArrowRight", "20")
    wait_chart(page, "heatmap", "v.length === 20")
    page.wait_for_function("() => { try { return document.querySelector('.st-key-step_views .js-plotly-plot')"
                           "._fullData.find(t => t.name === 'h_t').y.length === 20; } catch (e) { return false; } }",
                           timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(r"hidden=20"))
    page.screenshot(path=ARTIFACTS / "browser-hidden-20.png", full_page=True)
    assert console_errors == []


def press_until(slider, key: str, value: str, max_presses: int = 12) -> None:
    """Press ``key`` on a slider until it shows ``value``. A key press that lands while
    Streamlit re-renders the slider is lost (seen under load), so each press waits for its
    effect and presses again if there was none; bounded, and the final value is asserted."""
    for _ in range(max_presses):
        if slider.input_value() == value:
            break
        before = slider.input_value()
        slider.focus()
        slider.press(key)
        try:
            expect(slider).not_to_have_value(before, timeout=3000)
        except AssertionError:
            continue
    expect(slider).to_have_value(value)


def test_play_advances_the_step_and_pause_stops_it(page: Page, app_url, console_errors):
    open_app(page, app_url + "/?step=0&speed=5")
    slider = page.get_by_role("slider", name="Time step")
    expect(slider).to_have_value("0")
    page.get_by_role("button", name=re.compile("Play")).click()
    # while playing, the strip's title follows the step
    page.wait_for_function(f"() => ['step 3:', 'step 4:', 'step 5:'].some(s => ({STEP_TITLE})().startsWith(s))",
                           timeout=TIMEOUT)
    page.screenshot(path=ARTIFACTS / "browser-playing.png", full_page=True)
    page.get_by_role("button", name=re.compile("Pause")).click()
    expect(page.get_by_role("button", name=re.compile("Play"))).to_be_visible(timeout=TIMEOUT)
    # the slider catches up with the played step on the rerun that Pause triggers
    page.wait_for_function("() => Number(document.querySelector('input[aria-label=\"Time step\"]').value) >= 3",
                           timeout=TIMEOUT)
    stopped = slider.input_value()
    page.wait_for_timeout(1500)
    assert slider.input_value() == stopped
    expect(page).to_have_url(re.compile(f"step={stopped}"))
    assert console_errors == []


def test_keyboard_shortcuts_and_buttons_step(page: Page, app_url, console_errors):
    open_app(page, app_url)
    slider = page.get_by_role("slider", name="Time step")
    page.get_by_role("button", name=re.compile("Next")).click()
    expect(slider).to_have_value("5")
    page.get_by_text(re.compile("reads “hello world”")).click()  # focus on no widget
    page.keyboard.press("ArrowLeft")
    expect(slider).to_have_value("4")
    page.keyboard.press("ArrowLeft")
    expect(slider).to_have_value("3")
    # an arrow key on the focused slider moves one step, not two (the buttons' shortcuts stay out of it)
    slider.focus()
    slider.press("ArrowRight")
    expect(slider).to_have_value("4")
    page.wait_for_timeout(800)
    expect(slider).to_have_value("4")
    assert console_errors == []


def test_clicking_a_heatmap_cell_explains_it(page: Page, app_url, console_errors):
    open_app(page, app_url)
    plot = page.locator(".st-key-heatmap .js-plotly-plot")
    # the centre of cell (step 2, unit 5), from Plotly's own axes
    x, y = page.evaluate("""() => { const gd = document.querySelector('.st-key-heatmap .js-plotly-plot');
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
        return [r.left + xa._offset + xa.l2p(2), r.top + ya._offset + ya.l2p(5)]; }""")
    page.mouse.click(x, y)
    expect(page.get_by_role("heading", name=re.compile("unit 5 at step 2"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("slider", name="Time step")).to_have_value("2")
    assert plot.count() == 1 and console_errors == []


def test_url_opens_the_same_view_and_lessons_hide_controls(page: Page, app_url, console_errors):
    open_app(page, app_url + "/?cell=gru&hidden=6&step=7&unit=2&hide=cell,layers&note=Lesson%201")
    expect(page.get_by_text("Lesson 1")).to_be_visible()
    expect(page.get_by_role("slider", name="Time step")).to_have_value("7")
    expect(page.get_by_role("slider", name="Unit")).to_have_value("2")
    assert len(chart(page, "heatmap")) == 6
    expect(page.locator(".st-key-w_cell")).to_have_count(0)
    expect(page.locator(".st-key-w_layers")).to_have_count(0)
    page.get_by_role("tab", name="Gates & cell state").click()
    wait_chart(page, "gates", "v.length === 6")
    page.screenshot(path=ARTIFACTS / "browser-gru-gates.png", full_page=True)
    assert console_errors == []


def test_bad_url_shows_notices(page: Page, app_url, console_errors):
    open_app(page, app_url + "/?hidden=lots&cell=transformer")
    expect(page.get_by_text(re.compile("Hidden size: ignored 'lots'"))).to_be_visible()
    expect(page.get_by_text(re.compile("Cell: ignored 'transformer'"))).to_be_visible()
    assert console_errors == []


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_upload_torch_named_parameters_and_reject_a_bad_file(page: Page, app_url, console_errors, tmp_path):
    rng = np.random.default_rng(3)
    good = tmp_path / "lstm.npz"
    good.write_bytes(_npz(weight_ih_l0=rng.standard_normal((4 * 7, 8)), weight_hh_l0=rng.standard_normal((4 * 7, 7)),
                          bias_ih_l0=np.zeros(28), bias_hh_l0=np.zeros(28)))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(_npz(weight_ih_l0=np.zeros((3, 8)), weight_hh_l0=np.zeros((5, 3))))
    open_app(page, app_url + "/?inputs=random_ids&weights=upload")
    page.locator(".st-key-upload_file input[type=file]").set_input_files(str(good))
    expect(page.get_by_text(re.compile("Loaded: LSTM, 1 layer"))).to_be_visible(timeout=TIMEOUT)
    wait_chart(page, "heatmap", "v.length === 7")
    page.locator(".st-key-upload_file input[type=file]").set_input_files(str(bad))
    expect(page.get_by_text(re.compile("Could not use this file"))).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=ARTIFACTS / "browser-upload-error.png", full_page=True)
    assert console_errors == []


def test_downloads(page: Page, app_url, console_errors):
    open_app(page, app_url)
    heat = np.array(chart(page, "heatmap"))
    page.get_by_role("tab", name="Share & export").click()
    expect(page).to_have_url(re.compile("tab=Share"))
    with page.expect_download() as info:
        page.get_by_role("button", name="Parameters (.npz, PyTorch names)").click()
    path = info.value.path()
    with np.load(path, allow_pickle=False) as npz:
        assert npz["weight_hh_l0"].shape == (16, 16) and npz["out.weight"].shape == (8, 16)
    with page.expect_download() as info:
        page.get_by_role("button", name="Trace (.npz)").click()
    with np.load(info.value.path(), allow_pickle=False) as npz:
        assert npz["h_l0"].shape == (11, 1, 16)
        np.testing.assert_allclose(npz["h_l0"][:, 0].T, heat, atol=1e-6)
    assert console_errors == []
