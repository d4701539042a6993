"""``Image``: one publisher's stream as seen by a subscription (``aeron_image_t``)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable

from aeron_cffi._lifetime import CGetter, Constants, Resource
from aeron_cffi._native import c_string, ffi, hot, lib
from aeron_cffi.callbacks import SyncTarget
from aeron_cffi.errors import InvalidArgumentError, ResourceClosedError, check
from aeron_cffi.fragment_assembler import Poller

if TYPE_CHECKING:
    from aeron_cffi.subscription import Subscription

__all__ = ["Image", "ImageConstants", "block_poll"]


@dataclasses.dataclass(frozen=True)
class ImageConstants:
    """What does not change for an image's life (``aeron_image_constants_t``)."""

    source_identity: str
    correlation_id: int
    join_position: int
    position_bits_to_shift: int
    term_buffer_length: int
    mtu_length: int
    session_id: int
    initial_term_id: int
    subscriber_position_id: int


class Image(Poller, Resource):
    """An image of a subscription.

    From ``Subscription.image_by_session_id``/``image_at_index``/``images()`` it is
    *retained* (a child of the subscription; ``close()`` releases it with
    ``aeron_image_release``). In image callbacks and ``for_each_image`` it is
    *borrowed*: valid during the call only, closed afterwards.
    """

    constants: Constants[ImageConstants] = Constants()

    def __init__(self, ptr: Any, subscription: Subscription | None = None, subscription_ptr: Any = None) -> None:
        super().__init__(subscription)
        self._ptr = ptr
        self._retained = subscription is not None
        # The subscription's C object, kept open while this image is (a retained image is
        # its child; a borrowed one lives within a call that holds it): ``reject`` goes
        # through it, since C clears the image's own pointer to it once the image has gone.
        self._subscription_ptr = subscription._ptr if subscription is not None else subscription_ptr
        self._init_poller()
        self._init_hot_poller(hot.IMAGE)
        constants = ffi.new("aeron_image_constants_t *")
        check(lib.aeron_image_constants(ptr, constants), "aeron_image_constants")
        self._constants = ImageConstants(
            c_string(constants.source_identity),
            *(getattr(constants, f.name) for f in dataclasses.fields(ImageConstants)[1:]))

    @property
    def session_id(self) -> int:
        return self.constants.session_id

    @property
    def source_identity(self) -> str:
        return self.constants.source_identity

    @property
    def position(self) -> int:
        """The subscriber's position in this image (``aeron_image_position``)."""
        return self._in_flight(lib.aeron_image_position, self._ptr)  # type: ignore[no-any-return]

    @position.setter
    def position(self, position: int) -> None:
        """Move the subscriber's position (``aeron_image_set_position``)."""
        check(self._in_flight(lib.aeron_image_set_position, self._ptr, position), f"Image.position = {position}")

    is_end_of_stream = CGetter(lib.aeron_image_is_end_of_stream, bool)
    end_of_stream_position: CGetter[int] = CGetter(lib.aeron_image_end_of_stream_position)
    is_publication_revoked = CGetter(lib.aeron_image_is_publication_revoked, bool)

    @property
    def active_transport_count(self) -> int:
        """(``aeron_image_active_transport_count``)"""
        return check(self._in_flight(lib.aeron_image_active_transport_count, self._ptr),
                     "aeron_image_active_transport_count")

    @property
    def is_closed(self) -> bool:
        """True once closed here or by the client (``aeron_image_is_closed``)."""
        return self._is_closed_in_c(lib.aeron_image_is_closed)

    def _repr_fields(self) -> dict[str, object]:
        return {"session_id": self.session_id, "source_identity": self.source_identity,
                "position": self.position, "end_of_stream": self.is_end_of_stream}

    def reject(self, reason: str) -> None:
        """Ask the publisher to stop sending to this image (``aeron_image_reject``, through
        the subscription). Raises ``ResourceClosedError`` once the image has gone (its
        publisher went away): there is nothing left to reject."""
        self._check_open()
        if not isinstance(reason, str):
            raise TypeError(f"Image.reject: reason must be str, got {type(reason).__name__}")
        if self.is_closed:
            raise ResourceClosedError("Image.reject: the image is closed (its publisher went away)")
        check(self._in_flight(lib.aeron_cffi_image_reject, self._subscription_ptr, self._ptr, reason.encode()),
              f"Image.reject({reason!r})")

    # -- polling -----------------------------------------------------------------------

    _C_POLLS = (lib.aeron_image_poll, lib.aeron_image_controlled_poll)

    def poll(self, handler: Any, fragment_limit: int = 10, *, view: bool = False) -> int:
        """Deliver up to ``fragment_limit`` fragments to ``handler(data, header)`` (``aeron_image_poll``);
        ``view`` as ``Subscription.poll``."""
        return self._hot_poller.poll(handler, fragment_limit, view=view)

    def controlled_poll(self, handler: Any, fragment_limit: int = 10, *, view: bool = False) -> int:
        """As ``poll``, ``handler`` returns a ``ControlledPollAction`` (``aeron_image_controlled_poll``)."""
        return self._hot_poller.controlled_poll(handler, fragment_limit, view=view)

    def bounded_poll(self, handler: Any, limit_position: int, fragment_limit: int = 10) -> int:
        """``poll`` up to ``limit_position`` (``aeron_image_bounded_poll``)."""
        self._check_open()
        return self._dispatch(
            handler, False,
            lambda h, d: lib.aeron_image_bounded_poll(self._ptr, h, d, limit_position, fragment_limit),
            "Image.bounded_poll")

    def bounded_controlled_poll(self, handler: Any, limit_position: int, fragment_limit: int = 10) -> int:
        """``controlled_poll`` up to ``limit_position`` (``aeron_image_bounded_controlled_poll``)."""
        self._check_open()
        return self._dispatch(
            handler, True,
            lambda h, d: lib.aeron_image_bounded_controlled_poll(self._ptr, h, d, limit_position, fragment_limit),
            "Image.bounded_controlled_poll")

    def controlled_peek(self, initial_position: int, handler: Any, limit_position: int) -> int:
        """Read from ``initial_position`` without moving the image; returns the resulting
        position (``aeron_image_controlled_peek``). A negative ``initial_position`` is refused
        here: C validates it only while the image is open, and for an image that has gone it
        would come back unchanged and read as an error code."""
        self._check_open()
        if not isinstance(initial_position, int) or initial_position < 0:
            raise InvalidArgumentError(f"Image.controlled_peek: initial_position must be an int >= 0, "
                                       f"got {initial_position!r}")
        return self._dispatch(
            handler, True,
            lambda h, d: lib.aeron_image_controlled_peek(self._ptr, initial_position, h, d, limit_position),
            "Image.controlled_peek")

    def block_poll(self, handler: Callable[[bytes, int, int], object], block_length_limit: int) -> int:
        """Deliver whole blocks of frames to ``handler(block, session_id, term_id)`` (``aeron_image_block_poll``)."""
        self._check_open()
        return block_poll(lib.aeron_image_block_poll, self, handler, block_length_limit, "Image.block_poll")

    def _close_native(self) -> None:
        if self._retained:
            check(lib.aeron_image_release(self._ptr), "aeron_image_release")


def block_poll(function: Any, poller: Resource, handler: Callable[..., object], limit: int, what: str) -> int:
    """Run a ``*_block_poll`` on ``poller`` (in flight for ``close()``) with a Python
    handler, re-raising what it raised."""
    target = SyncTarget(handler)
    handle = ffi.new_handle(target)
    result = poller._in_flight(function, poller._ptr, lib.aeron_cffi_on_block_handler, handle, limit)  # type: ignore[attr-defined]
    target.raise_pending()
    return check(result, what)
