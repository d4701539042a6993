"""A small program as a user writes it against the public API; ``test_mypy_strict``
type-checks it with ``mypy --strict`` (``assert_type`` pins what the factories return)."""

from __future__ import annotations

import asyncio
from typing import assert_type

from aeron_cffi import (
    Aeron,
    ExclusivePublication,
    MediaDriver,
    Message,
    OfferResult,
    Publication,
    Subscription,
    ThreadingMode,
)
from aeron_cffi.aio import AsyncArchive, AsyncPublication, AsyncSubscription
from aeron_cffi.archive import AeronArchive, RecordingDescriptor


def ping(directory: str) -> int:
    with MediaDriver(dir=directory, threading_mode=ThreadingMode.SHARED) as driver, Aeron(dir=driver.dir) as aeron:
        publication = aeron.add_publication("aeron:ipc", 10)
        assert_type(publication, Publication)
        exclusive = aeron.add_exclusive_publication("aeron:ipc", 11)
        assert_type(exclusive, ExclusivePublication)
        subscription = aeron.add_subscription("aeron:ipc", 10)
        assert_type(subscription, Subscription)
        assert_type(publication.position, int)
        assert_type(subscription.is_connected, bool)
        result = publication.offer(b"ping")
        if result == OfferResult.BACK_PRESSURED:
            return 0
        message = subscription.receive(timeout=1.0)
        assert_type(message, Message | None)
        if message is None:
            return 0
        total = sum(len(m.data) for m in subscription.messages(timeout=0.1))
        print(repr(publication), message.session_id, message.position)
        return len(message.data) + total + exclusive.session_id + subscription.stream_id


async def relay(source: Subscription, sink: Publication) -> int:
    sender = AsyncPublication(sink)
    async for message in source:
        position = await sender.offer(message.data, timeout=5.0)
        assert_type(position, int)
        return position
    reply = await AsyncSubscription(source).receive(timeout=1.0)
    return 0 if reply is None else len(reply.data)


async def recordings(channel: str) -> list[RecordingDescriptor]:
    async with await AsyncArchive.connect(control_request_channel=channel) as archive:
        assert_type(archive.archive, AeronArchive)
        found: list[RecordingDescriptor] = await archive.call(archive.archive.list_recordings)
        return found


if __name__ == "__main__":
    print(asyncio.run(recordings("aeron:udp?endpoint=localhost:8010")))
