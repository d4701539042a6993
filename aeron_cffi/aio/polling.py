"""How ``aeron_cffi.aio`` waits on the event loop: non-blocking attempts, an adaptive schedule.

Aeron is polled, not notified: nothing wakes the loop when a message arrives. So each
waiting coroutine makes a non-blocking attempt (a poll, an offer: microseconds, on the
loop thread, no thread hand-over) and, while attempts find nothing, gives the loop back
through ``PollSchedule``: first ``yields`` turns of ``asyncio.sleep(0)`` (other ready
tasks run; latency of one loop turn while a burst continues), then timer sleeps from
``min_delay`` doubling to ``max_delay`` (the loop's selector blocks: no CPU is used
while idle). Any success resets the schedule. The loop's selector waits in whole
milliseconds (epoll rounds up), so a delay below 1 ms behaves as 1 ms: an idle waiter
adds up to ``max_delay`` (about 1-2 ms by default) to the latency of the next message
and wakes about ``1 / max_delay`` times a second (measured in docs/asyncio.md).

``poll_until`` is the one loop every waiter here uses; a new source of work (the
cluster client's egress, for one) needs only its own non-blocking attempt.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable, TypeVar

from aeron_cffi.errors import AeronTimeoutError, OfferResult

__all__ = ["PollSchedule", "offer_until", "poll_until"]

T = TypeVar("T")


class PollSchedule:
    """The adaptive wait between empty attempts (see the module docstring)."""

    def __init__(self, yields: int = 10, min_delay: float = 0.0005, max_delay: float = 0.002) -> None:
        if yields < 0 or min_delay <= 0 or max_delay < min_delay:
            raise ValueError("PollSchedule needs yields >= 0 and 0 < min_delay <= max_delay")
        self.yields = yields
        self.min_delay = min_delay
        self.max_delay = max_delay
        self.reset()

    def reset(self) -> None:
        """Start again from the shortest wait (after an attempt found work)."""
        self._turns = 0
        self._delay = self.min_delay

    async def idle(self) -> None:
        """Wait after an empty attempt: a loop turn first, then ever longer timer sleeps."""
        if self._turns < self.yields:
            self._turns += 1
            await asyncio.sleep(0)
        else:
            await asyncio.sleep(self._delay)
            self._delay = min(self._delay * 2, self.max_delay)


async def poll_until(attempt: Callable[[], T | None], timeout: float | None = None,
                     schedule: PollSchedule | None = None) -> T | None:
    """Call ``attempt()`` until it returns something other than ``None`` and return that,
    idling with ``schedule`` in between; ``None`` once ``timeout`` seconds passed (``None``:
    no limit). Whatever ``attempt`` raises propagates."""
    schedule = schedule or PollSchedule()
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        result = attempt()
        if result is not None:
            schedule.reset()
            return result
        if deadline is not None and time.monotonic() >= deadline:
            return None
        await schedule.idle()


async def offer_until(offer: Callable[[], int], what: str, timeout: float | None = None,
                      schedule: PollSchedule | None = None) -> int:
    """Call ``offer()`` (one non-blocking offer: a position, or a negative retryable
    ``OfferResult``) until it sends, as ``poll_until`` waits, and return the position;
    ``AeronTimeoutError`` naming ``what`` and the last result once ``timeout`` passed.
    What ``offer`` raises (a terminal outcome) propagates."""
    last: OfferResult | None = None  # the latest retryable result, for the timeout's message

    def attempt() -> int | None:
        nonlocal last
        result = offer()
        if result > 0:
            return result
        last = OfferResult(result)
        return None

    position = await poll_until(attempt, timeout, schedule)
    if position is None:
        outcome = last.name if last is not None else "not tried"
        raise AeronTimeoutError(f"{what}: not sent within {timeout} s (last result {outcome})")
    return position
