"""docs/formulations.md, "Bring your own code": every ``python`` block runs, and prints exactly
the ``text`` block that follows it, so the documented calls cannot rot.

The expected output is what the docs say, written by hand from the notebook's printed values
and torch's shapes; the blocks' own asserts compare rnnviz with torch / textbook formulas.
"""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "formulations.md"
SECTION = "## Bring your own code"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)


def section_blocks() -> list[tuple[str, str, str]]:
    """(heading, python source, expected output) for each python block of the section."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    body = text[start:] if end < 0 else text[start:end]
    blocks = []
    fences = list(FENCE.finditer(body))
    for k, fence in enumerate(fences):
        if fence.group(1) != "python":
            continue
        following = fences[k + 1] if k + 1 < len(fences) else None
        assert following is not None and following.group(1) == "text", "each python block is followed by its output"
        heading = re.findall(r"^### (.+)$", body[: fence.start()], re.M)[-1]
        blocks.append((heading, fence.group(2), following.group(2)))
    return blocks


BLOCKS = section_blocks()


def test_the_section_shows_the_three_visitors():
    assert [heading.split(" (")[0] for heading, _, _ in BLOCKS] == [
        "A notebook student", "A PyTorch user", "A TensorFlow user",
    ]


pytestmark = pytest.mark.usefixtures("keep_global_numpy_rng")


@pytest.mark.parametrize(
    "source,expected",
    [
        pytest.param(source, expected, id=heading.split(" (")[0], marks=[pytest.mark.torch] if "import torch" in source else [])
        for heading, source, expected in BLOCKS
    ],
)
def test_block_runs_and_prints_what_the_docs_show(source, expected):
    if "import torch" in source:
        pytest.importorskip("torch")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, str(DOC), "exec"), {"__name__": "__docs__"})
    assert out.getvalue() == expected

