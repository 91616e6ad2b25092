"""The app in a real Chromium: load, move sliders, see the step player and charts change, upload,
download, no console errors (the player itself: test_player_browser.py)."""
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

# JS: what the step player shows (its root in the component's shadow root), or null before it drew.
PLAYER = """() => { const host = document.querySelector('[data-testid=stBidiComponentIsolated]');
  const rp = host && host.shadowRoot && host.shadowRoot.querySelector('.rp');
  if (!rp || rp.dataset.step === undefined) return null;
  return { step: Number(rp.dataset.step), unit: Number(rp.dataset.unit),
           h: Array.from(rp.querySelectorAll('.hbars rect.b'), (e) => Number(e.dataset.value)) }; }"""
# JS: the decoded data of the chart with Streamlit key `key`, or null while it is being redrawn.
CHART = """([key, trace, attr]) => { try {
  const gd = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
  const v = gd._fullData[trace][attr];
  return Array.from(v, row => (row && row.length !== undefined && typeof row !== 'string') ? Array.from(row) : row);
} catch (e) { return null; } }"""


def player(page: Page) -> dict | None:
    return page.evaluate(PLAYER)


def wait_player(page: Page, predicate_js: str = "true") -> dict:
    """Wait until the player has drawn and ``predicate_js`` (over ``p``, see PLAYER) holds."""
    page.wait_for_function(f"() => {{ const p = ({PLAYER})(); return p !== null && ({predicate_js}); }}",
                           timeout=TIMEOUT)
    return player(page)


def wait_chart(page: Page, key: str, predicate_js: str, trace: int = 0, attr: str = "z") -> None:
    """Wait until ``predicate_js`` (a JS expression over ``v``, the chart data) holds."""
    page.wait_for_function(
        f"([key, trace, attr]) => {{ try {{ const gd = document.querySelector('.st-key-' + key + ' .js-plotly-plot');"
        f" const v = gd._fullData[trace][attr]; return ({predicate_js}); }} catch (e) {{ return false; }} }}",
        arg=[key, trace, attr], timeout=TIMEOUT,
    )


def open_app(page: Page, url: str) -> dict:
    page.goto(url)
    return wait_player(page)


def test_hidden_size_slider_reshapes_the_player(page: Page, app_url, console_errors):
    open_app(page, app_url)
    hidden = page.get_by_role("slider", name="Hidden size")
    press_until(hidden, "ArrowRight", "20")
    wait_player(page, "p.h.length === 20")
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


def test_url_opens_the_same_view_and_lessons_hide_controls(page: Page, app_url, console_errors):
    shown = open_app(page, app_url + "/?cell=gru&hidden=6&step=7&unit=2&hide=cell,layers&note=Lesson%201")
    expect(page.get_by_text("Lesson 1")).to_be_visible()
    assert (shown["step"], shown["unit"], len(shown["h"])) == (7, 2, 6)
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
    wait_player(page, "p.h.length === 7")
    page.locator(".st-key-upload_file input[type=file]").set_input_files(str(bad))
    expect(page.get_by_text(re.compile("Could not use this file"))).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=ARTIFACTS / "browser-upload-error.png", full_page=True)
    assert console_errors == []


def test_downloads(page: Page, app_url, console_errors):
    shown = open_app(page, app_url)
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
        np.testing.assert_allclose(npz["h_l0"][shown["step"], 0], shown["h"], atol=1e-6)  # the drawn h_t bars
    assert console_errors == []
