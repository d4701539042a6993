"""asyncio (``aeron_cffi.aio``): async iteration, awaited receive and offer, no busy loop."""

from __future__ import annotations

import asyncio
import time

import pytest

from aeron_cffi import AeronTimeoutError, OfferResult
from aeron_cffi.aio import AsyncPublication, AsyncSubscription

from helpers import connected, offer_all, wait_until

pytestmark = pytest.mark.asyncio


async def test_async_for_over_a_subscription_yields_whole_messages(aeron):
    subscription, publication = connected(aeron, 2101)
    big = b"x" * (2 * publication.max_payload_length + 5)
    sent = [b"one", big, b"three"]
    offer_all(publication, sent)
    received = []
    async for message in subscription:
        received.append(message.data)
        if len(received) == len(sent):
            break
    assert received == sent
    assert message.session_id == publication.session_id and message.stream_id == 2101


async def test_async_iteration_ends_when_the_subscription_closes(aeron):
    subscription, publication = connected(aeron, 2102)
    offer_all(publication, [b"last"])
    asyncio.get_running_loop().call_later(0.3, subscription.close)
    received = [message.data async for message in AsyncSubscription(subscription).messages(timeout=20)]
    assert received == [b"last"]


async def test_messages_polled_before_a_close_in_the_loop_body_are_still_handed_out(aeron):
    subscription, publication = connected(aeron, 2107)
    offer_all(publication, [b"one", b"two", b"three"])  # all in the first poll's 10 fragments
    received = []
    async for message in AsyncSubscription(subscription).messages(timeout=20):
        received.append(message.data)
        subscription.close()
    assert received == [b"one", b"two", b"three"]


async def test_until_disconnected_waits_for_the_first_image_then_ends_when_it_goes(aeron):
    # A replay's image arrives after aeron_archive_replay returns: an iteration started
    # before any publisher must not take "not connected yet" for "finished".
    subscription = aeron.add_subscription("aeron:ipc", 2106)

    def publish_then_close():
        with aeron.add_exclusive_publication("aeron:ipc", 2106) as publication:
            wait_until(lambda: publication.is_connected, "connection")
            offer_all(publication, [b"first", b"second"])

    asyncio.get_running_loop().call_later(0.3, publish_then_close)
    received = [message.data async for message in
                AsyncSubscription(subscription).messages(timeout=20, until_disconnected=True)]
    assert received == [b"first", b"second"]
    assert not subscription.is_connected


async def test_awaited_receive_returns_none_at_the_timeout_while_other_tasks_run(aeron):
    subscription, _ = connected(aeron, 2103)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    try:
        assert await AsyncSubscription(subscription).receive(timeout=0.5) is None
    finally:
        task.cancel()
    # The loop ran the other task again and again while the receive waited (a receive
    # that held the loop thread would leave it at 0); few ticks: a loaded machine
    # may give the loop thread the CPU only now and then.
    assert ticks >= 2


async def test_awaited_offer_waits_out_back_pressure(aeron):
    subscription, publication = connected(aeron, 2104)
    message = b"p" * 1000
    # Fill the term window (nobody reads); a term rotation on the way answers ADMIN_ACTION once.
    while (result := publication.offer(message)) > 0 or result is OfferResult.ADMIN_ACTION:
        pass
    assert result is OfferResult.BACK_PRESSURED
    with pytest.raises(AeronTimeoutError, match="BACK_PRESSURED"):
        await AsyncPublication(publication).offer(message, timeout=0.2)

    async def drain() -> None:
        reader = AsyncSubscription(subscription)
        while await reader.receive(timeout=0.5) is not None:
            pass

    drainer = asyncio.create_task(drain())
    position = await AsyncPublication(publication).offer(b"after the pressure", timeout=20)
    await drainer
    assert position > 0


async def test_an_idle_awaited_receive_leaves_the_loop_thread_mostly_idle(aeron):
    """Timer-driven polling: the loop thread sleeps in its selector between polls."""
    subscription, _ = connected(aeron, 2105)
    cpu, wall = time.thread_time(), time.monotonic()
    assert await AsyncSubscription(subscription).receive(timeout=1.0) is None
    cpu, wall = time.thread_time() - cpu, time.monotonic() - wall
    assert cpu / wall < 0.25, f"{cpu:.3f} s of CPU in {wall:.3f} s of waiting"
