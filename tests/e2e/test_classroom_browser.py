"""The classroom layout in a real Chromium.

- Projector layout (?layout=projector) at 1280 x 720 and at 1024 x 768: the hidden-state heatmap,
  the time controls, the h_t bars and the softmax are inside the viewport without scrolling, tick
  labels are at least 16 px and titles larger, the sidebar starts collapsed; the same for the
  Plotly charts of another tab. The measured boxes are written to test-artifacts/.
- Dark theme (the browser's colour scheme, which Streamlit follows): every tab, screenshot, and
  every chart's background is the page's background, its text light; switching the theme while
  the page is open re-themes the charts.
"""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import Browser, Page

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser
TIMEOUT = 60_000

# the player's parts, read through its shadow root (page.evaluate does not pierce it)
BOXES = """() => {
  const host = document.querySelector('[data-testid=stBidiComponentIsolated]');
  const rp = host && host.shadowRoot && host.shadowRoot.querySelector('.rp');
  if (!rp || rp.dataset.step === undefined) return null;
  const box = (sel) => { const e = rp.querySelector(sel); if (!e) return null; const r = e.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const sizes = (sel) => Array.from(rp.querySelectorAll(sel)).map((e) => parseFloat(getComputedStyle(e).fontSize));
  const sb = document.querySelector('[data-testid=stSidebar]');
  const main = document.querySelector('[data-testid=stMain]');
  return {heatmap: box('.hm .plot'), controls: box('.ctl'), h_bars: box('.chart.hbars'), softmax: box('.soft .chart'),
          play: box('.ctl button.play'), slider: box('.ctl .slider'),
          tick_px: Math.min(...sizes('.tick')), title_px: Math.min(...sizes('.ttl, .ctitle')),
          sidebar_right: sb ? sb.getBoundingClientRect().right : null, scrolled: main ? main.scrollTop : 0};
}"""
# every Plotly chart on the page: its background, the colour of its tick labels, their size
CHARTS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map((gd) => {
  const svg = gd.querySelector('.main-svg');
  const tick = gd.querySelector('.xtick text, .ytick text, .cbaxis text');
  return {bg: svg ? getComputedStyle(svg).backgroundColor : null,
          text: tick ? getComputedStyle(tick).fill : null,
          tick_px: tick ? parseFloat(getComputedStyle(tick).fontSize) : null,
          height: gd.getBoundingClientRect().height};
})"""
PLOTLY_TABS = ("Gates & cell state", "Bidirectional", "Weights", "Explore")  # tabs that open with Plotly charts
PAGE_BG = "() => getComputedStyle(document.querySelector('.stApp')).backgroundColor"


def luminance(css: str) -> float:
    r, g, b = (float(v) for v in css[css.index("(") + 1:css.index(")")].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def open_page(browser: Browser, url: str, width: int, height: int, scheme: str = "light") -> Page:
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    page.goto(url)
    return page


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)], ids=["1280x720", "1024x768"])
def test_projector_layout_fits_heatmap_controls_bars_and_softmax_on_one_screen(browser, app_url, size):
    width, height = size
    page = open_page(browser, f"{app_url}/?layout=projector", width, height)
    try:
        page.wait_for_function(f"() => ({BOXES})() !== null", timeout=TIMEOUT)
        page.wait_for_timeout(1500)  # fonts and the sidebar's transition settle
        got = page.evaluate(BOXES)
        (ARTIFACTS / f"projector-{width}x{height}.json").write_text(json.dumps(got, indent=1))
        page.screenshot(path=ARTIFACTS / f"projector-{width}x{height}.png")
        for part in ("heatmap", "controls", "h_bars", "softmax", "play", "slider"):
            b = got[part]
            assert b is not None, part
            assert 0 <= b["left"] < b["right"] <= width and 0 <= b["top"] < b["bottom"] <= height, (part, b)
        assert got["scrolled"] == 0
        assert got["heatmap"]["bottom"] - got["heatmap"]["top"] >= 200  # still a heatmap, not a sliver
        assert got["tick_px"] >= 16 and got["title_px"] > got["tick_px"]
        assert got["sidebar_right"] is not None and got["sidebar_right"] <= 0  # collapsed
        # another tab's Plotly charts: tick labels at least 16 px
        page.get_by_role("tab", name="Weights").click()
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .xtick text').length > 0",
                               timeout=TIMEOUT)
        page.wait_for_timeout(800)
        charts = page.evaluate(CHARTS)
        assert charts and all(c["tick_px"] >= 16 for c in charts), charts
    finally:
        page.context.close()


def _wait_for_tab(page: Page, tab: str) -> None:
    if tab == "Step through time":
        page.wait_for_function(f"() => ({BOXES})() !== null", timeout=TIMEOUT)
    elif tab == "Train":  # its chart appears once training runs: a few steps, then stop
        page.get_by_role("button", name="▶ Train").click()
        page.wait_for_selector(".st-key-train_loss .js-plotly-plot", timeout=TIMEOUT)
        stop = page.get_by_role("button", name="■ Stop")
        try:  # (a loaded machine may finish the few steps first: then there is no Stop to press)
            stop.click(timeout=5000)
        except PlaywrightTimeoutError:
            pass
        page.get_by_role("button", name="▶ Continue").wait_for(timeout=TIMEOUT)
    elif tab in PLOTLY_TABS:
        page.wait_for_selector(".js-plotly-plot .xtick text, .js-plotly-plot .ytick text", timeout=TIMEOUT)
    else:  # Share & export (no chart), or a tab this test does not know: whatever it draws, checked below
        page.wait_for_timeout(2000)
    page.wait_for_timeout(1200)


def test_dark_theme_every_tab_draws_its_charts_on_the_page_background(browser, app_url):
    # an LSTM, bidirectional: every tab exists (gates, bidirectional)
    page = open_page(browser, f"{app_url}/?cell=lstm&bidirectional=1", 1440, 900, scheme="dark")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.wait_for_function(f"() => ({BOXES})() !== null", timeout=TIMEOUT)
        bg = page.evaluate(PAGE_BG)
        assert luminance(bg) < 0.15, bg  # Streamlit follows the browser: a dark page
        tabs = page.get_by_role("tab").all_inner_texts()
        assert set(PLOTLY_TABS) | {"Step through time", "Train", "Share & export"} <= set(tabs), tabs
        for tab in tabs:
            page.get_by_role("tab", name=tab).click()
            _wait_for_tab(page, tab)
            page.screenshot(path=ARTIFACTS / f"dark-{tab.split()[0].lower()}.png")
            for chart in page.evaluate(CHARTS):
                assert chart["bg"] == bg, (tab, chart)  # no white box on a dark page
                if chart["text"]:
                    assert luminance(chart["text"]) > 0.7, (tab, chart)
            if tab == "Step through time":  # the player draws with Streamlit's theme variables
                fg = page.evaluate("""() => getComputedStyle(document.querySelector('[data-testid=stBidiComponentIsolated]')
                    .shadowRoot.querySelector('.rp .tick')).color""")
                assert luminance(fg) > 0.7, fg
        assert errors == []
    finally:
        page.context.close()


def test_switching_the_theme_while_open_rethemes_the_charts(browser, app_url):
    page = open_page(browser, f"{app_url}/?tab=Weights", 1280, 720, scheme="light")
    try:
        page.wait_for_selector(".js-plotly-plot .xtick text", timeout=TIMEOUT)
        page.wait_for_timeout(800)
        assert {c["bg"] for c in page.evaluate(CHARTS)} == {page.evaluate(PAGE_BG)} == {"rgb(255, 255, 255)"}
        page.emulate_media(color_scheme="dark")  # Streamlit follows without a rerun; the charts need one
        page.wait_for_function(f"""() => {{ try {{ const bg = ({PAGE_BG})(); const c = ({CHARTS})();
            return bg !== 'rgb(255, 255, 255)' && c.length > 0 && c.every((x) => x.bg === bg); }}
            catch (e) {{ return false; }} }}""", timeout=15_000)
        page.screenshot(path=ARTIFACTS / "dark-switched.png")
    finally:
        page.context.close()
