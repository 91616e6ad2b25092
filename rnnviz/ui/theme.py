"""The browser's theme (light or dark, and its colours), for every chart the page draws.

``look()`` is the theme the charts are drawn for (``rnnviz.figures.style.themed``, applied in
``charts.show``). ``st.context.theme.type`` comes with each rerun request, but Streamlit does not
rerun when the theme changes (the app menu's setting, or the system's: GitHub issue #11920), it
may be missing on a session's first run, and it does not say the colours. So a tiny component
(``watch()``) reads the page's background and text colours in the browser and reports them
whenever they differ from what the charts were drawn for: the report reruns the page and the
charts follow. Before any report: ``st.context.theme``, then the server's ``theme.base`` option,
then light, with Streamlit's own colours for that theme.
"""
from __future__ import annotations

import streamlit as st

from ..figures.style import THEME_COLORS, Theme, theme
from . import session

_JS = r"""
const WATCHERS = new WeakMap();
const probe = document.createElement("canvas").getContext("2d");
function hex(css) {  // any CSS colour -> "#rrggbb" (the canvas normalises it), null if transparent
  probe.fillStyle = "#000";
  probe.fillStyle = css;
  const v = probe.fillStyle;
  if (v.startsWith("#")) return v.toLowerCase();
  const m = v.match(/[\d.]+/g);
  if (!m || (m.length > 3 && Number(m[3]) === 0)) return null;
  return "#" + m.slice(0, 3).map((x) => Number(x).toString(16).padStart(2, "0")).join("");
}
// The main area's colours; light or dark by the background's luminance (Streamlit's own rule).
function detect() {
  const main = document.querySelector("[data-testid=stMain]") || document.querySelector(".stApp") || document.body;
  const app = document.querySelector(".stApp") || document.body;
  const bg = hex(getComputedStyle(main).backgroundColor) || hex(getComputedStyle(app).backgroundColor) || "#ffffff";
  const fg = hex(getComputedStyle(app).color) || "#2f2d2b";
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(bg.slice(i, i + 2), 16));
  const type = 0.2126 * r + 0.7152 * g + 0.0722 * b > 127.5 ? "light" : "dark";
  return { type, bg, fg };
}
const same = (a, b) => !!a && !!b && a.type === b.type && a.bg === b.bg && a.fg === b.fg;
export default function ({ data, parentElement, setStateValue }) {
  let w = WATCHERS.get(parentElement);
  if (!w) { w = { sent: null, timer: null }; WATCHERS.set(parentElement, w); }
  w.drawn = data.drawn;  // what the server drew this run's charts for
  const check = () => {
    if (!parentElement.isConnected) { clearInterval(w.timer); WATCHERS.delete(parentElement); return; }
    const now = detect();
    if (!same(now, w.drawn) && !same(now, w.sent)) { w.sent = now; setStateValue("look", now); }
  };
  clearInterval(w.timer);
  w.timer = setInterval(check, 500);  // one getComputedStyle twice a second: negligible
  check();
}
"""
# not isolated: the step player stays the page's one isolated component (tests find it by that test id)
_mount = st.components.v2.component("rnnviz_theme", js=_JS, html="<span hidden></span>", isolate_styles=False)


def look() -> Theme:
    """The theme (name and colours) the page's charts are drawn for."""
    reported = session.get(session.THEME_WATCH)
    got = reported.get("look") if isinstance(reported, dict) else None
    if isinstance(got, dict) and got.get("type") in THEME_COLORS:
        return theme(got["type"], got.get("bg"), got.get("fg"))  # unchecked browser text: theme() validates
    told = getattr(getattr(st.context, "theme", None), "type", None)
    if told in THEME_COLORS:
        return theme(told)
    base = st.get_option("theme.base")
    return theme(base if base in THEME_COLORS else "light")


def _rerun() -> None:
    """A report reruns the whole page (every chart is redrawn for the new theme)."""


def watch() -> None:
    """Mount the watcher (once per run; it draws nothing)."""
    t = look()
    _mount(key=session.THEME_WATCH, data={"drawn": {"type": t.name, "bg": t.bg, "fg": t.fg}}, on_look_change=_rerun)
