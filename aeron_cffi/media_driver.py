"""``MediaDriver``: the C media driver embedded in this process (``aeronmd.h``)."""

from __future__ import annotations

import enum
from typing import Any, Callable

from aeron_cffi import _settings
from aeron_cffi._lifetime import Resource, in_flight
from aeron_cffi._native import ffi, lib
from aeron_cffi.callbacks import ConductorTarget, ErrorReporter
from aeron_cffi.errors import AeronError, check

_PREFIX = "aeron_driver_context_"

class ThreadingMode(enum.IntEnum):
    """Driver agent threading (``aeron_threading_mode_t``)."""

    DEDICATED = lib.AERON_THREADING_MODE_DEDICATED
    SHARED_NETWORK = lib.AERON_THREADING_MODE_SHARED_NETWORK
    SHARED = lib.AERON_THREADING_MODE_SHARED
    INVOKER = lib.AERON_THREADING_MODE_INVOKER


class InferableBoolean(enum.IntEnum):
    """(``aeron_inferable_boolean_t``)"""

    FORCE_FALSE = lib.AERON_FORCE_FALSE
    FORCE_TRUE = lib.AERON_FORCE_TRUE
    INFER = lib.AERON_INFER


def _setting_value(name: str, value: Any) -> Any:
    if name == "threading_mode" and isinstance(value, str):
        return ThreadingMode[value.upper()]
    if name == "receiver_group_tag":  # (is_present, value)
        return (False, 0) if value is None else (True, value)
    return value


class MediaDriver(Resource):
    """An embedded C media driver (``aeron_driver_context_init`` + ``aeron_driver_init`` +
    ``aeron_driver_start``), closed with ``aeron_driver_close`` + ``aeron_driver_context_close``.

    Every ``aeron_driver_context_set_<name>`` is a keyword: ``dir``, ``threading_mode``
    (``ThreadingMode`` or its name), ``term_buffer_length``, ``ipc_term_buffer_length``,
    ``dir_delete_on_start``, ``dir_delete_on_shutdown``, ``client_liveness_timeout_ns``, ...
    Two-argument setters take a tuple (``sender_wildcard_port_range=(low, high)``);
    ``receiver_group_tag`` takes an int or None. ``termination_validator(token: bytes) -> bool``
    and ``termination_hook()`` are Python callables run on the driver's conductor thread.

    ``manual_main_loop=True`` starts no driver thread: call ``do_work()`` (the threading
    mode should then be ``INVOKER``).
    """

    _close_at_exit = True

    def __init__(
        self,
        *,
        manual_main_loop: bool = False,
        termination_validator: Callable[[bytes], bool] | None = None,
        termination_hook: Callable[[], object] | None = None,
        error_handler: Callable[[BaseException], object] | None = None,
        start: bool = True,
        **settings: Any,
    ) -> None:
        super().__init__()
        self._driver: Any = None
        self._manual = manual_main_loop
        out = ffi.new("aeron_driver_context_t **")
        try:
            check(lib.aeron_driver_context_init(out), "aeron_driver_context_init")
        except AeronError:
            self._closed = True
            raise
        self._context = out[0]
        try:
            self._reporter = ErrorReporter(error_handler)
            for name, value in settings.items():
                _settings.apply(_PREFIX, self._context, name, _setting_value(name, value), "MediaDriver")
            if termination_validator is not None:
                self._set_callback("driver_termination_validator", lib.aeron_cffi_on_driver_termination_validator_func,
                                   termination_validator)
            if termination_hook is not None:
                self._set_callback("driver_termination_hook", lib.aeron_cffi_on_driver_termination_hook_func,
                                   termination_hook)
            if start:
                self.start()
        except BaseException:
            self.close()
            raise

    def _set_callback(self, name: str, trampoline: Any, function: Callable[..., Any]) -> None:
        handle = ffi.new_handle(ConductorTarget(function, self._reporter))
        self._handles.append(handle)
        check(getattr(lib, f"{_PREFIX}set_{name}")(self._context, trampoline, handle), f"{_PREFIX}set_{name}")

    @in_flight
    def get(self, name: str) -> Any:
        """A setting's current value (``aeron_driver_context_get_<name>``)."""
        return _settings.get(_PREFIX, self._context, name, "MediaDriver")

    @property
    def dir(self) -> str:
        """The driver's Aeron directory (``aeron_driver_context_get_dir``)."""
        return self.get("dir")

    @in_flight
    def start(self) -> None:
        """Initialise and start the driver (``aeron_driver_init`` + ``aeron_driver_start``)."""
        if self._driver is not None:
            return
        out = ffi.new("aeron_driver_t **")
        check(lib.aeron_driver_init(out, self._context), "aeron_driver_init")
        self._driver = out[0]
        check(lib.aeron_driver_start(self._driver, self._manual), "aeron_driver_start")

    def do_work(self) -> int:
        """One duty cycle when started with ``manual_main_loop`` (``aeron_driver_main_do_work``)."""
        self._check_open()
        if self._driver is None:
            raise AeronError("MediaDriver.do_work: the driver is not started")
        return check(self._in_flight(lib.aeron_driver_main_do_work, self._driver), "aeron_driver_main_do_work")

    def idle(self, work_count: int) -> None:
        """Idle with the driver's strategy (``aeron_driver_main_idle_strategy``)."""
        self._check_open()
        if self._driver is not None:
            self._in_flight(lib.aeron_driver_main_idle_strategy, self._driver, work_count)

    def _close_native(self) -> None:
        try:
            if self._driver is not None:
                check(lib.aeron_driver_close(self._driver), "aeron_driver_close")
        finally:
            lib.aeron_driver_context_close(self._context)
