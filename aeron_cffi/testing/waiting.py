"""Waiting in tests: poll a condition against a deadline, and the archive's recording
counter; the library's own waits (``aeron_cffi._waiting``, ``aeron_cffi._recordings``)
failing with ``AssertionError``, as a test's failure should."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from aeron_cffi import _recordings, _waiting

__all__ = ["DEADLINE_S", "recording_counter", "wait_until"]

T = TypeVar("T")

DEADLINE_S = 30.0


def wait_until(condition: Callable[[], T | None], what: str, work: Callable[[], object] | None = None,
               timeout: float = DEADLINE_S) -> T:
    """The first truthy ``condition()``, calling ``work()`` (a poll, ``do_work``) between
    tries; ``AssertionError`` naming ``what`` after ``timeout`` seconds."""
    return _waiting.until(condition, what, timeout, pause=0.001, error=AssertionError, work=work)


def recording_counter(archive: Any, session_id: int, timeout: float = DEADLINE_S) -> int:
    """The id of the archive's position counter recording ``session_id``, once it exists."""
    return _recordings.recording_counter(archive, session_id, f"the recording of session {session_id}", timeout,
                                         error=AssertionError)
