"""The lifetime rules every wrapper of a C resource follows (DESIGN.md section 6).

``Resource`` is the base class of every object that owns a C pointer (Aeron,
Publication, Subscription, Image, Counter, MediaDriver, AeronArchive, ...):

* a child holds its parent strongly (``_parent``), so a parent's C memory outlives
  every child still reachable from Python;
* a parent holds its children weakly and closes the live ones first when it closes;
* ``close()`` is idempotent; after it, ``_check_open()`` raises ``ResourceClosedError``
  and no method touches C again;
* a child whose ancestor is already closed does not call its C close function: the
  ancestor's close freed it (``aeron_close`` frees every publication, subscription,
  image and counter). This is what makes garbage collection safe in any order: in a
  collected cycle every ``__del__`` runs before any object is cleared, so the flags
  a child reads are still there even if the parent's finalizer ran first;
* finalizers (``__del__``) only call ``close()`` and swallow its errors: they are a
  safety net, not the main path. At interpreter exit the still-open roots (clients,
  drivers) are closed by an ``atexit`` hook, before module globals are torn down,
  so no C thread calls back into a dying interpreter.

What does not change for a C object's life (channel, stream id, session id, ...) is
read once at creation into ``_constants`` and served by the ``Constants`` descriptor;
it raises ``ResourceClosedError`` after close like every other attribute (DESIGN.md
section 6), although the copy touches no C memory: a closed object answers nothing,
so a use after close fails at its first use, not at some later C call. Only
``close()``, ``is_closed`` and plain references to other Python objects (``client``,
``context``) stay usable. Read what you need before closing.

Subclasses implement ``_close_native()`` (the C close call) and keep the
``ffi.new_handle`` objects C may call in ``_handles`` (released after
``_close_native`` unless the subclass hands them on, see ``Aeron._retire``).
"""

from __future__ import annotations

import atexit
import threading
import weakref
from typing import Any

from aeron_cffi.errors import ResourceClosedError

_ROOTS: weakref.WeakSet[Resource] = weakref.WeakSet()
_ROOTS_LOCK = threading.Lock()


class Resource:
    """Base of every wrapper that owns a C resource: parent/child lifetimes, idempotent close."""

    _closed: bool = True  # until __init__ ran: a failed constructor leaves nothing to close
    _close_at_exit: bool = False  # roots that run C threads (clients, drivers) set this

    def __init__(self, parent: Resource | None = None) -> None:
        if parent is not None:
            parent._check_open()
        self._parent = parent
        self._children: weakref.WeakSet[Resource] = weakref.WeakSet()
        self._handles: list[Any] = []
        self._closed = False
        if parent is None and self._close_at_exit:
            with _ROOTS_LOCK:
                _ROOTS.add(self)
        elif parent is not None:
            parent._children.add(self)

    # -- state ---------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """True once ``close()`` ran on this object or on one of its ancestors."""
        return self._closed or not self._ancestors_open()

    def _ancestors_open(self) -> bool:
        parent = self._parent
        while parent is not None:
            if parent._closed:
                return False
            parent = parent._parent
        return True

    def _check_open(self) -> None:
        if self._closed:
            raise ResourceClosedError(f"{type(self).__name__} is closed")

    # -- closing -------------------------------------------------------------------

    def close(self) -> None:
        """Close the live children, then this object's C resource. Idempotent."""
        if self._closed:
            return
        for child in list(self._children):
            child.close()
        native = self._ancestors_open()
        self._closed = True
        try:
            if native:
                self._close_native()
        finally:
            if self._parent is not None:
                self._parent._children.discard(self)
            self._release_handles()

    def _close_native(self) -> None:
        """Free the C resource (only called while every ancestor is open)."""

    def _release_handles(self) -> None:
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not self._closed:
            try:
                self.close()
            except Exception:  # noqa: BLE001  (a finalizer must not raise)
                pass


class Constants:
    """The ``constants`` attribute of a wrapper: its ``_constants``, while it is open."""

    def __get__(self, obj: Resource | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        obj._check_open()
        return obj._constants  # type: ignore[attr-defined]


@atexit.register
def _close_roots() -> None:
    with _ROOTS_LOCK:
        roots = list(_ROOTS)
    for root in roots:
        try:
            root.close()
        except Exception:  # noqa: BLE001
            pass
