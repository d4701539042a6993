"""``AsyncPublication``: an ``await``-able offer that waits out back pressure on the event loop."""

from __future__ import annotations

from typing import Any, Callable

from aeron_cffi.aio.polling import PollSchedule, offer_until
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
        return await offer_until(lambda: self.publication.offer(data, reserved_value_supplier),
                                 f"{type(self.publication).__name__}.offer", timeout, self.schedule)
