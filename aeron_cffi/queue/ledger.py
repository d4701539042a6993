"""``Ledger``: the seed's ledger of sequential entries, stored in one archive recording.

Each ``write`` is one ``BATCH`` record (one Aeron message, so all or nothing), and it
returns once the archive recorded it: acknowledged means recorded. ``delete`` records
a ``DELETE`` record (the new tail) and then purges the whole segment files before the
first kept entry. Opening replays the recording to rebuild the index (sequence ->
where its batch starts), head, tail and length; a ledger opened read-only
(``writable=False``) catches up with ``refresh()``.
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import queue
import threading

from aeron_cffi.archive import AeronArchive
from aeron_cffi.queue import records
from aeron_cffi.queue.errors import InvalidEntry, LimitReached, NotMonotonic, QueueClosed, QueueError
from aeron_cffi.queue.recording_log import LogMessage, RecordingWriter, find_recording, read
from aeron_cffi.queue.records import Entry
from aeron_cffi.queue.sequences import MAX_SEQUENCE, generate_sequence

__all__ = ["DEFAULT_STREAM_ID", "Entry", "Ledger", "LedgerConfig", "ledger_alias"]

#: Stream id of ledger and marks recordings (the alias tells queues apart).
DEFAULT_STREAM_ID = 0x5155


def ledger_alias(prefix: str) -> str:
    return f"queue/{prefix}/ledger"


@dataclasses.dataclass
class LedgerConfig:
    """The seed's ``LedgerConfig`` (``prefix``, ``cache``, ``limit``), plus how the ledger
    uses Aeron: ``term_length`` of the publication (a batch is at most an eighth of it),
    ``stream_id``, ``timeout`` (seconds a write waits to be recorded) and
    ``writer_timeout`` (heartbeat age after which a writer counts as dead and is taken over)."""

    #: Names the queue: the recording's alias is ``queue/<prefix>/ledger``.
    prefix: str = ""
    #: How many of the newest entries ``read`` serves from memory.
    cache: int = 0
    #: The most entries the ledger may hold (0: no limit); writes past it raise ``LimitReached``.
    limit: int = 0
    term_length: int = 1 << 20
    stream_id: int = DEFAULT_STREAM_ID
    timeout: float = 10.0
    writer_timeout: float = 3.0

    def __post_init__(self) -> None:
        if not isinstance(self.prefix, str) or not self.prefix or "|" in self.prefix or "?" in self.prefix:
            raise InvalidEntry(f"prefix must be a non-empty str without '|' or '?', not {self.prefix!r}")
        for name in ("cache", "limit"):
            if getattr(self, name) < 0:
                raise InvalidEntry(f"{name} must not be negative")


def checked_entry(entry: object) -> Entry:
    """``entry`` if it is an ``Entry`` a ledger can store (its payload made bytes); ``InvalidEntry`` if not."""
    if not isinstance(entry, Entry):
        raise InvalidEntry(f"ledger entries must be Entry, not {type(entry).__name__}")
    if not isinstance(entry.sequence, int) or not 0 < entry.sequence <= MAX_SEQUENCE:
        raise InvalidEntry(f"sequence must be an int in 1..2**64-1, not {entry.sequence!r}")
    if isinstance(entry.payload, bytes):
        return entry
    if not isinstance(entry.payload, (bytearray, memoryview)):
        raise InvalidEntry(f"payload must be bytes-like, not {type(entry.payload).__name__}")
    return dataclasses.replace(entry, payload=bytes(entry.payload))


class Ledger:
    """Entries keyed by increasing sequences, in the archive recording of ``config.prefix``.

    Open for writing (the default) to ``write`` and ``delete``: one writer per ledger
    (``WriterConflict`` for a second); a writer after a crash takes the recording over.
    Reads, ``index``, ``length``, ``head``, ``tail`` may be used from any thread; only one
    thread may write at a time (as in the seed)."""

    def __init__(self, archive: AeronArchive, config: LedgerConfig, writable: bool = True) -> None:
        self.archive = archive
        self.config = config
        self.alias = ledger_alias(config.prefix)
        self._lock = threading.Lock()  # the index, against concurrent readers
        self._write_lock = threading.RLock()  # one write or delete at a time (producer, cleaner)
        self._subscribers: list[queue.Queue[int]] = []
        self._cache: collections.deque[Entry] = collections.deque(maxlen=config.cache or 0)
        self._sequences: list[int] = []
        self._starts: list[int] = []  # where the batch holding each entry starts
        self._first_ordinal = 0
        self._head = 0
        self._tail = 0
        self._last_start = 0  # where the newest record starts
        self._writer: RecordingWriter | None = None
        self._broken: str | None = None
        self._closed = False
        if writable:
            self._writer = RecordingWriter(archive, self.alias, config.stream_id, config.term_length,
                                           config.writer_timeout, config.timeout)
            self.recording_id: int | None = self._writer.recording_id
            self._end = self._writer.descriptor.start_position
        else:
            found = find_recording(archive, self.alias, config.stream_id)
            self.recording_id = None if found is None else found.recording_id
            self._end = 0 if found is None else found.start_position
        try:
            self.refresh()
        except BaseException:
            self.close()
            raise
        # the writer's side: what was offered, recorded or not yet
        self._in_flight: collections.deque[tuple[int, int, records.Record]] = collections.deque()
        self._in_flight_entries = 0
        self._offered_head = self._head
        self._offered_ordinal = self.next_ordinal
        self._offered_end = self._writer.position if self._writer is not None else self._end

    # -- state ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Read what was recorded since the last look (a writer's ledger is always current)."""
        self._check_open()
        if self.recording_id is None:
            found = find_recording(self.archive, self.alias, self.config.stream_id)
            if found is None:
                return
            self.recording_id, self._end = found.recording_id, found.start_position
        start = self.archive.get_start_position(self.recording_id)
        end = self.archive.get_max_recorded_position(self.recording_id)
        if self._end < start:
            self._end = start  # purged while we were not looking: the DELETE record follows
        for message in read(self.archive, self.recording_id, self.config.stream_id, self._end, end,
                            self.config.timeout):
            self._apply(message)

    def _apply(self, message: LogMessage) -> None:
        self._apply_record(message.start, message.end, records.decode(message.data))

    def _apply_record(self, start: int, end: int, record: records.Record) -> None:
        with self._lock:
            if isinstance(record, records.Batch):
                self._append(start, record)
            elif isinstance(record, records.Delete):
                self._drop_through(record.tail, record.kept_ordinal)
            self._end = end
            self._last_start = start

    def _append(self, start: int, batch: records.Batch) -> None:
        if not self._sequences:
            self._first_ordinal = batch.first_ordinal
        for entry in batch.entries:
            self._sequences.append(entry.sequence)
            self._starts.append(start)
            self._cache.append(entry)
        self._head = batch.entries[-1].sequence
        for receiver in self._subscribers:
            try:
                receiver.put_nowait(self._head)
            except queue.Full:  # as the seed: a receiver that cannot take it misses it
                pass

    def _drop_through(self, tail: int, kept_ordinal: int) -> None:
        count = bisect.bisect_right(self._sequences, tail)
        del self._sequences[:count]
        del self._starts[:count]
        self._first_ordinal = kept_ordinal
        self._tail = max(self._tail, tail)
        self._head = max(self._head, tail)

    @property
    def length(self) -> int:
        """How many entries the ledger holds."""
        return len(self._sequences)

    @property
    def head(self) -> int:
        """The last written sequence (0 if never written)."""
        return self._head

    @property
    def tail(self) -> int:
        """The last deleted sequence (0 if none)."""
        return self._tail

    @property
    def next_ordinal(self) -> int:
        """The ordinal the next written entry gets (entries ever written)."""
        return self._first_ordinal + len(self._sequences)

    def ordinal_after(self, sequence: int) -> int:
        """The ordinal of the first entry above ``sequence`` that the ledger holds, or the next one."""
        with self._lock:
            return self._first_ordinal + bisect.bisect_right(self._sequences, sequence)

    def start_after(self, sequence: int) -> int:
        """Where to replay from to read the first entry above ``sequence``: the start of
        its batch (the end of the ledger if there is none yet)."""
        with self._lock:
            i = bisect.bisect_right(self._sequences, sequence)
            return self._starts[i] if i < len(self._starts) else self._end

    def index(self, index: int) -> tuple[int, bool]:
        """The sequence at ``index`` (negative: counted back from the head) and True; the
        last entry's sequence and False past the end; ``(head, False)`` if empty."""
        if not isinstance(index, int):
            raise InvalidEntry(f"index must be an int, not {type(index).__name__}")
        with self._lock:
            if not self._sequences:
                return self._head, False
            if -len(self._sequences) <= index < len(self._sequences):
                return self._sequences[index], True
            return self._sequences[-1], False

    # -- reading -------------------------------------------------------------------

    def read(self, sequence: int, amount: int) -> list[Entry]:
        """Up to ``amount`` entries from ``sequence`` (included) on."""
        self._check_open()
        if not isinstance(sequence, int) or not isinstance(amount, int) or amount < 0:
            raise InvalidEntry("read takes an int sequence and a non-negative int amount")
        with self._lock:
            i = bisect.bisect_left(self._sequences, sequence)
            if i == len(self._sequences) or amount == 0:
                return []
            first = self._sequences[i]
            if self._cache and self._cache[0].sequence <= first:
                return [e for e in self._cache if e.sequence >= first][:amount]
            last = min(i + amount, len(self._sequences)) - 1
            start, wanted = self._starts[i], set(self._sequences[i:last + 1])
            following = bisect.bisect_right(self._starts, self._starts[last])  # the next batch's first entry
            end = self._starts[following] if following < len(self._starts) else self._end
        assert self.recording_id is not None  # the index has entries: they were read from it
        found: list[Entry] = []
        for message in read(self.archive, self.recording_id, self.config.stream_id, start, end, self.config.timeout):
            record = records.decode(message.data)
            if isinstance(record, records.Batch):
                found.extend(e for e in record.entries if e.sequence in wanted)
        return found[:amount]

    def subscribe(self, receiver: queue.Queue[int]) -> None:
        """Put each new head into ``receiver`` (skipped when it is full, as in the seed)."""
        with self._lock:
            self._subscribers.append(receiver)

    def unsubscribe(self, receiver: queue.Queue[int]) -> None:
        with self._lock:
            if receiver in self._subscribers:
                self._subscribers.remove(receiver)

    # -- writing -------------------------------------------------------------------

    @property
    def max_batch_bytes(self) -> int:
        """The largest encoded batch one write can store (an Aeron message)."""
        return self._require_writer().max_message_length

    def _require_writer(self) -> RecordingWriter:
        self._check_open()
        if self._writer is None:
            raise QueueError(f"{self.alias} was opened read-only")
        if self._broken:
            raise QueueError(f"{self.alias}: an earlier write was not acknowledged ({self._broken}); "
                             "reopen the ledger to learn whether it was recorded")
        return self._writer

    def next_sequence(self, n: int = 1) -> int:
        """The first of ``n`` consecutive sequences for the next write: ``generate_sequence(n)``,
        or the one after the written head if that is higher (another process, or a clock
        that went back, may have written higher sequences than this process generates)."""
        return max(generate_sequence(n), self.written_head + 1)

    @property
    def written_head(self) -> int:
        """The last sequence written, acknowledged or not (``head`` once all are acknowledged)."""
        return self._offered_head

    def write(self, *entries: Entry) -> None:
        """Store ``entries`` all or nothing, as one batch; returns once recorded.
        ``NotMonotonic`` unless their sequences rise above the head, ``LimitReached`` past
        ``limit``, ``InvalidEntry`` for bad entries or a batch over ``max_batch_bytes``."""
        with self._write_lock:
            end = self._offer_batch(entries)
            if end is not None:
                self._acknowledge(end)

    def offer(self, *entries: Entry) -> int | None:
        """``write`` without waiting: check and send the batch, and return the position the
        recording must reach for it to be acknowledged (None for no entries). The checks
        count what was offered before, acknowledged or not; ``acknowledge`` applies it."""
        with self._write_lock:
            return self._offer_batch(entries)

    def acknowledge(self, position: int | None = None) -> int:
        """Apply every offered batch the archive has recorded (head, length, subscribers);
        with ``position``, first wait until the recording reached it (``NotAcknowledged``
        after the timeout). Returns the recorded position."""
        with self._write_lock:
            return self._acknowledge(position)

    def _offer_batch(self, entries: tuple[Entry, ...]) -> int | None:
        writer = self._require_writer()
        checked = [checked_entry(entry) for entry in entries]
        if not checked:
            return None
        previous = self._offered_head
        for entry in checked:
            if entry.sequence <= previous:
                raise NotMonotonic(f"sequence {entry.sequence} is not above {previous}")
            previous = entry.sequence
        held = self.length + self._in_flight_entries
        if self.config.limit and held + len(checked) > self.config.limit:
            raise LimitReached(f"{self.alias} holds {held} entries; {len(checked)} more pass the limit "
                               f"{self.config.limit}")
        length = records.encoded_batch_length(len(e.payload) for e in checked)
        if length > writer.max_message_length:
            raise InvalidEntry(f"a batch of {length} bytes exceeds the largest message, {writer.max_message_length} "
                               "bytes (an eighth of the term length)")
        batch = records.Batch(self._offered_ordinal, checked)
        end = self._offer(records.encode_batch(batch.first_ordinal, checked), batch)
        self._offered_head = checked[-1].sequence
        self._offered_ordinal += len(checked)
        self._in_flight_entries += len(checked)
        return end

    def _offer(self, data: bytes, record: records.Record) -> int:
        start = self._offered_end  # not the publication's position: one C call less per batch
        assert self._writer is not None  # the callers required it
        try:
            end = self._writer.append(data)
        except QueueError as error:
            self._broken = str(error)
            raise
        self._offered_end = end
        self._in_flight.append((start, end, record))
        return end

    def _acknowledge(self, position: int | None = None) -> int:
        writer = self._require_writer()
        try:
            if position is not None:
                writer.wait_recorded(position)
        except QueueError as error:
            self._broken = str(error)
            raise
        recorded = writer.recorded_position()
        while self._in_flight and self._in_flight[0][1] <= recorded:
            start, end, record = self._in_flight.popleft()
            if isinstance(record, records.Batch):
                self._in_flight_entries -= len(record.entries)
            self._apply_record(start, end, record)
        return recorded

    def delete(self, sequence: int) -> int:
        """Delete every entry up to and including ``sequence`` (never past the head);
        returns how many. The segment files before the first kept entry are purged
        (as far as no replay still reads them, see ``purge``)."""
        with self._write_lock:
            return self._delete(sequence)

    def _delete(self, sequence: int) -> int:
        self._require_writer()
        if not isinstance(sequence, int):
            raise InvalidEntry(f"sequence must be an int, not {type(sequence).__name__}")
        if self._in_flight:  # what is written is acknowledged (or fails) before a delete
            self._acknowledge(self._in_flight[-1][1])
        sequence = min(sequence, self._head)
        count = bisect.bisect_right(self._sequences, sequence)
        if count == 0 and sequence <= self._tail:
            return 0
        self._acknowledge(self._offer(records.encode_delete(sequence, self._first_ordinal + count),
                                      records.Delete(sequence, self._first_ordinal + count)))
        self.purge()
        return count

    def purge(self, stop_replays: bool = False) -> bool:
        """Purge the segment files before the first kept entry's. The archive refuses while
        a replay reads there (a consumer behind): False then, unless ``stop_replays``, which
        stops the recording's replays first (their consumers start again and report the skip)."""
        with self._write_lock:
            writer = self._require_writer()
        with self._lock:
            keep_from = self._starts[0] if self._starts else self._last_start
        return writer.purge_before(keep_from, stop_replays)

    # -- lifetime ------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise QueueClosed(f"{self.alias} is closed")

    @property
    def is_closed(self) -> bool:
        return self._closed

    @property
    def is_writable(self) -> bool:
        """Whether this ledger is the writer (a read-only one catches up with ``refresh``)."""
        return self._writer is not None

    def close(self) -> None:
        """Release the writer (the next one extends the recording). Idempotent."""
        self._closed = True
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
