"""The per-message paths in C (``aeron_cffi._hot``, ``ffibuild/hot_paths.c``): ``offer`` of
bytes or a bytearray, and ``poll``/``controlled_poll`` with a handler function, with the
handler given ``bytes`` or, with ``view=True``, a ``FragmentView`` valid during its call.

Everything else these methods take goes back to the Python methods; each test here
checks that both ways give the same results and the same exceptions, on a real C media
driver. (Closes from other threads and from handlers: tests/client/test_client_threads.py
and tests/fuzz, which run through these paths too.)
"""

from __future__ import annotations

import array
import struct
import sys

import pytest

from aeron_cffi import (ControlledPollAction, FragmentAssembler, FragmentView, ImageFragmentAssembler,
                        InvalidArgumentError, OfferResult,
                        ResourceClosedError)
from aeron_cffi._native import hot

from helpers import connected, offer_all, wait_until


def poll_until(poll, handler, count: int, **kwargs) -> None:
    seen = [0]

    def counting(data, header):
        seen[0] += 1
        return handler(data, header)
    wait_until(lambda: seen[0] >= count, f"{count} fragments", lambda: poll(counting, 10, **kwargs))


def test_offer_and_poll_are_the_c_methods_and_the_python_ones_give_the_same(aeron):
    subscription, publication = connected(aeron, 3301)
    assert type(publication.offer.__self__) is hot.Offerer
    assert type(subscription.poll.__self__) is hot.Poller
    # the class's methods (what the docs show, and what an explicit call runs) reach the same C paths
    assert type(publication).offer(publication, b"through the class") > 0
    got: list[bytes] = []
    poll_until(lambda h, n: type(subscription).poll(subscription, h, n), lambda d, h: got.append(d), 1)
    assert got == [b"through the class"]


def test_every_bytes_like_type_is_offered_and_received_alike(aeron):
    subscription, publication = connected(aeron, 3302)
    payload = bytes(range(40))
    messages = [payload, bytearray(payload), memoryview(payload), array.array("B", payload), memoryview(payload)[4:]]
    offer_all(publication, messages)
    got: list[bytes] = []
    poll_until(subscription.poll, lambda data, header: got.append(data), len(messages))
    assert got == [payload] * 4 + [payload[4:]]
    assert all(type(data) is bytes for data in got)


def test_offer_refuses_what_it_refused_before(aeron):
    subscription, publication = connected(aeron, 3303)
    with pytest.raises(InvalidArgumentError, match="exceeds max_message_length"):
        publication.offer(bytes(publication.max_message_length + 1))
    with pytest.raises(TypeError, match="bytes-like"):
        publication.offer("text")
    with pytest.raises(TypeError):
        publication.offer()
    supplied = []
    offer_all(publication, [b"a"])
    wait_until(lambda: publication.offer(b"with a value", lambda length: supplied.append(length) or 7) > 0,
               "an offer with a reserved value")
    values: list[int] = []
    poll_until(subscription.poll, lambda data, header: values.append(header.reserved_value), 2)
    assert values[-1] == 7 and supplied
    publication.close()
    for call in (lambda: publication.offer(b"x"), lambda: publication.offer(), lambda: publication.offer("x")):
        with pytest.raises(ResourceClosedError):
            call()


def test_a_retryable_offer_result_is_the_offer_result_member(aeron):
    publication = aeron.add_exclusive_publication("aeron:ipc", 3304)  # no subscriber
    result = publication.offer(b"nobody listens")
    assert result is OfferResult.NOT_CONNECTED


def test_a_view_holds_the_fragment_in_place_during_the_handler(aeron):
    subscription, publication = connected(aeron, 3305)
    plain = aeron.add_subscription("aeron:ipc", 3305)
    wait_until(lambda: plain.is_connected, "second subscription")
    messages = [struct.pack("<iq", i, -i * 1000) + bytes(range(i % 7)) for i in range(50)] + [b""]
    offer_all(publication, messages)

    expected: list = []
    poll_until(plain.poll, lambda data, header: expected.append((data, header.position)), len(messages))
    seen: list = []

    def reading(view, header):
        assert type(view) is FragmentView
        n = len(view)
        fields = view.unpack_from("<iq") if n >= 12 else None
        seen.append((bytes(view), header.position, view.tobytes(), list(view) == list(bytes(view)),
                     view[0] if n else None, view[-1] if n else None, view[2:9], view[::3], fields,
                     view.unpack_from(struct.Struct("<q"), 4) if n >= 12 else None))
    poll_until(subscription.poll, reading, len(messages), view=True)

    assert [(data, position) for data, position, *_ in seen] == expected
    for data, _, copied, listed, first, last, middle, stepped, fields, second in seen:
        assert copied == data and listed and middle == data[2:9] and stepped == data[::3]
        assert (first, last) == ((data[0], data[-1]) if data else (None, None))
        if fields is not None:
            assert fields == struct.unpack_from("<iq", data) and second == struct.unpack_from("<q", data, 4)
    offer_all(publication, [b"12"])
    raised: list = []

    def out_of_range(view, header):
        with pytest.raises(IndexError):
            view[2]
        raised.append(view[-2])
    poll_until(subscription.poll, out_of_range, 1, view=True)
    assert raised == [ord("1")]


def test_a_view_kept_past_its_handler_raises_and_never_shows_a_later_fragment(aeron):
    subscription, publication = connected(aeron, 3306)
    offer_all(publication, [b"first", b"second"])
    kept: list = []
    poll_until(subscription.poll, lambda view, header: kept.append(view), 2, view=True)
    offer_all(publication, [b"third"])
    later: list[bytes] = []
    poll_until(subscription.poll, lambda view, header: later.append(bytes(view)), 1, view=True)
    assert later == [b"third"]
    assert kept[0] is not kept[1]  # a kept view is not handed out again
    for view in kept:
        assert repr(view) == "<FragmentView released>"
        for use in (len, bytes, lambda v: v[0], lambda v: v[1:], lambda v: v.tobytes(),
                    lambda v: v.unpack_from("<b"), list):
            with pytest.raises(ResourceClosedError, match="only valid during the fragment handler call"):
                use(view)


def test_a_view_is_for_handler_functions_only(aeron):
    subscription, publication = connected(aeron, 3307)
    with pytest.raises(TypeError, match="view=True is for a handler function"):
        subscription.poll(FragmentAssembler(lambda data, header: None), view=True)
    with pytest.raises(TypeError, match="handler must be callable"):
        subscription.poll("not a handler", view=True)
    with pytest.raises(TypeError):
        subscription.poll(lambda d, h: None, 10, colour="red")


def test_controlled_poll_with_views_aborts_and_redelivers_the_fragment(aeron):
    subscription, publication = connected(aeron, 3308)
    offer_all(publication, [b"one", b"two", b"three"])
    seen: list[bytes] = []
    aborted = []

    def handler(view, header):
        if bytes(view) == b"two" and not aborted:
            aborted.append(True)
            return ControlledPollAction.ABORT
        seen.append(bytes(view))
        return None
    wait_until(lambda: len(seen) >= 3, "three fragments", lambda: subscription.controlled_poll(handler, 10, view=True))
    assert seen == [b"one", b"two", b"three"] and aborted


def test_fragment_limit_and_handler_are_checked_as_before(aeron):
    subscription, publication = connected(aeron, 3309)
    with pytest.raises(TypeError):  # (cffi's conversions to size_t, as before the C poll)
        subscription.poll(lambda d, h: None, 1.5)
    with pytest.raises(OverflowError):
        subscription.poll(lambda d, h: None, -1)
    with pytest.raises(OverflowError):
        subscription.poll(lambda d, h: None, 2**64)
    image = subscription.images()[0]
    offer_all(publication, [b"x"])
    got: list[bytes] = []
    poll_until(image.poll, lambda view, header: got.append(bytes(view)), 1, view=True)
    assert got == [b"x"]
    image.close()
    with pytest.raises(ResourceClosedError):
        image.poll(lambda d, h: None)
    subscription.close()
    for call in (lambda: subscription.poll(lambda d, h: None), lambda: subscription.poll(),
                 lambda: subscription.controlled_poll(lambda d, h: None, view=True)):
        with pytest.raises(ResourceClosedError):
            call()


def test_a_handler_that_polls_again_gets_a_header_and_view_of_its_own(aeron):
    subscription, publication = connected(aeron, 3310)
    offer_all(publication, [b"outer", b"inner"])
    seen: list = []

    def inner(view, header):
        seen.append(("inner", bytes(view), header.position))

    def outer(view, header):
        position = header.position
        subscription.poll(inner, 1, view=True)
        seen.append(("outer", bytes(view), header.position == position))
    wait_until(lambda: seen, "the outer fragment", lambda: subscription.poll(outer, 1, view=True))
    # Aeron moves the image's position when a poll returns: the inner poll reads the same fragment;
    # the outer handler's view and header still show its own fragment afterwards
    assert seen[0][:2] == ("inner", b"outer") and seen[1] == ("outer", b"outer", True)


def test_the_buffer_protocol_exports_a_copy_that_outlives_the_handler(aeron):
    # from 3.11 (Py_buffer is in the stable ABI there): what is exported is the view's own copy
    # of the fragment, so a memoryview kept past the handler keeps the bytes it was made with
    assert sys.version_info >= (3, 11)  # (the suite's interpreter; tests/packaging runs 3.10 too)
    subscription, publication = connected(aeron, 3311)
    offer_all(publication, [struct.pack("<q", 41), struct.pack("<q", 42), struct.pack("<q", 43)])
    kept: list = []
    decoded: list = []

    def handler(view, header):
        memory = memoryview(view)
        decoded.append((struct.unpack_from("<q", view)[0], memory.readonly, memory.nbytes, bytes(memory)))
        with pytest.raises(TypeError):
            memory[0] = 1
        if not kept:
            kept.append((view, memory))
    poll_until(subscription.poll, handler, 3, view=True)
    assert decoded == [(n, True, 8, struct.pack("<q", n)) for n in (41, 42, 43)]
    view, memory = kept[0]
    assert bytes(memory) == struct.pack("<q", 41)  # the copy, after two more fragments
    with pytest.raises(ResourceClosedError):
        memoryview(view)


def test_a_view_offered_from_its_handler_is_sent_from_where_it_lies(aeron):
    pings, ping_publication = connected(aeron, 3312)
    pongs, pong_publication = connected(aeron, 3313)
    messages = [bytes([i]) * (i + 1) for i in range(20)]
    offer_all(ping_publication, messages)

    def echo(view, header):
        while pong_publication.offer(view) < 0:
            pass
    poll_until(pings.poll, echo, len(messages), view=True)
    got: list[bytes] = []
    poll_until(pongs.poll, lambda data, header: got.append(data), len(messages))
    assert got == messages
    kept: list = []
    offer_all(ping_publication, [b"late"])
    poll_until(pings.poll, lambda view, header: kept.append(view), 1, view=True)
    with pytest.raises(ResourceClosedError):  # a released view is refused, by the Python path too
        pong_publication.offer(kept[0])
    with pytest.raises(ResourceClosedError):
        pong_publication.offer(kept[0], lambda length: 0)


def test_an_assembler_delivers_whole_messages_from_c_through_hot_and_cffi_polls(aeron):
    # Subscription.poll feeds the assembler holding the GIL; Image.bounded_poll goes through cffi,
    # which releases it, and the assembler's C delegate takes it to call the handler
    subscription, publication = connected(aeron, 3314)
    plain = aeron.add_subscription("aeron:ipc", 3314)
    wait_until(lambda: plain.image_count, "second subscription")
    longest = publication.max_payload_length * 3 + 7
    messages = [bytes([i]) * (longest if i % 2 else 5) for i in range(6)]
    offer_all(publication, messages)
    for poll, assembler_type in ((subscription.poll, FragmentAssembler),
                                 (lambda h, n: plain.images()[0].bounded_poll(h, 2**62, n), ImageFragmentAssembler)):
        got: list = []
        assembler = assembler_type(lambda data, header: got.append((data, header.position, header.values().flags)))
        wait_until(lambda: len(got) >= len(messages), "whole messages", lambda: poll(assembler, 10))
        assert [data for data, *_ in got] == messages
        assert all(flags == 0xC0 for *_, flags in got[::2])  # (an unfragmented message: begin and end)
        assert got[-1][1] == publication.position
        assembler.close()


def test_an_assembler_handler_that_raises_gets_the_rest_then_the_first_error(aeron):
    subscription, publication = connected(aeron, 3315)
    offer_all(publication, [b"a", b"b", b"c"])
    seen: list[bytes] = []

    def handler(data, header):
        seen.append(data)
        raise ValueError(f"refused {data!r}")
    assembler = FragmentAssembler(handler)
    with pytest.raises(ValueError, match="refused b'a'"):
        wait_until(lambda: False, "the handler raising", lambda: subscription.poll(assembler, 10))
    assert seen == [b"a", b"b", b"c"]
    with pytest.raises(TypeError, match="does not fit this poll"):
        subscription.controlled_poll(assembler)
    assembler.close()
    with pytest.raises(ResourceClosedError):
        subscription.poll(assembler)
