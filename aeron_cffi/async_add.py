"""The raw asynchronous operations (``aeron_async_*``) for callers that poll themselves.

``Aeron.add_publication(...)`` and friends are ``async_add_publication(...).wait(timeout)``.
An ``AsyncAdd`` is a child of its client: closing it before it completes cancels the
operation (``aeron_async_add_*_cancel``); once ``poll()`` returned a result or raised,
C has freed the operation and the object is closed.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar

from aeron_cffi._lifetime import Resource, in_flight
from aeron_cffi._native import ffi
from aeron_cffi.errors import AeronError, AeronTimeoutError, last_error

if TYPE_CHECKING:
    from aeron_cffi.client import Aeron

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class AsyncKind(Generic[T]):
    """How to poll, identify, cancel and wrap one kind of asynchronous operation."""

    out_type: str | None  # what poll writes (e.g. "aeron_publication_t **"); None: nothing
    poll: Callable[..., int]
    make: Callable[[AsyncAdd[T], Any, list[Any]], T]  # (operation, C result, callback handles)
    registration_id: Callable[[Any], int] | None = None
    cancel: Callable[[AsyncAdd[T]], None] | None = None


class AsyncAdd(Resource, Generic[T]):
    """A pending ``aeron_async_*`` operation: ``poll()`` until it returns a result, or ``wait()``."""

    def __init__(self, client: Aeron, ptr: Any, kind: AsyncKind[T], description: str, handles: list[Any]) -> None:
        super().__init__(client)
        self.client = client
        self._ptr = ptr
        self._kind = kind
        self._handles = handles
        self.description = description

    @property
    @in_flight
    def registration_id(self) -> int:
        """The correlation id of the command (``aeron_async_*_get_registration_id``)."""
        if self._kind.registration_id is None:
            raise AttributeError(f"{self.description} has no registration id")
        return self._kind.registration_id(self._ptr)

    def poll(self) -> T | None:
        """One non-blocking check (``aeron_async_*_poll``): the result, or ``None`` if pending.

        Raises the error the driver reported (e.g. ``InvalidArgumentError`` for a bad channel).
        """
        self._check_open()
        out = ffi.new(self._kind.out_type) if self._kind.out_type else None

        def poll() -> tuple[int, AeronError | None]:  # the error is read before a deferred close runs
            rc = self._kind.poll(out, self._ptr) if out is not None else self._kind.poll(self._ptr)
            return rc, last_error(self.description) if rc < 0 else None

        # In flight: another thread closing the client meanwhile would free the operation.
        rc, error = self._in_flight(poll)
        if rc == 0:
            return None
        kind, handles = self._kind, self._handles
        # C freed the operation either way: close without cancelling, keep the handles.
        self._kind, self._handles = dataclasses.replace(kind, cancel=None), []
        self.close()
        if error is not None:
            raise error
        return kind.make(self, out[0] if out is not None else None, handles)

    def wait(self, timeout: float | None = None) -> T:
        """Poll until done; ``timeout`` seconds (None: until the driver times the command out).

        Raises ``AeronTimeoutError`` (and cancels) when ``timeout`` runs out.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            result = self.poll()
            if result is not None:
                return result
            if deadline is not None and time.monotonic() >= deadline:
                self.close()
                raise AeronTimeoutError(f"{self.description}: not complete after {timeout} s")
            self.client._await_conductor()

    def cancel(self) -> None:
        """Cancel the operation if still pending (``aeron_async_add_*_cancel``); same as ``close``."""
        self.close()

    def _close_native(self) -> None:
        if self._kind.cancel is not None:
            self._kind.cancel(self)
