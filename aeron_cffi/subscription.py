"""``Subscription`` (``aeron_subscription_t``): receives a stream from any number of images."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterator

from aeron_cffi import async_add as _async
from aeron_cffi._lifetime import CGetter, Constants, Resource, in_flight
from aeron_cffi._native import c_string, ffi, hot, lib
from aeron_cffi.callbacks import ConductorTarget, ErrorReporter, SyncTarget
from aeron_cffi.client import check_channel
from aeron_cffi.errors import InvalidArgumentError, ResourceClosedError, check
from aeron_cffi.fragment_assembler import Poller
from aeron_cffi.idle_strategy import BackoffIdleStrategy, IdleStrategy
from aeron_cffi.image import Image, block_poll
from aeron_cffi.message import Inbox, Message
from aeron_cffi.publication import destination_kind, local_addresses

if TYPE_CHECKING:
    from aeron_cffi.client import Aeron

__all__ = ["MessageBatch", "Subscription", "SubscriptionConstants", "default_idle_strategy", "image_callback_target"]


@dataclasses.dataclass(frozen=True)
class SubscriptionConstants:
    """(``aeron_subscription_constants_t``)"""

    channel: str
    registration_id: int
    stream_id: int
    channel_status_indicator_id: int


@dataclasses.dataclass(frozen=True)
class MessageBatch:
    """Whole messages copied out by ``Subscription.poll_batch``: message ``i`` is
    ``data[offsets[i]:offsets[i + 1]]`` (``message(i)``), from ``session_ids[i]``,
    ending at stream ``positions[i]``. A message above the MTU is one entry, reassembled."""

    count: int
    data: memoryview
    offsets: Any
    positions: Any
    session_ids: Any

    def __len__(self) -> int:
        return self.count

    def message(self, i: int) -> bytes:
        return bytes(self.data[self.offsets[i]:self.offsets[i + 1]])


def _image_event(function: Callable[[Image], object], subscription_ptr: Any, image_ptr: Any) -> None:
    with Image(image_ptr, subscription_ptr=subscription_ptr) as image:  # borrowed: valid during the callback only
        function(image)


def image_callback_target(function: Callable[[Image], object], reporter: ErrorReporter) -> ConductorTarget:
    """Target of ``on_available_image``/``on_unavailable_image`` (conductor thread)."""
    if not callable(function):
        raise TypeError("image handlers must be callable")
    return ConductorTarget(function, reporter, _image_event)


class Subscription(Poller, Resource):
    """A subscription (``aeron_subscription_t``), made by ``Aeron.add_subscription``.

    Polling is single-threaded: poll a subscription from one thread at a time.
    """

    ASYNC_KIND: _async.AsyncKind[Any]
    constants: Constants[SubscriptionConstants] = Constants()
    _destination_kind = destination_kind(lib.aeron_subscription_async_destination_poll)

    def __init__(self, client: Aeron, ptr: Any, handles: list[Any]) -> None:
        super().__init__(client)
        self.client = client
        self._ptr = ptr
        self._handles = handles
        self._init_poller()
        self._init_hot_poller(hot.SUBSCRIPTION)
        self._batch: Any = None  # aeron_cffi_message_batch_t *, made by the first poll_batch
        self._batch_buffers: tuple[Any, ...] | None = None
        self._required = ffi.new("size_t *")
        constants = ffi.new("aeron_subscription_constants_t *")
        check(lib.aeron_subscription_constants(ptr, constants), "aeron_subscription_constants")
        self._constants = SubscriptionConstants(c_string(constants.channel), constants.registration_id,
                                               constants.stream_id, constants.channel_status_indicator_id)

    @property
    def channel(self) -> str:
        return self.constants.channel

    @property
    def stream_id(self) -> int:
        return self.constants.stream_id

    @property
    def registration_id(self) -> int:
        return self.constants.registration_id

    # -- polling -----------------------------------------------------------------------

    _C_POLLS = (lib.aeron_subscription_poll, lib.aeron_subscription_controlled_poll)

    def poll(self, handler: Any, fragment_limit: int = 10, *, view: bool = False) -> int:
        """Deliver up to ``fragment_limit`` fragments to ``handler(data, header: Header)``
        or to a ``FragmentAssembler`` (``aeron_subscription_poll``). Returns the count.

        ``data`` is ``bytes``, a copy the handler may keep; with ``view=True`` it is a
        ``FragmentView`` of the fragment where it lies in the term buffer, valid during
        the handler call only (docs/client-api.md: which to choose, what each costs).
        If ``handler`` raises, the rest of the batch is still delivered and the first
        exception is re-raised when the C call returns.
        """
        return self._hot_poller.poll(handler, fragment_limit, view=view)

    def controlled_poll(self, handler: Any, fragment_limit: int = 10, *, view: bool = False) -> int:
        """As ``poll``; ``handler`` returns a ``ControlledPollAction`` (``None`` = CONTINUE)
        (``aeron_subscription_controlled_poll``). If it raises, the poll stops (ABORT) and
        that fragment is delivered again by the next poll."""
        return self._hot_poller.controlled_poll(handler, fragment_limit, view=view)

    def block_poll(self, handler: Callable[[bytes, int, int], object], block_length_limit: int) -> int:
        """Deliver blocks of frames to ``handler(block, session_id, term_id)`` (``aeron_subscription_block_poll``)."""
        self._check_open()
        return block_poll(lib.aeron_subscription_block_poll, self, handler, block_length_limit,
                          "Subscription.block_poll")

    def poll_batch(self, max_messages: int = 256, capacity: int = 1 << 20) -> MessageBatch:
        """Copy up to ``max_messages`` whole messages (``capacity`` bytes) out in one C call,
        with no Python callback per message (the ``aeron_cffi_subscription_poll_messages``
        helper: ``aeron_subscription_controlled_poll`` through Aeron's controlled fragment
        assembler, which keeps partial messages between calls). Fragmented messages are
        returned reassembled, never as fragments; a message longer than ``capacity`` grows
        the buffer. The batch's buffers are reused by the next call. The partial message
        the assembler holds is this method's: use either ``poll_batch`` or ``poll`` on a
        subscription that receives fragmented messages, not both."""
        self._check_open()
        if max_messages <= 0 or capacity <= 0:
            raise InvalidArgumentError("poll_batch: max_messages and capacity must be positive")
        if self._batch is None:
            out = ffi.new("aeron_cffi_message_batch_t **")
            check(lib.aeron_cffi_message_batch_create(out), "aeron_cffi_message_batch_create")
            self._batch = ffi.gc(out[0], lib.aeron_cffi_message_batch_delete)  # no C resource refers to it
        while True:
            buffers = self._batch_buffers
            if buffers is None or buffers[0] < max_messages or len(buffers[1]) < capacity:
                buffers = (max_messages, ffi.new("uint8_t[]", capacity), ffi.new("int64_t[]", max_messages + 1),
                           ffi.new("int64_t[]", max_messages), ffi.new("int32_t[]", max_messages))
                self._batch_buffers = buffers
            _, data, offsets, positions, session_ids = buffers
            count = check(self._in_flight(
                lib.aeron_cffi_subscription_poll_messages, self._ptr, self._batch, data, len(data), offsets,
                positions, session_ids, max_messages, self._required), "Subscription.poll_batch")
            if count or self._required[0] <= len(data):
                return MessageBatch(count, memoryview(ffi.buffer(data)), offsets, positions, session_ids)
            capacity = self._required[0]

    # -- whole messages, one at a time (aeron_cffi.message) ---------------------------------

    def receive(self, timeout: float | None = None, fragment_limit: int = 10,
                idle_strategy: IdleStrategy | None = None) -> Message | None:
        """The next whole message, waiting up to ``timeout`` seconds (``None``: no limit);
        ``None`` if none arrived in time (a timeout is an ordinary outcome of a receive, so
        it is a value a type checker makes the caller handle, not an exception).

        Waits by polling up to ``fragment_limit`` fragments at a time and idling with
        ``idle_strategy`` between empty polls (default: ``default_idle_strategy()``, which
        spins, then yields, then sleeps up to 1 ms, so an idle wait costs little CPU and
        adds at most about a millisecond of latency). Raises ``ResourceClosedError`` if the
        subscription is closed, before or during the wait. See ``aeron_cffi.message`` for
        mixing this with ``poll``."""
        self._check_open()
        deadline = None if timeout is None else time.monotonic() + timeout
        idle = idle_strategy or default_idle_strategy()
        inbox = self._message_inbox()
        while (message := inbox.take()) is None:
            if inbox.poll(self, fragment_limit):
                idle.reset()  # (fragments of a message still arriving: no backing off)
            elif deadline is not None and time.monotonic() >= deadline:
                return None
            else:
                idle.idle(0)
        return message

    def messages(self, timeout: float | None = None, fragment_limit: int = 10,
                 idle_strategy: IdleStrategy | None = None) -> Iterator[Message]:
        """Iterate over whole messages as they arrive, each waited for as ``receive`` does.

        The iteration ends when no message arrived for ``timeout`` seconds (``None``: it
        never times out), or when the subscription (or its client) is closed, by another
        thread or by the loop's body; messages already polled are handed out first.
        Raises ``ResourceClosedError`` at once if the subscription is already closed."""
        self._check_open()
        return self._messages(timeout, fragment_limit, idle_strategy)

    def _messages(self, timeout: float | None, fragment_limit: int,
                  idle_strategy: IdleStrategy | None) -> Iterator[Message]:
        while True:
            try:
                message = self.receive(timeout, fragment_limit, idle_strategy)
            except ResourceClosedError:
                if self._inbox is not None:
                    yield from self._inbox.drain()
                return
            if message is None:
                return
            yield message

    def __aiter__(self) -> AsyncIterator[Message]:
        """``async for message in subscription``: whole messages, polled on the event loop
        as ``aeron_cffi.aio.AsyncSubscription`` does (defaults: 10 fragments a poll, no
        timeout); ends when the subscription closes."""
        from aeron_cffi.aio.subscription import AsyncSubscription  # (aio builds on this module)

        return AsyncSubscription(self).messages()

    _inbox: Inbox | None = None

    def _message_inbox(self) -> Inbox:
        if self._inbox is None:
            self._inbox = Inbox(self)
        return self._inbox

    # -- images ------------------------------------------------------------------------

    is_connected = CGetter(lib.aeron_subscription_is_connected, bool)

    @property
    def image_count(self) -> int:
        """(``aeron_subscription_image_count``)"""
        return check(self._in_flight(lib.aeron_subscription_image_count, self._ptr), "aeron_subscription_image_count")

    def _retained(self, ptr: Any) -> Image | None:
        return None if ptr == ffi.NULL else Image(ptr, self)

    @in_flight
    def image_by_session_id(self, session_id: int) -> Image | None:
        """The image of ``session_id``, retained until closed (``aeron_subscription_image_by_session_id``)."""
        return self._retained(lib.aeron_subscription_image_by_session_id(self._ptr, session_id))

    @in_flight
    def image_at_index(self, index: int) -> Image | None:
        """The image at ``index``, retained until closed (``aeron_subscription_image_at_index``)."""
        if not isinstance(index, int) or index < 0:
            raise InvalidArgumentError(f"image_at_index: negative index {index}")
        return self._retained(lib.aeron_subscription_image_at_index(self._ptr, index))

    def images(self) -> list[Image]:
        """Every current image, each retained until closed."""
        images = [self.image_at_index(i) for i in range(self.image_count)]
        return [image for image in images if image is not None]

    def for_each_image(self, function: Callable[[Image], object]) -> None:
        """Call ``function(image)`` per image, each borrowed for the call (``aeron_subscription_for_each_image``).

        The call is in flight on the subscription: ``function`` may close it or its client,
        and the C close runs once the iteration is over."""
        self._check_open()
        target = SyncTarget(lambda image_ptr: _image_event(function, self._ptr, image_ptr))
        handle = ffi.new_handle(target)
        self._in_flight(lib.aeron_subscription_for_each_image, self._ptr, lib.aeron_cffi_on_for_each_image, handle)
        target.raise_pending()

    # -- channel -----------------------------------------------------------------------

    channel_status: CGetter[int] = CGetter(lib.aeron_subscription_channel_status)

    @property
    def is_closed(self) -> bool:
        """(``aeron_subscription_is_closed``)"""
        return self._is_closed_in_c(lib.aeron_subscription_is_closed)

    @in_flight
    def local_addresses(self) -> list[str]:
        """(``aeron_subscription_local_sockaddrs``)"""
        return local_addresses(lib.aeron_subscription_local_sockaddrs, self._ptr, "aeron_subscription_local_sockaddrs")

    @in_flight
    def resolved_endpoint(self) -> str | None:
        """The endpoint a wildcard port resolved to, or None (``aeron_subscription_resolved_endpoint``)."""
        buffer = ffi.new("char[]", lib.AERON_CLIENT_MAX_LOCAL_ADDRESS_STR_LEN)
        count = check(lib.aeron_subscription_resolved_endpoint(self._ptr, buffer, len(buffer)),
                      "aeron_subscription_resolved_endpoint")
        return c_string(buffer) if count > 0 else None

    @in_flight
    def try_resolve_channel_endpoint_port(self) -> str | None:
        """The channel with its wildcard port resolved, or None
        (``aeron_subscription_try_resolve_channel_endpoint_port``)."""
        buffer = ffi.new("char[]", 4096)
        count = check(lib.aeron_subscription_try_resolve_channel_endpoint_port(self._ptr, buffer, len(buffer)),
                      "aeron_subscription_try_resolve_channel_endpoint_port")
        return c_string(buffer) if count > 0 else None

    @in_flight
    def _destination(self, function: Any, uri: str, method: str) -> _async.AsyncAdd[bool]:
        what = f"Subscription.{method}({uri!r})"
        c_uri = check_channel(uri, what)
        out = ffi.new("aeron_async_destination_t **")
        check(function(out, self.client._ptr, self._ptr, c_uri), what)
        return _async.AsyncAdd(self.client, out[0], self._destination_kind, what, [])

    def async_add_destination(self, uri: str) -> _async.AsyncAdd[bool]:
        """Start adding an MDS destination (``aeron_subscription_async_add_destination``)."""
        return self._destination(lib.aeron_subscription_async_add_destination, uri, "add_destination")

    def add_destination(self, uri: str, timeout: float | None = None) -> None:
        """Add an MDS destination and wait for the driver."""
        self.async_add_destination(uri).wait(timeout)

    def async_remove_destination(self, uri: str) -> _async.AsyncAdd[bool]:
        """Start removing an MDS destination (``aeron_subscription_async_remove_destination``)."""
        return self._destination(lib.aeron_subscription_async_remove_destination, uri, "remove_destination")

    def remove_destination(self, uri: str, timeout: float | None = None) -> None:
        """Remove an MDS destination and wait for the driver."""
        self.async_remove_destination(uri).wait(timeout)

    def _repr_fields(self) -> dict[str, object]:
        constants = self.constants
        return {"channel": constants.channel, "stream_id": constants.stream_id,
                "registration_id": constants.registration_id, "images": self.image_count}

    def _close_native(self) -> None:
        # The image handlers stay alive until the conductor reports the close complete.
        token = self.client._retire(self._handles)
        self._handles = []
        check(lib.aeron_subscription_close(self._ptr, lib.aeron_cffi_on_notification, token),
              "aeron_subscription_close")


def default_idle_strategy() -> IdleStrategy:
    """What ``receive``/``messages`` idle with between empty polls: Aeron's backoff
    (10 spins, 20 ``sched_yield``, then sleeps doubling from 50 us to 1 ms)."""
    return BackoffIdleStrategy(max_spins=10, max_yields=20, min_park_period_ns=50_000,
                               max_park_period_ns=1_000_000)


def _make(operation: Any, ptr: Any, handles: list[Any]) -> Subscription:
    return Subscription(operation.client, ptr, handles)


def _cancel(operation: Any) -> None:
    # aeron_async_add_subscription_cancel is remove-with-no-notification; remove with
    # one, so the image handlers are released once C can no longer call them.
    token = operation.client._retire(operation._handles)
    operation._handles = []
    lib.aeron_async_remove_subscription(
        lib.aeron_async_add_subscription_get_registration_id(operation._ptr), operation.client._ptr,
        lib.aeron_cffi_on_notification, token)


Subscription.ASYNC_KIND = _async.AsyncKind(
    out_type="aeron_subscription_t **",
    poll=lib.aeron_async_add_subscription_poll,
    make=_make,
    registration_id=lib.aeron_async_add_subscription_get_registration_id,
    cancel=_cancel,
)
