"""What the docs tests share: where the pages are, how their fenced blocks are found and
named (``page:line`` of the fence), and the environment a block runs in."""

from __future__ import annotations

import os
import re
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
DOCS = REPOSITORY / "docs"


def fenced_blocks(pattern: re.Pattern[str], body: str) -> list[tuple[str, str, re.Match[str]]]:
    """Every match of ``pattern`` in the pages, in page order: (the page, relative to
    docs/; ``page:line`` of the block's fence, the line before its ``body`` group; the match)."""
    found = []
    for path in sorted(DOCS.rglob("*.md")):
        text = path.read_text()
        page = str(path.relative_to(DOCS))
        for match in pattern.finditer(text):
            found.append((page, f"{page}:{text.count(chr(10), 0, match.start(body))}", match))
    return found


def environment(**extra: str) -> dict[str, str]:
    """This environment with the checkout importable (``PYTHONPATH``), and ``extra``."""
    return dict(os.environ, **extra,
                PYTHONPATH=os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])))
