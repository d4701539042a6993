"""The user's callbacks, called from the queue's worker threads."""

from __future__ import annotations

import logging
from typing import Any, Callable

__all__ = ["Ack", "call_user"]

#: A completion callback: called with None on success, else with the error.
Ack = Callable[[Exception | None], object]

_log = logging.getLogger("aeron_cffi.queue")


def call_user(function: Callable[..., Any] | None, *args: Any) -> None:
    """``function(*args)`` if given; what it raises is logged, so that a user's callback
    cannot stop the worker thread that called it."""
    if function is None:
        return
    try:
        function(*args)
    except Exception:  # noqa: BLE001
        _log.exception("a queue callback raised")
