"""``Producer``: batches entries into ledger writes and acknowledges each entry once its
batch is recorded, as the seed's producer.

A worker thread collects what ``write`` queues and writes a batch when it holds
``batch`` entries, when the next entry would make it larger than ``batch_bytes`` (one
batch is one Aeron message), or ``timeout`` after its first entry. Each ack of a batch
gets the batch's result: None, or the exception.
"""

from __future__ import annotations

import collections
import dataclasses
import queue
import threading
import time
from typing import Callable

from aeron_cffi.queue import records
from aeron_cffi.queue._callbacks import call_user
from aeron_cffi.queue.errors import InvalidEntry, LimitReached, ProducerClosed
from aeron_cffi.queue.ledger import Ledger, checked_entry
from aeron_cffi.queue.records import Entry

__all__ = ["Ack", "Producer", "ProducerConfig"]

Ack = Callable[[Exception | None], object]


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
        self._pipe: queue.Queue[tuple[Entry, Ack | None] | None] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"producer {ledger.alias}", daemon=True)
        self._thread.start()

    def write(self, entry: Entry, ack: Ack | None = None) -> bool:
        """Queue ``entry``; ``ack(error)`` is called once its batch was written (error None)
        or failed. False if the producer is closed (as the seed; ack is not called)."""
        if self._closed:
            return False
        entry = checked_entry(entry)
        length = records.encoded_batch_length([len(entry.payload)])
        if length > self._batch_bytes:
            raise InvalidEntry(f"an entry of {len(entry.payload)} bytes does not fit a batch of {self._batch_bytes}")
        if ack is not None and not callable(ack):
            raise InvalidEntry("ack must be callable")
        self._pipe.put((entry, ack))
        return True

    def _run(self) -> None:
        pending: collections.deque[tuple[Entry, Ack | None]] = collections.deque()
        while True:
            item = self._next(pending)
            if item is None:
                break
            if item is not _FLUSH:
                pending.append(item)
            if self._due(pending, item is _FLUSH):
                self._write(pending)
        for _, ack in pending:
            call_user(ack, ProducerClosed(f"producer of {self.ledger.alias} closed"))
        while (left := self._pipe.get_nowait() if not self._pipe.empty() else None) is not None:
            call_user(left[1], ProducerClosed(f"producer of {self.ledger.alias} closed"))

    def _next(self, pending):
        """The next queued entry, ``_FLUSH`` when the batch's timeout ran out, None at close."""
        timeout = None
        if pending:
            timeout = max(0.0, self._first_at + self.config.timeout - time.monotonic())
        try:
            item = self._pipe.get(timeout=timeout)
        except queue.Empty:
            return _FLUSH
        if item is not None and not pending:
            self._first_at = time.monotonic()
        return item

    def _due(self, pending, timed_out: bool) -> bool:
        if not pending:
            return False
        if timed_out or len(pending) >= self.config.batch:
            return True
        size = records.encoded_batch_length(len(entry.payload) for entry, _ in pending)
        return size >= self._batch_bytes or self._pipe.empty() and self.config.timeout == 0

    def _write(self, pending) -> None:
        """Write the longest prefix of ``pending`` that fits the limits; ack it."""
        batch, size = [], records.BATCH_HEADER_LENGTH
        while pending and len(batch) < self.config.batch:
            entry, ack = pending[0]
            size += records.ENTRY_HEADER_LENGTH + len(entry.payload)
            if batch and size > self._batch_bytes:
                break
            batch.append(pending.popleft())
        if pending:
            self._first_at = time.monotonic()
        entries = [entry for entry, _ in batch]
        if self.config.filter:
            head = self.ledger.head
            entries = [entry for entry in entries if entry.sequence > head]
        error = self._write_with_retries(entries)
        for _, ack in batch:
            call_user(ack, error)

    def _write_with_retries(self, entries: list[Entry]) -> Exception | None:
        tries = 0
        while True:
            try:
                self.ledger.write(*entries)
                return None
            except LimitReached as error:
                if tries >= self.config.retry or self._closed:
                    return error
                tries += 1
                time.sleep(self.config.delay)
            except Exception as error:  # noqa: BLE001  (it goes to the acks, as the seed's)
                return error

    @property
    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop: the batch being written finishes, queued entries get ``ProducerClosed``."""
        if self._closed:
            return
        self._closed = True
        self._pipe.put(None)
        self._thread.join()

    def __enter__(self) -> "Producer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_FLUSH = object()
