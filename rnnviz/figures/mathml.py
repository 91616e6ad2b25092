"""A small TeX subset -> MathML Core, for equations the browser shows (no network, no MathJax:
Chromium renders MathML itself). The cells write their equations in this subset (rnnviz/cells/)."""
from __future__ import annotations

import re
from html import escape

_TOKEN = re.compile(r"\\[A-Za-z]+|[A-Za-z]|\d+|\S")
_MO = {"+": "+", "-": "−", "=": "=", ",": ",", "(": "(", ")": ")", "\\langle": "⟨", "\\rangle": "⟩",
       "\\ast": "∗", "\\odot": "⊙", "\\cdot": "·", "\\ldots": "…", "\\cdots": "⋯"}
_FN = {"\\tanh": "tanh", "\\relu": "relu", "\\sigma": "σ"}


def tex_to_mathml(tex: str, *, display: bool = True) -> str:
    """A ``<math>`` element for the TeX subset the equation templates use.

    Letters -> <mi>, digits -> <mn>, operators -> <mo>, ``_``/``^`` scripts, ``{...}`` groups,
    ``\\hat y``, ``\\langle t \\rangle``; and for the player: ``\\slot{n}`` (a number the browser
    fills), ``\\res{n}`` (a row's result), ``\\fin{n}`` (the final value), ``\\J`` (the unit
    index), ``\\input`` (the input label), ``\\under{a}{b}`` (b written under a),
    ``\\text{...}``, ``\\quad``. Raises ValueError on anything else, so a typo cannot slip through.
    """
    toks = _TOKEN.findall(tex)
    pos = 0

    def peek() -> str | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(toks):
            raise ValueError(f"unexpected end of {tex!r}")
        pos += 1
        return toks[pos - 1]

    def raw_group() -> str:
        """The characters of a ``{...}`` argument, as written (tokens joined by spaces where needed)."""
        if take() != "{":
            raise ValueError(f"expected '{{' in {tex!r}")
        out, depth = [], 0
        while True:
            t = take()
            if t == "}" and depth == 0:
                return "".join(out)
            depth += {"{": 1, "}": -1}.get(t, 0)
            out.append(t)

    def atom() -> str:
        t = take()
        if t == "{":
            return "<mrow>" + seq("}") + "</mrow>"
        if t.isalpha() and len(t) == 1:
            return f"<mi>{t}</mi>"
        if t.isdigit():
            return f"<mn>{t}</mn>"
        if t in ("(", ")"):
            return f'<mo stretchy="false">{t}</mo>'
        if t in _MO:
            return f"<mo>{_MO[t]}</mo>"
        if t in _FN:
            name = _FN[t]
            return f"<mi>{name}</mi>" if len(name) == 1 else f'<mi class="fn">{name}</mi><mo>&#x2061;</mo>'
        if t == "\\hat":
            return f'<mover accent="true">{atom()}<mo>^</mo></mover>'
        if t in ("\\slot", "\\res", "\\fin"):
            name = raw_group()
            if not re.fullmatch(r"[A-Za-z0-9_]+", name):
                raise ValueError(f"bad slot name {name!r}")
            cls = {"\\slot": "", "\\res": ' class="res"', "\\fin": ' class="res fin"'}[t]
            return f'<mn data-slot="{name}"{cls}>…</mn>'
        if t == "\\J":
            return '<mn data-idx="unit">0</mn>'
        if t == "\\input":
            return '<mtext data-idx="input" class="inp"></mtext>'
        if t == "\\under":
            base = atom()
            label = atom()
            return f'<munder class="lbl">{base}<mrow class="under">{label}</mrow></munder>'
        if t == "\\text":
            return f"<mtext>{escape(raw_group())}</mtext>"
        if t == "\\quad":
            return '<mspace width="1.5em"></mspace>'
        raise ValueError(f"unsupported token {t!r} in {tex!r}")

    def scripted() -> str:
        base = atom()
        sub = sup = None
        while peek() in ("_", "^"):
            which = take()
            if which == "_":
                sub = atom()
            else:
                sup = atom()
        if sub and sup:
            return f"<msubsup>{base}{sub}{sup}</msubsup>"
        if sub:
            return f"<msub>{base}{sub}</msub>"
        if sup:
            return f"<msup>{base}{sup}</msup>"
        return base

    def seq(end: str | None) -> str:
        out = []
        while peek() is not None and peek() != end:
            out.append(scripted())
        if end is not None and take() != end:
            raise ValueError(f"unbalanced braces in {tex!r}")
        return "".join(out)

    body = seq(None)
    mode = ' display="block"' if display else ""
    return f"<math{mode}><mrow>{body}</mrow></math>"
