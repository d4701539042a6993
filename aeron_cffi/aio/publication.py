"""``AsyncPublication``: an ``await``-able offer that waits out back pressure on the event loop."""

from __future__ import annotations

from typing import Any, Callable

from aeron_cffi.aio.polling import PollSchedule, poll_until
from aeron_cffi.errors import AeronTimeoutError, OfferResult
from aeron_cffi.exclusive_publication import ExclusivePublication
from aeron_cffi.publication import Publication

__all__ = ["AsyncPublication"]


class AsyncPublication:
    """``await publication.offer(data)`` for a ``Publication`` or ``ExclusivePublication``:
    retries ``NOT_CONNECTED``, ``BACK_PRESSURED`` and ``ADMIN_ACTION`` with the adaptive
    schedule of ``aeron_cffi.aio.polling`` (each attempt is one non-blocking C offer on
    the loop thread) until the message is sent or ``timeout`` passes."""

    def __init__(self, publication: Publication | ExclusivePublication, schedule: PollSchedule | None = None) -> None:
        self.publication = publication
        self.schedule = schedule or PollSchedule()

    async def offer(self, data: Any, timeout: float | None = None,
                    reserved_value_supplier: Callable[[int], int] | None = None) -> int:
        """Send ``data`` (bytes-like): the new stream position. Raises ``AeronTimeoutError``
        naming the last retryable result if it could not be sent within ``timeout`` seconds
        (``None``: no limit), and what ``Publication.offer`` raises for terminal outcomes."""
        last: OfferResult | None = None  # the latest retryable result, for the timeout's message

        def attempt() -> int | None:
            nonlocal last
            result = self.publication.offer(data, reserved_value_supplier)
            if result > 0:
                return result
            last = OfferResult(result)
            return None

        position = await poll_until(attempt, timeout, self.schedule)
        if position is None:
            outcome = last.name if last is not None else "not tried"
            raise AeronTimeoutError(f"{type(self.publication).__name__}.offer: not sent within {timeout} s "
                                    f"(last result {outcome})")
        return position
