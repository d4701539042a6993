"""``Publication`` (``aeron_publication_t``) and the base it shares with ``ExclusivePublication``.

The two C types have the same functions under two prefixes
(``aeron_publication_*`` / ``aeron_exclusive_publication_*``); ``PublicationBase``
binds a subclass's ``C_PREFIX`` to those functions once, at class creation.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable, Sequence

from aeron_cffi import async_add as _async
from aeron_cffi._lifetime import Constants, Resource
from aeron_cffi._native import c_string, ffi, lib, release_views
from aeron_cffi.buffer_claim import BufferClaim
from aeron_cffi.callbacks import SyncTarget
from aeron_cffi.client import check_channel
from aeron_cffi.errors import RETRYABLE_OFFER_RESULTS, InvalidArgumentError, OfferResult, check, offer_error

if TYPE_CHECKING:
    from aeron_cffi.client import Aeron

_RETRYABLE = {int(member): member for member in RETRYABLE_OFFER_RESULTS}


@dataclasses.dataclass(frozen=True)
class PublicationConstants:
    """What does not change for a publication's life (``aeron_publication_constants_t``)."""

    channel: str
    original_registration_id: int
    registration_id: int
    max_possible_position: int
    position_bits_to_shift: int
    term_buffer_length: int
    max_message_length: int
    max_payload_length: int
    stream_id: int
    session_id: int
    initial_term_id: int
    publication_limit_counter_id: int
    channel_status_indicator_id: int


def local_addresses(function: Any, ptr: Any, what: str) -> list[str]:
    """Bound local socket addresses of a channel (``*_local_sockaddrs``), as ``host:port`` strings."""
    capacity = 16
    vector = ffi.new("aeron_iovec_t[]", capacity)
    storage = [ffi.new("uint8_t[]", lib.AERON_CLIENT_MAX_LOCAL_ADDRESS_STR_LEN) for _ in range(capacity)]
    for entry, buffer in zip(vector, storage):
        entry.iov_base = buffer
        entry.iov_len = lib.AERON_CLIENT_MAX_LOCAL_ADDRESS_STR_LEN
    count = check(function(ptr, vector, capacity), what)
    return [c_string(ffi.cast("char *", storage[i])) for i in range(min(count, capacity))]


def _wrap_destination(operation: Any, result: Any, handles: list[Any]) -> bool:
    return True


def destination_kind(poll: Any) -> _async.AsyncKind[bool]:
    """How to poll an add/remove destination operation (MDC and MDS alike)."""
    return _async.AsyncKind(
        out_type=None, poll=poll, make=_wrap_destination,
        registration_id=lib.aeron_async_destination_get_registration_id)


class PublicationBase(Resource):
    """What ``Publication`` and ``ExclusivePublication`` share; not created directly."""

    C_PREFIX = ""
    ASYNC_KIND: _async.AsyncKind[Any]
    constants = Constants()
    # bound per subclass from C_PREFIX by __init_subclass__
    _offer_fn: Callable[..., int]
    _offerv_fn: Callable[..., int]
    _try_claim_fn: Callable[..., int]
    _destination_kind: _async.AsyncKind[bool]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        p = cls.C_PREFIX
        cls._offer_fn = staticmethod(getattr(lib, p + "offer"))
        cls._offerv_fn = staticmethod(getattr(lib, p + "offerv"))
        cls._try_claim_fn = staticmethod(getattr(lib, p + "try_claim"))
        cls._destination_kind = destination_kind(getattr(lib, p + "async_destination_poll"))

    def __init__(self, client: Aeron, ptr: Any) -> None:
        super().__init__(client)
        self.client = client
        self._ptr = ptr
        constants = ffi.new("aeron_publication_constants_t *")
        check(self._c("constants")(ptr, constants), self.C_PREFIX + "constants")
        self._constants = PublicationConstants(
            c_string(constants.channel), *(getattr(constants, f.name) for f in
                                           dataclasses.fields(PublicationConstants)[1:]))
        self._max_message_length = self._constants.max_message_length
        self._max_payload_length = self._constants.max_payload_length
        self._supplier_target = SyncTarget()
        self._supplier_handle = ffi.new_handle(self._supplier_target)

    @classmethod
    def _c(cls, name: str) -> Any:
        return getattr(lib, cls.C_PREFIX + name)

    def _name(self, method: str) -> str:
        return f"{type(self).__name__}.{method}"

    # -- constants ---------------------------------------------------------------------

    @property
    def channel(self) -> str:
        """The channel URI as the driver resolved it."""
        return self.constants.channel

    @property
    def stream_id(self) -> int:
        return self.constants.stream_id

    @property
    def session_id(self) -> int:
        return self.constants.session_id

    @property
    def registration_id(self) -> int:
        return self.constants.registration_id

    @property
    def max_message_length(self) -> int:
        """Largest message ``offer`` accepts (fragmented above ``max_payload_length``)."""
        return self.constants.max_message_length

    @property
    def max_payload_length(self) -> int:
        """Largest message that fits one frame (the ``try_claim`` limit)."""
        return self.constants.max_payload_length

    # -- sending -----------------------------------------------------------------------

    def _outcome(self, result: int, method: str) -> OfferResult:
        member = _RETRYABLE.get(result)
        if member is not None:
            return member
        raise offer_error(result, self._name(method))

    def offer(self, data: Any, reserved_value_supplier: Callable[[int], int] | None = None) -> int:
        """Send one message (``*_offer``): the new stream position (> 0), or a negative
        ``OfferResult`` to retry (``NOT_CONNECTED``, ``BACK_PRESSURED``, ``ADMIN_ACTION``).

        ``data`` is any bytes-like object. ``reserved_value_supplier(frame_length)`` returns
        the int64 for each frame's reserved value. Raises ``PublicationClosedError``,
        ``MaxPositionExceededError`` or ``PublicationError`` for terminal outcomes and
        ``InvalidArgumentError`` for a message above ``max_message_length``.
        """
        # Resource._in_flight, inlined (as a call it is a third of an offer's cost), with
        # the closed check first, so that a closed publication raises whatever the data.
        calls = self._calls
        buffer = data
        try:
            calls.append(None)
            if self._closed:
                self._check_open()
            # bytes go to C as they are (cffi passes a pointer to their storage); other
            # bytes-like objects need a buffer view, which costs about 100 ns more.
            if type(data) is not bytes:
                buffer = ffi.from_buffer(data)
            length = len(buffer)
            if length > self._max_message_length:
                raise InvalidArgumentError(
                    f"{self._name('offer')}: message of {length} bytes exceeds max_message_length "
                    f"{self._max_message_length}")
            if reserved_value_supplier is None:
                result = self._offer_fn(self._ptr, buffer, length, ffi.NULL, ffi.NULL)
            else:
                result = self._with_supplier(reserved_value_supplier, self._offer_fn, buffer, length)
            return result if result > 0 else self._outcome(result, "offer")
        except BaseException:
            release_views(data, buffer)
            raise
        finally:
            calls.pop()
            if self._close_pending and not calls:
                self._finish_close_if_idle(deferred=True)

    def _with_supplier(self, supplier: Callable[[int], int], function: Any, *args: Any) -> int:
        target = self._supplier_target
        target.function = supplier
        try:
            result = function(self._ptr, *args, lib.aeron_cffi_on_reserved_value_supplier, self._supplier_handle)
        finally:
            target.function = None
        target.raise_pending()
        return result

    def offerv(self, buffers: Sequence[Any], reserved_value_supplier: Callable[[int], int] | None = None) -> int:
        """Send the concatenation of ``buffers`` as one message (``*_offerv``); results as ``offer``.

        Each buffer costs a view and an iovec entry filled from Python: for messages of a
        few KiB, ``offer(b"".join(buffers))`` is about three times faster (docs/benchmarks.md).
        """
        if self._closed:
            self._check_open()
        views = [ffi.from_buffer("uint8_t[]", b) for b in buffers]  # keep the memory for this call
        count = len(views)
        # The iovec array is reused from call to call, taken out of the publication while in
        # use so that concurrent calls (a Publication is thread-safe) or a nested one (from
        # the supplier) each fill their own.
        iov = self.__dict__.pop("_offerv_iov", None)
        if iov is None or len(iov) < count:
            iov = ffi.new("aeron_iovec_t[]", max(count, 4))
        length = 0
        for i in range(count):
            view = views[i]
            entry = iov[i]
            entry.iov_base = view
            entry.iov_len = size = len(view)
            length += size
        try:
            if length > self._max_message_length:
                raise InvalidArgumentError(
                    f"{self._name('offerv')}: message of {length} bytes exceeds max_message_length "
                    f"{self._max_message_length}")
            if reserved_value_supplier is None:
                result = self._in_flight(self._offerv_fn, self._ptr, iov, count, ffi.NULL, ffi.NULL)
            else:
                result = self._in_flight(self._with_supplier, reserved_value_supplier, self._offerv_fn, iov, count)
            if result > 0:
                return result
            return self._outcome(result, "offerv")
        except BaseException:
            release_views(None, *views)
            raise
        finally:
            self._offerv_iov = iov

    def try_claim(self, length: int, buffer_claim: BufferClaim) -> int:
        """Claim ``length`` bytes of the term to write in place (``*_try_claim``).

        On success returns the new position and ``buffer_claim`` holds the space: fill it
        in place through ``buffer_claim.buffer`` (or copy in with ``put``) and ``commit()``
        (or ``abort()``); ``with buffer_claim:`` commits on exit, aborts on an exception.
        Results otherwise as ``offer``. Raises ``BufferError`` while a slice of the
        holder's previous claim's buffer is still alive.
        """
        if self._closed:
            self._check_open()
        if not isinstance(length, int):
            raise TypeError(f"{self._name('try_claim')}: length must be int, got {type(length).__name__}")
        if not isinstance(buffer_claim, BufferClaim):
            raise TypeError(f"{self._name('try_claim')}: buffer_claim must be a BufferClaim, "
                            f"got {type(buffer_claim).__name__}")
        if length < 0 or length > self._max_payload_length:
            raise InvalidArgumentError(
                f"{self._name('try_claim')}: length {length} is outside 0..max_payload_length "
                f"{self._max_payload_length}")
        buffer_claim._release_view("try_claim")  # C is about to reuse the holder
        result = self._in_flight(self._try_claim_fn, self._ptr, length, buffer_claim._claim)
        if result > 0:
            buffer_claim._claimed(self)
            return result
        return self._outcome(result, "try_claim")

    # -- state -------------------------------------------------------------------------

    @property
    def position(self) -> int:
        """Position of the next message to send (``*_position``)."""
        self._check_open()
        return self._c("position")(self._ptr)

    @property
    def position_limit(self) -> int:
        """Position the publication may not go past (flow control) (``*_position_limit``)."""
        self._check_open()
        return self._c("position_limit")(self._ptr)

    @property
    def channel_status(self) -> int:
        """The channel's status indicator (1 active, -1 errored) (``*_channel_status``)."""
        self._check_open()
        return self._c("channel_status")(self._ptr)

    @property
    def is_connected(self) -> bool:
        """True when at least one subscriber is connected (``*_is_connected``)."""
        self._check_open()
        return bool(self._c("is_connected")(self._ptr))

    @property
    def is_closed(self) -> bool:
        """True once closed here or by the client (``*_is_closed``)."""
        return self._closed or not self._ancestors_open() or bool(self._c("is_closed")(self._ptr))

    def local_addresses(self) -> list[str]:
        """Local socket addresses the channel is bound to (``*_local_sockaddrs``)."""
        self._check_open()
        return local_addresses(self._c("local_sockaddrs"), self._ptr, self.C_PREFIX + "local_sockaddrs")

    # -- multi-destination-cast ----------------------------------------------------------

    def _destination(self, function: str, arg: Any, what: str) -> _async.AsyncAdd[bool]:
        self._check_open()
        out = ffi.new("aeron_async_destination_t **")
        check(self._c(function)(out, self.client._ptr, self._ptr, arg), what)
        return _async.AsyncAdd(self.client, out[0], self._destination_kind, what, [])

    def async_add_destination(self, uri: str) -> _async.AsyncAdd[bool]:
        """Start adding an MDC destination (``*_async_add_destination``)."""
        self._check_open()
        what = f"{self._name('add_destination')}({uri!r})"
        return self._destination("async_add_destination", check_channel(uri, what), what)

    def add_destination(self, uri: str, timeout: float | None = None) -> None:
        """Add an MDC destination and wait for the driver."""
        self.async_add_destination(uri).wait(timeout)

    def async_remove_destination(self, uri: str) -> _async.AsyncAdd[bool]:
        """Start removing an MDC destination (``*_async_remove_destination``)."""
        self._check_open()
        what = f"{self._name('remove_destination')}({uri!r})"
        return self._destination("async_remove_destination", check_channel(uri, what), what)

    def remove_destination(self, uri: str, timeout: float | None = None) -> None:
        """Remove an MDC destination and wait for the driver."""
        self.async_remove_destination(uri).wait(timeout)

    def async_remove_destination_by_id(self, destination_registration_id: int) -> _async.AsyncAdd[bool]:
        """Start removing a destination by its registration id (``*_async_remove_destination_by_id``).

        Does not work with Aeron 1.51.0: its C client sends the publication's registration id
        where the destination's belongs (``aeron_client_conductor_on_cmd_destination_by_id``),
        so the driver answers success and removes nothing. Use ``remove_destination(uri)``."""
        what = f"{self._name('remove_destination_by_id')}({destination_registration_id})"
        return self._destination("async_remove_destination_by_id", destination_registration_id, what)

    def remove_destination_by_id(self, destination_registration_id: int, timeout: float | None = None) -> None:
        """Remove a destination by registration id and wait for the driver."""
        self.async_remove_destination_by_id(destination_registration_id).wait(timeout)

    def _close_native(self) -> None:
        check(self._c("close")(self._ptr, ffi.NULL, ffi.NULL), self.C_PREFIX + "close")


def _wrap(cls: type[PublicationBase]) -> Callable[[Any, Any, list[Any]], PublicationBase]:
    def make(operation: Any, ptr: Any, handles: list[Any]) -> PublicationBase:
        return cls(operation.client, ptr)

    return make


def publication_kind(cls: type[PublicationBase], add: str) -> _async.AsyncKind[Any]:
    """The async add kind for a publication class (``aeron_async_add_*`` functions named by ``add``)."""

    def cancel(operation: Any) -> None:
        getattr(lib, f"aeron_async_{add}_cancel")(operation.client._ptr, operation._ptr)

    return _async.AsyncKind(
        out_type=f"{cls.C_PREFIX}t **",
        poll=getattr(lib, f"aeron_async_{add}_poll"),
        make=_wrap(cls),
        registration_id=getattr(lib, f"aeron_async_{add}_get_registration_id"),
        cancel=cancel,
    )


class Publication(PublicationBase):
    """A concurrent publication (``aeron_publication_t``): ``offer`` is thread-safe.

    Made by ``Aeron.add_publication``; a child of its client.
    """

    C_PREFIX = "aeron_publication_"

    @property
    def channel(self) -> str:
        """The channel URI (``aeron_publication_channel``)."""
        self._check_open()
        return c_string(lib.aeron_publication_channel(self._ptr))

    @property
    def stream_id(self) -> int:
        """(``aeron_publication_stream_id``)"""
        self._check_open()
        return lib.aeron_publication_stream_id(self._ptr)

    @property
    def session_id(self) -> int:
        """(``aeron_publication_session_id``)"""
        self._check_open()
        return lib.aeron_publication_session_id(self._ptr)


Publication.ASYNC_KIND = publication_kind(Publication, "add_publication")
