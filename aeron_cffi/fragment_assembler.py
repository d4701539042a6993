"""Fragment assemblers: whole messages above the MTU, reassembled in C.

Pass an assembler wherever a poll takes a handler: ``sub.poll(FragmentAssembler(on_message))``.
The poll then hands C's own assembler handler to C, so fragments never cross into
Python; only each complete message does, through the assembler's delegate, which is C
too (``aeron_cffi._hot.Delivery``): it calls the Python handler with the GIL held (taken
when the poll came through cffi, already held in ``Subscription.poll``/``Image.poll``).

* ``FragmentAssembler`` / ``ControlledFragmentAssembler``: ``aeron_fragment_assembler_*`` /
  ``aeron_controlled_fragment_assembler_*`` (any number of images, one buffer per session);
* ``ImageFragmentAssembler`` / ``ImageControlledFragmentAssembler``: the single-image
  variants (``aeron_image_fragment_assembler_*``, ``aeron_image_controlled_fragment_assembler_*``).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Callable

from aeron_cffi._lifetime import Resource, using
from aeron_cffi._native import address, ffi, hot, lib
from aeron_cffi.callbacks import FragmentTarget
from aeron_cffi.errors import AeronError, check
from aeron_cffi.header import Header

__all__ = ["ControlledFragmentAssembler", "ControlledPollAction", "FragmentAssembler", "FragmentHandler",
           "ImageControlledFragmentAssembler", "ImageFragmentAssembler", "Poller"]

class ControlledPollAction(enum.IntEnum):
    """What a controlled handler returns (``aeron_controlled_fragment_handler_action_t``)."""

    ABORT = lib.AERON_ACTION_ABORT
    BREAK = lib.AERON_ACTION_BREAK
    COMMIT = lib.AERON_ACTION_COMMIT
    CONTINUE = lib.AERON_ACTION_CONTINUE


FragmentHandler = Callable[[bytes, Header], object]


class _Assembler(Resource):
    C_PREFIX = ""
    CONTROLLED = False

    def __init__(self, handler: FragmentHandler) -> None:
        if not callable(handler):
            raise TypeError(f"{type(self).__name__} needs a callable handler")
        super().__init__()
        delivery = hot.Delivery(handler, Header(), self.CONTROLLED)
        delegate = lib.aeron_cffi_hot_assembled_controlled if self.CONTROLLED else lib.aeron_cffi_hot_assembled
        out = ffi.new(f"{self.C_PREFIX}t **")
        try:
            check(getattr(lib, self.C_PREFIX + "create")(out, delegate, ffi.cast("void *", delivery.address)),
                  self.C_PREFIX + "create")
        except AeronError:
            self._closed = True
            raise
        self._ptr = out[0]
        self._c_handler = ffi.addressof(lib, self.C_PREFIX + "handler")
        delivery.bind(address(self._ptr), address(self._c_handler), self._calls)
        self._delivery = delivery  # C calls it until _close_native: it lives as long as this object
        self._hot_gates = (delivery,)

    def _close_native(self) -> None:
        getattr(lib, self.C_PREFIX + "delete")(self._ptr)


class FragmentAssembler(_Assembler):
    """Reassembles fragmented messages for ``poll`` (``aeron_fragment_assembler_create``)."""

    C_PREFIX = "aeron_fragment_assembler_"


class ControlledFragmentAssembler(_Assembler):
    """Reassembles for ``controlled_poll`` (``aeron_controlled_fragment_assembler_create``)."""

    C_PREFIX = "aeron_controlled_fragment_assembler_"
    CONTROLLED = True


class ImageFragmentAssembler(_Assembler):
    """Single-image reassembly for ``Image.poll`` (``aeron_image_fragment_assembler_create``)."""

    C_PREFIX = "aeron_image_fragment_assembler_"


class ImageControlledFragmentAssembler(_Assembler):
    """Single-image reassembly for controlled polls (``aeron_image_controlled_fragment_assembler_create``)."""

    C_PREFIX = "aeron_image_controlled_fragment_assembler_"
    CONTROLLED = True


class Poller:
    """Fragment handler plumbing shared by ``Subscription`` and ``Image``.

    ``_dispatch(handler, controlled, call)`` runs ``call(c_handler, clientd)`` through cffi
    with either the C assembler (for an assembler) or this object's reusable trampoline
    target, then re-raises what the handler raised and invalidates the ``Header``.
    (``Subscription``/``Image`` ``poll``/``controlled_poll`` run in C instead:
    ``_init_hot_poller``; ``_dispatch`` serves the other polls.) The call
    counts as in flight on the poller and on the assembler (``_lifetime.using``), so a
    ``close()`` of either, from the handler or from another thread, waits for it to
    return before C frees the object.
    """

    if TYPE_CHECKING:  # (a Poller is always also a Resource: Subscription, Image, ReplayMerge...)
        _ptr: Any
        _calls: list[None]
        _hot_gates: tuple[Any, ...]

        def _in_flight(self, function: Any, *args: Any) -> Any: ...

        def _check_open(self) -> None: ...

    # (poll, controlled_poll) of the C type, for what the hot path hands back (assemblers)
    _C_POLLS: tuple[Any, Any]

    def _init_poller(self) -> None:
        self._target = FragmentTarget(None, Header())
        self._target_handle = ffi.new_handle(self._target)

    def _init_hot_poller(self, kind: int) -> None:
        """Serve ``poll`` and ``controlled_poll`` with a plain handler from C holding the GIL
        (``aeron_cffi._hot.Poller``, in flight in ``_calls`` like the Python calls); the rest
        comes back to ``_poll_other``. Instance attributes, so that ``subscription.poll`` is
        the C method itself: a Python method in between would cost as much as the rest."""
        name = type(self).__name__
        poller = hot.Poller(address(self._ptr), kind, self, type(self)._poll_other, self._calls, Header, _Assembler,
                            check, f"{name}.poll", f"{name}.controlled_poll")
        self._hot_poller = poller
        self._hot_gates = (poller,)
        self.__dict__["poll"] = poller.poll
        self.__dict__["controlled_poll"] = poller.controlled_poll

    def _poll_other(self, controlled: bool, handler: Any, fragment_limit: int = 10, *, view: bool = False) -> int:
        """What the C poll does not take: a closed object, a fragment assembler, arguments
        of other types. These take the cffi path, which refuses what it refused before the
        C poll existed, in the same order (cffi's TypeError or OverflowError for a
        ``fragment_limit`` C's ``size_t`` cannot hold)."""
        what = f"{type(self).__name__}.{'controlled_poll' if controlled else 'poll'}"
        self._check_open()
        if isinstance(handler, _Assembler) and view:
            raise TypeError(f"{what}: view=True is for a handler function (an assembler delivers bytes)")
        function = self._C_POLLS[controlled]
        ptr = self._ptr
        return self._dispatch(handler, controlled, lambda h, d: function(ptr, h, d, fragment_limit), what)

    def _dispatch(self, handler: Any, controlled: bool, call: Callable[[Any, Any], int], what: str) -> int:
        if isinstance(handler, _Assembler):
            if handler.CONTROLLED != controlled:
                raise TypeError(f"{what}: {type(handler).__name__} does not fit this poll")
            # The assembler's C memory is used by the whole call, as the subscription's is:
            # a handler that closes either only marks it closed until the poll returns.
            result = using((self, handler), call, handler._c_handler, handler._ptr)  # type: ignore[arg-type]
            handler._delivery.raise_pending()
            return check(result, what)
        if not callable(handler):
            raise TypeError(f"{what}: handler must be callable or a fragment assembler")
        target, clientd = self._target, self._target_handle
        if target.function is not None:  # a handler polls the same object again
            target = FragmentTarget(None, Header())
            clientd = ffi.new_handle(target)
        target.function = handler
        c_handler = lib.aeron_cffi_on_controlled_fragment_handler if controlled else lib.aeron_cffi_on_fragment_handler
        try:
            result = self._in_flight(call, c_handler, clientd)
        finally:
            if target is self._target:
                target.function = None
            target.header._ptr = None
        target.raise_pending()
        return check(result, what)
