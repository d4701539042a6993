"""``Consumer``: delivers a ledger's entries in order and keeps the consumer's marks, as
the seed's consumer, reading through a replay that follows the ledger's recording.

A named consumer resumes after its saved marks: after the cumulative one, with the
individually marked entries treated as done. A new one saves ``start - 1`` before it
delivers anything (the seed saves ``start``, which loses entry ``start`` if the
consumer dies before its first mark). At most ``window`` delivered entries are
unmarked at a time; when the window stays full for ``deadline`` the consumer reports
``ConsumerDeadlock`` and stops. Marks are saved every ``skip + 1`` marks or
``timeout`` after the first unsaved one, and acknowledged once saved.

Every entry carries its ordinal (its number since the ledger's first entry), so a
consumer sees when entries it did not deliver were deleted under it (the cleaner's
``threshold``) and reports exactly how many, between which sequences
(``EntriesSkipped``), instead of skipping them silently as the seed does.
"""

from __future__ import annotations

import collections
import dataclasses
import queue
import threading
import time
from typing import Callable

from aeron_cffi.errors import InvalidArgumentError
from aeron_cffi.queue import records
from aeron_cffi.queue._callbacks import Ack, call_user
from aeron_cffi.queue.errors import (
    ConsumerClosed,
    ConsumerDeadlock,
    EntriesSkipped,
    InvalidEntry,
    InvalidSequence,
    QueueError,
)
from aeron_cffi.queue.ledger import Ledger
from aeron_cffi.queue.recording_log import Follower
from aeron_cffi.queue.records import Entry
from aeron_cffi.queue.sequences import compile_sequences
from aeron_cffi.queue.table import Table

__all__ = ["Consumer", "ConsumerConfig"]

_IDLE_S = 0.001


@dataclasses.dataclass
class ConsumerConfig:
    """The seed's ``ConsumerConfig`` (times in seconds), plus ``skipped``."""

    #: The persistent consumer's name; empty: positions are not saved.
    name: str = ""
    #: The first sequence to deliver when nothing is saved under ``name``.
    start: int = 0
    #: Where entries are put, in order (a new unbounded ``queue.Queue`` if None: ``consumer.entries``).
    entries: queue.Queue[Entry] | None = None
    #: Called with the error that stops the consumer.
    errors: Callable[[Exception], object] | None = None
    #: The most entries taken from the replay per round.
    batch: int = 100
    #: The most delivered entries that may be unmarked at a time.
    window: int = 1000
    #: How many marks go unsaved before the marks are written to the table.
    skip: int = 0
    #: Seconds after which unsaved (skipped) marks are written anyway; 0: only by ``skip``.
    timeout: float = 0.0
    #: Seconds the window may stay full before ``ConsumerDeadlock``; 0: forever.
    deadline: float = 0.0
    #: Called with ``EntriesSkipped`` when deleted entries were never delivered (``errors`` if None).
    skipped: Callable[[EntriesSkipped], object] | None = None

    def __post_init__(self) -> None:
        if self.batch < 1 or self.window < 1 or self.skip < 0 or self.timeout < 0 or self.deadline < 0:
            raise InvalidEntry("batch and window must be positive; skip, timeout and deadline not negative")
        if not isinstance(self.start, int) or self.start < 0:
            raise InvalidEntry(f"start must be a non-negative int, not {self.start!r}")


class Consumer:
    """Deliver ``ledger``'s entries into ``config.entries`` (``consumer.entries``) and take
    marks; ``table`` keeps a named consumer's marks (None for an unnamed one)."""

    def __init__(self, ledger: Ledger, table: Table | None, config: ConsumerConfig | None = None) -> None:
        self.ledger = ledger
        self.table = table
        self.config = config = config or ConsumerConfig()
        if config.name and table is None:
            raise InvalidEntry("a named consumer needs a table")
        self.name = config.name
        self.entries: queue.Queue[Entry] = config.entries if config.entries is not None else queue.Queue()
        self._marks_in: queue.Queue[tuple[int, bool, Ack | None]] = queue.Queue()
        self._markers: dict[int, bool] = {}  # delivered (or resumed as done) and not yet saved past
        self._ordinals: dict[int, int] = {}
        self._unmarked = 0
        self._unsaved: list[Ack | None] = []
        self._first_unsaved_at = 0.0
        self._pending: collections.deque[tuple[Entry, int]] = collections.deque()
        self._closed = False
        self._stop = threading.Event()
        if not ledger.is_writable:
            ledger.refresh()
        if ledger.recording_id is None:
            raise QueueError(f"{ledger.alias} has no recording yet: open it for writing first")
        if self.name:
            self._named_table().claim(self.name, consumer=True)  # one consumer per name: a second one is refused
        try:
            self._resume()
            self._follower = Follower(ledger.archive, ledger.recording_id, ledger.config.stream_id,
                                      ledger.start_after(self._cursor))
        except BaseException:
            if self.name:
                self._named_table().release(self.name)
            raise
        self._last_progress = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"consumer {self.name or '(unnamed)'}", daemon=True)
        self._thread.start()

    def _named_table(self) -> Table:
        """The table of a named consumer (``__init__`` refuses a name without one)."""
        assert self.table is not None, "a named consumer needs a table"
        return self.table

    def _resume(self) -> None:
        saved = self._named_table().get(self.name) if self.name else None
        if saved is not None and saved.sequences:
            self._cursor, self._cursor_ordinal = saved.sequences[0], saved.ordinal
            for sequence in saved.sequences[1:]:
                self._markers[sequence] = True
        else:
            self._cursor = max(self.config.start - 1, 0)
            self._cursor_ordinal = self.ledger.ordinal_after(self._cursor) - 1
            if self.name:
                self._named_table().set(self.name, [self._cursor], self._cursor_ordinal)
        self._expected = self._cursor_ordinal + 1
        self._last_sequence = self._cursor

    # -- the user's side -------------------------------------------------------------

    def mark(self, sequence: int, cumulative: bool = False, ack: Ack | None = None) -> bool:
        """Mark ``sequence`` processed (and every delivered one below it if ``cumulative``);
        ``ack(error)`` once the mark is saved (None), or with ``InvalidSequence`` for a
        sequence not delivered, or ``ConsumerClosed``. False if the consumer is closed."""
        if not isinstance(sequence, int) or isinstance(sequence, bool):
            raise InvalidArgumentError(f"sequence must be an int, not {type(sequence).__name__}")
        if ack is not None and not callable(ack):
            raise InvalidArgumentError("ack must be callable")
        if self._closed:
            return False
        self._marks_in.put((sequence, bool(cumulative), ack))
        return True

    @property
    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop delivering; the marks given before are saved and acknowledged (a consumer
        that died of an error gives its unsaved acks that error, and ``ConsumerClosed`` to
        marks that arrived as it died). Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def __enter__(self) -> "Consumer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the worker ------------------------------------------------------------------

    def _run(self) -> None:
        error: Exception | None = None
        try:
            while not self._stop.is_set():
                worked = self._take_marks()
                worked = self._deliver() or worked
                if self._unsaved and self.config.timeout and \
                        time.monotonic() - self._first_unsaved_at >= self.config.timeout:
                    self._save()
                self._check_deadlock()
                if not worked:
                    time.sleep(_IDLE_S)
            self._take_marks()
            if self._unsaved:
                self._save()
        except Exception as failure:  # noqa: BLE001  (the seed's consumer dies with its error)
            error = failure
        finally:
            self._closed = True
            self._follower.close()
            closed = ConsumerClosed(f"consumer {self.name!r} closed")
            for ack in self._unsaved:
                call_user(ack, error or closed)
            while not self._marks_in.empty():
                call_user(self._marks_in.get_nowait()[2], closed)
            if self.name:
                self._named_table().release(self.name)
            if error is not None:
                call_user(self.config.errors, error)

    def _check_deadlock(self) -> None:
        if self._unmarked < self.config.window or not self.config.deadline:
            return
        if time.monotonic() - self._last_progress > self.config.deadline:
            raise ConsumerDeadlock(f"consumer {self.name!r}: the window of {self.config.window} stayed full "
                                   f"for {self.config.deadline}s")

    def _deliver(self) -> bool:
        room = min(self.config.window - self._unmarked, self.config.batch)
        if room <= 0:
            return False
        if not self._pending:
            for message in self._follower.poll(self.config.batch):  # read ahead no further than a batch
                record = records.decode(message.data)
                if isinstance(record, records.Batch):
                    self._pending.extend((entry, record.first_ordinal + i) for i, entry in enumerate(record.entries))
        delivered = 0
        while self._pending and delivered < room and not self._stop.is_set():
            entry, ordinal = self._pending.popleft()
            if ordinal < self._expected:
                continue  # seen before: a replay that started again
            if ordinal > self._expected:
                skip = EntriesSkipped(self._last_sequence, entry.sequence, ordinal - self._expected)
                call_user(self.config.skipped or self.config.errors, skip)
            self._expected = ordinal + 1
            self._last_sequence = entry.sequence
            if entry.sequence <= self._cursor:
                continue
            if self._markers.get(entry.sequence):  # marked before a restart: done
                self._ordinals[entry.sequence] = ordinal
                continue
            self._markers[entry.sequence] = False
            self._ordinals[entry.sequence] = ordinal
            self._unmarked += 1
            self._put(entry)
            delivered += 1
        if delivered:
            self._last_progress = time.monotonic()
        return delivered > 0

    def _put(self, entry: Entry) -> None:
        while not self._stop.is_set():
            try:
                self.entries.put(entry, timeout=0.05)
                return
            except queue.Full:
                continue

    def _take_marks(self) -> bool:
        taken = False
        while not self._marks_in.empty():
            sequence, cumulative, ack = self._marks_in.get_nowait()
            taken = True
            if sequence not in self._markers:
                if sequence <= self._cursor:
                    call_user(ack, None)  # saved as done already
                else:
                    call_user(ack, InvalidSequence(f"sequence {sequence} was not delivered to {self.name!r}"))
                continue
            targets = [s for s in self._markers if s <= sequence] if cumulative else [sequence]
            for target in targets:
                if not self._markers[target]:
                    self._markers[target] = True
                    self._unmarked -= 1
            self._last_progress = time.monotonic()
            if not self._unsaved:
                self._first_unsaved_at = time.monotonic()
            self._unsaved.append(ack)
            if len(self._unsaved) > self.config.skip:
                self._save()
        return taken

    def _save(self) -> None:
        """Save the marks: the end of the leading run of marked entries (with the cursor
        as its first member, so ``compile_sequences`` never invents ``first - 1``), then
        the later marked ones. The head must be an entry whose ordinal is known, for skip
        detection after a restart: the newest such one of the run."""
        table = {self._cursor: True, **self._markers}
        run_end = compile_sequences(table)[0]
        head = max(s for s in table if s <= run_end and (s == self._cursor or s in self._ordinals))
        if head != self._cursor:
            self._cursor, self._cursor_ordinal = head, self._ordinals[head]
            for sequence in [s for s in self._markers if s <= head]:
                self._markers.pop(sequence)
                self._ordinals.pop(sequence, None)
        if self.name:
            self._named_table().set(self.name, [head, *sorted(s for s, marked in self._markers.items() if marked)],
                                    self._cursor_ordinal)
        acks, self._unsaved = self._unsaved, []
        for ack in acks:
            call_user(ack, None)
