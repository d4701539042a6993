"""Waiting in tests: poll a condition against a deadline, and the archive's recording counter."""

from __future__ import annotations

import time
from typing import Any, Callable, TypeVar

from aeron_cffi.archive import recording_pos

__all__ = ["DEADLINE_S", "recording_counter", "wait_until"]

T = TypeVar("T")

DEADLINE_S = 30.0


def wait_until(condition: Callable[[], T | None], what: str, work: Callable[[], object] | None = None,
               timeout: float = DEADLINE_S) -> T:
    """The first truthy ``condition()``, calling ``work()`` (a poll, ``do_work``) between
    tries; ``AssertionError`` naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        if work is not None:
            work()
        time.sleep(0.001)
    return value


def recording_counter(archive: Any, session_id: int, timeout: float = DEADLINE_S) -> int:
    """The id of the archive's position counter recording ``session_id``, once it exists."""
    def lookup() -> list[int] | None:  # a list: counter id 0 is an id too
        counter_id = recording_pos.find_counter_id_by_session_id(archive, session_id)
        return None if counter_id == recording_pos.NULL_COUNTER_ID else [counter_id]
    return wait_until(lookup, f"the recording of session {session_id}", timeout=timeout)[0]
