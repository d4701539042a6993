"""``Producer``: batches entries into ledger writes and acknowledges each entry once its
batch is recorded, as the seed's producer.

A batch is sent when it holds ``batch`` entries, when the next entry would make it
larger than ``batch_bytes`` (one batch is one Aeron message), or ``timeout`` after its
first entry. A full batch is sent by the thread that calls ``write`` (handing it to
another thread would cost a wait for the GIL per batch); a worker thread sends the
batches that time out, retries the ones refused with ``LimitReached``, and
acknowledges. Nothing waits for a batch to be recorded before the next one is sent
(``Ledger.offer``): batches in flight are acknowledged in order as the archive's
recording position passes them. Each ack of a batch gets the batch's result: None, or
the exception.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
import time

from aeron_cffi.queue import records
from aeron_cffi.queue._callbacks import Ack, call_user
from aeron_cffi.queue.errors import InvalidEntry, LimitReached, ProducerClosed
from aeron_cffi.queue.ledger import Ledger, checked_entry
from aeron_cffi.queue.records import Entry

__all__ = ["Producer", "ProducerConfig"]



@dataclasses.dataclass
class ProducerConfig:
    """The seed's ``ProducerConfig``; times in seconds, and ``batch_bytes`` (ours)."""

    #: The most entries in one write.
    batch: int = 100
    #: Seconds after which an unfinished batch is written anyway.
    timeout: float = 0.01
    #: How often a write that failed with ``LimitReached`` is tried again.
    retry: int = 0
    #: Seconds between those tries.
    delay: float = 0.1
    #: Drop entries whose sequence is not above the ledger's head (acked with None).
    filter: bool = False
    #: The most bytes of one encoded batch; 0: the largest message the ledger takes.
    batch_bytes: int = 0

    def __post_init__(self) -> None:
        if self.batch < 1 or self.timeout < 0 or self.retry < 0 or self.delay < 0 or self.batch_bytes < 0:
            raise InvalidEntry("batch must be positive; timeout, retry, delay and batch_bytes not negative")


class Producer:
    """Write entries to ``ledger`` in batches; ``close()`` acknowledges what was sent and
    fails what is still queued with ``ProducerClosed``."""

    def __init__(self, ledger: Ledger, config: ProducerConfig | None = None) -> None:
        self.ledger = ledger
        self.config = config or ProducerConfig()
        largest = ledger.max_batch_bytes
        self._batch_bytes = min(self.config.batch_bytes or largest, largest)
        self._lock = threading.Lock()  # pending entries, the retry and what is in flight
        self._ack_lock = threading.RLock()  # acks are called in order, by one thread at a time
        self._pending: list[tuple[Entry, Ack | None]] = []
        self._pending_bytes = records.BATCH_HEADER_LENGTH
        self._first_at = 0.0
        self._retrying: _Retry | None = None
        self._in_flight: collections.deque[tuple[int, list[Ack | None]]] = collections.deque()  # (end, acks)
        self._ready: collections.deque[tuple[list[Ack | None], Exception | None]] = collections.deque()
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"producer {ledger.alias}", daemon=True)
        self._thread.start()

    def write(self, entry: Entry, ack: Ack | None = None) -> bool:
        """Queue ``entry``; ``ack(error)`` is called once its batch was recorded (error None)
        or failed. False if the producer is closed (as the seed; ack is not called)."""
        if self._closed:
            return False
        entry = checked_entry(entry)
        size = records.ENTRY_HEADER_LENGTH + len(entry.payload)
        if records.BATCH_HEADER_LENGTH + size > self._batch_bytes:
            raise InvalidEntry(f"an entry of {len(entry.payload)} bytes does not fit a batch of {self._batch_bytes}")
        if ack is not None and not callable(ack):
            raise InvalidEntry("ack must be callable")
        with self._lock:
            if self._closed:
                return False
            pending = self._pending
            if not pending:
                self._first_at = time.monotonic()
                self._wake.set()  # the worker times this batch
            pending.append((entry, ack))
            self._pending_bytes += size
            if len(pending) >= self.config.batch or self._pending_bytes >= self._batch_bytes or \
                    not self.config.timeout:
                self._send_due(timed_out=not self.config.timeout)
        if self._ready:
            self._call_acks()
        return True

    # -- sending (under self._lock) --------------------------------------------------

    def _send_due(self, timed_out: bool) -> None:
        """Send the pending batches that are due, unless a refused one waits for its retry
        (nothing may overtake it: sequences rise)."""
        while self._pending and self._retrying is None and (
                timed_out or len(self._pending) >= self.config.batch or self._pending_bytes >= self._batch_bytes):
            self._send(self._take_batch())

    def _take_batch(self) -> list[tuple[Entry, Ack | None]]:
        """The longest prefix of the pending entries that fits the limits."""
        pending, size, count = self._pending, records.BATCH_HEADER_LENGTH, 0
        while count < len(pending) and count < self.config.batch:
            grown = size + records.ENTRY_HEADER_LENGTH + len(pending[count][0].payload)
            if count and grown > self._batch_bytes:
                break
            size, count = grown, count + 1
        batch, self._pending = pending[:count], pending[count:]
        self._pending_bytes -= size - records.BATCH_HEADER_LENGTH
        if self._pending:
            self._first_at = time.monotonic()
        return batch

    def _send(self, batch: list[tuple[Entry, Ack | None]], tries: int = 0) -> None:
        entries = [entry for entry, _ in batch]
        acks = [ack for _, ack in batch]
        if self.config.filter:
            head = self.ledger.written_head
            entries = [entry for entry in entries if entry.sequence > head]
        try:
            end = self.ledger.offer(*entries)
        except LimitReached as error:
            if tries >= self.config.retry or self._closed:
                self._ready.append((acks, error))
            else:  # the worker tries again after the delay; later batches wait behind it
                self._retrying = _Retry(batch, tries + 1, time.monotonic() + self.config.delay)
                self._wake.set()
            return
        except Exception as error:  # noqa: BLE001  (it goes to the acks, as the seed's)
            self._ready.append((acks, error))
            return
        if end is None:  # all filtered out
            self._ready.append((acks, None))
        else:
            self._in_flight.append((end, acks))
            self._wake.set()  # the worker acknowledges it once recorded

    def _acknowledge(self, wait_for: int | None = None) -> None:
        """Move the batches in flight that the archive recorded to the ready acks (all of
        them with the error if waiting for ``wait_for`` fails)."""
        if not self._in_flight:
            return
        try:
            recorded = self.ledger.acknowledge(wait_for)
        except Exception as error:  # noqa: BLE001
            while self._in_flight:
                self._ready.append((self._in_flight.popleft()[1], error))
            return
        while self._in_flight and self._in_flight[0][0] <= recorded:
            self._ready.append((self._in_flight.popleft()[1], None))

    def _call_acks(self) -> None:
        with self._ack_lock:
            while self._ready:
                try:
                    acks, error = self._ready.popleft()
                except IndexError:
                    return
                for ack in acks:
                    call_user(ack, error)

    # -- the worker ------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(self._sleep())
            self._wake.clear()
            with self._lock:
                if self._closed:
                    break
                now = time.monotonic()
                if self._retrying is not None and now >= self._retrying.at:
                    retry, self._retrying = self._retrying, None
                    self._send(retry.batch, retry.tries)
                timed_out = bool(self._pending) and now >= self._first_at + self.config.timeout
                self._send_due(timed_out)
                if len(self._in_flight) >= _MAX_IN_FLIGHT:
                    self._acknowledge(self._in_flight[0][0])
                else:
                    self._acknowledge()
            self._call_acks()
        with self._lock:  # closed: what was sent is acknowledged (or fails), the rest is cancelled
            if self._in_flight:
                self._acknowledge(self._in_flight[-1][0])
            closed = ProducerClosed(f"producer of {self.ledger.alias} closed")
            if self._retrying is not None:
                self._ready.append(([ack for _, ack in self._retrying.batch], closed))
                self._retrying = None
            self._ready.append(([ack for _, ack in self._pending], closed))
            self._pending = []
        self._call_acks()

    def _sleep(self) -> float | None:
        """How long the worker may sleep: until the pending batch times out, the retry is
        due, or (with batches in flight) a short look at the recording position."""
        with self._lock:
            deadlines = []
            if self._pending:
                deadlines.append(self._first_at + self.config.timeout)
            if self._retrying is not None:
                deadlines.append(self._retrying.at)
            if self._in_flight:
                deadlines.append(time.monotonic() + _ACK_POLL_S)
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    @property
    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop: the batches sent are acknowledged (or fail), entries still queued get
        ``ProducerClosed``."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._wake.set()
        if threading.current_thread() is not self._thread:  # an ack may close its producer
            self._thread.join()

    def __enter__(self) -> "Producer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclasses.dataclass
class _Retry:
    """A batch refused with ``LimitReached``, tried again at ``at`` (its try number ``tries``)."""

    batch: list[tuple[Entry, Ack | None]]
    tries: int
    at: float


#: How often the worker looks whether batches in flight were recorded.
_ACK_POLL_S = 0.0005
#: Batches sent and not yet acknowledged before the worker waits for the oldest.
_MAX_IN_FLIGHT = 1024
