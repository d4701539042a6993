"""``Publication`` (``aeron_publication_t``) and the base it shares with ``ExclusivePublication``.

The two C types have the same functions under two prefixes
(``aeron_publication_*`` / ``aeron_exclusive_publication_*``); ``PublicationBase``
binds a subclass's ``C_PREFIX`` to those functions once, at class creation.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import TYPE_CHECKING, Any, Callable, Sequence

from aeron_cffi import async_add as _async
from aeron_cffi._lifetime import CGetter, Constants, Resource, in_flight
from aeron_cffi._native import address, bytes_view, c_string, ffi, hot, lib, release_views
from aeron_cffi.buffer_claim import BufferClaim
from aeron_cffi.client import check_channel
from aeron_cffi.errors import RETRYABLE_OFFER_RESULTS, InvalidArgumentError, OfferResult, check, offer_error

if TYPE_CHECKING:
    from aeron_cffi.client import Aeron

__all__ = ["Publication", "PublicationBase", "PublicationConstants", "destination_kind", "local_addresses",
           "publication_kind"]

_RETRYABLE = {int(member): member for member in RETRYABLE_OFFER_RESULTS}
_INT64 = range(-(2**63), 2**63)
# The C supplier that hands over the values _reserved_values asked for, in frame order.
_NEXT_RESERVED_VALUE = ffi.addressof(lib, "aeron_cffi_reserved_value_next")


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
    constants: Constants[PublicationConstants] = Constants()
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
        cls.position = CGetter(getattr(lib, p + "position"),
                               doc=f"Position of the next message to send (``{p}position``).")
        cls.position_limit = CGetter(getattr(lib, p + "position_limit"),
                                     doc=f"Position the publication may not go past (flow control) (``{p}position_limit``).")
        cls.channel_status = CGetter(getattr(lib, p + "channel_status"),
                                     doc=f"The channel's status indicator (1 active, -1 errored) (``{p}channel_status``).")
        cls.is_connected = CGetter(getattr(lib, p + "is_connected"), bool,
                                   doc=f"True when at least one subscriber is connected (``{p}is_connected``).")

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
        # offer of bytes or a bytearray, without a supplier, runs in C holding the GIL
        # (aeron_cffi._hot.Offerer); everything else comes back to the Python offer below.
        # An instance attribute, so that publication.offer is the C method itself.
        offerer = hot.Offerer(address(ptr), self.C_PREFIX == "aeron_exclusive_publication_",
                              self._max_message_length, self, type(self).offer, type(self)._outcome,
                              (_RETRYABLE[-1], _RETRYABLE[-2], _RETRYABLE[-3]))  # in the order C indexes them
        self._hot_gates = (offerer,)
        self.__dict__["offer"] = offerer.offer

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
        the int64 for each frame's reserved value; it is asked before the message is offered
        (see ``_reserved_values``), so if it raises nothing is sent. Raises ``PublicationClosedError``,
        ``MaxPositionExceededError`` or ``PublicationError`` for terminal outcomes and
        ``InvalidArgumentError`` for a message above ``max_message_length``.

        ``bytes``, ``bytearray`` and a ``FragmentView`` (a fragment being handled, sent on
        from where it lies) without a supplier are offered by C code that holds the GIL for
        the call (``ffibuild/hot_paths.c``); this method does the rest.
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
            if type(data) is hot.FragmentView:  # (a released one raises ResourceClosedError)
                buffer = data = data.tobytes()
            elif type(data) is not bytes:
                buffer = bytes_view(data, self._name("offer"))
            length = len(buffer)
            if length > self._max_message_length:
                raise InvalidArgumentError(
                    f"{self._name('offer')}: message of {length} bytes exceeds max_message_length "
                    f"{self._max_message_length}")
            if reserved_value_supplier is None:
                result = self._offer_fn(self._ptr, buffer, length, ffi.NULL, ffi.NULL)
            else:
                values = self._reserved_values(reserved_value_supplier, length)
                result = self._offer_fn(self._ptr, buffer, length, _NEXT_RESERVED_VALUE, values[0])
            return result if result > 0 else self._outcome(result, "offer")
        except BaseException:
            release_views(data, buffer)
            raise
        finally:
            calls.pop()
            if self._close_pending and not calls:
                self._finish_close_if_idle(deferred=True)

    def _reserved_values(self, supplier: Callable[[int], int], length: int) -> tuple[Any, Any]:
        """The reserved value of each frame of a ``length``-byte message, asked of
        ``supplier(frame_length)`` in frame order before the message is offered, with the
        frame lengths C's offer uses (one frame up to ``max_payload_length``, else full
        frames and the rest). Returns the C state for ``aeron_cffi_reserved_value_next``
        (and the array it points to, to keep alive for the call).

        Asking first, rather than from inside C's offer, means a supplier that raises
        leaves nothing sent (C would have sent the frame with value 0 by then), and that
        concurrent offers on one publication each use their own values. The supplier is
        asked even if the offer then returns a retryable ``OfferResult``."""
        payload = self._max_payload_length
        header = lib.AERON_CFFI_DATA_HEADER_LENGTH
        if length <= payload:
            frames = [length + header]
        else:
            full, rest = divmod(length, payload)
            frames = [payload + header] * full + ([rest + header] if rest else [])
        values = ffi.new("int64_t[]", len(frames))
        for i, frame_length in enumerate(frames):
            returned = supplier(frame_length)
            try:
                value = operator.index(returned)
            except TypeError:
                raise TypeError(f"a reserved value supplier returned {type(returned).__name__}, not an int") from None
            if value not in _INT64:
                raise OverflowError(f"reserved value {value} does not fit an int64")
            values[i] = value
        return ffi.new("aeron_cffi_reserved_values_t *", {"values": values, "count": len(frames)}), values

    def offerv(self, buffers: Sequence[Any], reserved_value_supplier: Callable[[int], int] | None = None) -> int:
        """Send the concatenation of ``buffers`` as one message (``*_offerv``); results as ``offer``.

        Each buffer costs a view and an iovec entry filled from Python: for messages of a
        few KiB, ``offer(b"".join(buffers))`` is about three times faster (docs/benchmarks.md).
        """
        if self._closed:
            self._check_open()
        views = [bytes_view(b, self._name("offerv"), "uint8_t[]") for b in buffers]  # kept for this call
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
            result: int  # (a typed local, not an int() per call: offerv is a hot path)
            if reserved_value_supplier is None:
                result = self._in_flight(self._offerv_fn, self._ptr, iov, count, ffi.NULL, ffi.NULL)
            else:
                values = self._reserved_values(reserved_value_supplier, length)
                result = self._in_flight(self._offerv_fn, self._ptr, iov, count, _NEXT_RESERVED_VALUE, values[0])
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
        result: int = self._in_flight(self._try_claim_fn, self._ptr, length, buffer_claim._claim)
        if result > 0:
            buffer_claim._claimed(self)
            return result
        return self._outcome(result, "try_claim")

    # -- state (position, position_limit, channel_status, is_connected: set per subclass) --

    position: CGetter[int]
    position_limit: CGetter[int]
    channel_status: CGetter[int]
    is_connected: CGetter[bool]

    @property
    def is_closed(self) -> bool:
        """True once closed here or by the client (``*_is_closed``)."""
        return self._is_closed_in_c(self._c("is_closed"))

    @in_flight
    def local_addresses(self) -> list[str]:
        """Local socket addresses the channel is bound to (``*_local_sockaddrs``)."""
        return local_addresses(self._c("local_sockaddrs"), self._ptr, self.C_PREFIX + "local_sockaddrs")

    # -- multi-destination-cast ----------------------------------------------------------

    @in_flight
    def _destination(self, function: str, arg: Any, what: str) -> _async.AsyncAdd[bool]:
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

    def _repr_fields(self) -> dict[str, object]:
        constants = self.constants
        return {"channel": constants.channel, "stream_id": constants.stream_id,
                "session_id": constants.session_id, "position": self.position, "connected": self.is_connected}


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
    @in_flight
    def channel(self) -> str:
        """The channel URI (``aeron_publication_channel``)."""
        return c_string(lib.aeron_publication_channel(self._ptr))

    stream_id: CGetter[int] = CGetter(lib.aeron_publication_stream_id)
    session_id: CGetter[int] = CGetter(lib.aeron_publication_session_id)


Publication.ASYNC_KIND = publication_kind(Publication, "add_publication")
