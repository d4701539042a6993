"""Blocking receive and iteration over whole messages (``Subscription.receive`` / ``messages``)."""

from __future__ import annotations

import threading
import time

import pytest

from aeron_cffi import Message, ResourceClosedError

from helpers import connected, offer_all


def test_receive_returns_the_message_and_its_header_fields(aeron):
    subscription, publication = connected(aeron, 2001)
    [position] = offer_all(publication, [b"hello"])
    message = subscription.receive(timeout=10)
    assert message == Message(b"hello", publication.session_id, 2001, position, 0)
    assert subscription.receive(timeout=0) is None


def test_receive_carries_the_reserved_value(aeron):
    subscription, publication = connected(aeron, 2002)
    deadline = time.monotonic() + 20
    while (position := publication.offer(b"x", lambda frame_length: 4242)) < 0:
        assert time.monotonic() < deadline
    message = subscription.receive(timeout=10)
    assert (message.reserved_value, message.position) == (4242, position)


def test_a_fragmented_message_comes_out_whole(aeron):
    subscription, publication = connected(aeron, 2003)
    big = bytes(range(256)) * (3 * publication.max_payload_length // 256 + 1)
    assert len(big) > publication.max_payload_length
    [position] = offer_all(publication, [big, b"after"])[:1]
    first = subscription.receive(timeout=10)
    assert (first.data, first.position) == (big, position)
    assert subscription.receive(timeout=10).data == b"after"


def test_receive_times_out_with_none_after_the_timeout(aeron):
    subscription, _ = connected(aeron, 2004)
    started = time.monotonic()
    assert subscription.receive(timeout=0.2) is None
    assert time.monotonic() - started >= 0.2


def test_messages_yields_everything_sent_then_stops_at_the_idle_timeout(aeron):
    subscription, publication = connected(aeron, 2005)
    sent = [b"m%d" % i for i in range(50)]
    offer_all(publication, sent)
    received = [message.data for message in subscription.messages(timeout=0.3, fragment_limit=7)]
    assert received == sent


def test_messages_ends_when_another_thread_closes_the_subscription(aeron):
    subscription, publication = connected(aeron, 2006)
    offer_all(publication, [b"before"])
    closer = threading.Timer(0.3, subscription.close)
    closer.start()
    try:
        started = time.monotonic()
        received = [message.data for message in subscription.messages(timeout=20)]
    finally:
        closer.join()
    assert received == [b"before"]
    assert time.monotonic() - started < 10  # ended by the close, not by the 20 s timeout


def test_messages_polled_before_a_close_in_the_loop_body_are_still_handed_out(aeron):
    subscription, publication = connected(aeron, 2008)
    offer_all(publication, [b"one", b"two", b"three"])  # all in the first poll's 10 fragments
    received = []
    for message in subscription.messages(timeout=20):
        received.append(message.data)
        subscription.close()  # (after the first: the other two are already queued)
    assert received == [b"one", b"two", b"three"]


def test_receive_and_messages_refuse_a_closed_subscription(aeron):
    subscription, _ = connected(aeron, 2007)
    subscription.close()
    with pytest.raises(ResourceClosedError):
        subscription.receive(timeout=0)
    with pytest.raises(ResourceClosedError):
        subscription.messages(timeout=0)


def test_an_idle_receive_sleeps_instead_of_spinning(aeron):
    """The backoff ends in 1 ms sleeps: waiting costs the waiting thread a small
    fraction of a core (thread CPU time, so the embedded driver's thread is not counted)."""
    subscription, _ = connected(aeron, 2008)
    cpu, wall = time.thread_time(), time.monotonic()
    assert subscription.receive(timeout=1.0) is None
    cpu, wall = time.thread_time() - cpu, time.monotonic() - wall
    assert cpu / wall < 0.25, f"{cpu:.3f} s of CPU in {wall:.3f} s of waiting"
