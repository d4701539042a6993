"""Multi-destination cast and subscriptions, image rejection and error frames, image-level
polls, exclusive-publication extras and wildcard endpoints, through the embedded C driver."""

from __future__ import annotations

import struct

import pytest

from aeron_cffi import (
    Aeron,
    ControlledPollAction,
    DriverErrorCode,
    OfferResult,
    PublicationError,
    PublicationErrorFrame,
)
from aeron_cffi.testing import free_udp_port

from helpers import offer_all, receive, wait_until


def udp(port: int) -> str:
    return f"aeron:udp?endpoint=127.0.0.1:{port}"


def drain_into(subscription, received: list[bytes]):
    return lambda: subscription.poll(lambda data, header: received.append(data), 100)


def test_mdc_publication_sends_to_added_destinations_only(aeron):
    publication = aeron.add_publication("aeron:udp?control-mode=manual", 2001)
    port_a, port_b = free_udp_port(), free_udp_port()
    sub_a = aeron.add_subscription(udp(port_a), 2001)
    sub_b = aeron.add_subscription(udp(port_b), 2001)
    got_a: list[bytes] = []
    got_b: list[bytes] = []
    poll_a, poll_b = drain_into(sub_a, got_a), drain_into(sub_b, got_b)

    publication.add_destination(udp(port_a), timeout=10)
    wait_until(lambda: sub_a.is_connected, "destination A connected")
    offer_all(publication, [b"one"])
    wait_until(lambda: got_a == [b"one"], "one at A", poll_a)

    publication.add_destination(udp(port_b), timeout=10)
    wait_until(lambda: sub_b.is_connected, "destination B connected")
    offer_all(publication, [b"two"])
    wait_until(lambda: got_a[-1:] == [b"two"] and got_b[-1:] == [b"two"], "two at A and B",
               lambda: (poll_a(), poll_b()))
    assert got_b == [b"two"]  # B joined after "one"

    publication.remove_destination(udp(port_b), timeout=10)
    for message in (b"three", b"four", b"five"):
        offer_all(publication, [message])
        wait_until(lambda: got_a[-1:] == [message], f"{message!r} at A", lambda: (poll_a(), poll_b()))
    assert got_a == [b"one", b"two", b"three", b"four", b"five"]
    assert got_b == [b"two"]  # nothing sent after the removal reached B



def test_remove_destination_by_id_removes_nothing_in_aeron_1_51(aeron):
    """Canary for an Aeron 1.51.0 C client bug (docs/client-api.md): the remove-by-id
    command carries the publication's registration id where the destination's belongs
    (aeron_client_conductor_on_cmd_destination_by_id), so the driver removes nothing and
    data keeps flowing. When this fails, Aeron fixed it: update the docs and this test."""
    publication = aeron.add_publication("aeron:udp?control-mode=manual", 2007)
    port = free_udp_port()
    subscription = aeron.add_subscription(udp(port), 2007)
    adding = publication.async_add_destination(udp(port))
    destination = adding.registration_id
    adding.wait(10)
    wait_until(lambda: subscription.is_connected, "destination connected")
    publication.remove_destination_by_id(destination, timeout=10)  # the driver answers success
    offer_all(publication, [b"still sent"])
    assert receive(subscription, 1) == [b"still sent"]


def test_mds_subscription_receives_from_added_destinations_only(aeron):
    subscription = aeron.add_subscription("aeron:udp?control-mode=manual", 2002)
    port_a, port_b = free_udp_port(), free_udp_port()
    subscription.add_destination(udp(port_a), timeout=10)
    subscription.add_destination(udp(port_b), timeout=10)
    pub_a = aeron.add_publication(udp(port_a), 2002)
    pub_b = aeron.add_publication(udp(port_b), 2002)
    wait_until(lambda: pub_a.is_connected and pub_b.is_connected, "both publications connected")
    by_session: dict[int, list[bytes]] = {pub_a.session_id: [], pub_b.session_id: []}

    def poll():
        subscription.poll(lambda data, header: by_session[header.session_id].append(data), 100)

    offer_all(pub_a, [b"a1"])
    offer_all(pub_b, [b"b1"])
    wait_until(lambda: by_session[pub_a.session_id] == [b"a1"] and by_session[pub_b.session_id] == [b"b1"],
               "a1 and b1", poll)

    subscription.remove_destination(udp(port_a), timeout=10)  # closes the socket on port A
    for message in (b"b2", b"b3"):
        assert pub_a.offer(b"lost") != OfferResult.CLOSED
        offer_all(pub_b, [message])
        wait_until(lambda: by_session[pub_b.session_id][-1:] == [message], f"{message!r}", poll)
    assert by_session[pub_a.session_id] == [b"a1"]
    assert by_session[pub_b.session_id] == [b"b1", b"b2", b"b3"]


def test_rejected_image_sends_an_error_frame_to_the_publication(media_driver):
    frames: list[PublicationErrorFrame] = []
    channel = udp(free_udp_port())
    with Aeron(dir=media_driver.dir, publication_error_frame_handler=frames.append) as client:
        subscription = client.add_subscription(channel, 2003)
        publication = client.add_publication(channel, 2003)
        wait_until(lambda: subscription.image_count == 1, "image")
        image = subscription.image_at_index(0)
        image.reject("not wanted here")
        wait_until(lambda: frames, "error frame")
        expected = (publication.registration_id, publication.session_id, publication.stream_id)
    frame = frames[0]
    assert frame.error_code is DriverErrorCode.IMAGE_REJECTED
    assert frame.error_message == "not wanted here"
    assert (frame.registration_id, frame.session_id, frame.stream_id) == expected
    assert frame.source_address == "127.0.0.1" and frame.source_port > 0


def test_image_bounded_polls_and_controlled_peek(aeron):
    subscription = aeron.add_subscription("aeron:ipc", 2004)
    publication = aeron.add_publication("aeron:ipc", 2004)
    wait_until(lambda: subscription.image_count == 1, "image")
    image = subscription.image_by_session_id(publication.session_id)
    messages = [b"m0", b"m1", b"m2", b"m3", b"m4"]
    positions = offer_all(publication, messages)
    got: list[bytes] = []

    assert image.bounded_poll(lambda data, header: got.append(data), positions[1], 10) == 2
    assert got == [b"m0", b"m1"] and image.position == positions[1]

    def commit_then_break(data, header):
        got.append(data)
        return ControlledPollAction.BREAK if data == b"m3" else ControlledPollAction.COMMIT

    assert image.bounded_controlled_poll(commit_then_break, positions[4], 10) == 2
    assert got[2:] == [b"m2", b"m3"] and image.position == positions[3]

    peeked: list[tuple[bytes, int]] = []
    resulting = image.controlled_peek(
        image.position, lambda data, header: peeked.append((data, header.position)), positions[4])
    assert peeked == [(b"m4", positions[4])] and resulting == positions[4]
    assert image.position == positions[3]  # a peek does not consume

    assert image.controlled_peek(image.position, lambda data, header: ControlledPollAction.ABORT,
                                 positions[4]) == positions[3]
    assert image.poll(lambda data, header: got.append(data), 10) == 1
    assert got == messages
    image.close()


def data_frames(publication, payloads: list[bytes]) -> bytes:
    """Frames as Aeron lays them in a term (aeron_data_header_t, 32-byte aligned),
    starting at the publication's current position: what ``offer_block`` takes."""
    constants = publication.constants
    position = publication.position
    term_id = constants.initial_term_id + (position >> constants.position_bits_to_shift)
    term_offset = position & (constants.term_buffer_length - 1)
    block = bytearray()
    for payload in payloads:
        frame_length = 32 + len(payload)
        block += struct.pack("<iBBHiiiiq", frame_length, 0, 0xC0, 1, term_offset + len(block),
                             constants.session_id, constants.stream_id, term_id, 0) + payload
        block += bytes(-len(block) % 32)
    return bytes(block)


def test_exclusive_publication_padding_block_and_revoke(aeron):
    unavailable: list[tuple[int, bool]] = []
    subscription = aeron.add_subscription(
        "aeron:ipc", 2005,
        on_unavailable_image=lambda image: unavailable.append((image.session_id, image.is_publication_revoked)))
    publication = aeron.add_exclusive_publication("aeron:ipc", 2005)
    wait_until(lambda: publication.is_connected, "connection")
    got: list[bytes] = []
    drain = drain_into(subscription, got)

    before = publication.position
    after_padding = publication.append_padding(100)
    assert after_padding == before + 160  # 32-byte header + 100, aligned to 32
    offer_all(publication, [b"after padding"])
    wait_until(lambda: got, "message after padding", drain)
    assert got == [b"after padding"]  # padding is skipped, never delivered

    block = data_frames(publication, [b"framed 1", b"framed 2", b"x" * 100])
    assert publication.offer_block(block) == publication.position
    wait_until(lambda: len(got) == 4, "the block's messages", drain)
    assert got[1:] == [b"framed 1", b"framed 2", b"x" * 100]

    with pytest.raises(PublicationError, match="improperly formatted block"):
        publication.offer_block(block)  # its term offsets are behind the publication now

    session_id = publication.session_id
    publication.revoke()
    assert publication.is_closed
    wait_until(lambda: unavailable, "image unavailable after revoke", drain)
    assert unavailable == [(session_id, True)]


def test_wildcard_port_resolves_and_carries_data(aeron):
    subscription = aeron.add_subscription("aeron:udp?endpoint=localhost:0", 2006)
    wait_until(lambda: subscription.resolved_endpoint() is not None, "resolved endpoint")
    endpoint = subscription.resolved_endpoint()
    host, port = endpoint.rsplit(":", 1)
    assert host == "127.0.0.1" and int(port) > 0
    resolved = subscription.try_resolve_channel_endpoint_port()
    assert resolved == f"aeron:udp?endpoint={endpoint}"
    publication = aeron.add_publication(resolved, 2006)
    wait_until(lambda: publication.is_connected, "connection to the resolved port")
    offer_all(publication, [b"via the resolved port"])
    assert receive(subscription, 1) == [b"via the resolved port"]
