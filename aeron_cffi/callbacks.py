"""Every ``extern "Python"`` trampoline of the binding, and the protocol they follow.

Protocol (DESIGN.md sections 3 and 6)
-------------------------------------
* C calls one of the ``aeron_cffi_on_*`` functions below with a ``clientd``/``state``
  pointer made by ``ffi.new_handle(target)``. The *target* is a Python object owned
  by the wrapper that registered the callback; the wrapper keeps the handle alive
  exactly as long as C may call it (see ``aeron_cffi._lifetime``).
* Exceptions never cross into C. Two kinds of callback:

  - **synchronous** callbacks run inside a C call made by the wrapper (poll
    handlers, ``foreach`` readers). Their target is a
    ``SyncTarget``: the trampoline stores the first exception in ``target.error``,
    tells C to stop where the API allows it (a controlled handler returns
    ``ABORT``, so the failing fragment is delivered again by the next poll; a
    controlled handler returning ``None`` means ``CONTINUE``;
    otherwise C finishes the batch and the remaining fragments are still
    delivered), and the wrapper calls ``target.raise_pending()`` once the C call
    returned.
  - **conductor** callbacks run on the client conductor thread (or, in conductor
    agent invoker mode, inside ``Aeron.do_work``/``close``). Their target is a
    ``ConductorTarget``: an exception goes to the client's error handler
    (``Context(error_handler=...)``), and if there is none, or it raises too, to
    the ``aeron_cffi`` logger.
* Objects passed to a callback that wrap C memory valid only for the call (``Header``,
  ``Image`` of an image callback, ``CountersReader`` of a counter callback) are
  closed when the callback returns: using them later raises ``ResourceClosedError``.

Threads, per trampoline
-----------------------
=========================================================================  ===================================================================
``aeron_cffi_on_error_handler``                                            client conductor thread
``aeron_cffi_on_publication_error_frame_handler``                          client conductor thread
``aeron_cffi_on_on_new_publication``                                       client conductor thread
``aeron_cffi_on_on_new_subscription``                                      client conductor thread
``aeron_cffi_on_on_available_counter``                                     client conductor thread
``aeron_cffi_on_on_unavailable_counter``                                   client conductor thread
``aeron_cffi_on_on_close_client``                                          thread calling ``Aeron.close``
``aeron_cffi_on_notification``                                             client conductor thread (close complete)
``aeron_cffi_on_on_available_image``                                       client conductor thread
``aeron_cffi_on_on_unavailable_image``                                     client conductor thread
``aeron_cffi_on_agent_on_start_func``                                      the starting agent's thread (client conductor)
``aeron_cffi_on_fragment_handler``                                         thread calling ``poll``
``aeron_cffi_on_controlled_fragment_handler``                              thread calling ``controlled_poll``/``controlled_peek``
``aeron_cffi_on_block_handler``                                            thread calling ``block_poll``
``aeron_cffi_on_for_each_image``                                           thread calling ``Subscription.for_each_image``
``aeron_cffi_on_counters_reader_foreach_counter_func``                     thread iterating a ``CountersReader``
``aeron_cffi_on_error_log_reader_func``                                    thread calling ``CncFile.error_log_read``
``aeron_cffi_on_loss_reporter_read_entry_func``                            thread calling ``CncFile.loss_reporter_read``
``aeron_cffi_on_log_func``                                                 thread calling ``Aeron.print_counters``/``is_driver_active``
``aeron_cffi_on_driver_termination_validator_func``                        embedded driver's conductor thread
``aeron_cffi_on_driver_termination_hook_func``                             embedded driver's conductor thread
``aeron_cffi_on_archive_recording_descriptor_consumer_func``               thread calling a ``list_recording*`` method
``aeron_cffi_on_archive_recording_subscription_descriptor_consumer_func``  thread calling ``list_recording_subscriptions``
``aeron_cffi_on_archive_recording_signal_consumer_func``                   thread calling an archive request or ``poll_for_recording_signals``
``aeron_cffi_on_archive_delegating_invoker_func``                          thread waiting in an archive request
``aeron_cffi_on_idle_strategy_func``                                       thread waiting in an archive request
``aeron_cffi_on_archive_credentials_encoded_credentials_supplier_func``    thread calling ``AeronArchive.connect``/``AsyncConnect.poll``
``aeron_cffi_on_archive_credentials_challenge_supplier_func``              thread calling ``AeronArchive.connect``/``AsyncConnect.poll``
``aeron_cffi_on_archive_credentials_free_func``                            thread calling ``AeronArchive.connect``/``AsyncConnect.poll``
``aeron_cffi_on_archive_persistent_subscription_live_joined``              thread calling ``PersistentSubscription.poll``
``aeron_cffi_on_archive_persistent_subscription_live_left``                thread calling ``PersistentSubscription.poll``
``aeron_cffi_on_archive_persistent_subscription_error``                    thread calling ``PersistentSubscription.poll``
=========================================================================  ===================================================================
"""

from __future__ import annotations

import _thread
import contextlib
import logging
import threading
from typing import Any, Callable, Iterator

from aeron_cffi._native import c_string, c_text, ffi, lib
from aeron_cffi.errors import CLIENT_CLOSING_ERRORS, AeronError, handler_error

__all__ = ["ABORT", "CONTINUE", "ConductorTarget", "ErrorReporter", "FragmentTarget", "SyncTarget", "log_func_lock", "log_func_target", "log_sink", "raise_kept"]

log = logging.getLogger("aeron_cffi")

ABORT = lib.AERON_ACTION_ABORT
CONTINUE = lib.AERON_ACTION_CONTINUE
# What a controlled handler may return to C. A value C cannot take would otherwise fail in
# cffi's conversion of the return value, after the trampoline: printed, never raised.
_ACTIONS = frozenset({ABORT, lib.AERON_ACTION_BREAK, lib.AERON_ACTION_COMMIT, CONTINUE})


def _raised_before_try(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
    """cffi's ``onerror`` for every trampoline: an exception escaped it, which only one
    raised before its own ``try`` can do, that is a KeyboardInterrupt raised as the
    callback starts (Ctrl-C arrived while C ran). cffi would print and drop it, and the
    Ctrl-C would be lost: hand it to a synchronous target like a handler's own
    exception (raised when the C call returns), or else raise it in the main thread
    again. C gets the trampoline's error value (``ABORT`` for a controlled handler)."""
    clientd = tb.tb_frame.f_locals.get("clientd") if tb is not None else None
    target = ffi.from_handle(clientd) if clientd is not None and clientd != ffi.NULL else None
    if isinstance(target, SyncTarget):
        target.fail(exc)
    elif isinstance(exc, KeyboardInterrupt):
        _thread.interrupt_main()
    else:
        log.error("exception outside an aeron_cffi callback's handling", exc_info=exc)


def raise_kept(holder: Any, attribute: str) -> None:
    """Raise the exception kept in ``holder.<attribute>`` (if any) and clear it."""
    error = getattr(holder, attribute)
    if error is not None:
        setattr(holder, attribute, None)
        try:
            raise error
        finally:
            # The traceback holds this frame: naming the exception here would make a
            # reference cycle, and on Python 3.11 collecting a cycle whose frames hold a
            # memoryview exported to cffi (offer's buffer) crashes (CPython gh-77894).
            del error


class SyncTarget:
    """Target of a synchronous callback: the user's function and the first exception it raised."""

    __slots__ = ("function", "error")

    def __init__(self, function: Callable[..., Any] | None = None) -> None:
        # Any: set for the C call that may call it (None between calls), called by trampolines
        self.function: Any = function
        self.error: BaseException | None = None

    def fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc

    def raise_pending(self) -> None:
        """Re-raise the exception a callback stored during the C call that just returned."""
        raise_kept(self, "error")


class FragmentTarget(SyncTarget):
    """A fragment/block handler target; ``header`` is the ``Header`` reused for each fragment."""

    __slots__ = ("header",)

    def __init__(self, function: Callable[..., Any] | None, header: Any) -> None:
        super().__init__(function)
        self.header = header


class ErrorReporter:
    """Where conductor-thread exceptions go: the user's error handler, else the logger.

    ``fatal`` keeps the first error with which the C client closed itself (a driver,
    client or conductor service timeout: ``CLIENT_CLOSING_ERRORS``), so later calls on
    the client raise it instead of waiting on a conductor that no longer runs.

    ``callback_thread`` is the thread running one of the client's conductor callbacks
    (None when none runs): ``Aeron.close`` refuses to run there (``aeron_close`` would
    join the thread it runs on). ``invoker`` is set for a client in conductor agent
    invoker mode, whose callbacks run inside ``Aeron.do_work``: a ``KeyboardInterrupt``
    or ``SystemExit`` from one is kept in ``pending`` and raised when ``do_work`` returns,
    rather than handed to the error handler as if it were an error.
    """

    __slots__ = ("handler", "fatal", "callback_thread", "invoker", "pending")

    def __init__(self, handler: Callable[[BaseException], object] | None = None) -> None:
        self.handler = handler
        self.fatal: AeronError | None = None
        self.callback_thread: int | None = None
        self.invoker = False
        self.pending: BaseException | None = None

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` as a conductor callback: what it raises is reported, never
        raised into C (see the class for ``KeyboardInterrupt`` and ``SystemExit``)."""
        self.callback_thread = threading.get_ident()
        try:
            return function(*args)
        except Exception as exc:  # noqa: BLE001
            self.report(exc)
        except BaseException as exc:  # noqa: BLE001  (Ctrl-C, SystemExit: not errors to report)
            if self.invoker:
                if self.pending is None:
                    self.pending = exc
            elif isinstance(exc, KeyboardInterrupt):
                _thread.interrupt_main()  # the conductor thread cannot stop the program itself
            else:
                self.report(exc)
        finally:
            self.callback_thread = None
        return None

    def on_error(self, error: AeronError) -> None:
        """The client's error handler (``aeron_error_handler_t``), on the conductor thread:
        keeps an error with which the client closed itself as ``fatal``, reports it."""
        if isinstance(error, CLIENT_CLOSING_ERRORS) and self.fatal is None:
            self.fatal = error
        self.run(self.report, error)

    def raise_pending(self) -> None:
        """Raise what an invoker-mode callback kept (``pending``) in the thread that ran it."""
        raise_kept(self, "pending")

    def report(self, exc: BaseException) -> None:
        handler = self.handler
        if handler is not None:
            try:
                handler(exc)
                return
            except BaseException as handler_exc:  # noqa: BLE001
                log.error("aeron error handler raised", exc_info=handler_exc)
        log.error("aeron client error: %s", exc, exc_info=exc if exc.__traceback__ else None)


class ConductorTarget:
    """Target of a conductor-thread callback: the user's function and where its exceptions go."""

    __slots__ = ("function", "reporter", "wrap")

    def __init__(
        self,
        function: Callable[..., Any],
        reporter: ErrorReporter,
        wrap: Callable[..., Any] | None = None,
    ) -> None:
        self.function = function
        self.reporter = reporter
        self.wrap = wrap  # builds the Python arguments from the C ones when they need a wrapper

    def call(self, *args: Any) -> None:
        if self.wrap is not None:
            self.reporter.run(self.wrap, self.function, *args)
        else:
            self.reporter.run(self.function, *args)


# -- client conductor --------------------------------------------------------------


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_error_handler(clientd: Any, errcode: Any, message: Any) -> None:
    # a client's ErrorReporter, or an archive context's handler: each knows what to do
    ffi.from_handle(clientd).on_error(handler_error(errcode, c_string(message)))


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_publication_error_frame_handler(clientd: Any, error_frame: Any) -> None:
    ffi.from_handle(clientd).call(error_frame)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_on_new_publication(clientd: Any, channel: Any, stream_id: Any, session_id: Any, correlation_id: Any) -> None:
    ffi.from_handle(clientd).call(c_string(channel), stream_id, session_id, correlation_id)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_on_new_subscription(clientd: Any, channel: Any, stream_id: Any, correlation_id: Any) -> None:
    ffi.from_handle(clientd).call(c_string(channel), stream_id, correlation_id)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_on_available_counter(clientd: Any, counters_reader: Any, registration_id: Any, counter_id: Any) -> None:
    ffi.from_handle(clientd).call(counters_reader, registration_id, counter_id)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_on_unavailable_counter(clientd: Any, counters_reader: Any, registration_id: Any, counter_id: Any) -> None:
    ffi.from_handle(clientd).call(counters_reader, registration_id, counter_id)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_on_close_client(clientd: Any) -> None:
    ffi.from_handle(clientd).call()


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_notification(clientd: Any) -> None:
    ffi.from_handle(clientd)()


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_on_available_image(clientd: Any, subscription: Any, image: Any) -> None:
    ffi.from_handle(clientd).call(subscription, image)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_on_unavailable_image(clientd: Any, subscription: Any, image: Any) -> None:
    ffi.from_handle(clientd).call(subscription, image)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_agent_on_start_func(state: Any, role_name: Any) -> None:
    ffi.from_handle(state).call(c_string(role_name))


# -- synchronous: subscriptions and images ---------------------------------------------


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_fragment_handler(clientd: Any, buffer: Any, length: Any, header: Any) -> None:
    target: FragmentTarget = ffi.from_handle(clientd)
    target.header._ptr = header
    try:
        target.function(ffi.buffer(buffer, length)[:], target.header)
    except BaseException as exc:  # noqa: BLE001
        target.fail(exc)


@ffi.def_extern(error=ABORT, onerror=_raised_before_try)
def aeron_cffi_on_controlled_fragment_handler(clientd: Any, buffer: Any, length: Any, header: Any) -> Any:
    target: FragmentTarget = ffi.from_handle(clientd)
    if target.error is not None:
        return ABORT
    target.header._ptr = header
    try:
        action = target.function(ffi.buffer(buffer, length)[:], target.header)
        if action is None:
            return CONTINUE
        if action not in _ACTIONS:
            raise ValueError(f"a controlled fragment handler returned {action!r}, not a ControlledPollAction")
        return int(action)
    except BaseException as exc:  # noqa: BLE001
        target.fail(exc)
        return ABORT


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_block_handler(clientd: Any, buffer: Any, length: Any, session_id: Any, term_id: Any) -> None:
    target: SyncTarget = ffi.from_handle(clientd)
    try:
        target.function(ffi.buffer(buffer, length)[:], session_id, term_id)
    except BaseException as exc:  # noqa: BLE001
        target.fail(exc)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_for_each_image(image: Any, clientd: Any) -> None:
    target: SyncTarget = ffi.from_handle(clientd)
    try:
        target.function(image)
    except BaseException as exc:  # noqa: BLE001
        target.fail(exc)


# -- synchronous: counters and CnC ------------------------------------------------------


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_counters_reader_foreach_counter_func(
    value: Any, counter_id: Any, type_id: Any, key: Any, key_length: Any, label: Any, label_length: Any, clientd: Any
) -> None:
    target: SyncTarget = ffi.from_handle(clientd)
    try:
        target.function(
            value,
            counter_id,
            type_id,
            ffi.buffer(key, key_length)[:],
            c_text(label, label_length),
        )
    except BaseException as exc:  # noqa: BLE001
        target.fail(exc)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_error_log_reader_func(
    observation_count: Any, first_observation_timestamp: Any, last_observation_timestamp: Any, error: Any, error_length: Any, clientd: Any
) -> None:
    target: SyncTarget = ffi.from_handle(clientd)
    try:
        target.function(
            observation_count,
            first_observation_timestamp,
            last_observation_timestamp,
            c_text(error, error_length),
        )
    except BaseException as exc:  # noqa: BLE001
        target.fail(exc)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_loss_reporter_read_entry_func(
    clientd: Any,
    observation_count: Any,
    total_bytes_lost: Any,
    first_observation_timestamp: Any,
    last_observation_timestamp: Any,
    session_id: Any,
    stream_id: Any,
    channel: Any,
    channel_length: Any,
    source: Any,
    source_length: Any,
) -> None:
    target: SyncTarget = ffi.from_handle(clientd)
    try:
        target.function(
            observation_count,
            total_bytes_lost,
            first_observation_timestamp,
            last_observation_timestamp,
            session_id,
            stream_id,
            c_text(channel, channel_length),
            c_text(source, source_length),
        )
    except BaseException as exc:  # noqa: BLE001
        target.fail(exc)


# aeron_log_func_t has no clientd: a caller holds this lock for the duration of its C
# call (``log_sink``) and puts its target here.
log_func_lock = threading.Lock()
log_func_target: list[SyncTarget] = []


@contextlib.contextmanager
def log_sink(function: Callable[[str], object]) -> Iterator[Any]:
    """``with log_sink(f) as log_func:`` pass ``log_func`` to C; lines go to ``f``; re-raises after."""
    target = SyncTarget(function)
    with log_func_lock:
        log_func_target.append(target)
        try:
            yield lib.aeron_cffi_on_log_func
        finally:
            log_func_target.pop()
    target.raise_pending()


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_log_func(text: Any) -> None:
    target = log_func_target[-1]
    try:
        target.function(c_string(text))
    except BaseException as exc:  # noqa: BLE001
        target.fail(exc)


# -- embedded media driver ------------------------------------------------------------


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_driver_termination_validator_func(state: Any, buffer: Any, length: Any) -> Any:
    target: ConductorTarget = ffi.from_handle(state)
    try:
        return bool(target.function(ffi.buffer(buffer, length)[:] if length > 0 else b""))
    except BaseException as exc:  # noqa: BLE001
        target.reporter.report(exc)
        return False


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_driver_termination_hook_func(clientd: Any) -> None:
    ffi.from_handle(clientd).call()


# == archive (aeron_archive.h) ===========================================================
# Every archive callback is synchronous: it runs on the thread making the archive
# call (connect, list_*, poll_for_recording_signals, any call that waits for a
# response, PersistentSubscription.poll) and its target is a SyncTarget whose
# wrapper re-raises after the call. Targets with several callbacks (credentials,
# persistent subscription listener) expose one method per callback.


def _archive_sync(clientd: Any, default: Any, method: str | None, *args: Any) -> Any:
    target: SyncTarget = ffi.from_handle(clientd)
    if target.error is not None:
        return default
    try:
        function = target.function if method is None else getattr(target, method)
        return function(*args)
    except BaseException as exc:  # noqa: BLE001
        target.fail(exc)
        return default


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_archive_recording_descriptor_consumer_func(descriptor: Any, clientd: Any) -> None:
    _archive_sync(clientd, None, None, descriptor)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_archive_recording_subscription_descriptor_consumer_func(descriptor: Any, clientd: Any) -> None:
    _archive_sync(clientd, None, None, descriptor)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_archive_recording_signal_consumer_func(signal: Any, clientd: Any) -> None:
    _archive_sync(clientd, None, None, signal)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_archive_delegating_invoker_func(clientd: Any) -> None:
    _archive_sync(clientd, None, None)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_idle_strategy_func(state: Any, work_count: Any) -> None:
    _archive_sync(state, None, None, work_count)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_archive_credentials_encoded_credentials_supplier_func(clientd: Any) -> Any:
    return _archive_sync(clientd, ffi.NULL, "encoded_credentials")


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_archive_credentials_challenge_supplier_func(encoded_challenge: Any, clientd: Any) -> Any:
    return _archive_sync(clientd, ffi.NULL, "on_challenge", encoded_challenge)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_archive_credentials_free_func(credentials: Any, clientd: Any) -> None:
    # Runs even after a failure: it releases memory lent to C.
    ffi.from_handle(clientd).on_free(credentials)


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_archive_persistent_subscription_live_joined(clientd: Any) -> None:
    _archive_sync(clientd, None, "on_live_joined")


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_archive_persistent_subscription_live_left(clientd: Any) -> None:
    _archive_sync(clientd, None, "on_live_left")


@ffi.def_extern(onerror=_raised_before_try)
def aeron_cffi_on_archive_persistent_subscription_error(clientd: Any, errcode: Any, message: Any) -> None:
    _archive_sync(clientd, None, "on_error", errcode, c_string(message))
