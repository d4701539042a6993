"""``LogAppender``: the one author allowed to extend a recovery log's recording.

It owns an exclusive publication whose positions are the recording's positions (it
starts where the recording stopped) and the archive's recording position counter for
that publication's session. An op is committed once that counter has reached the
position its offer returned: the archive has written it to the recording's file.

The appender is fenced when its recording stops (a handoff stopped it to let another
author extend the log): from then on nothing it offers is recorded, and its next
append or sync raises ``Fenced``. Each append checks the counter first, so bytes
offered after a handoff never reach the log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aeron_cffi import _waiting as waiting
from aeron_cffi.archive import AeronArchive, recording_pos
from aeron_cffi.errors import OfferResult, ResourceClosedError

if TYPE_CHECKING:
    from aeron_cffi.exclusive_publication import ExclusivePublication

__all__ = ["COMMIT_TIMEOUT_S", "Fenced", "LogAppender", "RecoveryLogClosedError", "message_start"]

COMMIT_TIMEOUT_S = 30.0


class Fenced(Exception):
    """This author no longer extends the log: another author took it over (a handoff),
    or its recording stopped. Ops not yet committed are not in the log."""


class RecoveryLogClosedError(ResourceClosedError):
    """The appender or recorder was used after close."""


class LogAppender:
    """Appends messages to ``recording_id`` through ``publication`` (an exclusive
    publication of ``archive``'s client), recorded under ``counter_id``."""

    def __init__(self, archive: AeronArchive, recording_id: int, publication: ExclusivePublication, counter_id: int,
                 timeout: float = COMMIT_TIMEOUT_S) -> None:
        self.archive = archive
        self.recording_id = recording_id
        self.publication = publication
        self.session_id: int = publication.session_id
        self._counter_id = counter_id
        self._counters = archive.aeron.counters_reader()
        self._registration_id = self._counters.registration_id(counter_id)
        self._timeout = timeout
        self._fenced = False
        self._closed = False
        self.max_payload_length: int = publication.max_payload_length
        self.position: int = publication.position  # end of the last offered message

    @property
    def recorded_position(self) -> int:
        """How far the archive has recorded this author's messages."""
        self._check_fence()
        return self._counters.value(self._counter_id)

    def _check_fence(self) -> None:
        if self._closed:
            raise RecoveryLogClosedError("the log appender is closed")
        if self._fenced:
            raise Fenced(f"author session {self.session_id} no longer extends recording {self.recording_id}")
        # A counter id can be reused by a later recording of the same log: the
        # registration id tells this author's counter from a successor's.
        if (self._counters.registration_id(self._counter_id) != self._registration_id
                or not recording_pos.is_active(self._counters, self._counter_id, self.recording_id)):
            self._fenced = True
            raise Fenced(f"recording {self.recording_id} of author session {self.session_id} has stopped: "
                         f"another author took over the log")

    def append(self, message: bytes) -> int:
        """Offer one message (retrying back pressure until the commit timeout); returns
        the position it ends at. ``Fenced`` if this author may no longer extend the log."""
        self._check_fence()

        def offered() -> int | None:
            result = self.publication.offer(message)
            if result > 0:
                return result
            if result == OfferResult.NOT_CONNECTED:  # the archive no longer subscribes
                self._check_fence()
            return None

        self.position = waiting.until(offered, f"recording {self.recording_id} to accept a message", self._timeout)
        return self.position

    def sync(self, position: int | None = None) -> None:
        """Wait until everything offered (up to ``position``) is recorded; ``Fenced`` if
        the recording stopped first, ``AeronTimeoutError`` (a ``TimeoutError``) after the commit timeout."""
        target = self.position if position is None else position
        waiting.until(lambda: self.recorded_position >= target,
                      f"recording {self.recording_id} to reach {target}", self._timeout)

    def close(self) -> None:
        """Close the publication; the archive then stops the recording (auto-stop)."""
        if not self._closed:
            self._closed = True
            self.publication.close()

    def __enter__(self) -> "LogAppender":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# Aeron's data frame header and frame alignment (the protocol's, fixed for every version):
# a message of n bytes fills align(n + 32, 32) bytes of the stream.
_DATA_HEADER_LENGTH = 32
_FRAME_ALIGNMENT = 32


def message_start(end_position: int, length: int) -> int:
    """Stream position where a one-frame message of ``length`` bytes that ends at
    ``end_position`` starts (padding before it excluded)."""
    return end_position - ((length + _DATA_HEADER_LENGTH + _FRAME_ALIGNMENT - 1) & -_FRAME_ALIGNMENT)
