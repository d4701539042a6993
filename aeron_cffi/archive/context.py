"""``ArchiveContext``: the settings of an archive client (``aeron_archive_context_t``).

Every ``aeron_archive_context_set_*`` is a keyword of the constructor and every
``aeron_archive_context_get_*`` a read-only property of the same name. Callbacks
(``credentials_supplier``, ``recording_signal_consumer``, ``error_handler``,
``idle_strategy``, ``delegating_invoker``) are plain Python callables; the context
keeps them, and an ``AeronArchive`` connected from it keeps the context, so they
stay alive as long as C may call them.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable

from aeron_cffi._lifetime import Resource, in_flight
from aeron_cffi._native import c_string, ffi, lib
from aeron_cffi.archive.descriptors import RecordingSignal
from aeron_cffi.archive.errors import ArchiveError
from aeron_cffi.callbacks import SyncTarget
from aeron_cffi.errors import AeronError, InvalidArgumentError, check

__all__ = ["DEFAULT_CONTROL_RESPONSE_CHANNEL", "ArchiveContext", "CredentialsSupplier"]


@dataclasses.dataclass(frozen=True)
class CredentialsSupplier:
    """Credentials sent to an archive with authentication (``aeron_archive_context_set_credentials_supplier``).

    ``encoded_credentials`` is sent with the connect request (bytes, or a callable
    returning bytes); ``on_challenge(challenge: bytes) -> bytes`` answers a challenge
    from the archive's authenticator. The bytes are copied into C memory that lives
    until the C client frees them (the ``on_free`` callback).
    """

    encoded_credentials: bytes | Callable[[], bytes] = b""
    on_challenge: Callable[[bytes], bytes] | None = None

    def encoded(self) -> bytes:
        value = self.encoded_credentials
        return value() if callable(value) else value


class _CredentialsTarget(SyncTarget):
    """Serves a ``CredentialsSupplier`` to C: each credentials struct handed out, with
    its bytes, is kept here until C gives it back through the free callback."""

    __slots__ = ("supplier", "lent")

    def __init__(self, supplier: CredentialsSupplier) -> None:
        super().__init__()
        self.supplier = supplier
        self.lent: dict[int, tuple[Any, Any]] = {}

    def _lend(self, data: bytes) -> Any:
        credentials = ffi.new("aeron_archive_encoded_credentials_t *")
        buffer = ffi.new("char[]", data or b"\0")
        credentials.data = buffer
        credentials.length = len(data)
        self.lent[int(ffi.cast("uintptr_t", credentials))] = (credentials, buffer)
        return credentials

    def encoded_credentials(self) -> Any:
        return self._lend(self.supplier.encoded())

    def on_challenge(self, challenge: Any) -> Any:
        answer = self.supplier.on_challenge
        if answer is None:
            raise ArchiveError("the archive sent an authentication challenge and the CredentialsSupplier has "
                               "no on_challenge to answer it")
        return self._lend(answer(ffi.unpack(challenge.data, challenge.length)))

    def on_free(self, credentials: Any) -> None:
        self.lent.pop(int(ffi.cast("uintptr_t", credentials)), None)


class _ErrorHandlerTarget(SyncTarget):
    """The archive context's error handler: called on the calling thread with the
    error as an exception (``ArchiveError`` for archive responses)."""

    __slots__ = ()

    def on_error(self, error: AeronError) -> None:
        """(``aeron_error_handler_t``, as a client's ``ErrorReporter``, but synchronous)"""
        try:
            self.function(ArchiveError.from_message(error.errmsg, error.errcode) or error)
        except BaseException as exc:  # noqa: BLE001 - re-raised after the archive call
            self.fail(exc)


def _text(value: str | os.PathLike[str]) -> bytes:
    return os.fsencode(value)


# keyword -> (setter suffix, C value from Python value); getters share the name.
# What a connect uses when no control response channel is set (the C context has none):
# an ephemeral UDP port on this host, as Java's AeronArchive and the CLI default to.
DEFAULT_CONTROL_RESPONSE_CHANNEL = "aeron:udp?endpoint=localhost:0"

_SETTINGS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "aeron_directory_name": ("aeron_directory_name", _text),
    "control_request_channel": ("control_request_channel", _text),
    "control_request_stream_id": ("control_request_stream_id", int),
    "control_response_channel": ("control_response_channel", _text),
    "control_response_stream_id": ("control_response_stream_id", int),
    "recording_events_channel": ("recording_events_channel", _text),
    "recording_events_stream_id": ("recording_events_stream_id", int),
    "message_timeout_ns": ("message_timeout_ns", int),
    "message_retry_attempts": ("message_retry_attempts", int),
    "control_term_buffer_length": ("control_term_buffer_length", int),
    "control_mtu_length": ("control_mtu_length", int),
    "control_term_buffer_sparse": ("control_term_buffer_sparse", bool),
    "client_name": ("client_name", _text),
}


class ArchiveContext(Resource):
    """Settings for ``AeronArchive.connect`` (``aeron_archive_context_init``).

    Keywords (each ``aeron_archive_context_set_<keyword>``): ``aeron`` (an
    ``aeron_cffi.Aeron`` to share; without it ``AeronArchive.connect`` starts an
    ``Aeron`` on ``aeron_directory_name`` that the archive client owns and closes),
    ``aeron_directory_name``,
    ``control_request_channel``, ``control_request_stream_id``,
    ``control_response_channel`` (default: ``$AERON_ARCHIVE_CONTROL_RESPONSE_CHANNEL``,
    else ``DEFAULT_CONTROL_RESPONSE_CHANNEL`` when connecting), ``control_response_stream_id``,
    ``recording_events_channel``, ``recording_events_stream_id``,
    ``message_timeout_ns``, ``message_retry_attempts``,
    ``control_term_buffer_length``, ``control_mtu_length``,
    ``control_term_buffer_sparse``, ``client_name``, and the callbacks:

    * ``credentials_supplier``: a ``CredentialsSupplier``;
    * ``recording_signal_consumer(signal: RecordingSignal)``: signals that arrive
      while the client polls the control session;
    * ``error_handler(error: AeronError)``: archive errors (``ArchiveError``) of requests
      nobody waits on (e.g. an async request) and errors found by
      ``poll_for_recording_signals``;
    * ``idle_strategy(work_count: int)``: called while the client waits for a
      response (default: Aeron's backoff strategy, in C);
    * ``delegating_invoker()``: called while the client waits, to do other duty
      work on the same thread (e.g. an agent invoker).

    All callbacks run on the thread that makes the archive call.
    """

    # The settings, read back from C by the properties ``_getter`` sets on the class
    # below; declared here so that a type checker knows them.
    aeron_directory_name: str
    control_request_channel: str
    control_request_stream_id: int
    control_response_channel: str
    control_response_stream_id: int
    recording_events_channel: str
    recording_events_stream_id: int
    message_timeout_ns: int
    message_retry_attempts: int
    control_term_buffer_length: int
    control_mtu_length: int
    control_term_buffer_sparse: bool
    client_name: str

    def __init__(
        self,
        *,
        aeron: Any = None,
        credentials_supplier: CredentialsSupplier | None = None,
        recording_signal_consumer: Callable[[RecordingSignal], None] | None = None,
        error_handler: Callable[[AeronError], None] | None = None,
        idle_strategy: Callable[[int], None] | None = None,
        delegating_invoker: Callable[[], None] | None = None,
        **settings: Any,
    ) -> None:
        unknown = set(settings) - set(_SETTINGS)
        if unknown:
            raise TypeError(f"unknown archive context setting(s): {', '.join(sorted(unknown))}")
        pointer = ffi.new("aeron_archive_context_t **")
        check(lib.aeron_archive_context_init(pointer), "aeron_archive_context_init")
        super().__init__()
        self._ctx = pointer[0]
        self.targets: list[SyncTarget] = []
        self.aeron = aeron
        try:
            for name, value in settings.items():
                if value is not None:
                    self._set(name, value)
            if aeron is not None:
                self.lend_aeron(aeron)
            self._install_callbacks(
                credentials_supplier, recording_signal_consumer, error_handler, idle_strategy, delegating_invoker
            )
        except BaseException:
            self.close()
            raise

    @in_flight
    def lend_aeron(self, aeron: Any) -> None:
        """Point the C context at ``aeron`` (an ``Aeron``, or None to unset it) without
        handing it ownership (``aeron_archive_context_set_aeron``,
        ``aeron_archive_context_set_owns_aeron_client``): Python closes it."""
        check(
            lib.aeron_archive_context_set_aeron(self.ctx, ffi.NULL if aeron is None else aeron.ptr),
            "aeron_archive_context_set_aeron",
        )
        check(
            lib.aeron_archive_context_set_owns_aeron_client(self.ctx, False),
            "aeron_archive_context_set_owns_aeron_client",
        )

    def _set(self, name: str, value: Any) -> None:
        suffix, convert = _SETTINGS[name]
        setter = f"aeron_archive_context_set_{suffix}"
        try:
            c_value = convert(value)
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError(f"{name}: {exc}") from None
        check(getattr(lib, setter)(self._ctx, c_value), setter)

    @in_flight
    def _default_response_channel(self) -> None:
        """Set ``DEFAULT_CONTROL_RESPONSE_CHANNEL`` unless a response channel is set (a connect does this)."""
        if not c_string(lib.aeron_archive_context_get_control_response_channel(self._ctx)):
            self._set("control_response_channel", DEFAULT_CONTROL_RESPONSE_CHANNEL)

    def _install_callbacks(self, credentials: Any, signals: Any, errors: Any, idle: Any, invoker: Any) -> None:
        if credentials is not None:
            handle = self._keep(_CredentialsTarget(credentials))
            check(
                lib.aeron_archive_context_set_credentials_supplier(
                    self._ctx,
                    lib.aeron_cffi_on_archive_credentials_encoded_credentials_supplier_func,
                    lib.aeron_cffi_on_archive_credentials_challenge_supplier_func
                    if credentials.on_challenge is not None
                    else ffi.NULL,
                    lib.aeron_cffi_on_archive_credentials_free_func,
                    handle,
                ),
                "aeron_archive_context_set_credentials_supplier",
            )
        if signals is not None:
            handle = self._keep(SyncTarget(lambda signal: signals(RecordingSignal.from_c(signal))))
            check(
                lib.aeron_archive_context_set_recording_signal_consumer(
                    self._ctx, lib.aeron_cffi_on_archive_recording_signal_consumer_func, handle
                ),
                "aeron_archive_context_set_recording_signal_consumer",
            )
        if errors is not None:
            handle = self._keep(_ErrorHandlerTarget(errors))
            check(
                lib.aeron_archive_context_set_error_handler(self._ctx, lib.aeron_cffi_on_error_handler, handle),
                "aeron_archive_context_set_error_handler",
            )
        if idle is not None:
            handle = self._keep(SyncTarget(idle))
            check(
                lib.aeron_archive_context_set_idle_strategy(self._ctx, lib.aeron_cffi_on_idle_strategy_func, handle),
                "aeron_archive_context_set_idle_strategy",
            )
        if invoker is not None:
            handle = self._keep(SyncTarget(invoker))
            check(
                lib.aeron_archive_context_set_delegating_invoker(
                    self._ctx, lib.aeron_cffi_on_archive_delegating_invoker_func, handle
                ),
                "aeron_archive_context_set_delegating_invoker",
            )

    def _keep(self, target: SyncTarget) -> Any:
        self.targets.append(target)
        handle = ffi.new_handle(target)
        self._handles.append(handle)
        return handle

    @property
    def ctx(self) -> Any:
        """The raw ``aeron_archive_context_t *``; ResourceClosedError after close."""
        self._check_open()
        return self._ctx

    def raise_pending(self) -> None:
        """Re-raise the first exception a callback of this context raised since the
        last call (callbacks never let exceptions into C)."""
        for target in self.targets:
            target.raise_pending()

    @property
    @in_flight
    def owns_aeron_client(self) -> bool:
        """Whether the C context closes its Aeron client (``aeron_archive_context_get_owns_aeron_client``)."""
        return bool(lib.aeron_archive_context_get_owns_aeron_client(self.ctx))

    @property
    @in_flight
    def aeron_t(self) -> Any:
        """The ``aeron_t *`` the context uses, NULL before connect when none was
        given (``aeron_archive_context_get_aeron``)."""
        return lib.aeron_archive_context_get_aeron(self.ctx)

    def _close_native(self) -> None:
        """Free the C context (``aeron_archive_context_close``). The archive clients
        connected from it are its children and close first: the C client's copy of
        a context shares some of its memory (the default idle strategy's state)."""
        lib.aeron_archive_context_close(self._ctx)

    def _repr_fields(self) -> dict[str, object]:
        return {"control_request_channel": self.control_request_channel,
                "control_response_channel": self.control_response_channel,
                "aeron_directory_name": self.aeron_directory_name}

    def _release_handles(self) -> None:
        """Archives connected from this context use duplicates of it that call the
        same callbacks: the handles stay until the last of them is closed."""


def _getter(name: str) -> property:
    suffix, convert = _SETTINGS[name]
    function = getattr(lib, f"aeron_archive_context_get_{suffix}")

    def get(self: ArchiveContext) -> Any:
        value = self._in_flight(function, self._ctx)
        return c_string(value) if convert is _text else value

    get.__doc__ = f"``aeron_archive_context_get_{suffix}``"
    return property(get)


for _name in _SETTINGS:
    setattr(ArchiveContext, _name, _getter(_name))
