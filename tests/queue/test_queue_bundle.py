"""``Queue``: the bundle of ledger, table and cleaner, and what a new process finds of it."""

from __future__ import annotations

import threading

import pytest

from aeron_cffi.queue import ConsumerConfig, Entry, ProducerConfig, QueueClosed, QueueConfig
from aeron_cffi.queue import Queue
from aeron_cffi.testing import wait_until

from queue_support import QUEUE_TERM_LENGTH, describe


def test_producers_consumers_and_the_cleaner_of_one_queue(archive, queue_archive, prefix):
    config = QueueConfig(prefix=prefix, term_length=QUEUE_TERM_LENGTH, clean_retention=5, clean_interval=0.05)
    acked, lock = [], threading.Lock()

    def ack(error):
        with lock:
            acked.append(error)

    with Queue(archive, config) as queue:
        producer = queue.producer(ProducerConfig(batch=10, timeout=0.01))
        consumer = queue.consumer(ConsumerConfig(name="worker", window=20))
        for sequence in range(1, 101):
            producer.write(Entry(sequence, b"job %d" % sequence), ack)
        for expected in range(1, 101):
            entry = consumer.entries.get(timeout=30)
            assert entry.sequence == expected and entry.payload == b"job %d" % expected
            consumer.mark(entry.sequence, cumulative=expected % 10 == 0)  # every tenth covers the nine before
        wait_until(lambda: len(acked) == 100, "every ack")
        assert acked == [None] * 100
        wait_until(lambda: queue.ledger.tail == 95, "the cleaner to keep the retention")  # all marked: retention rules
        assert queue.ledger.length == 5
    found = describe(queue_archive, prefix)
    assert (found["head"], found["tail"], found["length"]) == (100, 95, 5)
    assert found["marks"] == {"worker": [100]}
    assert [s for s, _ in found["entries"]] == [96, 97, 98, 99, 100]
    with pytest.raises(QueueClosed):
        queue.ledger.write(Entry(101, b"late"))
    with Queue(archive, config) as reopened:  # the writer came free with close
        consumer = reopened.consumer(ConsumerConfig(name="worker"))
        reopened.ledger.write(Entry(101, b"job 101"))
        assert consumer.entries.get(timeout=30).sequence == 101


def test_a_read_only_queue_consumes_without_the_writer(archive, prefix):
    config = QueueConfig(prefix=prefix, term_length=QUEUE_TERM_LENGTH, clean_interval=0)
    with Queue(archive, config) as writer:
        writer.ledger.write(Entry(1, b"a"), Entry(2, b"b"))
        with Queue(archive, config, writable=False) as reader:
            assert reader.cleaner is None
            consumer = reader.consumer(ConsumerConfig(name="reader"))
            assert [consumer.entries.get(timeout=30).sequence for _ in range(2)] == [1, 2]
            writer.ledger.write(Entry(3, b"c"))
            assert consumer.entries.get(timeout=30).sequence == 3
