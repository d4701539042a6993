"""``Aeron``: a client connected to a media driver (``aeron_t``)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable, cast

from aeron_cffi import async_add as _async
from aeron_cffi import _waiting
from aeron_cffi._lifetime import Resource, in_flight
from aeron_cffi._native import ffi, lib
from aeron_cffi.channel_uri import ChannelUri
from aeron_cffi.callbacks import ConductorTarget, log_sink
from aeron_cffi.context import Context
from aeron_cffi.errors import (
    AeronError,
    AeronTimeoutError,
    DriverTimeoutError,
    InvalidArgumentError,
    InvalidStateError,
    ResourceClosedError,
    check,
    no_driver_error,
)

if TYPE_CHECKING:
    from aeron_cffi.counters import Counter, CountersReader
    from aeron_cffi.exclusive_publication import ExclusivePublication
    from aeron_cffi.publication import Publication
    from aeron_cffi.subscription import Subscription

__all__ = ["Aeron", "AsyncAdd", "HandlerRegistration", "NEXT_SESSION_ID_KIND", "check_channel", "check_stream_id"]


AsyncAdd = _async.AsyncAdd
# How long a call that finds the client closed by its conductor waits for the error it was
# closed with (Aeron._conductor_error): the conductor thread's wait for the GIL, generously.
_CONDUCTOR_ERROR_WAIT_S = 1.0


def check_channel(channel: object, what: str) -> bytes:
    """``channel`` as C bytes, or a clear Python error naming it (before any C call)."""
    if not isinstance(channel, str):
        raise TypeError(f"{what}: channel must be str, got {type(channel).__name__}")
    try:
        ChannelUri.parse(channel).close()
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(f"{what}: {exc.errmsg}", exc.errcode) from None
    return channel.encode()


def check_stream_id(stream_id: object, what: str) -> int:
    if not isinstance(stream_id, int) or isinstance(stream_id, bool):
        raise TypeError(f"{what}: stream_id must be int, got {type(stream_id).__name__}")
    if not -(2**31) <= stream_id < 2**31:
        raise InvalidArgumentError(f"{what}: stream_id {stream_id} is not a 32-bit integer")
    return stream_id


class _Retirement:
    """Callback handles of a closed C resource, kept until C says the close completed."""

    __slots__ = ("registry", "handles")

    def __init__(self, registry: dict[int, _Retirement], handles: list[Any]) -> None:
        self.registry = registry
        self.handles = handles
        registry[id(self)] = self

    def __call__(self) -> None:  # aeron_notification_t: the close completed
        self.registry.pop(id(self), None)


class HandlerRegistration(Resource):
    """A client-level handler added with ``Aeron.add_*_handler``; ``close()`` removes it.
    The client keeps it until then (or until the client closes), referenced or not."""

    def __init__(self, client: Aeron, pair_type: str, add: Any, remove: Any, trampoline: Any,
                 target: ConductorTarget) -> None:
        super().__init__(client)
        self._client = client
        self._remove = remove
        handle = ffi.new_handle(target)
        self._handles.append(handle)
        self._pair = ffi.new(pair_type, {"handler": trampoline, "clientd": handle})
        check(client._in_flight(add, client._ptr, self._pair), add.__name__)
        client._registrations.add(self)

    def _close_native(self) -> None:
        self._client._registrations.discard(self)
        if self._client._closing:
            # aeron_close calls the close handlers still registered, then frees the handler
            # lists: stay registered, the handle kept until aeron_close returns.
            _Retirement(self._client._retired, self._handles)
            self._handles = []
            return
        # Synchronous: once it returns the conductor no longer calls the handler.
        check(self._client._in_flight(self._remove, self._client._ptr, self._pair), self._remove.__name__)


class Aeron(Resource):
    """A client of a media driver (``aeron_init`` + ``aeron_start``); closes with ``aeron_close``.

    ``Aeron(context)`` or ``Aeron(**settings)`` (the keywords of ``Context``). Closing
    the client closes every publication, subscription, counter and pending operation
    it made, then its context. Use it as a context manager.

    Attributes:
        ptr: the raw ``aeron_t *`` (for code that calls ``lib`` directly, e.g. the
            archive client). Valid while the client is open; raises when closed.
        context: the ``Context`` this client owns.

    Thread safety: adding/removing resources and ``offer`` on distinct publications
    are safe from several threads (Aeron's C client serialises commands through its
    conductor); polling one subscription, ``do_work`` and ``close`` are single-thread.
    """

    _close_at_exit = True

    def __init__(self, context: Context | None = None, *, start: bool = True, **settings: Any) -> None:
        if context is None:
            context = Context(**settings)
        elif settings:
            raise TypeError("Aeron takes a Context or settings as keywords, not both")
        context._claim()
        super().__init__()
        self.context = context
        self._retired: dict[int, _Retirement] = {}
        self._registrations: set[HandlerRegistration] = set()
        self._invoker = context.use_conductor_agent_invoker
        context.reporter.invoker = self._invoker
        self._counters_reader: Any = None
        self._started = False
        out = ffi.new("aeron_t **")
        try:
            try:
                check(lib.aeron_init(out, context._ptr), "aeron_init")
            except DriverTimeoutError as error:
                raise no_driver_error(context.dir, context.get("driver_timeout_ms"), error.errmsg) from None
        except AeronError:
            self._closed = True
            context._in_use = False
            context.close()
            raise
        self._ptr = out[0]
        if start:
            try:
                self.start()
            except AeronError:
                self.close()
                raise

    # -- lifecycle -------------------------------------------------------------------

    @property
    def ptr(self) -> Any:
        """The raw ``aeron_t *``; raises ``ResourceClosedError`` once closed."""
        self._check_open()
        return self._ptr

    @in_flight
    def start(self) -> None:
        """Start the conductor (``aeron_start``): a thread, or nothing in invoker mode."""
        if not self._started:
            check(lib.aeron_start(self._ptr), "aeron_start")
            self._started = True

    def do_work(self) -> int:
        """One duty cycle of the conductor in agent invoker mode (``aeron_main_do_work``).

        A ``KeyboardInterrupt`` or ``SystemExit`` raised by a callback it ran is raised
        here, once the duty cycle is over."""
        self._check_open()
        work = check(self._in_flight(lib.aeron_main_do_work, self._ptr), "aeron_main_do_work")
        self.context.reporter.raise_pending()
        return work

    def idle(self, work_count: int) -> None:
        """Idle with the client's idle strategy after a duty cycle (``aeron_main_idle_strategy``)."""
        self._check_open()
        self._in_flight(lib.aeron_main_idle_strategy, self._ptr, work_count)

    def _await_conductor(self) -> None:
        """Let the conductor make progress while a blocking helper waits."""
        if self._invoker:
            self.do_work()
        else:
            self._check_open()
        time.sleep(0.0005)

    @property
    def is_closed(self) -> bool:
        """True once closed here, or when the C client closed itself (``aeron_is_closed``)."""
        return self._is_closed_in_c(lib.aeron_is_closed)

    def _check_open(self) -> None:
        """Raise ``ResourceClosedError`` once closed here; once the C client closed itself
        (driver, client or conductor service timeout), raise that error again (the
        conductor no longer runs: a command would never be answered)."""
        super()._check_open()
        if self._in_flight(lib.aeron_is_closed, self._ptr):
            fatal = self._conductor_error()
            if fatal is None:
                raise ResourceClosedError("Aeron client was closed by its conductor")
            raise type(fatal)(f"Aeron client was closed by its conductor: {fatal.errmsg}", fatal.errcode)

    def _conductor_error(self) -> AeronError | None:
        """The error the conductor closed the client with. Its thread marks the client closed
        before it calls the error handler (``aeron_client_conductor.c``: ``force_close_resources``,
        then ``error_handler``), and the handler waits for the GIL: a call that sees the
        client closed may come first, so it waits a moment for the error. (In invoker mode the
        conductor runs in this thread: the error is there first.)"""
        reporter = self.context.reporter
        if self._invoker:
            return reporter.fatal
        try:
            return _waiting.until(lambda: reporter.fatal, "the conductor's error", _CONDUCTOR_ERROR_WAIT_S, pause=0.001)
        except AeronTimeoutError:
            return None

    def close(self) -> None:
        """Close every publication, subscription, counter and pending operation of this
        client, then the client (``aeron_close``) and its context. Idempotent.

        Raises ``InvalidStateError`` from one of this client's own conductor callbacks on
        its conductor thread (``aeron_close`` would wait for that thread to end): close it
        from another thread, e.g. after the callback set a flag."""
        if self.context.reporter.callback_thread == threading.get_ident() and not self._invoker \
                and not self._closed:
            raise InvalidStateError(
                "Aeron.close() from the client's own conductor callback: the conductor thread cannot "
                "wait for itself to end; close the client from another thread")
        super().close()

    def _close_native(self) -> None:
        check(lib.aeron_close(self._ptr), "aeron_close")
        # (a failed aeron_close leaves the C client alive: its context must stay too)
        self._retired.clear()  # the conductor is gone: no callback can come any more
        self.context._in_use = False
        self.context.close()
        self.context.reporter.raise_pending()  # (invoker mode: a close handler's Ctrl-C)

    def _retire(self, handles: list[Any]) -> Any:
        """Keep ``handles`` until C notifies that a close completed; returns that notification's clientd."""
        retirement = _Retirement(self._retired, handles)
        handle = ffi.new_handle(retirement)
        handles.append(handle)
        return handle

    # -- identity ----------------------------------------------------------------------

    @property
    @in_flight
    def client_id(self) -> int:
        """The client id the driver knows this client by (``aeron_client_id``)."""
        return int(lib.aeron_client_id(self._ptr))

    def _repr_fields(self) -> dict[str, object]:
        return {"client_id": self.client_id, "dir": self.context.dir}

    @in_flight
    def next_correlation_id(self) -> int:
        """A new id unique to the driver (``aeron_next_correlation_id``)."""
        return int(lib.aeron_next_correlation_id(self._ptr))

    @in_flight
    def counters_reader(self) -> CountersReader:
        """The driver's counters (``aeron_counters_reader``), a child of this client: the same
        object on every call until it is closed (closing it closes it for every holder)."""
        from aeron_cffi.counters import CountersReader

        if self._counters_reader is None or self._counters_reader.is_closed:
            self._counters_reader = CountersReader(lib.aeron_counters_reader(self._ptr), parent=self)
        return cast("CountersReader", self._counters_reader)

    @in_flight
    def print_counters(self, out: Callable[[str], object] = print) -> None:
        """Write every counter, one line per call of ``out`` (``aeron_print_counters``)."""
        with log_sink(out) as log_func:
            lib.aeron_print_counters(self._ptr, log_func)

    # -- publications ------------------------------------------------------------------

    def async_add_publication(self, channel: str, stream_id: int) -> AsyncAdd[Publication]:
        """Start adding a publication (``aeron_async_add_publication``); poll the result."""
        from aeron_cffi.publication import Publication

        return self._async_add(Publication.ASYNC_KIND, "aeron_async_add_publication", channel, stream_id)

    def add_publication(self, channel: str, stream_id: int, timeout: float | None = None) -> Publication:
        """Add a (concurrent) publication and wait for the driver: ``Publication``."""
        return self.async_add_publication(channel, stream_id).wait(timeout)

    def async_add_exclusive_publication(self, channel: str, stream_id: int) -> AsyncAdd[ExclusivePublication]:
        """Start adding an exclusive publication (``aeron_async_add_exclusive_publication``)."""
        from aeron_cffi.exclusive_publication import ExclusivePublication

        return self._async_add(
            ExclusivePublication.ASYNC_KIND, "aeron_async_add_exclusive_publication", channel, stream_id)

    def add_exclusive_publication(self, channel: str, stream_id: int,
                                  timeout: float | None = None) -> ExclusivePublication:
        """Add an exclusive publication and wait for the driver: ``ExclusivePublication``."""
        return self.async_add_exclusive_publication(channel, stream_id).wait(timeout)

    @in_flight
    def _async_add(self, kind: Any, function: str, channel: str, stream_id: int, *extra: Any,
                   handles: list[Any] | None = None) -> AsyncAdd[Any]:
        what = f"{function.removeprefix('aeron_async_')}({channel!r}, {stream_id})"
        c_channel = check_channel(channel, what)
        check_stream_id(stream_id, what)
        out = ffi.new(f"{function}_t **")
        check(getattr(lib, function)(out, self._ptr, c_channel, stream_id, *extra), what)
        return AsyncAdd(self, out[0], kind, what, handles or [])

    # -- subscriptions -----------------------------------------------------------------

    def async_add_subscription(
        self,
        channel: str,
        stream_id: int,
        on_available_image: Callable[..., object] | None = None,
        on_unavailable_image: Callable[..., object] | None = None,
    ) -> AsyncAdd[Subscription]:
        """Start adding a subscription (``aeron_async_add_subscription``).

        ``on_available_image(image)`` / ``on_unavailable_image(image)`` run on the
        conductor thread; ``image`` is an ``Image`` valid during the call only.
        """
        from aeron_cffi.subscription import Subscription, image_callback_target

        self._check_open()
        handles: list[Any] = []
        extra: list[Any] = []
        for function, trampoline in ((on_available_image, lib.aeron_cffi_on_on_available_image),
                                     (on_unavailable_image, lib.aeron_cffi_on_on_unavailable_image)):
            if function is None:
                extra += [ffi.NULL, ffi.NULL]
            else:
                handle = ffi.new_handle(image_callback_target(function, self.context.reporter))
                handles.append(handle)
                extra += [trampoline, handle]
        return self._async_add(Subscription.ASYNC_KIND, "aeron_async_add_subscription", channel, stream_id,
                               *extra, handles=handles)

    def add_subscription(
        self,
        channel: str,
        stream_id: int,
        on_available_image: Callable[..., object] | None = None,
        on_unavailable_image: Callable[..., object] | None = None,
        timeout: float | None = None,
    ) -> Subscription:
        """Add a subscription and wait for the driver: ``Subscription``."""
        return self.async_add_subscription(channel, stream_id, on_available_image, on_unavailable_image).wait(timeout)

    # -- counters ----------------------------------------------------------------------

    @in_flight
    def async_add_counter(self, type_id: int, key: bytes = b"", label: str = "",
                          registration_id: int | None = None) -> AsyncAdd[Counter]:
        """Start allocating a counter (``aeron_async_add_counter``), or a static one when
        ``registration_id`` is given (``aeron_async_add_static_counter``)."""
        from aeron_cffi.counters import COUNTER_KIND, MAX_KEY_LENGTH, MAX_LABEL_LENGTH

        self._check_open()
        key_bytes = bytes(key)
        label_bytes = label.encode() if isinstance(label, str) else bytes(label)
        if len(key_bytes) > MAX_KEY_LENGTH:
            raise InvalidArgumentError(f"counter key is {len(key_bytes)} bytes, the maximum is {MAX_KEY_LENGTH}")
        if len(label_bytes) > MAX_LABEL_LENGTH:
            raise InvalidArgumentError(f"counter label is {len(label_bytes)} bytes, the maximum is {MAX_LABEL_LENGTH}")
        out = ffi.new("aeron_async_add_counter_t **")
        args = [out, self._ptr, type_id, key_bytes, len(key_bytes), label_bytes, len(label_bytes)]
        if registration_id is None:
            what = f"add_counter(type_id={type_id}, label={label!r})"
            check(lib.aeron_async_add_counter(*args), what)
        else:
            what = f"add_static_counter(type_id={type_id}, label={label!r}, registration_id={registration_id})"
            check(lib.aeron_async_add_static_counter(*args, registration_id), what)
        return AsyncAdd(self, out[0], COUNTER_KIND, what, [])

    def add_counter(self, type_id: int, key: bytes = b"", label: str = "", timeout: float | None = None) -> Counter:
        """Allocate a counter owned by this client and wait: ``Counter``."""
        return self.async_add_counter(type_id, key, label).wait(timeout)

    def add_static_counter(self, type_id: int, key: bytes, label: str, registration_id: int,
                           timeout: float | None = None) -> Counter:
        """Allocate (or find) a static counter that outlives clients: ``Counter``."""
        return self.async_add_counter(type_id, key, label, registration_id).wait(timeout)

    @in_flight
    def async_next_session_id(self, stream_id: int) -> AsyncAdd[int]:
        """Ask the driver for an unused session id (``aeron_async_next_session_id``)."""
        what = f"next_session_id({stream_id})"
        check_stream_id(stream_id, what)
        out = ffi.new("aeron_async_get_next_available_session_id_t **")
        check(lib.aeron_async_next_session_id(out, self._ptr, stream_id), what)
        return AsyncAdd(self, out[0], NEXT_SESSION_ID_KIND, what, [])

    def next_session_id(self, stream_id: int, timeout: float | None = None) -> int:
        """An unused session id for ``stream_id`` (``aeron_async_next_session_id`` + poll)."""
        return self.async_next_session_id(stream_id).wait(timeout)

    # -- client-level handlers -----------------------------------------------------------

    def _add_handler(self, pair: str, kind: str, trampoline: Any, function: Callable[..., object],
                     wrap: Any) -> HandlerRegistration:
        target = ConductorTarget(function, self.context.reporter, wrap)
        return HandlerRegistration(
            self, f"aeron_on_{pair}_pair_t *", getattr(lib, f"aeron_add_{kind}_handler"),
            getattr(lib, f"aeron_remove_{kind}_handler"), trampoline, target)

    def add_available_counter_handler(self, function: Callable[..., object]) -> HandlerRegistration:
        """Call ``function(reader, registration_id, counter_id)`` when a counter appears
        (``aeron_add_available_counter_handler``); ``.close()`` removes it."""
        from aeron_cffi.context import _counter_event

        return self._add_handler("available_counter", "available_counter", lib.aeron_cffi_on_on_available_counter, function,
                                 _counter_event)

    def add_unavailable_counter_handler(self, function: Callable[..., object]) -> HandlerRegistration:
        """Call ``function(reader, registration_id, counter_id)`` when a counter goes
        (``aeron_add_unavailable_counter_handler``); ``.close()`` removes it."""
        from aeron_cffi.context import _counter_event

        return self._add_handler("unavailable_counter", "unavailable_counter", lib.aeron_cffi_on_on_unavailable_counter, function,
                                 _counter_event)

    def add_close_handler(self, function: Callable[[], object]) -> HandlerRegistration:
        """Call ``function()`` when the client closes (``aeron_add_close_handler``)."""
        return self._add_handler("close_client", "close", lib.aeron_cffi_on_on_close_client, function, None)


def _next_session_id(operation: AsyncAdd[int], value: Any, handles: list[Any]) -> int:
    return int(value)


NEXT_SESSION_ID_KIND = _async.AsyncKind(
    out_type="int32_t *", poll=lib.aeron_async_next_session_id_poll, make=_next_session_id)
