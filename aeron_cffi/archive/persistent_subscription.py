"""``PersistentSubscription``: a subscription to a recorded stream that replays what
it missed and then follows live, switching over without loss or duplicates
(``aeron_archive_persistent_subscription_*``).
"""

from __future__ import annotations

import os
from typing import Any, Callable

from aeron_cffi._lifetime import CGetter, Resource, in_flight
from aeron_cffi._native import c_string, ffi, lib
from aeron_cffi.archive.archive import _channel, _pointer
from aeron_cffi.archive.context import ArchiveContext
from aeron_cffi.archive.errors import ArchiveError, archive_check, archive_error
from aeron_cffi.callbacks import SyncTarget
from aeron_cffi.errors import AeronError, error_from
from aeron_cffi.fragment_assembler import Poller

__all__ = ["PersistentSubscription", "FROM_START", "FROM_LIVE"]

#: ``start_position`` values: the recording's start, or only what arrives live.
FROM_START: int = lib.AERON_ARCHIVE_PERSISTENT_SUBSCRIPTION_FROM_START
FROM_LIVE: int = lib.AERON_ARCHIVE_PERSISTENT_SUBSCRIPTION_FROM_LIVE

_PREFIX = "aeron_archive_persistent_subscription_context_"
_COUNTERS = ("state_counter", "join_difference_counter", "live_left_counter", "live_joined_counter")


class _Listener(SyncTarget):
    """The listener struct's three callbacks; they run inside ``poll``."""

    __slots__ = ("live_joined", "live_left", "errors")

    def __init__(self, live_joined, live_left, errors) -> None:
        super().__init__()
        self.live_joined, self.live_left, self.errors = live_joined, live_left, errors

    def on_live_joined(self) -> None:
        if self.live_joined is not None:
            self.live_joined()

    def on_live_left(self) -> None:
        if self.live_left is not None:
            self.live_left()

    def on_error(self, errcode: int, message: str) -> None:
        if self.errors is not None:
            error = error_from(errcode, message)
            self.errors(ArchiveError.from_message(message, errcode) or error)


class PersistentSubscription(Poller, Resource):
    """Follow ``recording_id``: replay it on ``replay_channel``/``replay_stream_id`` from
    ``start_position`` (``FROM_START``, ``FROM_LIVE`` or a position), then join the
    live stream ``live_channel``/``live_stream_id``
    (``aeron_archive_persistent_subscription_create``).

    ``archive_context`` says how to reach the archive (the subscription connects on
    its own, asynchronously, as it is polled). ``aeron`` defaults to the context's;
    with neither, C starts a client in conductor-invoker mode on
    ``aeron_directory_name``, driven by ``poll``. Listeners, all called from ``poll``:
    ``on_live_joined()``, ``on_live_left()``, ``on_error(error: AeronError)``.
    Counters (client ``Counter`` objects) receive the state, the join difference and
    the live left/joined counts; closing one of them, the context or the Aeron
    client closes this subscription first.
    """

    def __init__(
        self,
        archive_context: ArchiveContext,
        *,
        recording_id: int,
        live_channel: str,
        live_stream_id: int,
        replay_channel: str,
        replay_stream_id: int,
        start_position: int = FROM_START,
        aeron: Any = None,
        aeron_directory_name: str | os.PathLike | None = None,
        on_live_joined: Callable[[], object] | None = None,
        on_live_left: Callable[[], object] | None = None,
        on_error: Callable[[AeronError], object] | None = None,
        **counters: Any,
    ) -> None:
        unknown = set(counters) - set(_COUNTERS)
        if unknown:
            raise TypeError(f"unknown persistent subscription setting(s): {', '.join(sorted(unknown))}")
        aeron = aeron if aeron is not None else archive_context.aeron
        context_p = ffi.new("aeron_archive_persistent_subscription_context_t **")
        archive_check(lib.aeron_archive_persistent_subscription_context_init(context_p), _PREFIX + "init")
        context = context_p[0]
        self._listener = _Listener(on_live_joined, on_live_left, on_error)
        self._listener_handle = ffi.new_handle(self._listener)
        try:
            listener = ffi.new("aeron_archive_persistent_subscription_listener_t *")
            listener.on_live_joined = lib.aeron_cffi_on_archive_persistent_subscription_live_joined
            listener.on_live_left = lib.aeron_cffi_on_archive_persistent_subscription_live_left
            listener.on_error = lib.aeron_cffi_on_archive_persistent_subscription_error
            listener.clientd = self._listener_handle
            settings: list[tuple[str, Any]] = [
                ("archive_context", archive_context.ctx),
                ("recording_id", recording_id),
                ("live_channel", _channel(live_channel)),
                ("live_stream_id", live_stream_id),
                ("replay_channel", _channel(replay_channel)),
                ("replay_stream_id", replay_stream_id),
                ("start_position", start_position),
                ("listener", listener),
            ]
            if aeron is not None:
                settings.append(("aeron", aeron.ptr))
            if aeron_directory_name is not None:
                settings.append(("aeron_directory_name", os.fsencode(aeron_directory_name)))
            settings += [(name, _pointer(counter)) for name, counter in counters.items()]
            for name, value in settings:
                archive_check(getattr(lib, _PREFIX + "set_" + name)(context, value), _PREFIX + "set_" + name)
            subscription_p = ffi.new("aeron_archive_persistent_subscription_t **")
            archive_check(
                lib.aeron_archive_persistent_subscription_create(subscription_p, context),
                "aeron_archive_persistent_subscription_create",
            )
        except BaseException:
            _release_counters(context, counters)
            lib.aeron_archive_persistent_subscription_context_close(context)
            raise
        # Created: the subscription owns its C context and closes it.
        super().__init__(aeron)
        self._ptr = subscription_p[0]
        self._context = context
        self.archive_context = archive_context
        self.counters = counters
        for owner in (archive_context, *counters.values()):
            owner._children.add(self)
        self._init_poller()

    # -- polling ------------------------------------------------------------------------

    def _subscription(self):
        self._check_open()
        return self._ptr

    def _poll(self, handler: Any, controlled: bool, fragment_limit: int) -> int:
        subscription = self._subscription()
        name = "controlled_poll" if controlled else "poll"
        function = getattr(lib, f"aeron_archive_persistent_subscription_{name}")
        try:
            return self._dispatch(
                handler, controlled, lambda c_handler, clientd: function(subscription, c_handler, clientd, fragment_limit),
                f"aeron_archive_persistent_subscription_{name}",
            )
        finally:
            self._listener.raise_pending()

    def poll(self, handler: Any, fragment_limit: int = 10) -> int:
        """Do the subscription's work (connect, replay, join live) and deliver up to
        ``fragment_limit`` fragments to ``handler(data, header)``
        (``aeron_archive_persistent_subscription_poll``). Returns the work count."""
        return self._poll(handler, False, fragment_limit)

    def controlled_poll(self, handler: Any, fragment_limit: int = 10) -> int:
        """As ``poll`` with a controlled handler returning a ``ControlledPollAction``
        (``aeron_archive_persistent_subscription_controlled_poll``)."""
        return self._poll(handler, True, fragment_limit)

    # -- state ---------------------------------------------------------------------------

    is_live = CGetter(lib.aeron_archive_persistent_subscription_is_live, bool,
                      "Following the live stream (``aeron_archive_persistent_subscription_is_live``).")
    is_replaying = CGetter(lib.aeron_archive_persistent_subscription_is_replaying, bool,
                           "Catching up from the recording (``aeron_archive_persistent_subscription_is_replaying``).")
    has_failed = CGetter(lib.aeron_archive_persistent_subscription_has_failed, bool,
                         "Gave up for good (``aeron_archive_persistent_subscription_has_failed``).")

    @property
    @in_flight
    def failure_reason(self) -> AeronError | None:
        """Why it failed, as an exception object (not raised), or None
        (``aeron_archive_persistent_subscription_failure_reason``)."""
        errcode = ffi.new("int *")
        message = ffi.new("const char **")
        if not lib.aeron_archive_persistent_subscription_failure_reason(self._ptr, errcode, message):
            return None
        text = c_string(message[0])
        return ArchiveError.from_message(text, errcode[0]) or error_from(errcode[0], text)

    # -- settings, as the C context holds them ----------------------------------------------

    def _get(self, name: str) -> Any:
        return self._in_flight(getattr(lib, _PREFIX + "get_" + name), self._context)

    @property
    def recording_id(self) -> int:
        return self._get("recording_id")

    @property
    def live_channel(self) -> str:
        return c_string(self._get("live_channel"))

    @property
    def live_stream_id(self) -> int:
        return self._get("live_stream_id")

    @property
    def replay_channel(self) -> str:
        """The replay channel as used (C adds ``rejoin=false``)."""
        return c_string(self._get("replay_channel"))

    @property
    def replay_stream_id(self) -> int:
        return self._get("replay_stream_id")

    @property
    def start_position(self) -> int:
        return self._get("start_position")

    def counter_id(self, name: str) -> int | None:
        """The id of the ``state_counter``/``join_difference_counter``/
        ``live_left_counter``/``live_joined_counter`` in use, None if none
        (``aeron_archive_persistent_subscription_context_get_<name>``); C allocates
        the ones not given."""
        if name not in _COUNTERS:
            raise ValueError(f"unknown counter {name!r}")
        counter = self._get(name)
        if counter == ffi.NULL:
            return None
        constants = ffi.new("aeron_counter_constants_t *")
        archive_check(lib.aeron_counter_constants(counter, constants), "aeron_counter_constants")
        return constants.counter_id

    def _close_native(self) -> None:
        for owner in (self.archive_context, *self.counters.values()):
            owner._children.discard(self)
        _release_counters(self._context, self.counters)
        if lib.aeron_archive_persistent_subscription_close(self._ptr) < 0:
            raise archive_error("aeron_archive_persistent_subscription_close")


def _release_counters(context, counters: dict[str, Any]) -> None:
    """The C context closes the counters it holds; those given as ``Counter`` objects
    stay theirs, so they are taken back first (C's own default counters it closes)."""
    for name in counters:
        getattr(lib, _PREFIX + "set_" + name)(context, ffi.NULL)
