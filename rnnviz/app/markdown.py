"""User text shown through Streamlit's Markdown, escaped so it is shown as typed."""
from __future__ import annotations

import re

# Enough to stop every construct: links and images need "[", HTML "<", entities "&", LaTeX "$",
# directives ":", emphasis "*" "_" "~", code "`", headings "#" (all text is on one line).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>$~:#&])")


def markdown_literal(text: str) -> str:
    """``text`` escaped so that Streamlit's Markdown shows it as typed: no links, images, HTML,
    LaTeX (``$``), colour or icon directives (``:red[...]``); line breaks become spaces."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.splitlines()))
