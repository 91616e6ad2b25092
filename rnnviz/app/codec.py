"""The URL codec: query strings <-> :class:`~rnnviz.app.knobs.Config`, with a notice for every value
that was clamped or ignored. Plain ``dict[str, str]`` in and out (``st.query_params.to_dict()``):
nothing here imports streamlit.
"""
from __future__ import annotations

import math
from dataclasses import fields, replace
from typing import Any

from .knobs import DEFAULT, FIELDS, HIDEABLE, KNOBS, TYPES, Config, label
from .rules import locked_fields, normalise

# URL parameters that are not config fields: Streamlit's own, and those the UI binds to its own
# widgets (the open tab, the lesson and its question).
RESERVED_URL_KEYS = ("embed", "embed_options", "tab")


def coerce(name: str, raw: Any) -> tuple[Any, str | None]:
    """Turn a URL string (or an already typed widget value) into a valid value of field ``name``.

    Returns ``(value, notice)``: out-of-range numbers are clamped, unparsable values fall back to
    the default; ``notice`` says what happened (None when the value was fine).
    """
    k, typ, default = KNOBS[name], TYPES[name], FIELDS[name].default
    shown = repr(raw if not isinstance(raw, str) or len(raw) <= 40 else raw[:40] + "...")
    try:
        if typ is bool:
            value = _parse_bool(raw)
        elif typ is int or typ is float:
            value = _parse_number(raw, typ)
            clamped = min(max(value, typ(k.lo)), typ(k.hi))
            if clamped != value:
                return clamped, f"{k.label}: {shown} is outside [{_fmt(k.lo)}, {_fmt(k.hi)}]; using {_fmt(clamped)}."
        elif typ is str and k.choices:
            value = str(raw)
            if value not in k.choices:
                raise ValueError(f"not one of {', '.join(k.choices)}")
        elif typ is str:
            value = str(raw)
            if len(value) > k.max_len:
                return value[: k.max_len], f"{k.label}: cut to {k.max_len} characters."
        elif name == "ids":
            value = _parse_ids(raw)
            if len(value) > k.max_len:
                return value[: k.max_len], f"{k.label}: cut to {k.max_len} ids."
        elif name == "hide":
            names = _split(raw)
            unknown = sorted(set(names) - set(HIDEABLE))
            value = frozenset(n for n in names if n in HIDEABLE)
            if unknown:
                return value, f"Hidden controls: ignored unknown name(s) {', '.join(unknown)}."
        else:  # pragma: no cover - every field type is handled above
            raise TypeError(f"no parser for {name}: {typ}")
    except (ValueError, TypeError, OverflowError) as exc:
        return default, f"{k.label}: ignored {shown} ({exc}); using {_fmt(to_text(name, default))}."
    return value, None


def _parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected 1/0 or true/false")


def _parse_number(raw: Any, typ: type) -> float | int:
    if isinstance(raw, bool):
        raise ValueError("expected a number")
    value = raw if isinstance(raw, (int, float)) else float(str(raw).strip())
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    if typ is int:
        if float(value) != int(value):
            raise ValueError("expected a whole number")
        return int(value)
    return float(value)


def _parse_ids(raw: Any) -> tuple[int, ...]:
    parts = _split(raw) if isinstance(raw, str) else list(raw)
    ids = []
    for part in parts:
        value = _parse_number(part, int)
        if value < 0:
            raise ValueError("token ids must be >= 0")
        ids.append(int(value))
    if not ids:
        raise ValueError("no ids given")
    return tuple(ids)


def _split(raw: Any) -> list[str]:
    if isinstance(raw, (list, tuple, set, frozenset)):
        return [str(x).strip() for x in raw if str(x).strip()]
    return [p.strip() for p in str(raw).replace(";", ",").split(",") if p.strip()]


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def to_text(name: str, value: Any) -> str:
    """The URL form of one value."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    if name == "ids":
        return ",".join(map(str, value))
    if name == "hide":
        return ",".join(sorted(value))
    return str(value)


def parse_values(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Typed field values from URL strings or widget values; unknown names are ignored with a
    notice (Streamlit's own and the UI's reserved parameters silently)."""
    notices: list[str] = []
    updates: dict[str, Any] = {}
    for name, raw in values.items():
        if name in RESERVED_URL_KEYS:
            continue
        if name not in FIELDS:
            notices.append(f"Ignored unknown URL parameter {name if len(name) <= 40 else name[:40] + '...'!r}.")
            continue
        updates[name], notice = coerce(name, raw)
        if notice:
            notices.append(notice)
    return updates, notices


def last_values(params: dict[str, str | list[str]]) -> tuple[dict[str, str], list[str]]:
    """One value per URL parameter: a parameter given several times (a list, as
    ``st.query_params.get_all`` returns it) counts with its last value, like ``st.query_params``
    itself, and gets a notice."""
    values, notices = {}, []
    for key, raw in params.items():
        if isinstance(raw, (list, tuple)):
            if len(raw) > 1 and key in FIELDS:
                notices.append(f"{label(key)}: given {len(raw)} times in the URL; using the last value.")
            raw = raw[-1] if raw else ""
        values[key] = raw
    return values, notices


def query(cfg: Config, leave_out: set[str] = frozenset()) -> dict[str, str]:
    """The fields of ``cfg`` that differ from the defaults, minus ``leave_out``, as URL strings."""
    return {f.name: to_text(f.name, getattr(cfg, f.name)) for f in fields(cfg)
            if getattr(cfg, f.name) != f.default and f.name not in leave_out}


def from_values(values: dict[str, Any], base: Config = DEFAULT) -> tuple[Config, list[str]]:
    """``base`` updated with ``values`` (URL strings or typed widget values), then normalised."""
    updates, notices = parse_values(values)
    cfg, more = normalise(replace(base, **updates))
    return cfg, notices + more


def from_query(params: dict[str, str | list[str]]) -> tuple[Config, list[str]]:
    """A Config from URL query parameters, with a notice for every value clamped or ignored."""
    values, notices = last_values(params)
    cfg, more = from_values(values)
    return cfg, notices + more


def to_query(cfg: Config) -> dict[str, str]:
    """The URL parameters for ``cfg``: the fields that differ from the defaults and that the input
    mode does not decide (``normalise`` recomputes those)."""
    return query(cfg, leave_out=set(locked_fields(cfg)))
