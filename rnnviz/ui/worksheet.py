"""The worksheet on the page: a printable hand-computation sheet (rnnviz/app/worksheet.py) of the
page's own numbers or of a variant, offered as two self-contained HTML files to open in a browser
and print (or "Save as PDF"): the questions alone for the students, and the sheet with its answer
key (on a page of its own) for the teacher. Outside the small limits, the limits are said instead.
"""
from __future__ import annotations

from typing import Callable

import streamlit as st

from ..app import worksheet
from ..app.compute import Computed
from ..app.knobs import Config
from ..app.markdown import markdown_literal
from . import session

MODES = {"page": "the numbers on this page", "variant": "a variant (other numbers: one per student)"}
PRINT_HINT = ("Open the file in a browser and print it (Ctrl+P, ⌘P on a Mac; “Save as PDF” makes a PDF). "
              "The answer key starts on a new page.")


def section(cfg: Config, computed: Computed, *, link_for: Callable[[Config], str], key: str) -> None:
    """The worksheet controls and downloads for ``cfg``; ``link_for`` makes the app link printed on
    the sheet (for a variant: the configuration with both seeds set to it); ``key``: widget keys' prefix."""
    external = session.external_model(cfg)
    if external is not None:
        mode = "page"
        st.caption("The page shows uploaded or trained weights: the sheet uses them (variants draw seeded weights).")
    else:
        mode = st.radio("Numbers", list(MODES), format_func=MODES.get, horizontal=True, key=f"{key}_mode")
    variant = None
    if mode == "variant":
        variant = int(st.number_input("Variant number", 0, worksheet.VARIANT_MAX, 1, step=1, key=f"{key}_variant",
                                      help="Variant k uses weight seed = input seed = k: give every student another "
                                           "k, and keep the keys."))
    model, vocab = (external[1], external[2]) if external is not None else (None, None)
    try:
        link = link_for(cfg if variant is None else worksheet.variant_config(cfg, variant))
        sheet = worksheet.make_worksheet(cfg, variant, model=model, vocab=vocab, link=link)
    except worksheet.WorksheetLimitError as exc:
        st.info(str(exc))  # it names the limits and every value over them
        return
    except ValueError as exc:
        st.warning(markdown_literal(str(exc)))
        return
    answers = worksheet.answer_key(sheet)
    name = worksheet.filename(sheet)
    left, right = st.columns(2)
    left.download_button("Student sheet (.html)", data=worksheet.render_html(sheet, answers, include_key=False),
                         file_name=name.replace(".html", "-sheet.html"), mime="text/html", on_click="ignore",
                         key=f"{key}_sheet", icon=":material/description:")
    right.download_button("Sheet with answer key (.html, for the teacher)", data=worksheet.render_html(sheet, answers),
                          file_name=name.replace(".html", "-key.html"), mime="text/html", on_click="ignore",
                          key=f"{key}_key", icon=":material/key:")
    st.caption(f"{worksheet.variant_text(sheet)}: {worksheet.title(sheet)}. Answers within ±{answers.tolerance:g} "
               f"of the key count as right. {PRINT_HINT}")
