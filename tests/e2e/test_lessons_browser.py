"""A lesson in a real Chromium: predict → commit → reveal. Before the commit the answer is nowhere
in the page (its text, the component's shadow root, the URL) and the step player stops before the
asked step; after it the player stands at the asked step and unit with the equation's number
outlined. The Lessons page opens a lesson in the same session (the tally goes on).

The expected numbers come from a NumPy loop written here over the page's seeded weights."""
from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from rnnviz.network import init_model

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser
TIMEOUT = 60_000
expect.set_options(timeout=TIMEOUT)

# Every text the page shows, shadow roots included (document.body.innerText skips them).
ALL_TEXT = """() => { const parts = [document.body.innerText];
  for (const host of document.querySelectorAll('[data-testid=stBidiComponentIsolated]'))
    if (host.shadowRoot) parts.push(host.shadowRoot.textContent);
  return parts.join('\\n'); }"""
# The (one) step player: its step, unit, steps in its strip, and the outlined equation slots.
PLAYER = """() => { const host = document.querySelector('[data-testid=stBidiComponentIsolated]');
  const rp = host && host.shadowRoot && host.shadowRoot.querySelector('.rp');
  if (!rp || rp.dataset.step === undefined) return null;
  const lit = Array.from(rp.querySelectorAll('.eq .hl'));
  const cell = rp.querySelector('.cellout.o');
  return { step: Number(rp.dataset.step), unit: Number(rp.dataset.unit), T: rp.querySelectorAll('.strip span').length,
           highlight: rp.dataset.highlight || '0', slots: lit.map((e) => e.dataset.slot),
           values: lit.map((e) => e.textContent),
           outline: lit.map((e) => getComputedStyle(e).outlineColor + ' ' + getComputedStyle(e).outlineStyle),
           cell: cell ? [Number(cell.getAttribute('x')), Number(cell.getAttribute('y'))] : null }; }"""


def hidden_state_h(seed: int = 0) -> np.ndarray:
    """h (T, H) of the hidden-state lesson's network ("hello world", 6 units, U(±0.5) seed 0), by hand."""
    text = "hello world"
    chars = sorted(set(text))
    model = init_model("rnn", len(chars), 6, len(chars), init="uniform", scale=0.5, seed=seed)
    p = model.layers[0][0]
    h, hs = np.zeros(6), []
    for ch in text:
        x = np.eye(len(chars))[chars.index(ch)]
        h = np.tanh(p.w_ih @ x + p.b_ih + p.w_hh @ h + p.b_hh)
        hs.append(h)
    return np.array(hs)


def fmt(v: float) -> str:
    return f"{v:.4f}".replace("-", "−")


def wait_player(page: Page, predicate: str) -> dict:
    page.wait_for_function(f"() => {{ const p = ({PLAYER})(); return p !== null && ({predicate}); }}", timeout=TIMEOUT)
    return page.evaluate(PLAYER)


def test_predict_commit_reveal_moves_the_player_and_outlines_the_slot(page: Page, app_url, console_errors):
    h = hidden_state_h()[3, 0]  # step 3 (the second ‘l’), unit 0
    assert 0 < h < 0.5
    page.goto(f"{app_url}/?lesson=hidden-state&q=2")
    expect(page.get_by_text("Predict.")).to_be_visible()
    before = wait_player(page, "p.T === 3")  # the player stops before the asked step
    assert before["highlight"] == "0"
    text = page.evaluate(ALL_TEXT)
    assert fmt(h) not in text and f"{h:.4f}" not in text and "from 0 to 0.5: h_3" not in text
    assert "0.249" not in page.url and page.get_by_role("tab").count() == 0
    page.screenshot(path=ARTIFACTS / "lesson-predict.png")

    page.get_by_text("above 0.5", exact=True).click()  # a wrong prediction
    expect(page.get_by_role("radio", name="above 0.5")).to_be_checked()
    page.get_by_role("button", name="Commit").click()
    after = wait_player(page, "p.highlight === '1'")
    assert (after["step"], after["unit"], after["T"]) == (3, 0, 11)
    assert after["cell"] == [3, 5]  # the heatmap's chosen cell: step 3, unit 0 (drawn from the top, H = 6)
    assert after["slots"] == ["h"] and after["values"] == [fmt(h)]  # the outlined number is the answer
    assert all(o.startswith("rgb(230, 159, 0)") and o.endswith("solid") for o in after["outline"])
    expect(page.get_by_text("Not this time")).to_be_visible()
    expect(page.get_by_text(f"from 0 to 0.5: h_3 = {fmt(h)}")).to_be_visible()
    assert "0.249" not in page.url and "lesson=hidden-state" in page.url and "step=3" in page.url
    page.screenshot(path=ARTIFACTS / "lesson-reveal.png")
    page.set_viewport_size({"width": 1280, "height": 720})  # a projector
    page.screenshot(path=ARTIFACTS / "lesson-reveal-1280.png")
    # stepping away takes the outline off; back at the answer it returns
    page.keyboard.press("ArrowRight")
    wait_player(page, "p.step === 4 && p.highlight === '0' && p.slots.length === 0")
    page.keyboard.press("ArrowLeft")
    wait_player(page, "p.step === 3 && p.highlight === '1'")
    assert console_errors == []


def test_the_lessons_page_opens_a_lesson_in_the_same_session(page: Page, app_url, console_errors):
    assert hidden_state_h()[0, 0] < 0  # unit 0 after ‘h’: negative
    page.goto(f"{app_url}/?lesson=hidden-state")
    page.get_by_text("negative", exact=True).click()
    expect(page.get_by_role("radio", name="negative")).to_be_checked()
    page.get_by_role("button", name="Commit").click()
    expect(page.get_by_text("Right.")).to_be_visible()
    page.get_by_role("link", name="Lessons").first.click()
    expect(page.get_by_role("heading", name="Lessons")).to_be_visible()
    expect(page.get_by_text("Your predictions this session: 1 right of 1.")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "lessons-page.png", full_page=True)
    page.locator("a[href*='lesson=counting']").first.click()
    expect(page.get_by_text("Counting brackets — step 1 of 5")).to_be_visible()
    expect(page).to_have_url(re.compile(r"lesson=counting"))
    expect(page.get_by_text("1 right")).to_be_visible()  # the session's tally goes on
    assert console_errors == []


def test_the_worksheet_downloads_are_the_pages_sheet_and_its_key(page: Page, app_url, console_errors):
    """Share & export on a small page: the student file holds the page's rounded weights and no key;
    the teacher's file adds the key (on its own printed page)."""
    page.goto(f"{app_url}/?text=abca&hidden=3&tab=Share+%26+export")
    files = {}
    for label in ("Student sheet (.html)", "Sheet with answer key (.html, for the teacher)"):
        button = page.get_by_role("button", name=label)
        expect(button).to_be_visible()
        with page.expect_download() as info:
            button.click()
        files[label] = (info.value.suggested_filename, open(info.value.path(), encoding="utf-8").read())
    (sheet_name, sheet), (key_name, key) = files.values()
    assert sheet_name == "rnnviz-worksheet-rnn-page-sheet.html" and key_name == "rnnviz-worksheet-rnn-page-key.html"
    w_hh = init_model("rnn", 3, 3, 3, init="uniform", scale=0.5, seed=0).layers[0][0].w_hh
    for v in w_hh.ravel():
        text = f"{v:.2f}"
        assert ("0.00" if text == "-0.00" else text.replace("-", "−")) in sheet
    assert "Answer key" not in sheet and "Answer key" in key and "break-before: page" in key
    assert console_errors == []
