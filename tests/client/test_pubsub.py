"""Publish/subscribe through the embedded C driver and an aeronmd process, IPC and UDP."""

from __future__ import annotations

import struct
import time

import pytest

from aeron_cffi import (
    Aeron,
    BufferClaim,
    ControlledPollAction,
    FragmentAssembler,
    ControlledFragmentAssembler,
    MediaDriver,
    OfferResult,
)
from aeron_cffi.testing import free_udp_port

from helpers import offer_all, receive, wait_until


def udp_channel() -> str:
    return f"aeron:udp?endpoint=127.0.0.1:{free_udp_port()}"


@pytest.mark.parametrize("channel_factory", [lambda: "aeron:ipc", udp_channel], ids=["ipc", "udp"])
def test_offer_and_poll_in_order(aeron, channel_factory):
    channel = channel_factory()
    subscription = aeron.add_subscription(channel, 1001)
    publication = aeron.add_publication(channel, 1001, timeout=10)
    wait_until(lambda: publication.is_connected, "connection")
    messages = [f"message {i}".encode() for i in range(200)]
    positions = offer_all(publication, messages)
    assert positions == sorted(positions) and positions[0] > 0
    headers = []
    received = receive(subscription, 200, lambda out: lambda data, header: (
        out.append(data), headers.append((header.position, header.values().session_id))))
    assert received == messages
    assert [p for p, _ in headers] == positions
    assert {s for _, s in headers} == {publication.session_id}
    assert subscription.is_connected and subscription.image_count == 1
    assert publication.position == positions[-1]
    assert publication.position_limit > 0


def test_offer_takes_any_bytes_like_object(aeron):
    """bytes take offer's direct path; other buffers go through a view: same bytes arrive."""
    import array

    subscription = aeron.add_subscription("aeron:ipc", 1002)
    publication = aeron.add_exclusive_publication("aeron:ipc", 1002, timeout=10)
    wait_until(lambda: publication.is_connected, "connection")
    sources = [b"plain bytes", bytearray(b"a bytearray"), memoryview(b"xxa memoryview slice")[2:],
               array.array("B", b"an array")]
    offer_all(publication, sources)
    assert receive(subscription, 4) == [bytes(s) for s in sources]
    with pytest.raises(TypeError):
        publication.offer("text is not bytes")


def test_not_connected_is_returned_not_raised(aeron):
    publication = aeron.add_publication("aeron:ipc", 1002)
    assert publication.offer(b"nobody listens") is OfferResult.NOT_CONNECTED
    assert publication.try_claim(8, BufferClaim()) is OfferResult.NOT_CONNECTED


def test_back_pressure_is_returned(aeron):
    subscription = aeron.add_subscription("aeron:ipc", 1003)
    publication = aeron.add_exclusive_publication("aeron:ipc", 1003)
    wait_until(lambda: publication.is_connected, "connection")
    outcome = None
    for _ in range(100_000):
        outcome = publication.offer(b"x" * 1000)
        if outcome < 0:
            break
    assert outcome in (OfferResult.BACK_PRESSURED, OfferResult.ADMIN_ACTION)
    assert subscription.poll(lambda d, h: None, 10) == 10


def test_offerv_try_claim_and_exclusive(aeron):
    subscription = aeron.add_subscription("aeron:ipc", 1004)
    publication = aeron.add_exclusive_publication("aeron:ipc", 1004)
    wait_until(lambda: publication.is_connected, "connection")
    assert publication.offerv([b"ab", bytearray(b"cd"), memoryview(b"ef")]) > 0
    claim = BufferClaim()
    wait_until(lambda: publication.try_claim(6, claim) > 0, "claim")
    with claim:
        claim.put(b"claim!")
    wait_until(lambda: publication.try_claim(4, claim) > 0, "claim")
    claim.put(b"gone")
    claim.abort()
    with pytest.raises(RuntimeError):
        wait_until(lambda: publication.try_claim(4, claim) > 0, "claim")
        with claim:
            claim.put(b"oops")
            raise RuntimeError("aborts the claim")
    assert publication.offer(b"last", reserved_value_supplier=lambda length: 0x1234) > 0
    reserved = []
    received = receive(subscription, 3, lambda out: lambda data, header: (
        out.append(data), reserved.append(header.reserved_value)))
    assert received == [b"abcdef", b"claim!", b"last"]
    assert reserved[-1] == 0x1234


def test_controlled_poll_actions(aeron):
    subscription = aeron.add_subscription("aeron:ipc", 1005)
    publication = aeron.add_publication("aeron:ipc", 1005)
    wait_until(lambda: publication.is_connected, "connection")
    offer_all(publication, [b"1", b"2", b"3"])
    wait_until(lambda: subscription.image_count == 1, "image")
    seen = []

    def abort_first(data, header):
        seen.append(data)
        return ControlledPollAction.ABORT if len(seen) == 1 else ControlledPollAction.BREAK

    wait_until(lambda: len(seen) >= 2, "two handler calls", lambda: subscription.controlled_poll(abort_first, 10))
    assert seen[:2] == [b"1", b"1"]  # ABORT delivers the same fragment again
    rest = []
    wait_until(lambda: len(rest) >= 2, "rest", lambda: subscription.controlled_poll(lambda d, h: rest.append(d)))
    assert rest == [b"2", b"3"]


def test_ten_megabyte_message_through_fragment_assembler(tmp_path):
    term = 128 * 1024 * 1024  # max message length is term/8: 16 MiB
    with MediaDriver(dir=tmp_path / "big", threading_mode="SHARED", ipc_term_buffer_length=term,
                     term_buffer_sparse_file=True, dir_delete_on_start=True, dir_delete_on_shutdown=True) as driver, \
            Aeron(dir=driver.dir) as client:
        subscription = client.add_subscription("aeron:ipc", 7)
        publication = client.add_publication("aeron:ipc", 7)
        wait_until(lambda: publication.is_connected, "connection")
        message = bytes(range(256)) * (10 * 1024 * 1024 // 256)
        assert publication.max_message_length >= len(message)
        received = []
        assembler = FragmentAssembler(lambda data, header: received.append(data))

        def drain():
            subscription.poll(assembler, 1000)

        offer_all(publication, [message])
        wait_until(lambda: received, "10 MB message", drain, timeout=60)
        assert received == [message]

        controlled = []
        offer_all(publication, [message[:5_000_000]])
        assembler2 = ControlledFragmentAssembler(lambda data, header: controlled.append(len(data)))
        wait_until(lambda: controlled, "5 MB message", lambda: subscription.controlled_poll(assembler2, 1000))
        assert controlled == [5_000_000]


def test_one_million_ipc_messages_in_order(aeron):
    subscription = aeron.add_subscription("aeron:ipc", 1006)
    publication = aeron.add_exclusive_publication("aeron:ipc", 1006)
    wait_until(lambda: publication.is_connected, "connection")
    total = 1_000_000
    pack, unpack = struct.Struct("<q").pack, struct.Struct("<q").unpack_from
    expected = 0
    sent = 0
    started = time.perf_counter()
    while expected < total:
        while sent < total and publication.offer(pack(sent)) > 0:
            sent += 1
        batch = subscription.poll_batch(4096)
        data, offsets = batch.data, batch.offsets
        for i in range(batch.count):
            value = unpack(data, offsets[i])[0]
            assert value == expected
            expected += 1
    elapsed = time.perf_counter() - started
    assert expected == total == sent
    print(f"1M IPC messages in {elapsed:.2f} s")


def test_udp_through_aeronmd_process(aeronmd_dir):
    channel = udp_channel()
    with Aeron(dir=aeronmd_dir) as client:
        subscription = client.add_subscription(channel, 9)
        publication = client.add_publication(channel, 9)
        wait_until(lambda: publication.is_connected, "connection")
        offer_all(publication, [b"over udp"])
        assert receive(subscription, 1) == [b"over udp"]
        assert publication.local_addresses() and subscription.local_addresses() == ["127.0.0.1:" + channel.rsplit(":", 1)[1]]
        assert subscription.channel_status == 1 and publication.channel_status == 1


@pytest.mark.parametrize("channel_factory", [lambda: "aeron:ipc?mtu=1408", lambda: udp_channel() + "|mtu=1408"],
                         ids=["ipc", "udp"])
def test_poll_batch_returns_whole_messages_never_fragments(aeron, channel_factory):
    """Messages up to 6x the MTU, polled 3 fragments per call into a 4 KiB buffer: each
    comes out once, whole, at its offer position (fragments of one message span calls,
    and a message longer than the buffer grows it)."""
    channel = channel_factory()
    subscription = aeron.add_subscription(channel, 1007)
    publication = aeron.add_publication(channel, 1007, timeout=10)
    wait_until(lambda: publication.is_connected, "connection")
    messages = [bytes([i % 251]) * (1 + (i * 997) % 8000) for i in range(60)]
    assert max(map(len, messages)) > 4 * publication.max_payload_length
    received: list[tuple[bytes, int, int]] = []

    def drain():
        batch = subscription.poll_batch(max_messages=3, capacity=4096)
        received.extend((batch.message(i), batch.positions[i], batch.session_ids[i]) for i in range(len(batch)))

    positions = []
    for message in messages:  # more than a term: drain while offering
        wait_until(lambda: publication.offer(message) > 0, "offer", drain)
        positions.append(publication.position)
    wait_until(lambda: len(received) >= len(messages), "all messages", drain)
    assert [data for data, _, _ in received] == messages
    assert [position for _, position, _ in received] == positions
    assert {session for _, _, session in received} == {publication.session_id}
