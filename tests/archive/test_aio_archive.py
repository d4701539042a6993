"""asyncio archive client (``aeron_cffi.aio.AsyncArchive``): requests in a worker thread,
a recording made and replayed with ``await``/``async for`` against the real Java archive."""

from __future__ import annotations

import asyncio
import threading

import pytest

from aeron_cffi.aio import AsyncArchive, AsyncPublication
from aeron_cffi.archive import NULL_POSITION, recording_pos
from aeron_cffi.testing import recording_counter

from archive_support import payload

pytestmark = pytest.mark.asyncio

IPC = "aeron:ipc?term-length=64k"


async def until(check, timeout: float = 20.0):
    """The first truthy result of the coroutine function ``check``, awaited with a deadline."""
    async def loop():
        while not (value := await check()):
            await asyncio.sleep(0.01)
        return value
    return await asyncio.wait_for(loop(), timeout)


async def test_record_then_replay_with_await_and_async_for(driver_dir, archive_process, stream_id):
    async with await AsyncArchive.connect(
            aeron_directory_name=str(driver_dir), control_request_channel=archive_process.control_request_channel,
            control_response_channel=archive_process.control_response_channel,
            message_timeout_ns=30_000_000_000) as archive:  # (a JVM just started, on a loaded machine)
        worker = await archive.call(threading.current_thread)
        assert worker is not threading.current_thread() and worker.name.startswith("aeron-archive")

        subscription_id = await archive.start_recording(IPC, stream_id)
        messages = [payload(i, 300) for i in range(40)]
        with archive.archive.aeron.add_publication(IPC, stream_id) as publication:
            sender = AsyncPublication(publication)
            for message in messages:
                position = await sender.offer(message, timeout=20)
            counter_id = await archive.call(recording_counter, archive.archive, publication.session_id)
            recording_id = recording_pos.get_recording_id(archive.archive, counter_id)
            await until(lambda: _recorded(archive, recording_id, position))
        await archive.stop_recording_subscription(subscription_id)
        await until(lambda: _stopped(archive, recording_id))

        replayed = [message async for message in archive.replay_messages(recording_id, "aeron:ipc", stream_id + 5000)]
        assert [message.data for message in replayed] == messages  # and the iteration ended by itself
        assert replayed[-1].position == position

        half = [message.data async for message in archive.replay_messages(
            recording_id, "aeron:ipc", stream_id + 5000, position=0, length=replayed[19].position)]
        assert half == messages[:20]


async def _recorded(archive: AsyncArchive, recording_id: int, position: int) -> bool:
    return await archive.get_recording_position(recording_id) >= position


async def _stopped(archive: AsyncArchive, recording_id: int) -> bool:
    return await archive.get_stop_position(recording_id) != NULL_POSITION
