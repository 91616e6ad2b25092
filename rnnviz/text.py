"""Characters <-> token ids for typed text: the vocabulary is the text's own sorted characters."""
from __future__ import annotations

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
        """Display labels: spaces and newlines made visible."""
        return [visible(c) for c in self.chars]


def vocab_from_text(text: str) -> Vocab:
    return Vocab(tuple(sorted(set(text))))


def visible(char: str) -> str:
    return _VISIBLE.get(char, char)
