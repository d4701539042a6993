"""Waiting on the archive against a deadline, for the recovery log's modules."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

__all__ = ["until"]

T = TypeVar("T")

# Waits poll shared-memory counters or the archive; a short sleep keeps the waiting
# thread off a core that the archive needs to make progress.
PAUSE_S = 0.0002


def until(condition: Callable[[], T | None], what: str, timeout: float, pause: float = PAUSE_S) -> T:
    """The first truthy ``condition()`` (so never ``None``); ``TimeoutError`` naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(pause)
    return value
