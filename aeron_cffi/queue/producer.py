"""``Producer``: batches entries into ledger writes and acknowledges each entry once its
batch is recorded, as the seed's producer.

A worker thread collects what ``write`` queues and writes a batch when it holds
``batch`` entries, when the next entry would make it larger than ``batch_bytes`` (one
batch is one Aeron message), or ``timeout`` after its first entry. Each ack of a batch
gets the batch's result: None, or the exception. The worker does not wait for a batch
to be recorded before it sends the next one (``Ledger.offer``): it acknowledges the
batches in flight as the archive's recording position passes them, in order, so the
rate is not bound by the round trip to the archive.
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
    """Write entries to ``ledger`` in batches; ``close()`` fails what is still queued
    with ``ProducerClosed``."""

    def __init__(self, ledger: Ledger, config: ProducerConfig | None = None) -> None:
        self.ledger = ledger
        self.config = config or ProducerConfig()
        largest = ledger.max_batch_bytes
        self._batch_bytes = min(self.config.batch_bytes or largest, largest)
        # What write() hands the worker: a deque (its append needs no lock) and an event
        # set only while the worker sleeps on it, so a write costs no lock in the common case.
        self._incoming: collections.deque[tuple[Entry, Ack | None] | None] = collections.deque()
        self._wake = threading.Event()
        self._sleeping = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"producer {ledger.alias}", daemon=True)
        self._thread.start()

    def write(self, entry: Entry, ack: Ack | None = None) -> bool:
        """Queue ``entry``; ``ack(error)`` is called once its batch was written (error None)
        or failed. False if the producer is closed (as the seed; ack is not called)."""
        if self._closed:
            return False
        entry = checked_entry(entry)
        if records.BATCH_HEADER_LENGTH + records.ENTRY_HEADER_LENGTH + len(entry.payload) > self._batch_bytes:
            raise InvalidEntry(f"an entry of {len(entry.payload)} bytes does not fit a batch of {self._batch_bytes}")
        if ack is not None and not callable(ack):
            raise InvalidEntry("ack must be callable")
        self._hand_over((entry, ack))
        return True

    def _hand_over(self, item: tuple[Entry, Ack | None] | None) -> None:
        self._incoming.append(item)
        if self._sleeping:
            self._wake.set()

    def _run(self) -> None:
        pending: collections.deque[tuple[Entry, Ack | None]] = collections.deque()
        in_flight: collections.deque[tuple[int, list[Ack | None]]] = collections.deque()  # (end, acks)
        self._pending_bytes = records.BATCH_HEADER_LENGTH
        while True:
            item = self._next(pending, in_flight)
            if item is None:
                break
            if item is not _FLUSH and item is not _TICK:
                pending.append(item)
                self._pending_bytes += records.ENTRY_HEADER_LENGTH + len(item[0].payload)
                self._take_queued(pending)
            written = False
            while self._due(pending, item is _FLUSH):
                self._write(pending, in_flight)
                written = True
            if written or item is _TICK:
                self._complete(in_flight, wait=len(in_flight) >= _MAX_IN_FLIGHT)
        if in_flight:  # what was sent is acknowledged (or fails) before close returns
            self._complete(in_flight, wait=True, until=in_flight[-1][0])
        closed = ProducerClosed(f"producer of {self.ledger.alias} closed")
        for _, ack in pending:
            call_user(ack, closed)
        for left in self._incoming:
            if left is not None:
                call_user(left[1], closed)

    def _next(self, pending, in_flight):
        """The next queued entry; ``_FLUSH`` when the batch's timeout ran out, ``_TICK`` to
        look at the batches in flight, None at close."""
        timeouts = []
        if pending:
            timeouts.append(max(0.0, self._first_at + self.config.timeout - time.monotonic()))
        if in_flight:
            timeouts.append(_ACK_POLL_S)
        if not self._incoming:
            self._wake.clear()
            self._sleeping = True  # write() sets the event from now on; look once more first
            woken = bool(self._incoming) or self._wake.wait(min(timeouts) if timeouts else None)
            self._sleeping = False
            if not woken:
                return _FLUSH if pending and time.monotonic() >= self._first_at + self.config.timeout else _TICK
        item = self._incoming.popleft()
        if item is not None and not pending:
            self._first_at = time.monotonic()
        return item

    def _take_queued(self, pending) -> None:
        """Move what is already queued into ``pending``, up to a batch, in one go."""
        incoming, batch, batch_bytes = self._incoming, self.config.batch, self._batch_bytes
        size = self._pending_bytes
        while incoming and len(pending) < batch and size < batch_bytes:
            item = incoming[0]
            if item is None:  # close(): left for _next
                break
            pending.append(incoming.popleft())
            size += records.ENTRY_HEADER_LENGTH + len(item[0].payload)
        self._pending_bytes = size

    def _due(self, pending, timed_out: bool) -> bool:
        if not pending:
            return False
        if timed_out or len(pending) >= self.config.batch or self._pending_bytes >= self._batch_bytes:
            return True
        return self.config.timeout == 0 and not self._incoming

    def _write(self, pending, in_flight) -> None:
        """Send the longest prefix of ``pending`` that fits the limits as one batch."""
        batch, size = [], records.BATCH_HEADER_LENGTH
        while pending and len(batch) < self.config.batch:
            entry, ack = pending[0]
            grown = size + records.ENTRY_HEADER_LENGTH + len(entry.payload)
            if batch and grown > self._batch_bytes:
                break
            size = grown
            batch.append(pending.popleft())
        self._pending_bytes -= size - records.BATCH_HEADER_LENGTH
        if pending:
            self._first_at = time.monotonic()
        entries = [entry for entry, _ in batch]
        if self.config.filter:
            head = self.ledger.written_head
            entries = [entry for entry in entries if entry.sequence > head]
        acks = [ack for _, ack in batch]
        try:
            end = self._offer_with_retries(entries, in_flight)
        except Exception as error:  # noqa: BLE001  (it goes to the acks, as the seed's)
            for ack in acks:
                call_user(ack, error)
            return
        if end is None:  # all filtered out
            for ack in acks:
                call_user(ack, None)
        else:
            in_flight.append((end, acks))

    def _offer_with_retries(self, entries: list[Entry], in_flight) -> int | None:
        tries = 0
        while True:
            try:
                return self.ledger.offer(*entries)
            except LimitReached:
                if tries >= self.config.retry or self._closed:
                    raise
                tries += 1
                deadline = time.monotonic() + self.config.delay
                while time.monotonic() < deadline:  # acknowledging what is in flight may make room
                    self._complete(in_flight, wait=False)
                    time.sleep(min(_ACK_POLL_S, self.config.delay))

    def _complete(self, in_flight, wait: bool, until: int | None = None) -> None:
        """Ack the batches in flight that the archive recorded; with ``wait``, first wait for
        the oldest (or for ``until``). If the wait fails, every batch in flight gets the error."""
        if not in_flight:
            return
        try:
            recorded = self.ledger.acknowledge((until or in_flight[0][0]) if wait else None)
        except Exception as error:  # noqa: BLE001
            while in_flight:
                for ack in in_flight.popleft()[1]:
                    call_user(ack, error)
            return
        while in_flight and in_flight[0][0] <= recorded:
            for ack in in_flight.popleft()[1]:
                call_user(ack, None)

    @property
    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop: the batches sent are acknowledged (or fail), entries still queued get
        ``ProducerClosed``."""
        if self._closed:
            return
        self._closed = True
        self._hand_over(None)
        self._thread.join()

    def __enter__(self) -> "Producer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_FLUSH = object()
_TICK = object()
#: How often the worker looks whether batches in flight were recorded, when idle.
_ACK_POLL_S = 0.0005
#: Batches sent and not yet acknowledged before the worker waits for the oldest.
_MAX_IN_FLIGHT = 1024
