"""The consumer: delivery in order through a window, cumulative and individual marks,
resuming after a restart, saving marks by skip and timeout, deadlock, close."""

from __future__ import annotations

import queue
import time

import pytest

from aeron_cffi.errors import InvalidArgumentError
from aeron_cffi.queue import (
    Consumer,
    ConsumerConfig,
    ConsumerDeadlock,
    InvalidSequence,
    Ledger,
)
from aeron_cffi.testing import wait_until

from queue_support import Acks, entries, ledger_config, take


def nothing_more(consumer: Consumer, wait: float = 0.3) -> bool:
    try:
        consumer.entries.get(timeout=wait)
    except queue.Empty:
        return True
    return False


def test_delivers_every_entry_in_order_including_later_ones(ledger, table):
    ledger.write(*entries(1, 5))
    with Consumer(ledger, table, ConsumerConfig(name="c")) as consumer:
        assert take(consumer, 5) == [1, 2, 3, 4, 5]
        ledger.write(*entries(6, 2))
        assert take(consumer, 2) == [6, 7]
        assert consumer.entries.empty()


def test_the_window_bounds_unmarked_entries(ledger, table):
    ledger.write(*entries(1, 10))
    with Consumer(ledger, table, ConsumerConfig(name="c", window=3, batch=2)) as consumer:
        assert take(consumer, 3) == [1, 2, 3]
        assert nothing_more(consumer)
        consumer.mark(2)  # individual: 1 and 3 still unmarked
        assert take(consumer, 1) == [4]
        assert nothing_more(consumer)
        consumer.mark(4, cumulative=True)  # 1..4 marked
        assert take(consumer, 3) == [5, 6, 7]


def test_a_restarted_consumer_resumes_after_its_marks(ledger, table):
    ledger.write(*entries(1, 8))
    marks = Acks()
    with Consumer(ledger, table, ConsumerConfig(name="c")) as consumer:
        assert take(consumer, 8) == list(range(1, 9))
        consumer.mark(3, cumulative=True, ack=marks.ack(3))
        consumer.mark(5, ack=marks.ack(5))
        consumer.mark(7, ack=marks.ack(7))
        assert marks.wait(3, 5, 7) == [None, None, None]
    assert table.get("c").sequences == [3, 5, 7]
    with Consumer(ledger, table, ConsumerConfig(name="c")) as again:
        assert take(again, 3) == [4, 6, 8]  # the unmarked ones only
        assert nothing_more(again)
        again.mark(8, cumulative=True, ack=marks.ack(8))
        assert marks.wait(8) == [None]
    assert table.get("c").sequences == [8]


def test_a_new_consumer_that_dies_before_its_first_mark_loses_nothing(ledger, table):
    ledger.write(*entries(1, 8))
    with Consumer(ledger, table, ConsumerConfig(name="c", start=5)) as consumer:
        assert take(consumer, 4) == [5, 6, 7, 8]
    assert table.get("c").sequences == [4]  # start - 1 (the seed saves start, and would lose 5)
    with Consumer(ledger, table, ConsumerConfig(name="c", start=5)) as again:
        assert take(again, 4) == [5, 6, 7, 8]


def test_marks_of_undelivered_sequences_are_invalid_and_bad_input_raises(ledger, table):
    ledger.write(*entries(1, 3))
    marks = Acks()
    with Consumer(ledger, table, ConsumerConfig(name="c", window=2)) as consumer:
        assert take(consumer, 2) == [1, 2]
        consumer.mark(3, ack=marks.ack(3))  # not delivered: the window is full
        consumer.mark(99, cumulative=True, ack=marks.ack(99))
        assert [type(e) for e in marks.wait(3, 99)] == [InvalidSequence, InvalidSequence]
        with pytest.raises(InvalidArgumentError):
            consumer.mark("2")
        consumer.mark(2, cumulative=True, ack=marks.ack(2))
        assert marks.wait(2) == [None]
        consumer.mark(1, ack=marks.ack(1))  # already saved as done
        assert marks.wait(1) == [None]
    assert table.get("c").sequences == [2]


def test_skip_saves_every_skip_plus_one_marks_and_timeout_saves_the_rest(ledger, table):
    ledger.write(*entries(1, 6))
    marks = Acks()
    with Consumer(ledger, table, ConsumerConfig(name="c", skip=2, timeout=2.0)) as consumer:
        assert take(consumer, 6) == list(range(1, 7))
        consumer.mark(1, ack=marks.ack(1))
        consumer.mark(2, ack=marks.ack(2))
        time.sleep(0.2)
        assert marks.results == {} and table.get("c").sequences == [0]
        consumer.mark(3, ack=marks.ack(3))  # the third: saved, all three acked
        assert marks.wait(1, 2, 3) == [None, None, None]
        assert table.get("c").sequences == [3]
        began = time.monotonic()
        consumer.mark(4, ack=marks.ack(4))
        assert marks.wait(4) == [None]  # by the timeout
        assert time.monotonic() - began >= 1.9
        assert table.get("c").sequences == [4]
        consumer.mark(5, ack=marks.ack(5))
    assert marks.wait(5) == [None]  # close saves what it took
    assert table.get("c").sequences == [5]


def test_a_window_full_past_the_deadline_is_a_deadlock(ledger, table):
    ledger.write(*entries(1, 5))
    errors: list[Exception] = []
    consumer = Consumer(ledger, table, ConsumerConfig(name="c", window=2, deadline=0.3, errors=errors.append))
    assert take(consumer, 2) == [1, 2]
    wait_until(lambda: errors, "the deadlock")
    assert isinstance(errors[0], ConsumerDeadlock)
    assert consumer.is_closed
    assert consumer.mark(1) is False
    consumer.close()


def test_close_refuses_more_marks_and_an_unnamed_consumer_saves_nothing(ledger, table):
    ledger.write(*entries(1, 2))
    marks = Acks()
    consumer = Consumer(ledger, table, ConsumerConfig(name="c"))
    assert take(consumer, 2) == [1, 2]
    consumer.close()
    assert consumer.mark(1, ack=marks.ack(1)) is False
    assert marks.results == {}
    assert table.names() == ["c"]
    unnamed = Consumer(ledger, None, ConsumerConfig())  # unnamed: nothing saved, all delivered
    assert take(unnamed, 2) == [1, 2]
    unnamed.close()



def test_a_consumer_follows_the_ledger_across_a_new_writer(archive, prefix, table):
    ledger = Ledger(archive, ledger_config(prefix))
    ledger.write(*entries(1, 2))
    reader = Ledger(archive, ledger_config(prefix), writable=False)
    with Consumer(reader, table, ConsumerConfig(name="c")) as consumer:
        assert take(consumer, 2) == [1, 2]
        ledger.close()  # the recording stops; the next writer extends it
        with Ledger(archive, ledger_config(prefix)) as next_writer:
            next_writer.write(*entries(3, 2))
            assert take(consumer, 2) == [3, 4]
    reader.close()
