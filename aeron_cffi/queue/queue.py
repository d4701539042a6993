"""``Queue``: a ledger, its table and a cleaner, under one prefix, as the seed's queue."""

from __future__ import annotations

import dataclasses
from typing import Callable, TypedDict

from aeron_cffi.archive import AeronArchive
from aeron_cffi.queue.cleaner import Cleaner, CleanerConfig
from aeron_cffi.queue.consumer import Consumer, ConsumerConfig
from aeron_cffi.queue.ledger import DEFAULT_STREAM_ID, Ledger, LedgerConfig
from aeron_cffi.queue.producer import Producer, ProducerConfig
from aeron_cffi.queue.table import Table, TableConfig

__all__ = ["Queue", "QueueConfig"]


class _AeronSettings(TypedDict):
    """The Aeron settings a queue passes on to its ledger's and table's configs."""

    term_length: int
    stream_id: int
    timeout: float
    writer_timeout: float


@dataclasses.dataclass
class QueueConfig:
    """The seed's ``QueueConfig`` (intervals in seconds), plus the Aeron settings of
    ``LedgerConfig`` (``term_length``, ``stream_id``, ``timeout``, ``writer_timeout``)."""

    prefix: str = ""
    ledger_cache: int = 0
    ledger_limit: int = 0
    table_cache: bool = False
    clean_retention: int = 0
    clean_threshold: int = 0
    #: Seconds between cleanings; 0: no cleaner.
    clean_interval: float = 1.0
    clean_errors: Callable[[Exception], object] | None = None
    term_length: int = 1 << 20
    stream_id: int = DEFAULT_STREAM_ID
    timeout: float = 10.0
    writer_timeout: float = 3.0


class Queue:
    """Open the queue ``config.prefix`` on ``archive``: for writing (the ledger's one
    writer, with the cleaner) or read-only (``writable=False``: consumers only)."""

    def __init__(self, archive: AeronArchive, config: QueueConfig, writable: bool = True) -> None:
        self.config = config
        aeron: _AeronSettings = {"term_length": config.term_length, "stream_id": config.stream_id,
                                 "timeout": config.timeout, "writer_timeout": config.writer_timeout}
        self.ledger = Ledger(archive, LedgerConfig(prefix=config.prefix, cache=config.ledger_cache,
                                                   limit=config.ledger_limit, **aeron), writable=writable)
        self.table = Table(archive, TableConfig(prefix=config.prefix, cache=config.table_cache, **aeron))
        self.cleaner = None
        if writable and config.clean_interval:
            self.cleaner = Cleaner(self.ledger, CleanerConfig(
                retention=config.clean_retention, threshold=config.clean_threshold, interval=config.clean_interval,
                tables=[self.table], errors=config.clean_errors))
        self._children: list[Producer | Consumer] = []

    def producer(self, config: ProducerConfig | None = None) -> Producer:
        """A ``Producer`` of this queue's ledger (closed with the queue)."""
        producer = Producer(self.ledger, config)
        self._children.append(producer)
        return producer

    def consumer(self, config: ConsumerConfig | None = None) -> Consumer:
        """A ``Consumer`` of this queue, its marks in this queue's table (closed with the queue)."""
        consumer = Consumer(self.ledger, self.table, config)
        self._children.append(consumer)
        return consumer

    def close(self) -> None:
        """Close producers, consumers, the cleaner, the table and the ledger. Idempotent."""
        for child in self._children:
            child.close()
        if self.cleaner is not None:
            self.cleaner.close()
        self.table.close()
        self.ledger.close()

    def __enter__(self) -> "Queue":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
