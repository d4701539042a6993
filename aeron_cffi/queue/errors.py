"""The queue's exceptions: the seed's errors (``ErrNotMonotonic``...) as classes of our
hierarchy, raised where the seed returns them and passed to callbacks where it yields them."""

from __future__ import annotations

from aeron_cffi.errors import AeronError, AeronTimeoutError, InvalidArgumentError, ResourceClosedError

__all__ = [
    "ConsumerClosed",
    "ConsumerDeadlock",
    "EntriesSkipped",
    "InvalidEntry",
    "InvalidSequence",
    "LimitReached",
    "NotAcknowledged",
    "NotMonotonic",
    "ProducerClosed",
    "QueueClosed",
    "QueueError",
    "QueueTimeout",
    "WriterConflict",
]


class QueueError(AeronError):
    """Base of the queue's errors."""


class NotMonotonic(QueueError, ValueError):
    """A write whose sequences are not strictly increasing, or not above the ledger's head."""


class LimitReached(QueueError):
    """A write that would make the ledger longer than its ``limit``."""


class InvalidSequence(QueueError, ValueError):
    """A mark for a sequence the consumer has not delivered (yielded to the mark's ack)."""


class InvalidEntry(InvalidArgumentError):
    """An entry the ledger cannot store: not an ``Entry``, a payload that is not bytes-like,
    a sequence outside 1..2**64-1, or a batch larger than one Aeron message."""


class ConsumerClosed(QueueError, ResourceClosedError):
    """Yielded to pending acks of a consumer that was closed; raised by use after close."""


class ConsumerDeadlock(QueueError):
    """The consumer's window stayed full for ``deadline`` (yielded to ``errors``; the consumer stops)."""


class ProducerClosed(QueueError, ResourceClosedError):
    """Yielded to pending acks of a producer that was closed; raised by use after close."""


class QueueClosed(QueueError, ResourceClosedError):
    """Use of a ledger, table or queue after ``close()``."""


class WriterConflict(QueueError):
    """Another live process (or object) already writes this recording: one writer at a time."""


class QueueTimeout(QueueError, AeronTimeoutError):
    """The archive did not do what the queue asked of it in time."""


class NotAcknowledged(QueueTimeout):
    """A write was offered but the archive did not record it in time; it may or may not be
    in the recording (reopening tells), and it was not acknowledged."""


class EntriesSkipped(QueueError):
    """A consumer lost entries it had not delivered because the cleaner's ``threshold``
    forced their deletion: ``count`` entries with ``after < sequence < before``.
    Passed to the consumer's ``skipped`` callback (``errors`` if none); the consumer goes on."""

    def __init__(self, after: int, before: int, count: int) -> None:
        super().__init__(f"{count} entries between sequences {after} and {before} were deleted before delivery")
        self.after = after
        self.before = before
        self.count = count
