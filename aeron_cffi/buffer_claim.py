"""``BufferClaim`` (``aeron_buffer_claim_t``): space claimed in a term by ``try_claim``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from aeron_cffi._lifetime import Resource
from aeron_cffi._native import ffi, lib, release_views
from aeron_cffi.errors import AeronError, InvalidArgumentError, ResourceClosedError, check

if TYPE_CHECKING:
    from aeron_cffi.publication import PublicationBase

# References to a claim's exporter when no view of it is alive: ClaimViews.exporter and
# sys.getrefcount's argument. A memoryview holds one more (through its managed buffer)
# until it and every slice or cast made from it are gone.
_UNVIEWED_REFS = 2


class ClaimViews(Resource):
    """The live view of a claim's memory (``BufferClaim.buffer``), as a child of the
    publication, so that closing the publication (or its client) releases it first.

    The view is a ``memoryview`` of an exporter (``ffi.buffer``) made for one claim.
    Releasing it makes it raise ``ValueError``; a slice or cast made from it is another
    memoryview, which ``release()`` does not reach, but which keeps the exporter
    referenced: ``release`` sees that and raises ``BufferError``, so a claim never ends
    under a view. Every view also keeps this object, and so the publication and its term
    buffer's mapping, alive: the exporter's pointer is an ``ffi.gc`` pointer whose
    destructor is a method of this object, and which tells it when the last view is gone.
    """

    def __init__(self, publication: PublicationBase) -> None:
        super().__init__(publication)
        self.publication = publication
        self.exporter: Any = None
        self.view: memoryview | None = None
        self._outlived = False  # views outlived close(): counted as a call in flight

    def open(self, claim: Any) -> memoryview:
        if self.exporter is None:
            self.exporter = ffi.buffer(ffi.gc(claim.data, self._exporter_gone), claim.length)
        # else a refused commit left the exporter, with slices of the old view: a new view
        self.view = view = memoryview(self.exporter)
        return view

    def _exporter_gone(self, pointer: Any) -> None:
        if self._outlived:
            self._outlived = False
            self._leave()  # runs the close that waited for the views, and the publication's

    def release(self, what: str) -> None:
        """Release the view; raises ``BufferError`` (and keeps the claim open) while any
        view made from it, or a buffer exported from it, is still alive."""
        view = self.view
        if view is not None:
            try:
                view.release()
            except BufferError as exc:
                raise BufferError(f"BufferClaim.{what}: an object still uses the claim's buffer ({exc})") from None
            self.view = None
        if self.exporter is not None:
            if sys.getrefcount(self.exporter) > _UNVIEWED_REFS:
                raise BufferError(
                    f"BufferClaim.{what}: a slice or cast of the claim's buffer (or its .obj) is still alive; "
                    "delete it first: it would write into the term buffer after the claim ends")
            self.exporter = None

    def close(self) -> None:
        """Release the view. Views made from it may outlive the claim: then this close,
        and so the C close of the publication and of its client, which wait for it,
        completes only once the last of them is gone, so the term buffer stays mapped
        under them; the publication is closed for Python at once all the same."""
        if self._closed:
            return
        try:
            self.release("close")
        except BufferError:
            self._enter()
            self._outlived = True
            self.exporter = self.view = None  # the views' references are now the only ones
        super().close()


class BufferClaim:
    """Reusable holder for a claim: ``pub.try_claim(n, claim)``, fill it, then ``commit()``.

    Fill it in place through ``buffer``, a writable ``memoryview`` of the claimed bytes
    in the term buffer (no copy: ``struct.pack_into(fmt, claim.buffer, 0, ...)``,
    ``sock.recv_into(claim.buffer)``, ``claim.buffer[4:8] = ...``), or copy in with
    ``put``. The view ends with the claim: ``commit``, ``abort`` and the next ``try_claim``
    with this holder release it, after which using it raises ``ValueError``. They raise
    ``BufferError`` instead, and end nothing, while a slice or cast made from the view
    (or anything else exporting its memory) is still alive. Closing the publication
    releases the view too; slices still alive then keep the term buffer mapped (the C
    close waits for them), so they never reach freed memory.

    ``with claim:`` commits when the block ends normally and aborts on an exception.
    """

    __slots__ = ("_claim", "_publication", "_views")

    def __init__(self) -> None:
        self._claim = ffi.new("aeron_buffer_claim_t *")
        self._publication: PublicationBase | None = None
        self._views: ClaimViews | None = None

    def _release_view(self, what: str) -> None:
        """End the previous claim's view before C reuses the holder (``try_claim``)."""
        views = self._views
        if views is not None and views.exporter is not None:
            views.release(what)

    def _claimed(self, publication: PublicationBase) -> None:
        self._publication = publication

    def _live(self, what: str) -> PublicationBase:
        publication = self._publication
        if publication is None:
            raise AeronError(f"BufferClaim.{what}: nothing is claimed")
        # Closing a publication or its client marks it closed before C frees anything.
        if publication._closed:
            self._publication = None
            raise ResourceClosedError(f"BufferClaim.{what}: the publication is closed")
        return publication

    @property
    def length(self) -> int:
        """Bytes claimed (0 when nothing is claimed)."""
        return self._claim.length if self._publication is not None else 0

    def __len__(self) -> int:
        return self.length

    @property
    def buffer(self) -> memoryview:
        """The claimed bytes in the term buffer, writable, until the claim ends (see the class)."""
        views = self._views
        if views is not None and views.view is not None:  # only the current claim's view is kept
            return views.view
        publication = self._live("buffer")
        # (closing a publication closes its children first: a closed ClaimViews is an old one)
        if views is None or views.publication is not publication or views._closed:
            views = self._views = ClaimViews(publication)
        return views.open(self._claim)

    def put(self, data: Any, offset: int = 0) -> None:
        """Copy ``data`` (bytes-like) into the claim at ``offset``."""
        publication = self._live("put")
        source = data if type(data) is bytes else ffi.from_buffer(data)
        if offset < 0 or offset + len(source) > self._claim.length:
            release_views(data, source)
            raise InvalidArgumentError(
                f"BufferClaim.put: {len(source)} bytes at offset {offset} do not fit a claim of "
                f"{self._claim.length} bytes")
        # Another thread may close the publication (and C unmap its term buffer) between
        # any two bytecodes: the copy is a call in flight on it, which that close waits for.
        try:
            publication._in_flight(ffi.memmove, self._claim.data + offset, source, len(source))
        except BaseException:
            release_views(data, source)
            raise

    def get(self) -> bytes:
        """A copy of the claimed bytes."""
        publication = self._live("get")
        return publication._in_flight(self._copy)  # type: ignore[no-any-return]

    def _copy(self) -> bytes:
        return ffi.buffer(self._claim.data, self._claim.length)[:]

    def _end(self, function: Any, what: str) -> None:
        publication = self._live(what)
        self._release_view(what)
        self._publication = None
        check(publication._in_flight(function, self._claim), f"aeron_buffer_claim_{what}")

    def commit(self) -> None:
        """Publish the claimed message (``aeron_buffer_claim_commit``)."""
        self._end(lib.aeron_buffer_claim_commit, "commit")

    def abort(self) -> None:
        """Turn the claim into padding: nothing is delivered (``aeron_buffer_claim_abort``)."""
        self._end(lib.aeron_buffer_claim_abort, "abort")

    def __enter__(self) -> BufferClaim:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if self._publication is None:
            return
        if exc_type is None:
            self.commit()
        else:
            self.abort()
