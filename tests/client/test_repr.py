"""``repr`` shows identity and state while open, and only ``closed`` after close."""

from __future__ import annotations

import re
import threading

from aeron_cffi import BufferClaim, MediaDriver

from helpers import connected, offer_all


def test_open_objects_show_their_state(aeron, aeron_testbed):
    subscription, publication = connected(aeron, 2201)
    [position] = offer_all(publication, [b"x"])
    shared = aeron.add_publication("aeron:ipc", 2202)
    image = subscription.image_at_index(0)
    counter = aeron.add_counter(1001, label="repr test")
    counter.value = 7
    pending = aeron.async_add_subscription("aeron:ipc", 2203)
    claim = BufferClaim()

    assert re.fullmatch(rf"<Aeron open client_id={aeron.client_id} dir='.+'>", repr(aeron))
    assert re.fullmatch(r"<Context open dir='.+' in_use=True>", repr(aeron.context))
    # (an embedded driver of its own: the suite's media_driver is a container on the docker backend)
    embedded = aeron_testbed.driver("embedded").handle
    assert re.fullmatch(r"<MediaDriver open dir='.+' threading_mode=.+ started=True>", repr(embedded))
    assert repr(publication) == (f"<ExclusivePublication open channel='aeron:ipc' stream_id=2201 "
                                 f"session_id={publication.session_id} position={position} connected=True>")
    assert repr(shared).startswith("<Publication open channel='aeron:ipc' stream_id=2202 ")
    assert repr(subscription) == (f"<Subscription open channel='aeron:ipc' stream_id=2201 "
                                  f"registration_id={subscription.registration_id} images=1>")
    assert repr(image) == (f"<Image open session_id={publication.session_id} source_identity='aeron:ipc' "
                           f"position=0 end_of_stream=False>")
    assert repr(counter) == (f"<Counter open counter_id={counter.counter_id} "
                             f"registration_id={counter.registration_id} value=7>")
    assert re.fullmatch(r"<CountersReader open max_counter_id=\d+>", repr(aeron.counters_reader()))
    assert repr(pending) == "<AsyncAdd open of=\"Aeron.add_subscription('aeron:ipc', 2203)\">" or \
        repr(pending).startswith("<AsyncAdd open of=")
    assert repr(claim) == "<BufferClaim empty>"
    assert publication.try_claim(10, claim) > 0
    assert repr(claim) == "<BufferClaim claimed length=10 of ExclusivePublication>"
    claim.abort()
    pending.cancel()


def test_closed_objects_say_closed_without_touching_c(aeron):
    subscription, publication = connected(aeron, 2204)
    image = subscription.image_at_index(0)
    counter = aeron.add_counter(1001, label="repr test")
    claim = BufferClaim()
    assert publication.try_claim(8, claim) > 0
    publication.close()
    assert repr(publication) == "<ExclusivePublication closed>"
    assert repr(claim) == "<BufferClaim empty>"
    context = aeron.context
    aeron.close()  # closes its children: each says so, and reads nothing freed
    for thing, name in ((aeron, "Aeron"), (subscription, "Subscription"), (image, "Image"), (counter, "Counter"),
                        (context, "Context")):
        assert repr(thing) == f"<{name} closed>"


def test_a_driver_not_started_and_then_closed(tmp_path):
    driver = MediaDriver(dir=str(tmp_path / "aeron"), threading_mode="SHARED", start=False)
    assert re.fullmatch(r"<MediaDriver open dir='.+' threading_mode=.+ started=False>", repr(driver))
    driver.close()
    assert repr(driver) == "<MediaDriver closed>"


def test_repr_while_another_thread_closes(aeron):
    """Each repr reads C state as a call in flight: a close from another thread meanwhile
    shows as closed (or waits for the read), never as a crash or an exception."""
    for stream_id in range(2205, 2209):
        subscription, publication = connected(aeron, stream_id)
        seen: list[str] = []
        stop = threading.Event()

        def show() -> None:
            while not stop.is_set():
                seen.extend((repr(publication), repr(subscription)))

        reader = threading.Thread(target=show)
        reader.start()
        try:
            publication.close()
            subscription.close()
        finally:
            stop.set()
            reader.join(10)
        assert not reader.is_alive()
        assert seen and all(text.startswith(("<ExclusivePublication open channel=", "<Subscription open channel="))
                            or text in ("<ExclusivePublication closed>", "<Subscription closed>") for text in seen)
        assert (repr(publication), repr(subscription)) == ("<ExclusivePublication closed>", "<Subscription closed>")
