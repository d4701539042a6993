"""CopyingPoller keeps poll's contract: the same fragments, headers and positions as
Subscription.poll / Image.poll with a Python handler, through one C call per poll.

Each test reads one stream twice, through two subscriptions on a real embedded C media
driver: one with ``poll`` (a C->Python callback per fragment), one with ``CopyingPoller``.
Over IPC what ``offer`` returned for is in the shared log at once: the next poll sees it.
"""

from __future__ import annotations

import pytest

from aeron_cffi import InvalidArgumentError, ResourceClosedError
from aeron_cffi.fast import COPIES_CAPACITY, MAX_COPIES_PER_POLL, CopyingPoller
from aeron_cffi.testing import free_udp_port

from helpers import offer_all, wait_until


def observed(record: list):
    """A handler recording each fragment with everything its header says."""
    def handler(data: bytes, header) -> None:
        record.append((data, header.values(), header.position, header.next_term_offset,
                       header.position_bits_to_shift))
    return handler


def drain(poll, handler, count: int, fragment_limit: int) -> list[int]:
    """Poll until ``count`` fragments arrived; the count of each poll that returned any."""
    counts: list[int] = []

    def step() -> None:
        got = poll(handler, fragment_limit)
        if got:
            counts.append(got)
    wait_until(lambda: sum(counts) >= count, f"{count} fragments", step)
    return counts


def two_readers(aeron, channel: str, stream_id: int):
    plain = aeron.add_subscription(channel, stream_id)
    copied = aeron.add_subscription(channel, stream_id)
    publication = aeron.add_exclusive_publication(channel, stream_id)
    wait_until(lambda: publication.is_connected and plain.image_count and copied.image_count, "connection")
    return plain, copied, publication


@pytest.mark.parametrize("transport", ["ipc", "udp"])
def test_same_fragments_headers_and_positions_as_poll(aeron, transport):
    channel = "aeron:ipc" if transport == "ipc" else f"aeron:udp?endpoint=localhost:{free_udp_port()}"
    plain, copied, publication = two_readers(aeron, channel, 3201)
    longest = publication.max_payload_length * 3 + 5  # fragmented: poll hands out the fragments
    messages = [b"", b"x", bytes(range(256)) * 2, bytes(longest), b"tail"] * 3  # within the window
    offer_all(publication, messages)
    fragments = sum(-(-len(m) // publication.max_payload_length) or 1 for m in messages)

    expected: list = []
    drain(plain.poll, observed(expected), fragments, 7)
    got: list = []
    counts = drain(CopyingPoller(copied).poll, observed(got), fragments, 7)

    assert len(got) == len(expected) == fragments
    assert got == expected
    assert max(counts) <= 7
    assert copied.images()[0].position == plain.images()[0].position == expected[-1][2]


def test_image_poll(aeron):
    plain, copied, publication = two_readers(aeron, "aeron:ipc", 3202)
    offer_all(publication, [i.to_bytes(4, "little") for i in range(300)])
    expected: list = []
    drain(plain.image_at_index(0).poll, observed(expected), 300, 50)
    got: list = []
    drain(CopyingPoller(copied.image_at_index(0)).poll, observed(got), 300, 50)
    assert got == expected


def test_a_raising_handler_still_gets_the_rest_then_the_first_error_is_raised(aeron):
    plain, copied, publication = two_readers(aeron, "aeron:ipc", 3203)
    offer_all(publication, [bytes([i]) for i in range(5)])
    seen: list[bytes] = []

    def handler(data: bytes, header) -> None:
        seen.append(data)
        if data in (b"\x01", b"\x03"):
            raise KeyError(data)

    poller = CopyingPoller(copied)
    with pytest.raises(KeyError) as raised:
        poller.poll(handler, 10)
    assert raised.value.args == (b"\x01",)
    assert seen == [bytes([i]) for i in range(5)]
    assert poller.poll(handler, 10) == 0  # the position moved past all five


def test_header_is_valid_during_the_handler_only(aeron):
    plain, copied, publication = two_readers(aeron, "aeron:ipc", 3204)
    offer_all(publication, [b"one"])
    kept = []
    drain(CopyingPoller(copied).poll, lambda data, header: kept.append((header, header.position)), 1, 10)
    header, position = kept[0]
    assert position > 0
    with pytest.raises(ResourceClosedError):
        header.position


def test_nested_poll_of_the_same_subscription_keeps_the_outer_batch(aeron):
    plain, copied, publication = two_readers(aeron, "aeron:ipc", 3205)
    offer_all(publication, [bytes([i]) * 8 for i in range(6)])
    poller = CopyingPoller(copied)
    outer: list[bytes] = []
    inner: list[bytes] = []

    def handler(data: bytes, header) -> None:
        outer.append(data)
        if len(outer) == 1:  # the position is past the outer batch: this gets the next ones
            assert poller.poll(lambda d, h: inner.append(d), 10) == 3

    assert poller.poll(handler, 3) == 3
    assert outer == [bytes([i]) * 8 for i in range(3)]  # not overwritten by the nested poll
    assert inner == [bytes([i]) * 8 for i in range(3, 6)]


def test_closing_the_subscription_in_the_handler(aeron):
    plain, copied, publication = two_readers(aeron, "aeron:ipc", 3206)
    offer_all(publication, [b"a", b"b", b"c"])
    poller = CopyingPoller(copied)
    seen: list[bytes] = []

    def handler(data: bytes, header) -> None:
        seen.append(data)
        copied.close()

    assert poller.poll(handler, 10) == 3
    assert seen == [b"a", b"b", b"c"]  # copies: still delivered after the close
    with pytest.raises(ResourceClosedError):
        poller.poll(handler, 10)


def test_bad_arguments(aeron):
    subscription = aeron.add_subscription("aeron:ipc", 3207)
    poller = CopyingPoller(subscription)
    with pytest.raises(TypeError):
        poller.poll("not callable", 10)
    with pytest.raises(InvalidArgumentError):
        poller.poll(lambda d, h: None, -1)
    with pytest.raises(InvalidArgumentError):
        poller.poll(lambda d, h: None, 2.5)
    with pytest.raises(InvalidArgumentError):
        CopyingPoller(subscription, capacity=COPIES_CAPACITY - 1)
    assert poller.poll(lambda d, h: None, 0) == 0
    assert poller.poll(lambda d, h: None, 10 * MAX_COPIES_PER_POLL) == 0
