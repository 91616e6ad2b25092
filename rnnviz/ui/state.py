"""The page's state: one :class:`~rnnviz.app.knobs.Config` in the session, mirrored in the URL.

Flow: the first run of a session reads the URL (``st.query_params``) into a Config. Each
widget has the key ``w_<field>`` and an ``on_change`` callback that updates the Config and
normalises it (clamping the step when the length shrinks, the unit when the hidden size
shrinks, ...) *before* the script reruns, then pushes the normalised values back into the
widgets. At the end of each run the URL is rewritten from the Config.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from ..app import codec, rules
from ..app.knobs import FIELDS, KNOBS, TYPES, Config
from ..app.presets import preset_config
from . import session


def to_widget(name: str, value: Any) -> Any:
    """A config value as its widget holds it (ids as text, hidden controls as a list, a two-choice
    text field drawn as a toggle as on = its second choice)."""
    if name == "ids":
        return ",".join(map(str, value))
    if name == "hide":
        return sorted(value)
    if _choice_toggle(name):
        return value == list(KNOBS[name].choices)[1]
    return value


def from_widget(name: str, value: Any) -> Any:
    """What a widget holds as a config value (the inverse of :func:`to_widget` where it differs)."""
    if _choice_toggle(name) and isinstance(value, bool):
        return list(KNOBS[name].choices)[int(value)]
    return value


def _choice_toggle(name: str) -> bool:
    k = KNOBS[name]
    return k.widget == "toggle" and TYPES[name] is str and len(k.choices or ()) == 2


def bootstrap() -> None:
    """First run of a session: the Config comes from the URL, with notices for bad values."""
    if session.has(session.CONFIG):
        return
    cfg, notices = codec.from_query({key: st.query_params.get_all(key) for key in st.query_params.to_dict()})
    session.put(session.CONFIG, cfg)
    session.put(session.NOTICES, notices)
    _push_widgets(cfg, None)


def current() -> Config:
    return session.config()


def set_config(cfg: Config, *, notices: list[str] | None = None) -> Config:
    """Normalise ``cfg``, store it and move every widget to its value (call from callbacks or
    before the affected widgets are drawn in this run)."""
    fitted: list[str] = []
    trained = session.trained_active(cfg)
    if trained is not None:  # a model trained here reads only its corpus's characters
        cfg = rules.fit_text(cfg, trained.vocab, fallback=trained.excerpt, source=trained.corpus, notices=fitted)
    cfg, more = rules.normalise(cfg, session.external_dims(cfg))
    old = session.get(session.CONFIG)
    session.put(session.CONFIG, cfg)
    session.put(session.NOTICES, (notices or []) + fitted + more)
    _push_widgets(cfg, old)
    return cfg


def update(**values: Any) -> Config:
    """Change some fields (typed or URL-string values), keeping the rest."""
    cfg, notices = codec.from_values(values, base=current())
    return set_config(cfg, notices=notices)


def on_widget_change(name: str) -> None:
    """``on_change`` callback of the widget for field ``name``."""
    update(**{name: from_widget(name, session.get(session.widget_key(name)))})


def _push_widgets(cfg: Config, old: Config | None) -> None:
    for name in FIELDS:
        value = getattr(cfg, name)
        key = session.widget_key(name)
        if old is None or getattr(old, name) != value or not session.has(key):
            session.put(key, to_widget(name, value))


def sync_url(cfg: Config) -> None:
    """Rewrite the URL so that it reproduces ``cfg`` (only values that differ from the defaults)."""
    wanted = codec.to_query(cfg)
    current = {k: st.query_params.get_all(k) for k in st.query_params.to_dict() if k not in codec.RESERVED_URL_KEYS}
    if current == {k: [v] for k, v in wanted.items()}:  # lists: a repeated parameter is rewritten once
        return
    for key in current.keys() - wanted.keys():  # parameters bound to widgets (the tab) stay untouched
        del st.query_params[key]
    for key, value in wanted.items():
        if current.get(key) != [value]:
            st.query_params[key] = value


def apply_preset(name: str) -> None:
    """Load a preset, keeping the lesson's hidden controls and note."""
    lesson = current()
    set_config(replace(preset_config(name), hide=lesson.hide, note=lesson.note))
