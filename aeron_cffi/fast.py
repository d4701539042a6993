"""Fast paths: many messages per C call, in caller-owned buffers, no allocation per message.

The per-message API (``offer``, ``poll`` with a Python handler) crosses from Python
into C, and for ``poll`` back into Python, once per message; at a few hundred
nanoseconds a crossing that is what limits a Python program's message rate. These
helpers move whole batches per crossing (C helpers in ``ffibuild/helpers.c``):

* ``MessageBatch`` holds messages back to back in one buffer (made once, reused);
  ``offer_batch(publication, batch)`` offers them in order in one C call;
* ``BatchPoller`` copies up to ``max_fragments`` fragments per C call into buffers it
  owns and reuses, and can wait in C for the first fragment;
* ``CopyingPoller`` keeps ``poll``'s contract (``handler(data, header)`` per fragment)
  but copies a whole poll's fragments, with their headers, in one C call and calls the
  handler from a Python loop: no C->Python callback per fragment.

Both wait in C (back pressure, an empty stream) with the GIL released, so other
Python threads run meanwhile; every one of these C calls is in flight on the publication or
subscription it uses (``aeron_cffi._lifetime``), so a close from another thread waits for it. ``benchmarks/`` measures them against Aeron's C samples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

from aeron_cffi._native import ffi, lib
from aeron_cffi.errors import RETRYABLE_OFFER_RESULTS, InvalidArgumentError, check, offer_error
from aeron_cffi.exclusive_publication import ExclusivePublication
from aeron_cffi.header import Header
from aeron_cffi.image import Image
from aeron_cffi.publication import PublicationBase

if TYPE_CHECKING:  # subscription.py may import this module (CopyingPoller for its poll)
    from aeron_cffi.subscription import Subscription

_RETRYABLE = frozenset(int(member) for member in RETRYABLE_OFFER_RESULTS)


class MessageBatch:
    """Messages stored back to back in one buffer: message ``i`` is
    ``data[offsets[i]:offsets[i + 1]]``. Fill once (or ``clear()`` and refill), offer often."""

    __slots__ = ("capacity", "max_messages", "count", "longest", "_data", "_offsets", "data")

    def __init__(self, capacity: int, max_messages: int) -> None:
        if capacity <= 0 or max_messages <= 0:
            raise InvalidArgumentError("MessageBatch: capacity and max_messages must be positive")
        self.capacity = capacity
        self.max_messages = max_messages
        self._data = ffi.new("uint8_t[]", capacity)
        self._offsets = ffi.new("int64_t[]", max_messages + 1)
        self.data = memoryview(ffi.buffer(self._data, capacity))
        self.count = 0
        self.longest = 0

    @classmethod
    def of(cls, messages: Iterable[Any]) -> MessageBatch:
        """A batch holding ``messages`` (bytes-like objects)."""
        views = [memoryview(m).cast("B") for m in messages]
        batch = cls(max(1, sum(len(v) for v in views)), max(1, len(views)))
        for view in views:
            batch.append(view)
        return batch

    def __len__(self) -> int:
        return self.count

    def append(self, message: Any) -> None:
        """Copy ``message`` (bytes-like) in as the next message."""
        view = memoryview(message).cast("B")
        start = self._offsets[self.count]
        if self.count >= self.max_messages or start + len(view) > self.capacity:
            raise InvalidArgumentError(
                f"MessageBatch.append: {len(view)} bytes do not fit (capacity {self.capacity} bytes, "
                f"{self.max_messages} messages)")
        self.data[start:start + len(view)] = view
        self.count += 1
        self._offsets[self.count] = start + len(view)
        self.longest = max(self.longest, len(view))

    def clear(self) -> None:
        self.count = 0
        self.longest = 0

    def message(self, i: int) -> bytes:
        if not 0 <= i < self.count:
            raise IndexError(i)
        return bytes(self.data[self._offsets[i]:self._offsets[i + 1]])


def offer_batch(publication: PublicationBase, batch: MessageBatch, start: int = 0, max_wait: float = 0.0) -> int:
    """Offer messages ``start..len(batch)-1`` of ``batch`` in order, one C call in all.

    Back pressure (and not-connected, admin action) is retried in C, with the GIL
    released, for up to ``max_wait`` seconds. Returns how many were offered; fewer
    than asked means the wait ran out: offer the rest (from ``start + returned``)
    later. Terminal outcomes raise as ``Publication.offer`` does.
    """
    if publication._closed:
        publication._check_open()
    if not 0 <= start <= batch.count:
        raise InvalidArgumentError(f"offer_batch: start {start} is outside 0..{batch.count}")
    if batch.longest > publication._max_message_length:  # C would report it as a generic error
        raise InvalidArgumentError(
            f"offer_batch: a message of {batch.longest} bytes exceeds max_message_length "
            f"{publication._max_message_length}")
    function = lib.aeron_cffi_exclusive_publication_offer_batch if isinstance(publication, ExclusivePublication) \
        else lib.aeron_cffi_publication_offer_batch
    result = ffi.new("int64_t *")  # one allocation per batch, none per message
    # In flight: the C call waits out back pressure with the GIL released, when another
    # thread may close the publication.
    sent = publication._in_flight(function, publication._ptr, batch._data, batch._offsets + start,
                                  batch.count - start, int(max_wait * 1e9), result)
    if start + sent < batch.count and result[0] not in _RETRYABLE:
        raise offer_error(result[0], f"{type(publication).__name__}.offer_batch")
    return sent


class BatchPoller:
    """Polls a subscription into buffers it owns: after ``n = poller.poll()``, fragment
    ``i < n`` is ``data[offsets[i]:offsets[i + 1]]``, ending at stream ``positions[i]``,
    from ``session_ids[i]``. The buffers are overwritten by the next ``poll``.

    Fragments are delivered unassembled (as ``Subscription.poll`` without an assembler).
    """

    __slots__ = ("subscription", "max_fragments", "capacity", "_data", "offsets", "positions", "session_ids",
                 "data", "count")

    def __init__(self, subscription: Subscription, max_fragments: int = 256, capacity: int = 1 << 20) -> None:
        if max_fragments <= 0 or capacity <= 0:
            raise InvalidArgumentError("BatchPoller: max_fragments and capacity must be positive")
        self.subscription = subscription
        self.max_fragments = max_fragments
        self.capacity = capacity
        self._data = ffi.new("uint8_t[]", capacity)
        self.offsets = ffi.new("int64_t[]", max_fragments + 1)
        self.positions = ffi.new("int64_t[]", max_fragments)
        self.session_ids = ffi.new("int32_t[]", max_fragments)
        self.data = memoryview(ffi.buffer(self._data, capacity))
        self.count = 0

    def poll(self, max_wait: float = 0.0) -> int:
        """Copy out up to ``max_fragments`` fragments in one C call; if there are none,
        keep polling in C (GIL released) for up to ``max_wait`` seconds. Returns the count."""
        subscription = self.subscription
        if subscription._closed:
            subscription._check_open()
        self.count = check(subscription._in_flight(
            lib.aeron_cffi_subscription_poll_batch_wait, subscription._ptr, self._data, self.capacity,
            self.offsets, self.positions, self.session_ids, self.max_fragments, int(max_wait * 1e9)),
            "BatchPoller.poll")
        return self.count

    @property
    def bytes_polled(self) -> int:
        """Total length of the fragments of the last ``poll``."""
        return self.offsets[self.count]

    def message(self, i: int) -> bytes:
        if not 0 <= i < self.count:
            raise IndexError(i)
        return bytes(self.data[self.offsets[i]:self.offsets[i + 1]])


# Aeron's largest MTU is 64 KiB: a poll's buffer above it always takes the next fragment.
COPIES_CAPACITY = 1 << 18
# Copies (72 bytes each) are kept for at most this many fragments per poll.
MAX_COPIES_PER_POLL = 4096


class CopyingPoller:
    """``Subscription.poll`` / ``Image.poll`` for a Python handler, with one C->Python
    crossing per poll instead of one per fragment.

    ``CopyingPoller(source).poll(handler, fragment_limit)`` delivers what ``source.poll``
    would, in the same order, to ``handler(data: bytes, header: Header)``, and returns the
    count: one C call (``aeron_cffi_poll_copies``) copies the fragments of the poll into
    buffers this object owns and reuses, each with a copy of its header, and a Python
    loop then calls the handler. The ``Header`` answers for the copy exactly as for the
    original (position, values, ...), and, as with ``poll``, only during the handler call.
    If the handler raises, the rest of the fragments are still delivered and the first
    exception is raised after. Differences: the stream position has already moved past
    the whole batch when the handler runs, and a poll takes at most ``capacity`` bytes
    and ``MAX_COPIES_PER_POLL`` fragments (the rest stay for the next poll).
    """

    __slots__ = ("source", "capacity", "_pointers", "_what", "_data", "_limit", "_offsets", "_copies",
                 "_headers", "_header", "_busy")

    def __init__(self, source: Subscription | Image, capacity: int = COPIES_CAPACITY) -> None:
        if capacity < COPIES_CAPACITY:
            raise InvalidArgumentError(f"CopyingPoller: capacity must be at least {COPIES_CAPACITY} bytes")
        image = isinstance(source, Image)
        self.source = source
        self.capacity = capacity
        self._pointers = (ffi.NULL, source._ptr) if image else (source._ptr, ffi.NULL)
        self._what = "Image.poll" if image else "Subscription.poll"
        self._data = ffi.new("uint8_t[]", capacity)
        self._header = Header()
        self._busy = False
        self._reserve(16)

    def _reserve(self, limit: int) -> None:
        self._offsets = ffi.new("int64_t[]", limit + 1)
        self._copies = ffi.new("aeron_cffi_fragment_copy_t[]", limit)
        self._headers = [lib.aeron_cffi_fragment_copy_header(self._copies, i) for i in range(limit)]
        self._limit = limit

    def poll(self, handler: Callable[[bytes, Header], object], fragment_limit: int = 10) -> int:
        if self._busy:  # the handler polls the same source again: it gets buffers of its own
            return CopyingPoller(self.source, self.capacity).poll(handler, fragment_limit)
        if not callable(handler):
            raise TypeError(f"{self._what}: handler must be callable")
        if not isinstance(fragment_limit, int) or fragment_limit < 0:
            raise InvalidArgumentError(f"{self._what}: fragment_limit must be an int >= 0, got {fragment_limit!r}")
        limit = min(fragment_limit, MAX_COPIES_PER_POLL)
        if limit > self._limit:
            self._reserve(limit)
        source = self.source
        count = check(source._in_flight(lib.aeron_cffi_poll_copies, *self._pointers, self._data, self.capacity,
                                        self._offsets, self._copies, limit), self._what)
        if count:
            self._deliver(handler, count)
        return count

    def _deliver(self, handler: Callable[[bytes, Header], object], count: int) -> None:
        offsets = ffi.unpack(self._offsets, count + 1)
        data = ffi.buffer(self._data, offsets[count])[:]  # one copy for the poll, sliced per fragment
        headers = self._headers
        header = self._header
        error: BaseException | None = None
        self._busy = True
        try:
            for i in range(count):
                header._ptr = headers[i]
                try:
                    handler(data[offsets[i]:offsets[i + 1]], header)
                except BaseException as exc:  # noqa: BLE001  (the rest are delivered, as by poll)
                    if error is None:
                        error = exc
        finally:
            header._ptr = None
            self._busy = False
        if error is not None:
            raise error
