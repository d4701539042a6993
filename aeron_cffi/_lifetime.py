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
* finalizers (``__del__``) only call ``close()``, warn with a ``ResourceWarning`` that
  an open object was collected (as pyzmq does; Python shows it under ``-W default``, in
  ``-X dev`` and in pytest) and log a close that failed: they are a safety net, not the
  main path. At interpreter exit the still-open roots (clients,
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

Closing while a call runs. cffi releases the GIL for every C call, so another
thread, or a handler running inside a poll, can call ``close()`` while C still
works on the object; C would then free memory the running call reads. The calls
that run long or hot (polls, offers, claims, archive requests) are therefore
counted in ``_calls`` while they run (``_in_flight``). ``close()`` marks the object closed at once, so every new call
raises ``ResourceClosedError``, but runs the C close only when the object is idle:
no call in flight on it and no child whose close has not finished (its C close
waiting, or its close running in another thread: C closes run from the bottom up).
Else the last call to leave runs it, in its own thread. The ordering that makes this
safe without a lock on the hot path: a call appends to ``_calls`` before it reads
``_closed``, and ``close()`` sets ``_closed`` and ``_close_pending`` before it reads
``_calls``, so under the GIL at least one of the two sees the other.

The per-message paths in C (``aeron_cffi._hot``: ``offer``, ``poll``, ``controlled_poll``)
hold the GIL from their open check to their return. Their check reads a flag of their
own, a *gate* (``_hot_gates``), which ``close()`` shuts as it marks the object closed,
before any C close can run. An offer runs no Python code in between, so it needs no
count; a poll runs handlers, so it counts itself in ``_calls`` as the Python calls do.

One mechanism, three spellings. Every call that reaches C memory of a resource after
checking that it is open counts as in flight on it, whatever it is (a poll, a getter, a
copy into a claim), because another thread may run between any two bytecodes and cffi
releases the GIL in every C call:

* ``resource._in_flight(function, *args)``: one C call;
* ``@in_flight`` on a method or property: its whole body (for methods that make several
  C calls or run Python callbacks between them);
* ``using(resources, function, *args)``: a call that uses several resources at once
  (a poll through a fragment assembler uses the subscription and the assembler);
* ``CGetter``: a read-only attribute answered by one C getter on the object's pointer.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import warnings
import weakref
from typing import Any, Callable, Generic, Sequence, TypeVar, overload

from aeron_cffi.errors import ResourceClosedError

_ROOTS: weakref.WeakSet[Resource] = weakref.WeakSet()
_ROOTS_LOCK = threading.Lock()
# Serialises the hand-over of a deferred close (rare); never held on the hot path.
# Re-entrant: finishing a child can finish the parent that waited for it.
_FINISH_LOCK = threading.RLock()
log = logging.getLogger("aeron_cffi")
F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C")
V = TypeVar("V")
R = TypeVar("R", bound="Resource")


class Resource:
    """Base of every wrapper that owns a C resource: parent/child lifetimes, idempotent close."""

    _closed: bool = True  # until __init__ ran: a failed constructor leaves nothing to close
    _closing: bool = False  # close() has started (its children are closing)
    _close_done: bool = False  # close() has finished, C close included (parents wait for it)
    _close_at_exit: bool = False  # roots that run C threads (clients, drivers) set this
    _hot_gates: tuple[Any, ...] = ()  # aeron_cffi._hot objects serving this one (see the module docstring)

    def __init__(self, parent: Resource | None = None) -> None:
        if parent is not None:
            parent._check_open()
        self._parent = parent
        self._children: weakref.WeakSet[Resource] = weakref.WeakSet()
        self._handles: list[Any] = []
        self._calls: list[None] = []  # one entry per call in flight (see the module docstring)
        self._close_pending = False  # closed, C close not yet run
        self._close_in_c = False  # whether the pending close calls _close_native
        self._blocking_children = 0  # children whose pending close this one waits for
        self._waiters: list[Resource] = []  # parents waiting for this one's pending close
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

    def _is_closed_in_c(self, function: Callable[[Any], Any]) -> bool:
        """``is_closed`` of a resource C may also close (``function(ptr)`` says so)."""
        if self._closed or not self._ancestors_open():
            return True
        try:
            return bool(self._in_flight(function, self._ptr))  # type: ignore[attr-defined]
        except ResourceClosedError:  # closed meanwhile by another thread
            return True

    def _check_open(self) -> None:
        if self._closed:
            raise ResourceClosedError(f"{type(self).__name__} is closed")

    # -- closing -------------------------------------------------------------------

    def close(self) -> None:
        """Close the live children, then this object's C resource. Idempotent.

        If a call on this object (or a child's pending close) is still running, in
        another thread or below the current one, the object is closed for Python at
        once and the C close runs when that call returns."""
        with _FINISH_LOCK:
            started = self._closed or self._closing
            if not started:
                # A child's close may close this object again (an AeronArchive closes the
                # Aeron client it started): that inner call must not run the C close twice.
                self._closing = True
                # Decided under the lock the parent's close lists its closing children
                # with: either the parent is closed already (its C close frees this
                # object: none here), or it waits for this close to finish before its own.
                self._close_in_c = self._ancestors_open()
        if started:
            if self._close_pending:  # an interrupted call may have skipped finishing it
                self._finish_close_if_idle(deferred=False)
            return
        try:
            for child in list(self._children):
                child.close()
        except BaseException:
            with _FINISH_LOCK:
                self._closing = False  # a child failed to close: a later close() tries again
            raise
        self._closed = True
        for gate in self._hot_gates:
            gate.close()
        with _FINISH_LOCK:
            self._close_pending = True
            # every child whose close has not finished: a pending C close, or a close
            # another thread is running (its child.close() above returned at once),
            # which may still call C
            blocking = [child for child in self._children if child._closing and not child._close_done]
            for child in blocking:
                child._waiters.append(self)
            self._blocking_children = len(blocking)
        self._finish_close_if_idle(deferred=False)

    def _finish_close_if_idle(self, deferred: bool) -> None:
        """Run the pending C close if nothing holds it back; exactly once."""
        if self._calls or self._blocking_children:
            return
        with _FINISH_LOCK:
            if not self._close_pending or self._calls or self._blocking_children:
                return
            self._close_pending = False
        try:
            if self._close_in_c:
                self._close_native()
        except Exception:
            if not deferred:
                raise
            # The call that finished the close must not fail for it; say what happened.
            log.exception("deferred close of %s failed", type(self).__name__)
        finally:
            if self._parent is not None:
                self._parent._children.discard(self)
            self._release_handles()
            with _FINISH_LOCK:
                self._close_done = True
                waiters, self._waiters = self._waiters, []
                for waiter in waiters:
                    waiter._blocking_children -= 1
            for waiter in waiters:
                waiter._finish_close_if_idle(deferred=True)

    # -- calls in flight -------------------------------------------------------------
    #
    # The count must survive an exception raised between any two bytecodes: Ctrl-C's
    # KeyboardInterrupt is raised at the first check after C returns, which can be just
    # after a call like ``self._enter()`` returned and before a ``try`` is entered. So
    # call sites append inside their ``try`` and pop first thing in its ``finally``
    # (``_in_flight``, and ``offer`` inlining it); ``_enter``/``_leave`` are for a
    # hold that spans calls (a claim's views outliving it).

    def _in_flight(self, function: Any, *args: Any) -> Any:
        """``function(*args)`` as a call in flight on this object (see the module docstring)."""
        calls = self._calls
        try:
            calls.append(None)  # before reading _closed: see the module docstring
            if self._closed:  # (callers check first what else makes them refuse)
                self._check_open()
            return function(*args)
        finally:
            calls.pop()
            if self._close_pending and not calls:
                self._finish_close_if_idle(deferred=True)

    def _enter(self) -> None:
        """Hold the C object open until ``_leave``; raises ResourceClosedError once closed."""
        self._calls.append(None)
        try:
            self._check_open()
        except BaseException:
            self._leave()
            raise

    def _leave(self) -> None:
        calls = self._calls
        calls.pop()
        if self._close_pending and not calls:
            self._finish_close_if_idle(deferred=True)

    def _close_native(self) -> None:
        """Free the C resource (only called while every ancestor is open)."""

    # -- repr ------------------------------------------------------------------------

    def _repr_fields(self) -> dict[str, object]:
        """What ``repr`` shows of an open object: its identity and state. Called only
        while it is open; C state is read through calls in flight (``CGetter``,
        ``@in_flight``), so a close from another thread meanwhile raises
        ``ResourceClosedError``, which ``repr`` shows as closed."""
        return {}

    def __repr__(self) -> str:
        name = type(self).__name__
        if self._closed or not self._ancestors_open():
            return f"<{name} closed>"
        try:
            fields = self._repr_fields()
        except ResourceClosedError:  # closed by another thread, or by C, while reading
            return f"<{name} closed>"
        except Exception as error:  # noqa: BLE001  (a repr must not raise: show what failed)
            return f"<{name} open (state unreadable: {type(error).__name__}: {error})>"
        shown = "".join(f" {key}={value!r}" for key, value in fields.items())
        return f"<{name} open{shown}>"

    def _release_handles(self) -> None:
        self._handles = []

    def __enter__(self: R) -> R:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        if self._closed:
            return
        try:
            if self._ancestors_open():  # (an object closed with its parent was not forgotten)
                warnings.warn(f"unclosed {type(self).__name__}: close it, or use it as a context manager",
                              ResourceWarning, stacklevel=1, source=self)
            self.close()
        except Exception:  # noqa: BLE001  (a finalizer must not raise: say what failed)
            log.exception("closing a collected %s failed", type(self).__name__)


def in_flight(method: F) -> F:
    """Decorator: ``method`` (or a property's getter) runs as a call in flight on ``self``,
    so a ``close()`` from another thread or from a callback it runs waits for it to return."""

    @functools.wraps(method)
    def counted(self: Resource, *args: Any, **kwargs: Any) -> Any:
        return self._in_flight(_checked, self, method, args, kwargs)

    return counted  # type: ignore[return-value]


def _checked(resource: Resource, method: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    resource._check_open()  # the whole check (an Aeron client also asks C whether it closed itself)
    return method(resource, *args, **kwargs)


def using(resources: Sequence[Resource], function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` as a call in flight on every one of ``resources`` (each checked
    open, each closed only once the call returned): calls that use more than one object."""
    if not resources:
        return function(*args)
    return resources[0]._in_flight(using, resources[1:], function, *args)


class CGetter(Generic[V]):
    """A read-only attribute answered by ``function(obj._ptr)``, as a call in flight (so a
    close in another thread cannot free the object under the C read); ``convert`` maps the
    C value (e.g. ``bool``). ``CGetter[int]`` types the attribute (``position: CGetter[int]
    = CGetter(lib....)``; with ``convert``, its result type)."""

    def __init__(self, function: Callable[[Any], Any], convert: Callable[[Any], V] | None = None,
                 doc: str | None = None) -> None:
        self.function = function
        self.convert = convert
        self.__doc__ = doc or f"(``{getattr(function, '__name__', function)}``)"

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> CGetter[V]: ...

    @overload
    def __get__(self, obj: Resource, owner: type | None = None) -> V: ...

    def __get__(self, obj: Resource | None, owner: type | None = None) -> CGetter[V] | V:
        if obj is None:
            return self
        value = obj._in_flight(self.function, obj._ptr)  # type: ignore[attr-defined]
        return value if self.convert is None else self.convert(value)


class Constants(Generic[C]):
    """The ``constants`` attribute of a wrapper: its ``_constants``, while it is open
    (``constants: Constants[PublicationConstants] = Constants()`` types it)."""

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Constants[C]: ...

    @overload
    def __get__(self, obj: Resource, owner: type | None = None) -> C: ...

    def __get__(self, obj: Resource | None, owner: type | None = None) -> Constants[C] | C:
        if obj is None:
            return self
        obj._check_open()
        return obj._constants  # type: ignore[attr-defined, no-any-return]


@atexit.register
def _close_roots() -> None:
    with _ROOTS_LOCK:
        roots = list(_ROOTS)
    for root in roots:
        try:
            root.close()
        except Exception:  # noqa: BLE001  (every root gets its close: say what failed)
            log.exception("closing %s at exit failed", type(root).__name__)
