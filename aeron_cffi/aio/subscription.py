"""``AsyncSubscription``: whole messages of a subscription, awaited on the event loop."""

from __future__ import annotations

from typing import AsyncIterator, Callable

from aeron_cffi.aio.polling import PollSchedule, poll_until
from aeron_cffi.errors import ResourceClosedError
from aeron_cffi.message import Message
from aeron_cffi.subscription import Subscription

__all__ = ["AsyncSubscription"]


class AsyncSubscription:
    """Awaitable receives over a ``Subscription``, polled on the loop thread as
    ``aeron_cffi.aio.polling`` describes (``async for message in subscription`` uses one).

    Shares the subscription's message queue and assembler with ``Subscription.receive``
    and ``messages`` (see ``aeron_cffi.message``). Poll a subscription from one task at
    a time, as from one thread at a time."""

    def __init__(self, subscription: Subscription, fragment_limit: int = 10,
                 schedule: PollSchedule | None = None) -> None:
        self.subscription = subscription
        self.fragment_limit = fragment_limit
        self.schedule = schedule or PollSchedule()

    def _attempt(self) -> Message | None:
        return self.subscription._message_inbox().next(self.subscription, self.fragment_limit)

    async def receive(self, timeout: float | None = None) -> Message | None:
        """The next whole message, or ``None`` if none arrived within ``timeout`` seconds
        (``None``: no limit); ``ResourceClosedError`` if the subscription is closed."""
        self.subscription._check_open()
        return await poll_until(self._attempt, timeout, self.schedule)

    def messages(self, timeout: float | None = None, until_disconnected: bool = False) -> AsyncIterator[Message]:
        """Iterate over whole messages as they arrive. Ends when none arrived for
        ``timeout`` seconds (``None``: never), when the subscription or its client is
        closed, and, with ``until_disconnected``, once the publishers' images, having
        come, are gone (a replay that finished: its image arrives some time after
        ``aeron_archive_replay`` returns, so "not connected" before the first image is
        not an end). ``ResourceClosedError`` at once if already closed."""
        self.subscription._check_open()
        return self._messages(timeout, until_disconnected)

    async def _messages(self, timeout: float | None, until_disconnected: bool) -> AsyncIterator[Message]:
        attempt = _UntilImagesGone(self._attempt, self.subscription) if until_disconnected else self._attempt
        while True:
            try:
                message = await poll_until(attempt, timeout, self.schedule)
            except ResourceClosedError:  # (only a poll raises it, and a poll runs once the queue is empty)
                return
            if message is None or message is _ENDED:
                return
            yield message

    def __aiter__(self) -> AsyncIterator[Message]:
        return self.messages()


_ENDED = Message(b"", 0, 0, 0, 0)  # the sentinel _UntilImagesGone returns once the images are gone


class _UntilImagesGone:
    """A receive attempt that returns ``_ENDED`` once the subscription, having had an
    image, has none left and nothing more to deliver."""

    def __init__(self, attempt: Callable[[], Message | None], subscription: Subscription) -> None:
        self.attempt = attempt
        self.subscription = subscription
        self.had_image = False

    def __call__(self) -> Message | None:
        message = self.attempt()
        if message is not None or self.subscription.is_connected:
            self.had_image = True
            return message
        if not self.had_image:
            return None
        message = self.attempt()  # what arrived before the last image went
        return _ENDED if message is None else message
