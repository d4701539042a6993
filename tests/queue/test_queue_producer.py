"""The producer: batching by count, bytes and time, retries on the limit, the filter,
acks carrying their batch's result, and close."""

from __future__ import annotations

import queue
import threading
import time

import pytest

from aeron_cffi.queue import (
    Entry,
    InvalidEntry,
    Ledger,
    LimitReached,
    NotMonotonic,
    Producer,
    ProducerClosed,
    ProducerConfig,
)
from queue_support import Acks, entries, ledger_config


def heads_of(ledger: Ledger) -> queue.Queue:
    """Every new head the ledger reports: one per batch written."""
    heads: queue.Queue = queue.Queue()
    ledger.subscribe(heads)
    return heads


def drain(heads: queue.Queue) -> list[int]:
    return [heads.get_nowait() for _ in range(heads.qsize())]


def test_batches_hold_at_most_batch_entries_and_every_entry_is_acked(ledger):
    heads, acks = heads_of(ledger), Acks()
    with Producer(ledger, ProducerConfig(batch=10, timeout=0.05)) as producer:
        for entry in entries(1, 35):
            assert producer.write(entry, acks.ack(entry.sequence))
        assert acks.wait(*range(1, 36)) == [None] * 35
    batches = drain(heads)
    sizes = [b - a for a, b in zip([0] + batches, batches)]
    assert sum(sizes) == 35 and max(sizes) <= 10
    assert ledger.read(0, 100) == entries(1, 35)


def test_batches_are_limited_by_bytes_too(ledger):
    heads, acks = heads_of(ledger), Acks()
    with Producer(ledger, ProducerConfig(batch=100, timeout=0.05, batch_bytes=2000)) as producer:
        for entry in entries(1, 20, size=300):  # 312 bytes each: six fit in 2000
            producer.write(entry, acks.ack(entry.sequence))
        acks.wait(*range(1, 21))
        with pytest.raises(InvalidEntry, match="does not fit"):
            producer.write(Entry(100, b"x" * 2000))
    batches = drain(heads)
    sizes = [b - a for a, b in zip([0] + batches, batches)]
    assert sum(sizes) == 20 and max(sizes) <= 6


def test_an_unfinished_batch_is_written_after_the_timeout(ledger):
    acks = Acks()
    with Producer(ledger, ProducerConfig(batch=100, timeout=1.5)) as producer:
        began = time.monotonic()
        for entry in entries(1, 3):
            producer.write(entry, acks.ack(entry.sequence))
        time.sleep(0.1)
        assert acks.results == {}  # still waiting for more
        acks.wait(1, 2, 3)
        assert time.monotonic() - began >= 1.5
    assert ledger.length == 3


def test_limit_reached_is_retried_after_the_delay_then_reported(archive, prefix):
    with Ledger(archive, ledger_config(prefix, limit=3)) as ledger:
        ledger.write(*entries(1, 3))
        acks = Acks()
        with Producer(ledger, ProducerConfig(batch=1, timeout=0, retry=2, delay=0.05)) as producer:
            producer.write(entries(4, 1)[0], acks.ack(4))
            assert isinstance(acks.wait(4)[0], LimitReached)  # 3 tries, all full
            producer.write(entries(5, 1)[0], acks.ack(5))
            ledger.delete(1)  # room appears while it waits to retry
            assert acks.wait(5) == [None]
        assert [e.sequence for e in ledger.read(0, 10)] == [2, 3, 5]


def test_filter_drops_entries_not_above_the_head_and_acks_them(ledger):
    ledger.write(*entries(1, 5))
    acks = Acks()
    with Producer(ledger, ProducerConfig(batch=10, timeout=0.05, filter=True)) as producer:
        for entry in entries(4, 4):
            producer.write(entry, acks.ack(entry.sequence))
        assert acks.wait(4, 5, 6, 7) == [None] * 4
    assert [e.sequence for e in ledger.read(0, 10)] == [1, 2, 3, 4, 5, 6, 7]


def test_every_ack_of_a_failed_batch_gets_its_error_and_nothing_is_written(ledger):
    ledger.write(*entries(10, 1))
    acks = Acks()
    with Producer(ledger, ProducerConfig(batch=3, timeout=1.0)) as producer:
        for sequence in (11, 12, 5):  # one batch; the last breaks monotony
            producer.write(Entry(sequence, b"x"), acks.ack(sequence))
        results = acks.wait(11, 12, 5)
    assert all(isinstance(error, NotMonotonic) for error in results)
    assert ledger.length == 1


def test_close_fails_what_is_queued_and_refuses_more(ledger):
    acks = Acks()
    producer = Producer(ledger, ProducerConfig(batch=100, timeout=60))
    for entry in entries(1, 3):
        producer.write(entry, acks.ack(entry.sequence))
    producer.close()
    assert all(isinstance(error, ProducerClosed) for error in acks.wait(1, 2, 3))
    assert producer.write(entries(4, 1)[0], acks.ack(4)) is False
    with Producer(ledger) as other, pytest.raises(InvalidEntry):
        other.write("not an entry")
    assert ledger.length == 0


def test_an_ack_may_close_its_producer(ledger):
    closed = threading.Event()
    producer = Producer(ledger, ProducerConfig(batch=1))

    def ack(error):
        producer.close()
        closed.set()

    producer.write(entries(1, 1)[0], ack)
    assert closed.wait(30)
    producer.close()
    assert producer.is_closed and producer.write(entries(2, 1)[0]) is False
    assert ledger.length == 1
