"""``ExclusivePublication`` (``aeron_exclusive_publication_t``): one writer, a few extra operations."""

from __future__ import annotations

from typing import Any

from aeron_cffi._native import ffi, lib, release_views
from aeron_cffi.errors import InvalidArgumentError, check
from aeron_cffi.publication import PublicationBase, publication_kind


class ExclusivePublication(PublicationBase):
    """A publication with a single writer (``aeron_exclusive_publication_t``); not thread-safe.

    Made by ``Aeron.add_exclusive_publication``; a child of its client.
    """

    C_PREFIX = "aeron_exclusive_publication_"

    def append_padding(self, length: int) -> int:
        """Append a padding record of ``length`` bytes (``aeron_exclusive_publication_append_padding``)."""
        self._check_open()
        if length < 0 or length > self._max_message_length:
            raise InvalidArgumentError(f"append_padding: length {length} outside 0..{self._max_message_length}")
        result = self._in_flight(lib.aeron_exclusive_publication_append_padding, self._ptr, length)
        return result if result > 0 else self._outcome(result, "append_padding")

    def offer_block(self, block: Any) -> int:
        """Offer a block of already framed messages (``aeron_exclusive_publication_offer_block``)."""
        self._check_open()
        buffer = ffi.from_buffer(block)
        try:
            result = self._in_flight(lib.aeron_exclusive_publication_offer_block, self._ptr, buffer, len(buffer))
            return result if result > 0 else self._outcome(result, "offer_block")
        except BaseException:
            release_views(block, buffer)
            raise

    def revoke_on_close(self) -> None:
        """Revoke the publication when it is closed (``aeron_exclusive_publication_revoke_on_close``)."""
        self._in_flight(lib.aeron_exclusive_publication_revoke_on_close, self._ptr)

    def revoke(self) -> None:
        """Close and revoke now: subscribers drop the stream at once (``aeron_exclusive_publication_revoke``)."""
        self._check_open()
        self._revoke = True
        self.close()

    def _close_native(self) -> None:
        if getattr(self, "_revoke", False):
            check(lib.aeron_exclusive_publication_revoke(self._ptr, ffi.NULL, ffi.NULL),
                  "aeron_exclusive_publication_revoke")
        else:
            super()._close_native()


ExclusivePublication.ASYNC_KIND = publication_kind(ExclusivePublication, "add_exclusive_publication")
