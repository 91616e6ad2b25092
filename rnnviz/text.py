"""Characters <-> token ids for typed text: the vocabulary is the text's own sorted characters."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

DEFAULT_TEXT = "hello world"
_VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}


@dataclass(frozen=True)
class Vocab:
    chars: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.chars)}
        try:
            return np.array([index[c] for c in text], dtype=np.int64)
        except KeyError as exc:
            raise ValueError(f"character {exc.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids)

    def labels(self) -> list[str]:
        """Display labels, one per character and all different: whitespace, control and format
        characters (NUL, CR, right-to-left marks, ...) and lone combining marks made visible."""
        labels = [label_char(c) for c in self.chars]
        taken = {label for label, c in zip(labels, self.chars) if label == c}
        return [f"U+{ord(c):04X}" if label != c and label in taken else label for label, c in zip(labels, self.chars)]


def vocab_from_text(text: str) -> Vocab:
    return Vocab(tuple(sorted(set(text))))


def visible(char: str) -> str:
    return _VISIBLE.get(char, char)


def label_char(char: str) -> str:
    """A chart label for one character that shows what it is and cannot act on its neighbours."""
    shown = visible(char)
    if shown != char:
        return shown
    if char < " " or char == "\x7f":
        return chr(0x2400 + ord(char)) if char < " " else "\u2421"  # Unicode control pictures: ␀ ␍ ␡
    category = unicodedata.category(char)
    if category in ("Mn", "Me"):
        return "\u25cc" + char  # a combining mark on a dotted circle, as character tables show it
    if category[0] == "C" or category in ("Zl", "Zp"):
        return f"U+{ord(char):04X}"  # format/bidi controls (U+202E ...) would reorder the chart's text
    return char
