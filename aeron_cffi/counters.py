"""Counters: ``CountersReader`` (``aeron_counters_reader_t``) and ``Counter`` (``aeron_counter_t``)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Iterator

from aeron_cffi import async_add as _async
from aeron_cffi._lifetime import Constants, Resource, in_flight
from aeron_cffi._native import c_text, ffi, lib
from aeron_cffi.callbacks import SyncTarget
from aeron_cffi.errors import InvalidArgumentError, check

if TYPE_CHECKING:
    from aeron_cffi.client import Aeron

_metadata = ffi.new("aeron_counter_metadata_descriptor_t *")
MAX_KEY_LENGTH = len(_metadata.key)
MAX_LABEL_LENGTH = len(_metadata.label)
del _metadata

RECORD_UNUSED = lib.AERON_COUNTER_RECORD_UNUSED
RECORD_ALLOCATED = lib.AERON_COUNTER_RECORD_ALLOCATED
RECORD_RECLAIMED = lib.AERON_COUNTER_RECORD_RECLAIMED
NULL_COUNTER_ID = lib.AERON_NULL_COUNTER_ID


@dataclasses.dataclass(frozen=True)
class CounterInfo:
    """One allocated counter, as ``aeron_counters_reader_foreach_counter`` reports it."""

    counter_id: int
    type_id: int
    label: str
    key: bytes
    value: int


class CountersReader(Resource):
    """Read-only view of a driver's counters; a child of its ``Aeron`` client or ``CncFile``.

    Iterating yields ``CounterInfo`` for every allocated counter.
    """

    def __init__(self, ptr: Any, parent: Resource | None = None) -> None:
        super().__init__(parent)
        self._ptr = ptr

    def _id(self, counter_id: int) -> int:
        self._check_open()
        if not 0 <= counter_id <= lib.aeron_counters_reader_max_counter_id(self._ptr):
            raise InvalidArgumentError(f"counter id {counter_id} is out of range")
        return counter_id

    @in_flight
    def counters(self) -> list[CounterInfo]:
        """Every allocated counter (``aeron_counters_reader_foreach_counter``)."""
        found: list[CounterInfo] = []
        target = SyncTarget(lambda value, cid, type_id, key, label: found.append(
            CounterInfo(cid, type_id, label, key, value)))
        lib.aeron_counters_reader_foreach_counter(
            self._ptr, lib.aeron_cffi_on_counters_reader_foreach_counter_func, ffi.new_handle(target))
        target.raise_pending()
        return found

    def __iter__(self) -> Iterator[CounterInfo]:
        return iter(self.counters())

    @property
    @in_flight
    def max_counter_id(self) -> int:
        """(``aeron_counters_reader_max_counter_id``)"""
        return lib.aeron_counters_reader_max_counter_id(self._ptr)

    @in_flight
    def value(self, counter_id: int) -> int:
        """A counter's current value (``aeron_counters_reader_addr``, read with acquire)."""
        return lib.aeron_cffi_counter_get(lib.aeron_counters_reader_addr(self._ptr, self._id(counter_id)))

    @in_flight
    def find_by_type_id_and_registration_id(self, type_id: int, registration_id: int) -> int:
        """A counter id, or ``NULL_COUNTER_ID`` (``aeron_counters_reader_find_by_type_id_and_registration_id``)."""
        return lib.aeron_counters_reader_find_by_type_id_and_registration_id(self._ptr, type_id, registration_id)

    @in_flight
    def _out(self, function: str, c_type: str, counter_id: int) -> int:
        out = ffi.new(c_type)
        check(getattr(lib, f"aeron_counters_reader_{function}")(self._ptr, self._id(counter_id), out),
              f"aeron_counters_reader_{function}({counter_id})")
        return out[0]

    def registration_id(self, counter_id: int) -> int:
        """(``aeron_counters_reader_counter_registration_id``)"""
        return self._out("counter_registration_id", "int64_t *", counter_id)

    def owner_id(self, counter_id: int) -> int:
        """(``aeron_counters_reader_counter_owner_id``)"""
        return self._out("counter_owner_id", "int64_t *", counter_id)

    def reference_id(self, counter_id: int) -> int:
        """(``aeron_counters_reader_counter_reference_id``)"""
        return self._out("counter_reference_id", "int64_t *", counter_id)

    def state(self, counter_id: int) -> int:
        """``RECORD_UNUSED``/``RECORD_ALLOCATED``/``RECORD_RECLAIMED`` (``aeron_counters_reader_counter_state``)."""
        return self._out("counter_state", "int32_t *", counter_id)

    def type_id(self, counter_id: int) -> int:
        """(``aeron_counters_reader_counter_type_id``)"""
        return self._out("counter_type_id", "int32_t *", counter_id)

    def free_for_reuse_deadline_ms(self, counter_id: int) -> int:
        """(``aeron_counters_reader_free_for_reuse_deadline_ms``)"""
        return self._out("free_for_reuse_deadline_ms", "int64_t *", counter_id)

    @in_flight
    def key(self, counter_id: int) -> bytes:
        """The counter's whole key area (``aeron_counters_reader_metadata_key``)."""
        out = ffi.new("uint8_t **")
        check(lib.aeron_counters_reader_metadata_key(self._ptr, self._id(counter_id), out),
              f"aeron_counters_reader_metadata_key({counter_id})")
        return ffi.buffer(out[0], MAX_KEY_LENGTH)[:]

    @in_flight
    def label(self, counter_id: int) -> str:
        """(``aeron_counters_reader_counter_label``)"""
        buffer = ffi.new("char[]", MAX_LABEL_LENGTH + 1)
        length = check(lib.aeron_counters_reader_counter_label(self._ptr, self._id(counter_id), buffer, len(buffer)),
                       f"aeron_counters_reader_counter_label({counter_id})")
        return c_text(buffer, length)

    @in_flight
    def buffers(self) -> tuple[int, int]:
        """Lengths of the values and metadata buffers (``aeron_counters_reader_get_buffers``)."""
        out = ffi.new("aeron_counters_reader_buffers_t *")
        check(lib.aeron_counters_reader_get_buffers(self._ptr, out), "aeron_counters_reader_get_buffers")
        return out.values_length, out.metadata_length


@dataclasses.dataclass(frozen=True)
class CounterConstants:
    """(``aeron_counter_constants_t``)"""

    registration_id: int
    counter_id: int


class Counter(Resource):
    """A counter this client allocated (``Aeron.add_counter``); freed when closed."""

    constants = Constants()

    def __init__(self, client: Aeron, ptr: Any) -> None:
        super().__init__(client)
        self.client = client
        self._ptr = ptr
        self._addr = lib.aeron_counter_addr(ptr)
        constants = ffi.new("aeron_counter_constants_t *")
        check(lib.aeron_counter_constants(ptr, constants), "aeron_counter_constants")
        self._constants = CounterConstants(constants.registration_id, constants.counter_id)

    @property
    def counter_id(self) -> int:
        return self.constants.counter_id

    @property
    def registration_id(self) -> int:
        return self.constants.registration_id

    # Each access is in flight: closing the client (from another thread) unmaps the counters.

    @property
    def value(self) -> int:
        """Current value (``aeron_counter_addr``, acquire load)."""
        return self._in_flight(lib.aeron_cffi_counter_get, self._addr)  # type: ignore[no-any-return]

    @value.setter
    def value(self, value: int) -> None:
        self._in_flight(lib.aeron_cffi_counter_set, self._addr, value)

    def increment(self, delta: int = 1) -> int:
        """Atomically add ``delta``; returns the previous value."""
        return self._in_flight(lib.aeron_cffi_counter_get_and_add, self._addr, delta)  # type: ignore[no-any-return]

    def compare_and_set(self, expected: int, update: int) -> bool:
        """Atomically set to ``update`` if the value is ``expected``."""
        return bool(self._in_flight(lib.aeron_cffi_counter_compare_and_set, self._addr, expected, update))

    @property
    def is_closed(self) -> bool:
        """(``aeron_counter_is_closed``)"""
        return self._is_closed_in_c(lib.aeron_counter_is_closed)

    def _close_native(self) -> None:
        check(lib.aeron_counter_close(self._ptr, ffi.NULL, ffi.NULL), "aeron_counter_close")


def _make(operation: Any, ptr: Any, handles: list[Any]) -> Counter:
    return Counter(operation.client, ptr)


def _cancel(operation: Any) -> None:
    lib.aeron_async_add_counter_cancel(operation.client._ptr, operation._ptr)


COUNTER_KIND = _async.AsyncKind(
    out_type="aeron_counter_t **",
    poll=lib.aeron_async_add_counter_poll,
    make=_make,
    registration_id=lib.aeron_async_add_counter_get_registration_id,
    cancel=_cancel,
)
