"""A named, append-only log of messages on one archive recording, with one writer.

The queue keeps everything it stores in logs like this one: the ledger's entries and
each consumer's marks. A log is found again by the ``alias`` in its recording's
channel. Its writer (``RecordingWriter``) holds the ``WriterLock`` of the alias,
appends whole messages through an exclusive IPC publication that the archive
records locally, and calls a message durable once the recording's position counter
passes its end. Opening a writer on an existing log stops whatever still records it
(a crashed writer's publication), then extends the stopped recording, so the log
goes on at the same position. Readers replay: ``read`` a range that is recorded,
or ``Follower`` to follow the log as it grows.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

from aeron_cffi import _recordings, _waiting
from aeron_cffi.archive import (
    NULL_POSITION,
    REPLAY_ALL_AND_FOLLOW,
    AeronArchive,
    ArchiveError,
    RecordingDescriptor,
    SourceLocation,
    add_session_id_to_channel,
    recording_pos,
)
from aeron_cffi.channel_uri import ChannelUri
from aeron_cffi.errors import OfferResult
from aeron_cffi.queue.errors import NotAcknowledged, QueueError, QueueTimeout
from aeron_cffi.queue.writer_lock import WriterLock

if TYPE_CHECKING:
    from aeron_cffi.exclusive_publication import ExclusivePublication
    from aeron_cffi.subscription import Subscription

__all__ = ["Follower", "LogMessage", "alias_of", "RecordingWriter", "find_recording", "log_channel", "read"]

_REPLAY_CHANNEL = "aeron:ipc"
_REPLAY_BATCH = 256
_RETRY_REPLAY_S = 0.05
_COUNTER_CHECK_S = 0.01


@dataclasses.dataclass(frozen=True)
class LogMessage:
    """A message of a log: it starts at ``start`` (where a replay can begin to read it)
    and ends at ``end`` (its recorded position once it is durable)."""

    start: int
    end: int
    data: bytes


def log_channel(alias: str, term_length: int) -> str:
    """The IPC channel a log named ``alias`` is written on."""
    return f"aeron:ipc?alias={alias}|term-length={term_length}"


def alias_of(channel: str) -> str | None:
    """The ``alias`` parameter of a channel URI, None if it has none."""
    with ChannelUri.parse(channel) as uri:
        return uri.get("alias")


def find_recording(archive: AeronArchive, alias: str, stream_id: int) -> RecordingDescriptor | None:
    """The newest recording of the log ``alias`` on ``stream_id``, None if there is none
    (the archive matches channel fragments as substrings: the alias is compared whole here)."""
    found = [d for d in archive.list_recordings_for_uri(f"alias={alias}", stream_id)
             if alias_of(d.original_channel) == alias]
    return max(found, key=lambda d: d.recording_id) if found else None


def _polled(subscription: Subscription, messages: list[LogMessage], position: int, limit: int = _REPLAY_BATCH) -> int:
    """Append what one poll of a replay returns (up to ``limit`` messages); the new position."""
    batch = subscription.poll_batch(limit)
    for i in range(batch.count):
        end = batch.positions[i]
        messages.append(LogMessage(position, end, batch.message(i)))
        position = end
    return position


def _consumed(replay: Subscription) -> int:
    """How far the replay's image was read, fragments of unfinished messages included."""
    image = replay.image_at_index(0)
    return -1 if image is None else image.position


def read(archive: AeronArchive, recording_id: int, stream_id: int, start: int, end: int,
         timeout: float) -> list[LogMessage]:
    """The messages of a recording from ``start`` (a message's start) up to ``end``
    (recorded), through a bounded replay."""
    messages: list[LogMessage] = []
    if end <= start:
        return messages
    with archive.replay(recording_id, _REPLAY_CHANNEL, stream_id, position=start, length=end - start) as replay:
        position = start
        deadline = time.monotonic() + timeout
        while position < end:
            before = position
            position = _polled(replay, messages, position)
            if position == before:
                if _consumed(replay) >= end:
                    break  # the rest is the start of a message a crash cut short: never whole
                if time.monotonic() > deadline:
                    raise QueueError(f"replay of recording {recording_id} stalled at {position} before {end}")
                time.sleep(_waiting.PAUSE_S)
            else:
                deadline = time.monotonic() + timeout
    return messages


class Follower:
    """Follows a log from ``position`` through a replay that follows the recording;
    ``poll()`` returns the messages recorded since. A replay that ends (the recording
    stopped and was extended by a new writer, the archive restarted, a purge stopped
    it) is started again where it left off; if that place was purged meanwhile, it
    resumes at the recording's new start (``jumped`` tells how often)."""

    def __init__(self, archive: AeronArchive, recording_id: int, stream_id: int, position: int) -> None:
        self._archive = archive
        self.recording_id = recording_id
        self._stream_id = stream_id
        self.position = position
        self.jumped = 0
        self._replay: Subscription | None = None
        self._retry_at = 0.0

    def poll(self, limit: int = _REPLAY_BATCH) -> list[LogMessage]:
        """Up to ``limit`` messages recorded since the last poll."""
        messages: list[LogMessage] = []
        if self._replay is None and not self._start():
            return messages
        assert self._replay is not None  # _start() started it
        self.position = _polled(self._replay, messages, self.position, limit)
        if not messages and self._replay.image_count == 0:  # the replay ended: start again later
            self._replay.close()
            self._replay = None
        return messages

    def _start(self) -> bool:
        now = time.monotonic()
        if now < self._retry_at:
            return False
        self._retry_at = now + _RETRY_REPLAY_S
        try:
            stop = self._archive.get_stop_position(self.recording_id)
            if stop != NULL_POSITION and stop <= self.position:
                return False  # stopped, and nothing left to read: until a writer extends it
            start = self._archive.get_start_position(self.recording_id)
            if start > self.position:
                self.position = start
                self.jumped += 1
            self._replay = self._archive.replay(self.recording_id, _REPLAY_CHANNEL, self._stream_id,
                                                position=self.position, length=REPLAY_ALL_AND_FOLLOW)
        except ArchiveError:  # purged or stopped under us: the next try looks again
            return False
        return True

    def close(self) -> None:
        if self._replay is not None:
            self._replay.close()
            self._replay = None


class RecordingWriter:
    """The one writer of the log ``alias`` (``WriterConflict`` if a live one exists).

    ``append(data)`` offers one message and returns its end position; ``wait_recorded``
    blocks until the archive recorded up to a position. Close it to release the lock
    (the recording stops when the publication closes; the next writer extends it)."""

    def __init__(self, archive: AeronArchive, alias: str, stream_id: int, term_length: int,
                 writer_timeout: float, timeout: float) -> None:
        self._archive = archive
        self.alias = alias
        self.stream_id = stream_id
        self._timeout = timeout
        self._lock = WriterLock(archive.aeron, alias, writer_timeout)
        self._publication: ExclusivePublication | None = None
        try:
            existing = find_recording(archive, alias, stream_id)
            if existing is None:
                self._create(log_channel(alias, term_length))
            else:
                self._take_over(existing)
            descriptor = archive.list_recording(self.recording_id)
            assert descriptor is not None  # the recording was just found or created
            self.descriptor = descriptor
        except BaseException:
            self.close()
            raise

    def _create(self, channel: str) -> None:
        self._publication = self._archive.add_recorded_exclusive_publication(channel, self.stream_id)
        self._await_counter()
        self.recording_id = recording_pos.get_recording_id(self._archive, self._counter_id)

    def _take_over(self, descriptor: RecordingDescriptor) -> None:
        """Stop a recording left active (a crashed writer's publication may live on in
        the driver until it times the client out), then extend it from its stop position."""
        self.recording_id = descriptor.recording_id
        archive = self._archive
        stop_position = _recordings.stop_recording(archive, self.recording_id, self._timeout, error=QueueTimeout)
        stopped = archive.list_recording(self.recording_id)
        assert stopped is not None  # listed by find_recording just before
        channel = _recordings.extension_channel(stopped, stop_position)
        self._publication = archive.aeron.add_exclusive_publication(channel, self.stream_id)
        archive.extend_recording(self.recording_id, add_session_id_to_channel(f"aeron:ipc?alias={self.alias}",
                                                                              self._publication.session_id),
                                 self.stream_id, SourceLocation.LOCAL)
        self._await_counter()

    def _await_counter(self) -> None:
        assert self._publication is not None  # added just before
        self._counter_id = _recordings.recording_counter(self._archive, self._publication.session_id,
                                                         f"the recording of {self.alias} to start", self._timeout,
                                                         error=QueueTimeout)
        self._counters = self._archive.aeron.counters_reader()
        self._counter_checked_at = -_COUNTER_CHECK_S

    @property
    def position(self) -> int:
        """Where the next message will start."""
        assert self._publication is not None, "the writer is closed"
        return self._publication.position

    @property
    def max_message_length(self) -> int:
        assert self._publication is not None, "the writer is closed"
        return self._publication.max_message_length

    def append(self, data: bytes) -> int:
        """Offer ``data`` as one message (retrying back pressure up to the timeout); its end position."""
        assert self._publication is not None, "the writer is closed"
        deadline = time.monotonic() + self._timeout
        while True:
            result = self._publication.offer(data)
            if result > 0:
                return result
            if time.monotonic() > deadline:
                raise NotAcknowledged(f"{self.alias}: offer still {OfferResult(result).name} after "
                                      f"{self._timeout}s (is the archive recording?)")
            time.sleep(_waiting.PAUSE_S)

    def recorded_position(self) -> int:
        """The recording's position counter; ``NULL_POSITION`` once the recording is gone.
        Whether the counter still is this recording's (a dead archive's counters are freed
        and reused) is checked at most every ``_COUNTER_CHECK_S``: the check scans the
        counters' metadata, the read is one load."""
        now = time.monotonic()
        if now >= self._counter_checked_at + _COUNTER_CHECK_S:
            if not recording_pos.is_active(self._counters, self._counter_id, self.recording_id):
                return NULL_POSITION
            self._counter_checked_at = now
        return self._counters.value(self._counter_id)

    def wait_recorded(self, position: int) -> None:
        """Block until the archive recorded up to ``position`` (``NotAcknowledged`` after the timeout)."""
        if self.recorded_position() < position:
            _waiting.until(lambda: self.recorded_position() >= position,
                           f"{self.alias} to be recorded up to {position}", self._timeout, error=NotAcknowledged)

    def purge_before(self, position: int, stop_replays: bool = False) -> bool:
        """Purge the whole segment files before the one holding ``position``. False if a
        replay still reads there, unless ``stop_replays``: then the recording's replays
        are stopped first (followers start again). True when done or nothing to purge."""
        archive, descriptor = self._archive, self.descriptor
        start = archive.get_start_position(self.recording_id)

        def base(at: int) -> int:
            return archive.segment_file_base_position(start, at, descriptor.term_buffer_length,
                                                      descriptor.segment_file_length)

        new_start = base(position)
        if new_start < base(start) + descriptor.segment_file_length:
            return True  # no whole segment before it
        if self._try_purge(new_start):
            return True
        if not stop_replays:
            return False
        archive.stop_all_replays(self.recording_id)
        # the archive ends a stopped replay in its next duty cycle: try until it did
        return _waiting.until(lambda: self._try_purge(new_start), f"{self.alias} to purge below {new_start}",
                              self._timeout, error=QueueTimeout)

    def _try_purge(self, new_start: int) -> bool:
        try:
            self._archive.purge_segments(self.recording_id, new_start)
        except ArchiveError as error:
            if "replay in progress" not in error.errmsg:
                raise
            return False
        return True

    def close(self) -> None:
        if self._publication is not None:
            self._publication.close()
            self._publication = None
        self._lock.close()
