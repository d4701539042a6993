"""A durable queue on an Aeron archive, after the Go queue of ``seeds/quasar-queue-api.txt``.

A ``Ledger`` of entries is one archive recording; ``Producer``s batch writes into it and
acknowledge them once recorded; named ``Consumer``s read it through replays and keep
their marks in the ``Table`` (recordings too), so they resume after a crash; a
``Cleaner`` deletes what every consumer has passed; ``Queue`` bundles them. See
``docs/queue.md`` for the API, the guarantees and where this differs from the seed.
"""

from aeron_cffi.queue.errors import (
    ConsumerClosed,
    ConsumerDeadlock,
    EntriesSkipped,
    InvalidEntry,
    InvalidSequence,
    LimitReached,
    NotAcknowledged,
    NotMonotonic,
    ProducerClosed,
    QueueClosed,
    QueueError,
    QueueTimeout,
    WriterConflict,
)
from aeron_cffi.queue.cleaner import Cleaner, CleanerConfig
from aeron_cffi.queue.consumer import Consumer, ConsumerConfig
from aeron_cffi.queue.ledger import Entry, Ledger, LedgerConfig
from aeron_cffi.queue.producer import Producer, ProducerConfig
from aeron_cffi.queue.queue import Queue, QueueConfig
from aeron_cffi.queue.table import Marks, Table, TableConfig
from aeron_cffi.queue.sequences import (
    ENCODED_SEQUENCE_LENGTH,
    compile_sequences,
    decode_sequence,
    decode_sequences,
    encode_sequence,
    encode_sequences,
    generate_sequence,
    join_sequence,
    split_sequence,
)

__all__ = [
    "ENCODED_SEQUENCE_LENGTH",
    "Cleaner",
    "CleanerConfig",
    "Consumer",
    "ConsumerConfig",
    "Marks",
    "Producer",
    "ProducerConfig",
    "Queue",
    "QueueConfig",
    "Table",
    "TableConfig",
    "ConsumerClosed",
    "ConsumerDeadlock",
    "EntriesSkipped",
    "Entry",
    "InvalidEntry",
    "InvalidSequence",
    "Ledger",
    "LedgerConfig",
    "LimitReached",
    "NotAcknowledged",
    "NotMonotonic",
    "ProducerClosed",
    "QueueClosed",
    "QueueError",
    "QueueTimeout",
    "WriterConflict",
    "compile_sequences",
    "decode_sequence",
    "decode_sequences",
    "encode_sequence",
    "encode_sequences",
    "generate_sequence",
    "join_sequence",
    "split_sequence",
]
