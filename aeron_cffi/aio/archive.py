"""``AsyncArchive``: the archive client's blocking calls awaited without blocking the loop.

An archive request is a blocking round trip (the C client sends it, then polls for the
answer with its own idle strategy), so it cannot be a non-blocking attempt like a poll.
Each ``AsyncArchive`` runs its requests in a single-thread executor of its own: the C
client is not to be used from two threads at once, and one worker both serialises the
requests and keeps them off the loop thread. What that costs (a thread hand-over per
request, measured in docs/asyncio.md) is small next to the round trip to the archive.
Replays are iterated on the loop thread like any subscription (``AsyncSubscription``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from typing import Any, AsyncIterator, Callable, TypeVar

from aeron_cffi.aio.polling import PollSchedule
from aeron_cffi.aio.subscription import AsyncSubscription
from aeron_cffi.archive.archive import AeronArchive
from aeron_cffi.archive.context import ArchiveContext
from aeron_cffi.message import Message

__all__ = ["AsyncArchive"]

T = TypeVar("T")


class AsyncArchive:
    """An ``AeronArchive`` whose requests are awaited: ``await archive.call(method, ...)``
    for any of its methods, or ``await archive.<method>(...)`` for the requests the archive
    answers (``list_recordings``, ``start_recording``, ``get_stop_position``, ...).
    ``close()`` closes the archive client (in the worker, after the requests before it)."""

    def __init__(self, archive: AeronArchive) -> None:
        self.archive = archive
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="aeron-archive")

    @classmethod
    async def connect(cls, context: ArchiveContext | None = None, **settings: Any) -> AsyncArchive:
        """``AeronArchive.connect`` (same arguments) in a worker thread."""
        loop = asyncio.get_running_loop()
        archive = await loop.run_in_executor(None, functools.partial(AeronArchive.connect, context, **settings))
        return cls(archive)

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` (a method of ``self.archive``) in this archive's worker."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(function, *args, **kwargs))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.archive, name)
        if name.startswith("_") or not callable(method):
            raise AttributeError(f"AsyncArchive has no awaitable {name!r}: use .archive.{name}")
        return functools.partial(self.call, method)

    async def replay_messages(self, recording_id: int, replay_channel: str, replay_stream_id: int,
                              timeout: float | None = None, schedule: PollSchedule | None = None,
                              **params: Any) -> AsyncIterator[Message]:
        """Replay a recording (``AeronArchive.replay``, same keywords: ``position``,
        ``length``...) and iterate over its messages until the replay ends (its image
        goes), no message came for ``timeout`` seconds, or the iteration is left; the
        replay's subscription is closed then, which ends the replay."""
        subscription = await self.call(self.archive.replay, recording_id, replay_channel, replay_stream_id, **params)
        with subscription:
            async for message in AsyncSubscription(subscription, schedule=schedule).messages(
                    timeout, until_disconnected=True):
                yield message

    async def close(self) -> None:
        """Close the archive client once the requests already submitted are done."""
        try:
            await self.call(self.archive.close)
        finally:
            self._executor.shutdown(wait=False)

    async def __aenter__(self) -> AsyncArchive:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
