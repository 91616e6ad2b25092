"""Chromium prints worksheets to PDF: every printed number is in the PDF, the key is on later pages.

The HTML is loaded from a file:// URL with every other request refused (the sheet must be
self-contained), printed on A4 and US Letter with ``page.pdf``, and the PDF's text is read back
with pypdf. The PDFs are kept in test-artifacts/ for a person to look at.
"""
from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter

import pytest
from playwright.sync_api import Page

from rnnviz.app import worksheet as W
from rnnviz.app.codec import from_values

from .conftest import ARTIFACTS

pypdf = pytest.importorskip("pypdf")  # requirements-dev.txt; a skip fails in CI (tests/conftest.py)

from test_worksheet import Sheet  # noqa: E402  (tests/ is on sys.path: the HTML reader of the unit tests)

SHEETS = {
    "rnn-torch-text": (dict(text="hell", hidden=3), 7),
    "rnn-tensorflow-dense": (dict(notation="tensorflow", inputs="random_dense", input_size=4, hidden=4, length=4,
                                  output_size=4), 2),
    "lstm-max": (dict(cell="lstm", inputs="random_ids", input_size=4, hidden=4, length=4, output_size=4), 5),
    "gru-dense": (dict(cell="gru", inputs="random_dense", input_size=3, hidden=3, length=4, output_size=2), 1),
    "rnn-functional-notebook": (dict(notation="functional", inputs="notebook", input_size=3, hidden=2, output_size=2,
                                     length=4, batch=10, sample=1), 1),
}
# Printable width of the narrower paper (A4: 210 mm) less the sheet's @page margins (2 x 13 mm), in CSS px.
PRINTABLE_PX = int((210 - 26) / 25.4 * 96)
NUMBER = re.compile(r"[−-]?\d+\.\d+")


def _pdf_pages(pdf: bytes) -> list[str]:
    # NFKC: the PDF's text may keep the font's ligatures ("ﬁ" for "fi").
    return [unicodedata.normalize("NFKC", page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def _load(page: Page, html: str, tmp_path, name: str) -> list[str]:
    """Open the sheet from a file and return the URLs of any other request (refused)."""
    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    outside: list[str] = []

    def guard(route):
        if route.request.url.startswith(("file:", "data:", "about:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return outside


@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(SHEETS))
@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_worksheet_prints_every_number_with_the_key_on_later_pages(page: Page, console_errors, tmp_path, name, paper):
    values, variant = SHEETS[name]
    cfg, _ = from_values(values)
    link = f"http://127.0.0.1:8501/?sheet={name}&variant={variant}"  # short: one line in the running footer
    html = W.worksheet_html(cfg, variant, link=link)
    sheet = Sheet(html)
    assert _load(page, html, tmp_path, name) == []
    pdf = page.pdf(format=paper, print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"worksheet-{name}-{paper}.pdf").write_bytes(pdf)
    pages = _pdf_pages(pdf)
    # The running footer (a page-margin box) is on every page; take it out to see where each page's body starts.
    footer = f"rnnviz worksheet · Variant {variant} · {link}"
    for i, text in enumerate(pages):
        assert f"page {i + 1} of {len(pages)}" in text and footer in text, text[:200]
    pages = [text.replace(f"page {i + 1} of {len(pages)}", "").replace(footer, "") for i, text in enumerate(pages)]

    # The key starts a page of its own (the first line of that page), after at least one question page.
    starts = [i for i, text in enumerate(pages) if "Answer key —" in text]
    assert len(starts) == 1 and starts[0] >= 1, [p[:80] for p in pages]
    key_at = starts[0]
    assert pages[key_at].lstrip().startswith(f"Answer key — Variant {variant}")
    questions, answers = "\n".join(pages[:key_at]), "\n".join(pages[key_at:])
    assert f"RNN by hand — Variant {variant}" in pages[0]
    assert f"Answers within ±{sheet.tolerance:g} of the key count as right" in " ".join(questions.split())

    # Every number printed on the sheet is in the PDF on a question page, every key value on a key page
    # (as multisets: a value printed three times must be found three times).
    def missing(wanted: list[str], text: str) -> Counter:
        return Counter(wanted) - Counter(NUMBER.findall(text))

    assert sheet.question_numbers() and sheet.key_numbers()
    assert missing(sheet.question_numbers(), questions) == Counter()
    assert missing(sheet.key_numbers(), answers) == Counter()
    # Every question step and every key step made it to paper.
    T = len({t for _, t, _ in sheet.boxes})
    first = 0 if values.get("notation") == "tensorflow" else 1
    for t in range(first, first + T):
        assert f"Step {t}: input" in questions and f"Step {t}: input" in answers
    assert link in "".join(questions.split())  # also in full under the title
    assert len(pages) <= 8
    assert console_errors == []


@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(SHEETS))
def test_worksheet_fits_the_printable_width(page: Page, tmp_path, name):
    """Nothing sticks out sideways on the narrower paper (A4), in print media."""
    values, variant = SHEETS[name]
    cfg, _ = from_values(values)
    page.set_viewport_size({"width": PRINTABLE_PX, "height": 1000})
    page.emulate_media(media="print")
    assert _load(page, W.worksheet_html(cfg, variant), tmp_path, name) == []
    widest = page.evaluate("""() => Math.max(document.documentElement.scrollWidth,
        ...[...document.querySelectorAll('table, math, .tables')].map(e => Math.ceil(e.getBoundingClientRect().right)))""")
    assert widest <= PRINTABLE_PX
    # Writing space: every empty box is at least 9 mm high and 20 mm wide (CSS px at 96 per inch).
    sizes = page.evaluate("() => [...document.querySelectorAll('td.box')].map(e => [e.offsetWidth, e.offsetHeight])")
    assert sizes and min(w for w, _ in sizes) >= 20 / 25.4 * 96 and min(h for _, h in sizes) >= 9 / 25.4 * 96
