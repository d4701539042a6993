"""What the lifetime regression scripts (``test_lifetime_*.py``) share, imported by the child
interpreter each scenario runs in (``fuzz_support.run_script``): an embedded driver, connected
streams, a ledger of the C closes that ran, and what the driver knows of a client.

The ledger wraps every ``Resource`` subclass's ``_close_native`` (the one place the library
calls a C close or delete), so a scenario can check that each object's C close ran, and ran
once, whatever thread or deferred path ran it.
"""

from __future__ import annotations

import functools
import os
import threading
import time
import weakref
from typing import Any, Callable, Iterator

import aeron_cffi.archive  # noqa: F401  (its Resource subclasses are counted too)
from aeron_cffi import AeronError, Aeron, MediaDriver
from aeron_cffi._lifetime import Resource
from aeron_cffi._native import lib
from aeron_cffi.counters import NULL_COUNTER_ID
from aeron_cffi.testing.waiting import wait_until

__all__ = ["CLIENT_HEARTBEAT", "C_CLOSE_LOG", "assert_c_closed", "c_closes", "connected", "driver_knows", "message",
           "offer", "offer_hot", "outcome", "run_threads", "start_driver", "wait_until"]

TERM_LENGTH = 64 * 1024
CLIENT_HEARTBEAT = lib.AERON_COUNTER_CLIENT_HEARTBEAT_TIMESTAMP_TYPE_ID  # registration id: the client id

# id(object) -> (the object, weakly; the classes whose _close_native ran on it: a subclass
# may call its base's). By id: some resources (ChannelUri) are not hashable.
_C_CLOSES: dict[int, tuple[weakref.ref, list[str]]] = {}
# every C close, in order, by class (also of objects collected since)
C_CLOSE_LOG: list[str] = []


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _counted(cls: type, close: Callable[[Resource], None]) -> Callable[[Resource], None]:
    @functools.wraps(close)
    def _close_native(self: Resource) -> None:
        entry = _C_CLOSES.get(id(self))
        if entry is None or entry[0]() is not self:  # (an id of an object collected since)
            entry = _C_CLOSES[id(self)] = (weakref.ref(self), [])
        entry[1].append(cls.__name__)
        C_CLOSE_LOG.append(cls.__name__)
        close(self)

    return _close_native


for _cls in set(_subclasses(Resource)):
    if "_close_native" in vars(_cls):
        _cls._close_native = _counted(_cls, vars(_cls)["_close_native"])


def c_closes(obj: Resource) -> list[str]:
    """The C closes that ran on ``obj`` so far (by the class whose ``_close_native`` ran)."""
    entry = _C_CLOSES.get(id(obj))
    return list(entry[1]) if entry is not None and entry[0]() is obj else []


def assert_c_closed(*objects: Resource) -> None:
    """Each object is closed and its C close ran exactly once (for those that have one: a
    ``CountersReader`` only reads its client's memory)."""
    for obj in objects:
        assert obj.is_closed, f"{obj!r} is not closed"
        if type(obj)._close_native is Resource._close_native:
            continue
        ran = c_closes(obj)
        assert ran and len(ran) == len(set(ran)), f"{type(obj).__name__}: C close ran {ran}"


def start_driver(term_length: int = TERM_LENGTH) -> MediaDriver:
    """An embedded driver (SHARED threading) in ``./driver``."""
    return MediaDriver(dir=os.path.abspath("driver"), threading_mode="SHARED", term_buffer_length=term_length,
                       ipc_term_buffer_length=term_length, dir_delete_on_start=True, dir_delete_on_shutdown=True)


def connected(publisher: Aeron, subscriber: Aeron, stream: int, exclusive: bool = False, **handlers: Any):
    """An IPC publication (of ``publisher``) and subscription (of ``subscriber``) on ``stream``,
    connected, with the subscription's image there."""
    subscription = subscriber.add_subscription("aeron:ipc", stream, **handlers)
    add = publisher.add_exclusive_publication if exclusive else publisher.add_publication
    publication = add("aeron:ipc", stream)
    wait_until(lambda: publication.is_connected and subscription.image_count, f"stream {stream} connected")
    return publication, subscription


def message(i: int, size: int) -> bytes:
    """Message ``i`` of ``size`` bytes (>= 4): its number, then a pattern of it."""
    return i.to_bytes(4, "little") + bytes((i + k) % 251 for k in range(size - 4))


def offer(publication: Any, data: bytes, **kwargs: Any) -> int:
    """Offer until it goes (deadline: a stuck publication fails the scenario)."""
    return wait_until(lambda: max(publication.offer(data, **kwargs), 0), f"offer of {len(data)} bytes")


def offer_hot(send: Callable[[], int], timeout: float = 30) -> int:
    """``send()`` (an offer) until it returns a position, yielding the GIL between tries:
    for offer loops that a 1 ms sleep per back pressure would slow down."""
    deadline = time.monotonic() + timeout
    while (result := send()) < 0:
        assert time.monotonic() < deadline, f"offer stuck at {result!r}"
        time.sleep(0)
    return result


def outcome(call: Callable[[], Any]) -> str:
    """``returned <value>`` or ``raised <exception type>`` (any other exception propagates)."""
    try:
        return f"returned {call()!r}"
    except AeronError as exc:
        return f"raised {type(exc).__name__}"


def driver_knows(reader: Any, type_id: int, registration_id: int) -> bool:
    """Whether the driver still has a counter of ``type_id`` for ``registration_id``."""
    return reader.find_by_type_id_and_registration_id(type_id, registration_id) != NULL_COUNTER_ID


def run_threads(*targets: Callable[[], object], timeout: float = 60) -> list[BaseException | None]:
    """Run each target in a thread of its own; what each raised (None: nothing)."""
    outcomes: list[BaseException | None] = [None] * len(targets)

    def call(i: int, target: Callable[[], object]) -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001  (the scenario checks it)
            outcomes[i] = exc

    threads = [threading.Thread(target=call, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
        assert not thread.is_alive(), f"a thread hung ({timeout} s)"
    return outcomes
