"""``Context``: the client configuration (``aeron_context_t``), every setting a keyword."""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any, Callable

from aeron_cffi import _settings
from aeron_cffi._lifetime import Resource, in_flight
from aeron_cffi._native import ffi, lib
from aeron_cffi.callbacks import ConductorTarget, ErrorReporter
from aeron_cffi.errors import AeronError, DriverErrorCode, check

__all__ = ["Context", "PublicationErrorFrame"]

_DRIVER_ERROR_CODES = frozenset(DriverErrorCode)

_PREFIX = "aeron_context_"


@dataclasses.dataclass(frozen=True)
class PublicationErrorFrame:
    """An error frame a receiver sent for a publication (``aeron_publication_error_values_t``)."""

    registration_id: int
    destination_registration_id: int
    session_id: int
    stream_id: int
    receiver_id: int
    group_tag: int
    source_address: str
    source_port: int
    error_code: DriverErrorCode | int  # an int only for a code this Aeron version does not define
    error_message: str

    @classmethod
    def from_c(cls, values: Any) -> PublicationErrorFrame:
        raw = bytes(ffi.buffer(values.source_address, 16))
        if values.address_type == lib.AERON_RESPONSE_ADDRESS_TYPE_IPV4:
            address = str(ipaddress.IPv4Address(raw[:4]))
        else:
            address = str(ipaddress.IPv6Address(raw))
        message = ffi.buffer(values.error_message, max(values.error_message_length, 0))[:]
        return cls(
            values.registration_id,
            values.destination_registration_id,
            values.session_id,
            values.stream_id,
            values.receiver_id,
            values.group_tag,
            address,
            values.source_port,
            DriverErrorCode(values.error_code) if values.error_code in _DRIVER_ERROR_CODES else values.error_code,
            message.decode("utf-8", errors="replace"),
        )


def _error_frame(function: Callable[[PublicationErrorFrame], object], values: Any) -> None:
    function(PublicationErrorFrame.from_c(values))


def _counter_event(function: Callable[..., object], reader_ptr: Any, registration_id: int, counter_id: int) -> None:
    from aeron_cffi.counters import CountersReader

    with CountersReader(reader_ptr) as reader:  # valid only during the callback
        function(reader, registration_id, counter_id)


# keyword -> (C setter suffix, trampoline, argument wrapper)
_HANDLERS: dict[str, tuple[str, Any, Any]] = {
    "publication_error_frame_handler": (
        "publication_error_frame_handler", lib.aeron_cffi_on_publication_error_frame_handler, _error_frame),
    "on_new_publication": ("on_new_publication", lib.aeron_cffi_on_on_new_publication, None),
    "on_new_exclusive_publication": ("on_new_exclusive_publication", lib.aeron_cffi_on_on_new_publication, None),
    "on_new_subscription": ("on_new_subscription", lib.aeron_cffi_on_on_new_subscription, None),
    "on_available_counter": ("on_available_counter", lib.aeron_cffi_on_on_available_counter, _counter_event),
    "on_unavailable_counter": ("on_unavailable_counter", lib.aeron_cffi_on_on_unavailable_counter, _counter_event),
    "on_close_client": ("on_close_client", lib.aeron_cffi_on_on_close_client, None),
    "agent_on_start_function": ("agent_on_start_function", lib.aeron_cffi_on_agent_on_start_func, None),
}


class Context(Resource):
    """Client settings (``aeron_context_init``; every ``aeron_context_set_*`` is a keyword).

    Plain settings: ``dir``, ``driver_timeout_ms``, ``keepalive_interval_ns``,
    ``resource_linger_duration_ns``, ``idle_sleep_duration_ns``, ``idle_strategy``,
    ``idle_strategy_init_args``, ``pre_touch_mapped_memory``, ``client_name``,
    ``use_conductor_agent_invoker``.

    Handlers (Python callables; they run on the client conductor thread, see
    ``aeron_cffi.callbacks``):

    * ``error_handler(exc)``: an ``AeronError`` the conductor reported, or an exception
      another handler raised. Without one, errors are logged to the ``aeron_cffi``
      logger (Aeron's own default would exit the process);
    * ``publication_error_frame_handler(frame: PublicationErrorFrame)``;
    * ``on_new_publication(channel, stream_id, session_id, correlation_id)`` and
      ``on_new_exclusive_publication(...)`` (same arguments);
    * ``on_new_subscription(channel, stream_id, correlation_id)``;
    * ``on_available_counter(reader, registration_id, counter_id)`` and
      ``on_unavailable_counter(...)``, ``reader`` a ``CountersReader`` valid during the call;
    * ``on_close_client()``; ``agent_on_start_function(role_name)``.

    A context belongs to one ``Aeron`` client, which closes it (``aeron_context_close``).
    """

    def __init__(self, *, error_handler: Callable[[BaseException], object] | None = None, **settings: Any) -> None:
        super().__init__()
        ptr = ffi.new("aeron_context_t **")
        try:
            check(lib.aeron_context_init(ptr), "aeron_context_init")
        except AeronError:
            self._closed = True
            raise
        self._ptr = ptr[0]
        self._in_use = False
        self.reporter = ErrorReporter(error_handler)
        handle = ffi.new_handle(self.reporter)
        self._handles.append(handle)
        check(lib.aeron_context_set_error_handler(self._ptr, lib.aeron_cffi_on_error_handler, handle),
              "aeron_context_set_error_handler")
        for name, value in settings.items():
            self.set(name, value)

    @in_flight
    def set(self, name: str, value: Any) -> None:
        """Change one setting before the client starts (``aeron_context_set_<name>``)."""
        if self._in_use:
            raise AeronError(f"Context.set({name!r}): the context is in use by a client")
        if name == "error_handler":
            self.reporter.handler = value
        elif name in _HANDLERS:
            self._set_handler(name, value)
        else:
            _settings.apply(_PREFIX, self._ptr, name, value, "Context")
            if name == "idle_sleep_duration_ns" and self.get("idle_strategy") == "sleep-ns":
                # aeron_context_init builds the conductor's default "sleep-ns" strategy
                # from this duration once; set afterwards, C only stores the number.
                # Rebuild the strategy as init would, so the setting takes effect.
                self.set("idle_strategy_init_args", str(value))
                self.set("idle_strategy", "sleep-ns")

    def _set_handler(self, name: str, function: Callable[..., object] | None) -> None:
        suffix, trampoline, wrap = _HANDLERS[name]
        setter = getattr(lib, f"{_PREFIX}set_{suffix}")
        if function is None:
            check(setter(self._ptr, ffi.NULL, ffi.NULL), f"{_PREFIX}set_{suffix}")
            return
        if not callable(function):
            raise TypeError(f"Context {name} must be callable, got {type(function).__name__}")
        handle = ffi.new_handle(ConductorTarget(function, self.reporter, wrap))
        self._handles.append(handle)
        check(setter(self._ptr, trampoline, handle), f"{_PREFIX}set_{suffix}")

    @in_flight
    def get(self, name: str) -> Any:
        """The current value of a plain setting (``aeron_context_get_<name>``)."""
        return _settings.get(_PREFIX, self._ptr, name, "Context")

    @property
    def dir(self) -> str:
        """The Aeron directory the client connects to (``aeron_context_get_dir``)."""
        return str(self.get("dir"))

    @property
    def use_conductor_agent_invoker(self) -> bool:
        """True when the client runs its conductor inside ``Aeron.do_work`` (no thread)."""
        return bool(self.get("use_conductor_agent_invoker"))

    def _claim(self) -> None:
        self._check_open()
        if self._in_use:
            raise AeronError("this Context is already used by an Aeron client")
        self._in_use = True

    def __del__(self) -> None:
        # In use, it belongs to its client, whose close closes it: collected in one cycle with
        # that client, it has nothing to do (a close would be refused, and warn for nothing).
        if not getattr(self, "_in_use", False):
            super().__del__()

    def close(self) -> None:
        """Free the context (``aeron_context_close``); its client must be closed first."""
        if self._in_use and not self._closed:
            raise AeronError("Context.close: the context is in use by an open Aeron client; close the client")
        super().close()

    def _repr_fields(self) -> dict[str, object]:
        return {"dir": self.dir, "in_use": self._in_use}

    def _close_native(self) -> None:
        lib.aeron_context_close(self._ptr)
