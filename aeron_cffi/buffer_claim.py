"""``BufferClaim`` (``aeron_buffer_claim_t``): space claimed in a term by ``try_claim``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aeron_cffi._native import ffi, lib
from aeron_cffi.errors import AeronError, InvalidArgumentError, ResourceClosedError, check

if TYPE_CHECKING:
    from aeron_cffi.publication import PublicationBase


class BufferClaim:
    """Reusable holder for a claim: ``pub.try_claim(n, claim)``, then ``put`` and ``commit``.

    The claimed memory is never handed out as a raw view (it belongs to the term
    buffer, which is unmapped when the publication closes): ``put`` copies into it
    after checking the claim and its publication are still live.

    ``with claim:`` commits when the block ends normally and aborts on an exception.
    """

    __slots__ = ("_claim", "_publication")

    def __init__(self) -> None:
        self._claim = ffi.new("aeron_buffer_claim_t *")
        self._publication: PublicationBase | None = None

    def _claimed(self, publication: PublicationBase) -> None:
        self._publication = publication

    def _live(self, what: str) -> None:
        if self._publication is None:
            raise AeronError(f"BufferClaim.{what}: nothing is claimed")
        if self._publication.is_closed:
            self._publication = None
            raise ResourceClosedError(f"BufferClaim.{what}: the publication is closed")

    @property
    def length(self) -> int:
        """Bytes claimed (0 when nothing is claimed)."""
        return self._claim.length if self._publication is not None else 0

    def __len__(self) -> int:
        return self.length

    def put(self, data: Any, offset: int = 0) -> None:
        """Copy ``data`` (bytes-like) into the claim at ``offset``."""
        self._live("put")
        source = ffi.from_buffer(data)
        if offset < 0 or offset + len(source) > self._claim.length:
            raise InvalidArgumentError(
                f"BufferClaim.put: {len(source)} bytes at offset {offset} do not fit a claim of "
                f"{self._claim.length} bytes")
        ffi.memmove(self._claim.data + offset, source, len(source))

    def get(self) -> bytes:
        """A copy of the claimed bytes."""
        self._live("get")
        return ffi.buffer(self._claim.data, self._claim.length)[:]

    def commit(self) -> None:
        """Publish the claimed message (``aeron_buffer_claim_commit``)."""
        self._live("commit")
        self._publication = None
        check(lib.aeron_buffer_claim_commit(self._claim), "aeron_buffer_claim_commit")

    def abort(self) -> None:
        """Turn the claim into padding: nothing is delivered (``aeron_buffer_claim_abort``)."""
        self._live("abort")
        self._publication = None
        check(lib.aeron_buffer_claim_abort(self._claim), "aeron_buffer_claim_abort")

    def __enter__(self) -> BufferClaim:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if self._publication is None:
            return
        if exc_type is None:
            self.commit()
        else:
            self.abort()
