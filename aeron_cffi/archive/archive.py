"""``AeronArchive``: a connected client of an Aeron archive (``aeron_archive_t``).

Each method is the ``aeron_archive_<name>`` C function of the same name; it blocks
until the archive answers (or the context's ``message_timeout_ns`` runs out) with
the GIL released, and raises ``ArchiveError`` (with the archive's
``ArchiveErrorCode`` and message) when the archive rejects the request.
Callbacks passed to a call, and the context's callbacks, run on the calling
thread during the call; an exception they raise is re-raised when the call returns.

One ``AeronArchive`` must not be used from several threads at once while it is
being closed; the C client serialises the other calls with a lock of its own.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from aeron_cffi._lifetime import Resource, in_flight
from aeron_cffi._native import c_string, ffi, lib
from aeron_cffi.archive.context import ArchiveContext
from aeron_cffi.archive.descriptors import (
    RecordingDescriptor,
    RecordingSubscriptionDescriptor,
    SourceLocation,
)
from aeron_cffi.archive.errors import ArchiveError, ArchiveErrorCode, archive_check, archive_error
from aeron_cffi.callbacks import SyncTarget
from aeron_cffi.client import Aeron, check_channel
from aeron_cffi.cnc import default_path, wait_for_driver
from aeron_cffi.errors import AeronTimeoutError, InvalidArgumentError, RegistrationError, no_driver_error

if TYPE_CHECKING:
    from aeron_cffi.archive.recording_events import RecordingEventsAdapter
    from aeron_cffi.exclusive_publication import ExclusivePublication
    from aeron_cffi.publication import Publication, PublicationBase
    from aeron_cffi.subscription import Subscription

__all__ = ["AeronArchive", "AsyncConnect", "add_session_id_to_channel", "replay_session_id_to_session_id", "NULL_POSITION", "NULL_VALUE", "REPLAY_ALL_AND_FOLLOW", "REPLAY_ALL_AND_STOP"]

NULL_VALUE: int = lib.AERON_NULL_VALUE
NULL_POSITION: int = lib.AERON_NULL_POSITION
NULL_COUNTER_ID: int = lib.AERON_NULL_COUNTER_ID
#: ``length`` of a replay that follows a live recording / stops at its current end.
REPLAY_ALL_AND_FOLLOW: int = lib.ARCHIVE_REPLAY_ALL_AND_FOLLOW
REPLAY_ALL_AND_STOP: int = lib.ARCHIVE_REPLAY_ALL_AND_STOP

_MAX_LIST = 0x7FFFFFFF
T = TypeVar("T")
P = TypeVar("P", bound="PublicationBase")


def _channel(channel: str) -> bytes:
    if not isinstance(channel, str):
        raise InvalidArgumentError(f"channel must be str, not {type(channel).__name__}")
    return channel.encode()


def _replay_channel(channel: str) -> bytes:
    """A replay channel, parsed here first: the archive does not answer a replay request
    whose channel it cannot parse, so C would wait out the message timeout."""
    encoded = _channel(channel)
    check_channel(channel, "replay channel")
    return encoded


def _pointer(resource: Any) -> Any:
    """The C pointer of an open client-layer object (publication, subscription)."""
    resource._check_open()
    return resource._ptr


def _counter_id(counter: Any) -> int:
    """A counter id from an int or a counter object (``.id`` / ``.counter_id``)."""
    for name in ("counter_id", "id"):
        value = getattr(counter, name, None)
        if isinstance(value, int):
            return value
    return int(counter)


def replay_params(
    *,
    position: int | None = None,
    length: int | None = None,
    bounding_limit_counter: Any = None,
    file_io_max_length: int | None = None,
    replay_token: int | None = None,
    subscription_registration_id: int | None = None,
) -> Any:
    """An ``aeron_archive_replay_params_t`` (``aeron_archive_replay_params_init``) with
    the given fields; None leaves the C default (from the start, to the end)."""
    params = ffi.new("aeron_archive_replay_params_t *")
    archive_check(lib.aeron_archive_replay_params_init(params), "aeron_archive_replay_params_init")
    if bounding_limit_counter is not None:
        params.bounding_limit_counter_id = _counter_id(bounding_limit_counter)
    for name, value in (
        ("position", position),
        ("length", length),
        ("file_io_max_length", file_io_max_length),
        ("replay_token", replay_token),
        ("subscription_registration_id", subscription_registration_id),
    ):
        if value is not None:
            setattr(params, name, value)
    return params


def replication_params(
    *,
    stop_position: int | None = None,
    dst_recording_id: int | None = None,
    live_destination: str | None = None,
    replication_channel: str | None = None,
    src_response_channel: str | None = None,
    channel_tag_id: int | None = None,
    subscription_tag_id: int | None = None,
    file_io_max_length: int | None = None,
    replication_session_id: int | None = None,
    encoded_credentials: bytes | None = None,
) -> tuple[Any, list[Any]]:
    """An ``aeron_archive_replication_params_t`` (``aeron_archive_replication_params_init``)
    and the C buffers it points to, which the caller keeps for the call."""
    params = ffi.new("aeron_archive_replication_params_t *")
    archive_check(lib.aeron_archive_replication_params_init(params), "aeron_archive_replication_params_init")
    keep: list[Any] = []
    for name, value in (
        ("stop_position", stop_position),
        ("dst_recording_id", dst_recording_id),
        ("channel_tag_id", channel_tag_id),
        ("subscription_tag_id", subscription_tag_id),
        ("file_io_max_length", file_io_max_length),
        ("replication_session_id", replication_session_id),
    ):
        if value is not None:
            setattr(params, name, value)
    for name, channel in (
        ("live_destination", live_destination),
        ("replication_channel", replication_channel),
        ("src_response_channel", src_response_channel),
    ):
        if channel is not None:
            text = ffi.new("char[]", _channel(channel))
            keep.append(text)
            setattr(params, name, text)
    if encoded_credentials is not None:
        credentials = ffi.new("aeron_archive_encoded_credentials_t *")
        data = ffi.new("char[]", encoded_credentials or b"\0")
        credentials.data = data
        credentials.length = len(encoded_credentials)
        keep += [credentials, data]
        params.encoded_credentials = credentials
    return params, keep


def replay_session_id_to_session_id(replay_session_id: int) -> int:
    """The session id of a replay's image: the low 32 bits of the replay session id
    (as a signed int32, the way channel URIs take it)."""
    low = replay_session_id & 0xFFFFFFFF
    return low - (1 << 32) if low >= 1 << 31 else low


def add_session_id_to_channel(channel: str, session_id: int) -> str:
    """``channel`` restricted to one session (``|session-id=``), e.g. to subscribe to
    a replay started with ``start_replay``."""
    separator = "|" if "?" in channel else "?"
    return f"{channel}{separator}session-id={session_id}"


class AsyncConnect:
    """A connect in progress (``aeron_archive_async_connect``); ``poll()`` until it
    returns the ``AeronArchive``. The C side frees itself when it resolves, which it
    always does by the context's ``message_timeout_ns``; keep polling until then."""

    def __init__(self, context: ArchiveContext, owns_context: bool) -> None:
        pointer = ffi.new("aeron_archive_async_connect_t **")
        self._client = _ClientFor(context)
        try:
            result, error = self._client.call(lib.aeron_archive_async_connect, pointer, context.ctx,
                                              error=lambda: archive_error("aeron_archive_async_connect"))
            context.raise_pending()
            if error is not None:
                raise error
        except BaseException:
            self._client.__exit__(*sys.exc_info())
            raise
        self._async = pointer[0]
        self._context = context
        self._owns_context = owns_context

    @property
    def done(self) -> bool:
        return self._async is None

    def poll(self) -> "AeronArchive | None":
        """The connected archive, or None while still connecting
        (``aeron_archive_async_connect_poll``)."""
        if self._async is None:
            raise InvalidArgumentError("this connect already resolved")
        archive_p = ffi.new("aeron_archive_t **")
        result, error = self._client.call(lib.aeron_archive_async_connect_poll, archive_p, self._async)
        if result == 0:
            self._context.raise_pending()
            return None
        self._async = None
        try:
            with self._client:
                _raise_pending_or_close(self._context, archive_p[0])
                if error is not None:
                    raise error
                return self._client.archive(archive_p[0], self._owns_context)
        except BaseException:
            if self._owns_context:
                self._context.close()
            raise



class _ClientFor:
    """The ``Aeron`` a connect uses: the context's, or one started on the context's
    ``aeron_directory_name`` and handed to the archive (which then owns it); a
    failed connect closes the one it started. Lent to the C context only for the
    connect, so the context can connect again."""

    def __init__(self, context: ArchiveContext) -> None:
        self.context = context
        context._default_response_channel()
        self.request_channel = context.control_request_channel  # as given (C completes the context's copy)
        self.owned = context.aeron is None
        if self.owned:
            # Aeron's driver timeout (10 s) is also the client's liveness limit for its
            # whole life, so it stays; a connect waits for a driver only as long as it
            # would for the archive, before it starts the client.
            directory = context.aeron_directory_name or default_path()
            timeout_ms = context.message_timeout_ns / 1e6
            if not wait_for_driver(directory, timeout_ms / 1000):
                raise no_driver_error(directory, timeout_ms)
        self.aeron = Aeron(dir=context.aeron_directory_name) if self.owned else context.aeron
        # (again for a given client: ResourceClosedError if it was closed meanwhile)
        context.lend_aeron(self.aeron)

    def call(self, function: Callable[..., int], *args: Any,
             error: Callable[[], Exception] | None = None) -> tuple[int, Exception | None]:
        """``function(*args)`` (a connect step, which uses the client) as a call in flight
        on the client, so that closing it from another thread or a credentials callback
        waits; returns the result and, for a failure, the error read at once (before a
        deferred close of the client can overwrite Aeron's error)."""

        def request() -> tuple[int, Exception | None]:
            result = function(*args)
            if result >= 0:
                return result, None
            return result, error() if error is not None else _connect_error(self.context, self.request_channel)

        return self.aeron._in_flight(request)  # type: ignore[no-any-return]

    def archive(self, pointer: Any, owns_context: bool) -> "AeronArchive":
        archive = AeronArchive(pointer, self.context, self.aeron, self.owned, owns_context)
        self.owned = False
        return archive

    def __enter__(self) -> "_ClientFor":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self.context.aeron is None and not self.context.is_closed:
            self.context.lend_aeron(None)
        if self.owned:
            self.aeron.close()


def _raise_pending_or_close(context: ArchiveContext, archive: Any) -> None:
    """Re-raise a context callback's exception from the connect; an archive that
    connected anyway is closed, since nobody will own it."""
    try:
        context.raise_pending()
    except BaseException:
        if archive != ffi.NULL:
            lib.aeron_archive_close(archive)
        raise


# The archive rejects a connect with code AUTHENTICATION_REJECTED and this message
# (ControlSession); the C connect keeps only the message (EINVAL, aeron_archive_async_connect.c).
_AUTHENTICATION_REJECTED = "] authentication rejected\n"


def _connect_error(context: ArchiveContext, channel: str) -> Exception:
    error = archive_error("aeron_archive_connect")
    if "connect timeout" in error.errmsg:
        # (Aeron's own first line reads "invalid channel": say what happened instead)
        return AeronTimeoutError(
            f"no archive answered on {channel} stream {context.control_request_stream_id} "
            f"within {context.message_timeout_ns / 1e9:g} s\n{error.errmsg}", error.errcode)
    if _AUTHENTICATION_REJECTED in error.errmsg:
        return ArchiveError(error.errmsg, error.errcode, archive_code=ArchiveErrorCode.AUTHENTICATION_REJECTED,
                            archive_message="authentication rejected")
    return error


class AeronArchive(Resource):
    """A connected archive client. Make one with ``AeronArchive.connect(...)`` or
    ``AeronArchive.async_connect(...)``; close it (or use ``with``) when done."""

    def __init__(
        self, pointer: Any, context: ArchiveContext, aeron: Aeron, owns_aeron: bool, owns_context: bool
    ) -> None:
        """Wrap a connected ``aeron_archive_t *`` (use ``connect``)."""
        super().__init__(aeron)
        self._archive = pointer
        #: The ``Aeron`` client the archive client uses (its own one unless ``aeron=`` was given).
        self.aeron = aeron
        self._owns_aeron = owns_aeron
        #: The ``ArchiveContext`` connected from; it outlives this client (closing it
        #: closes this client first) and holds the callbacks C calls.
        self.context = context
        self._owns_context = owns_context
        context._children.add(self)

    # -- connecting -------------------------------------------------------------------

    @classmethod
    def connect(cls, context: ArchiveContext | None = None, **settings: Any) -> "AeronArchive":
        """Connect and wait for the archive's answer (``aeron_archive_connect``),
        up to the context's ``message_timeout_ns`` (AeronTimeoutError after it).

        Pass an ``ArchiveContext`` or its keywords (``control_request_channel=``,
        ``aeron=``, ``aeron_directory_name=``, ...)."""
        context, owns = cls._context(context, settings)
        archive_p = ffi.new("aeron_archive_t **")
        try:
            with _ClientFor(context) as client:
                result, error = client.call(lib.aeron_archive_connect, archive_p, context.ctx)
                _raise_pending_or_close(context, archive_p[0])
                if error is not None:
                    raise error
                return client.archive(archive_p[0], owns)
        except BaseException:
            if owns:
                context.close()
            raise

    @classmethod
    def async_connect(cls, context: ArchiveContext | None = None, **settings: Any) -> AsyncConnect:
        """Start connecting without waiting (``aeron_archive_async_connect``)."""
        context, owns = cls._context(context, settings)
        try:
            return AsyncConnect(context, owns)
        except BaseException:
            if owns:
                context.close()
            raise

    @staticmethod
    def _context(context: ArchiveContext | None, settings: dict[str, Any]) -> tuple[ArchiveContext, bool]:
        if context is None:
            return ArchiveContext(**settings), True
        if settings:
            raise TypeError("pass either an ArchiveContext or its keywords, not both")
        return context, False

    # -- the C object ---------------------------------------------------------------

    @property
    def archive_t(self) -> Any:
        """The raw ``aeron_archive_t *`` (ResourceClosedError after close)."""
        self._check_open()
        return self._archive

    def _close_native(self) -> None:
        archive, self._archive = self._archive, None
        lib.aeron_archive_close(archive)

    def close(self) -> None:
        """Close the archive client (``aeron_archive_close``), then the context and
        the Aeron client if ``connect`` made them (an ``aeron=`` or a context passed
        in stays open). Idempotent."""
        super().close()  # a request running in another thread delays aeron_archive_close,
        # and through it (children close first) the context's and the client's C close
        if self._owns_context:
            self.context.close()
        if self._owns_aeron:
            self.aeron.close()

    def _call(self, name: str, *args: Any, out: str | None = None, target: SyncTarget | None = None) -> Any:
        """Call ``aeron_archive_<name>(out?, archive, *args)``, check it, re-raise a
        callback's exception, and return the out value (or the C result)."""
        function = getattr(lib, f"aeron_archive_{name}")
        value_p = ffi.new(out) if out is not None else None

        def request() -> tuple[Any, Any]:  # the error is read before a deferred close can run
            result = function(self._archive, *args) if value_p is None else function(value_p, self._archive, *args)
            return result, archive_error(f"aeron_archive_{name}") if result < 0 else None

        result, error = self._in_flight(request)
        value = result if value_p is None else value_p[0]
        if target is not None:
            target.raise_pending()
        self.context.raise_pending()
        if error is not None:
            raise error
        return value

    @property
    @in_flight
    def archive_id(self) -> int:
        """The archive's id (``aeron_archive_get_archive_id``)."""
        return int(lib.aeron_archive_get_archive_id(self.archive_t))

    @property
    @in_flight
    def control_session_id(self) -> int:
        """This client's control session (``aeron_archive_control_session_id``)."""
        return int(lib.aeron_archive_control_session_id(self.archive_t))

    @property
    @in_flight
    def aeron_t(self) -> Any:
        """The ``aeron_t *`` the archive client uses, as its C context holds it
        (``aeron_archive_get_archive_context`` + ``aeron_archive_context_get_aeron``)."""
        return lib.aeron_archive_context_get_aeron(lib.aeron_archive_get_archive_context(self.archive_t))

    @property
    @in_flight
    def control_response_subscription_t(self) -> Any:
        """The raw ``aeron_subscription_t *`` of the control responses, owned by the
        archive client (``aeron_archive_get_control_response_subscription``)."""
        return lib.aeron_archive_get_control_response_subscription(self.archive_t)

    # -- control session ----------------------------------------------------------

    def poll_for_recording_signals(self) -> int:
        """Poll the control session once, handing signals to the context's
        ``recording_signal_consumer``; returns how many (``aeron_archive_poll_for_recording_signals``)."""
        return int(self._call("poll_for_recording_signals", out="int32_t *"))

    def poll_for_error_response(self) -> str:
        """The message of an error response waiting on the control session, or ''
        (``aeron_archive_poll_for_error_response``)."""
        buffer = ffi.new("char[]", 4096)
        self._call("poll_for_error_response", buffer, len(buffer))
        return str(ffi.string(buffer).decode("utf-8", errors="replace"))

    def check_for_error_response(self) -> None:
        """Raise ``ArchiveError`` if an error response is waiting on the control
        session (``aeron_archive_check_for_error_response``); with an error handler
        on the context it goes to the handler instead."""
        self._call("check_for_error_response")

    # -- the Aeron client's resources ------------------------------------------------

    def add_publication(self, channel: str, stream_id: int, timeout: float | None = None) -> Publication:
        """``Aeron.add_publication`` on the archive's Aeron client."""
        return self.aeron.add_publication(channel, stream_id, timeout)

    def add_exclusive_publication(self, channel: str, stream_id: int,
                                  timeout: float | None = None) -> ExclusivePublication:
        """``Aeron.add_exclusive_publication`` on the archive's Aeron client."""
        return self.aeron.add_exclusive_publication(channel, stream_id, timeout)

    def add_subscription(self, channel: str, stream_id: int, **kwargs: Any) -> Subscription:
        """``Aeron.add_subscription`` on the archive's Aeron client."""
        return self.aeron.add_subscription(channel, stream_id, **kwargs)

    def add_recorded_publication(self, channel: str, stream_id: int) -> Publication:
        """Add a publication and have the archive record it locally; a ``Publication``
        of the archive's Aeron client (``aeron_archive_add_recorded_publication``)."""
        from aeron_cffi.publication import Publication

        if self.aeron._invoker:
            return self._add_recorded_invoked(self.aeron.add_publication, channel, stream_id)
        pointer = self._call("add_recorded_publication", _channel(channel), stream_id, out="aeron_publication_t **")
        return Publication(self.aeron, pointer)

    def add_recorded_exclusive_publication(self, channel: str, stream_id: int) -> ExclusivePublication:
        """The same with an ``ExclusivePublication``
        (``aeron_archive_add_recorded_exclusive_publication``)."""
        from aeron_cffi.exclusive_publication import ExclusivePublication

        if self.aeron._invoker:
            return self._add_recorded_invoked(self.aeron.add_exclusive_publication, channel, stream_id)
        pointer = self._call(
            "add_recorded_exclusive_publication", _channel(channel), stream_id, out="aeron_exclusive_publication_t **"
        )
        return ExclusivePublication(self.aeron, pointer)

    def _add_recorded_invoked(self, add: Callable[[str, int], P], channel: str, stream_id: int) -> P:
        """``add_recorded_*`` for an Aeron client in conductor agent invoker mode. Aeron
        1.51.0's C functions wait for the publication without running that client's
        conductor, so they never return; the client layer's add runs it."""
        self._check_open()
        publication = add(channel, stream_id)
        try:
            constants = publication.constants
            if constants.original_registration_id != constants.registration_id:
                raise RegistrationError(f"add_recorded_publication: publication already added for channel="
                                        f"{channel} streamId={stream_id}", -lib.AERON_ERROR_CODE_GENERIC_ERROR)
            self.start_recording(add_session_id_to_channel(channel, constants.session_id), stream_id)
        except BaseException:
            publication.close()
            raise
        return publication

    def recording_events(self, **listeners: Any) -> RecordingEventsAdapter:
        """A ``RecordingEventsAdapter`` on the archive's recording events channel and
        stream (the context's ``recording_events_channel``/``_stream_id``); keywords
        ``on_started``, ``on_progress``, ``on_stopped``. The archive must run with
        recording events enabled."""
        from aeron_cffi.archive.recording_events import RecordingEventsAdapter

        channel, stream_id = self._in_flight(self._recording_events_address)
        return RecordingEventsAdapter(self.add_subscription(channel, stream_id), **listeners)

    def _recording_events_address(self) -> tuple[str, int]:
        context = lib.aeron_archive_get_archive_context(self._archive)
        return (c_string(lib.aeron_archive_context_get_recording_events_channel(context)),
                lib.aeron_archive_context_get_recording_events_stream_id(context))

    # -- recording -----------------------------------------------------------------

    def start_recording(
        self,
        channel: str,
        stream_id: int,
        source_location: SourceLocation = SourceLocation.LOCAL,
        auto_stop: bool = False,
    ) -> int:
        """Record a channel and stream; returns the recording subscription's id
        (``aeron_archive_start_recording``)."""
        return int(self._call(
            "start_recording", _channel(channel), stream_id, source_location, auto_stop, out="int64_t *"
        ))

    def extend_recording(
        self,
        recording_id: int,
        channel: str,
        stream_id: int,
        source_location: SourceLocation = SourceLocation.LOCAL,
        auto_stop: bool = False,
    ) -> int:
        """Continue a stopped recording with a new publication whose position
        continues it; returns the subscription id (``aeron_archive_extend_recording``)."""
        return int(self._call(
            "extend_recording", recording_id, _channel(channel), stream_id, source_location, auto_stop,
            out="int64_t *",
        ))

    def stop_recording_subscription(self, subscription_id: int) -> None:
        """``aeron_archive_stop_recording_subscription``."""
        self._call("stop_recording_subscription", subscription_id)

    def try_stop_recording_subscription(self, subscription_id: int) -> bool:
        """False if no such recording subscription (``aeron_archive_try_stop_recording_subscription``)."""
        return bool(self._call("try_stop_recording_subscription", subscription_id, out="bool *"))

    def stop_recording_channel_and_stream(self, channel: str, stream_id: int) -> None:
        """``aeron_archive_stop_recording_channel_and_stream``."""
        self._call("stop_recording_channel_and_stream", _channel(channel), stream_id)

    def try_stop_recording_channel_and_stream(self, channel: str, stream_id: int) -> bool:
        """``aeron_archive_try_stop_recording_channel_and_stream``."""
        return bool(self._call("try_stop_recording_channel_and_stream", _channel(channel), stream_id, out="bool *"))

    def try_stop_recording_by_identity(self, recording_id: int) -> bool:
        """Stop an active recording by its id; False if it was not active
        (``aeron_archive_try_stop_recording_by_identity``)."""
        return bool(self._call("try_stop_recording_by_identity", recording_id, out="bool *"))

    def stop_recording_publication(self, publication: Any) -> None:
        """Stop recording a (concurrent) publication (``aeron_archive_stop_recording_publication``)."""
        self._call("stop_recording_publication", _pointer(publication))

    def stop_recording_exclusive_publication(self, publication: Any) -> None:
        """``aeron_archive_stop_recording_exclusive_publication``."""
        self._call("stop_recording_exclusive_publication", _pointer(publication))

    # -- catalogue -----------------------------------------------------------------

    def _list(self, name: str, convert: Callable[[Any], T], consumer: Callable[[T], None] | None, *args: Any,
              count: int | None = None) -> list[T]:
        if count is not None and count <= 0:
            # The archive sends nothing back for no records: C would wait out the message timeout.
            self._check_open()
            if count < 0:
                raise InvalidArgumentError(f"{name}: count {count} is negative")
            return []
        found: list[T] = []

        def collect(descriptor: Any) -> None:
            item = convert(descriptor)
            found.append(item)
            if consumer is not None:
                consumer(item)

        target = SyncTarget(collect)
        trampoline = (
            lib.aeron_cffi_on_archive_recording_subscription_descriptor_consumer_func
            if name == "list_recording_subscriptions"
            else lib.aeron_cffi_on_archive_recording_descriptor_consumer_func
        )
        self._call(name, *args, trampoline, ffi.new_handle(target), out="int32_t *", target=target)
        return found

    def list_recording(
        self, recording_id: int, consumer: Callable[[RecordingDescriptor], None] | None = None
    ) -> RecordingDescriptor | None:
        """The descriptor of one recording, None if unknown (``aeron_archive_list_recording``)."""
        found = self._list("list_recording", RecordingDescriptor.from_c, consumer, recording_id)
        return found[0] if found else None

    def list_recordings(
        self,
        from_recording_id: int = 0,
        record_count: int = _MAX_LIST,
        consumer: Callable[[RecordingDescriptor], None] | None = None,
    ) -> list[RecordingDescriptor]:
        """Up to ``record_count`` descriptors from ``from_recording_id`` on
        (``aeron_archive_list_recordings``); ``consumer`` also sees each one."""
        return self._list("list_recordings", RecordingDescriptor.from_c, consumer, from_recording_id, record_count,
                          count=record_count)

    def list_recordings_for_uri(
        self,
        channel_fragment: str,
        stream_id: int,
        from_recording_id: int = 0,
        record_count: int = _MAX_LIST,
        consumer: Callable[[RecordingDescriptor], None] | None = None,
    ) -> list[RecordingDescriptor]:
        """Descriptors whose channel contains ``channel_fragment`` on ``stream_id``
        (``aeron_archive_list_recordings_for_uri``)."""
        return self._list(
            "list_recordings_for_uri", RecordingDescriptor.from_c, consumer,
            from_recording_id, record_count, _channel(channel_fragment), stream_id, count=record_count,
        )

    def list_recording_subscriptions(
        self,
        channel_fragment: str = "",
        stream_id: int = 0,
        apply_stream_id: bool = False,
        pseudo_index: int = 0,
        subscription_count: int = _MAX_LIST,
        consumer: Callable[[RecordingSubscriptionDescriptor], None] | None = None,
    ) -> list[RecordingSubscriptionDescriptor]:
        """The archive's active recording subscriptions matching the channel fragment
        (and ``stream_id`` when ``apply_stream_id``) (``aeron_archive_list_recording_subscriptions``)."""
        return self._list(
            "list_recording_subscriptions", RecordingSubscriptionDescriptor.from_c, consumer,
            pseudo_index, subscription_count, _channel(channel_fragment), stream_id, apply_stream_id,
            count=subscription_count,
        )

    def find_last_matching_recording(
        self, channel_fragment: str, stream_id: int, session_id: int, min_recording_id: int = 0
    ) -> int | None:
        """The id of the last recording matching channel fragment, stream and session,
        None if none (``aeron_archive_find_last_matching_recording``)."""
        recording_id = self._call(
            "find_last_matching_recording", min_recording_id, _channel(channel_fragment), stream_id, session_id,
            out="int64_t *",
        )
        return None if recording_id == NULL_VALUE else recording_id

    def get_recording_position(self, recording_id: int) -> int:
        """Position of an active recording, ``NULL_POSITION`` if not active
        (``aeron_archive_get_recording_position``)."""
        return int(self._call("get_recording_position", recording_id, out="int64_t *"))

    def get_start_position(self, recording_id: int) -> int:
        """``aeron_archive_get_start_position``."""
        return int(self._call("get_start_position", recording_id, out="int64_t *"))

    def get_stop_position(self, recording_id: int) -> int:
        """Stop position, ``NULL_POSITION`` while active (``aeron_archive_get_stop_position``)."""
        return int(self._call("get_stop_position", recording_id, out="int64_t *"))

    def get_max_recorded_position(self, recording_id: int) -> int:
        """The recording's end, active or not (``aeron_archive_get_max_recorded_position``)."""
        return int(self._call("get_max_recorded_position", recording_id, out="int64_t *"))

    @staticmethod
    def segment_file_base_position(
        start_position: int, position: int, term_buffer_length: int, segment_file_length: int
    ) -> int:
        """Start position of the segment file holding ``position``
        (``aeron_archive_segment_file_base_position``)."""
        return int(lib.aeron_archive_segment_file_base_position(
            start_position, position, term_buffer_length, segment_file_length
        ))

    # -- replay ----------------------------------------------------------------------

    def start_replay(self, recording_id: int, replay_channel: str, replay_stream_id: int, **params: Any) -> int:
        """Start a replay; returns the replay session id, whose low 32 bits are the
        replay image's session id (``aeron_archive_start_replay``).

        Keywords (``aeron_archive_replay_params_t``): ``position``, ``length``
        (``REPLAY_ALL_AND_FOLLOW``/``REPLAY_ALL_AND_STOP`` or bytes),
        ``bounding_limit_counter`` (a counter or its id: a bounded replay stops at
        its value), ``file_io_max_length``, ``replay_token``,
        ``subscription_registration_id``."""
        return int(self._call(
            "start_replay", recording_id, _replay_channel(replay_channel), replay_stream_id, replay_params(**params),
            out="int64_t *",
        ))

    def replay(self, recording_id: int, replay_channel: str, replay_stream_id: int,
               **params: Any) -> Subscription:
        """Start a replay and return a ``Subscription`` (of the archive's Aeron client)
        to it, added (``aeron_archive_replay``; the replay's image arrives after it
        returns); keywords as ``start_replay``. Close the subscription to end the replay."""
        from aeron_cffi.subscription import Subscription

        pointer = self._call(
            "replay", recording_id, _replay_channel(replay_channel), replay_stream_id, replay_params(**params),
            out="aeron_subscription_t **",
        )
        return Subscription(self.aeron, pointer, [])

    def stop_replay(self, replay_session_id: int) -> None:
        """``aeron_archive_stop_replay``."""
        self._call("stop_replay", replay_session_id)

    def stop_all_replays(self, recording_id: int = NULL_VALUE) -> None:
        """Stop every replay of ``recording_id`` (of all recordings by default)
        (``aeron_archive_stop_all_replays``)."""
        self._call("stop_all_replays", recording_id)

    # -- maintenance -----------------------------------------------------------------

    def truncate_recording(self, recording_id: int, position: int) -> int:
        """Cut a stopped recording at ``position``; returns deleted segment files
        (``aeron_archive_truncate_recording``)."""
        return int(self._call("truncate_recording", recording_id, position, out="int64_t *"))

    def purge_recording(self, recording_id: int) -> int:
        """Delete a stopped recording and its files; returns deleted segment files
        (``aeron_archive_purge_recording``)."""
        return int(self._call("purge_recording", recording_id, out="int64_t *"))

    def detach_segments(self, recording_id: int, new_start_position: int) -> None:
        """Move the recording's start to ``new_start_position`` (a segment boundary),
        keeping the files (``aeron_archive_detach_segments``)."""
        self._call("detach_segments", recording_id, new_start_position)

    def delete_detached_segments(self, recording_id: int) -> int:
        """``aeron_archive_delete_detached_segments``; returns deleted files."""
        return int(self._call("delete_detached_segments", recording_id, out="int64_t *"))

    def purge_segments(self, recording_id: int, new_start_position: int) -> int:
        """Detach and delete in one step (``aeron_archive_purge_segments``)."""
        return int(self._call("purge_segments", recording_id, new_start_position, out="int64_t *"))

    def attach_segments(self, recording_id: int) -> int:
        """Re-attach detached segment files still on disk before the start;
        returns how many (``aeron_archive_attach_segments``)."""
        return int(self._call("attach_segments", recording_id, out="int64_t *"))

    def migrate_segments(self, src_recording_id: int, dst_recording_id: int) -> int:
        """Move the source recording's segments to the front of the destination;
        returns how many (``aeron_archive_migrate_segments``)."""
        return int(self._call("migrate_segments", src_recording_id, dst_recording_id, out="int64_t *"))

    def update_channel(self, recording_id: int, new_channel: str) -> None:
        """Change a recording's channel in the catalogue (``aeron_archive_update_channel``)."""
        self._call("update_channel", recording_id, _channel(new_channel))

    # -- replication -----------------------------------------------------------------

    def replicate(
        self, src_recording_id: int, src_control_channel: str, src_control_stream_id: int, **params: Any
    ) -> int:
        """Copy a recording from another archive into this one; returns the
        replication id (``aeron_archive_replicate``). Keywords
        (``aeron_archive_replication_params_t``): ``stop_position``,
        ``dst_recording_id``, ``live_destination``, ``replication_channel``,
        ``src_response_channel``, ``channel_tag_id``, ``subscription_tag_id``,
        ``file_io_max_length``, ``replication_session_id``, ``encoded_credentials``."""
        # `_buffers` (the C strings c_params points to) is a local, so it lives through the call.
        c_params, _buffers = replication_params(**params)
        return int(self._call(
            "replicate", src_recording_id, _channel(src_control_channel), src_control_stream_id, c_params,
            out="int64_t *",
        ))

    def stop_replication(self, replication_id: int) -> None:
        """``aeron_archive_stop_replication``."""
        self._call("stop_replication", replication_id)

    def try_stop_replication(self, replication_id: int) -> bool:
        """False if the replication is unknown or over (``aeron_archive_try_stop_replication``).

        The 1.51.0 C client tolerates ``UNKNOWN_SUBSCRIPTION`` here while the archive
        answers ``UNKNOWN_REPLICATION`` (as Java's ``tryStopReplication`` expects), so
        that answer is turned into False here."""
        try:
            return bool(self._call("try_stop_replication", replication_id, out="bool *"))
        except ArchiveError as error:
            if error.archive_code is ArchiveErrorCode.UNKNOWN_REPLICATION:
                return False
            raise

    def _repr_fields(self) -> dict[str, object]:
        return {"archive_id": self.archive_id, "control_session_id": self.control_session_id}
