"""What rnnviz's browser components share: base.js (state map, cleanup, error box, Arrow columns,
number formatting, DOM/SVG helpers, colour ramps) and base.css (theme variables, focus ring), put in
front of each component's own file so each stays one inline ES module and one stylesheet."""
from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def bundle(folder: Path, name: str) -> tuple[str, str]:
    """``(js, css)`` of the component whose files are ``folder/name.js`` and ``folder/name.css``."""
    js = _read(_HERE / "base.js") + "\n" + _read(folder / f"{name}.js")
    css = _read(_HERE / "base.css") + "\n" + _read(folder / f"{name}.css")
    return js, css
