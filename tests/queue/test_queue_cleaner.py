"""The cleaner: retention, the slowest consumer's marks as a floor, and a threshold that
forces deletion under a slow consumer, which then reports exactly what it skipped."""

from __future__ import annotations

import time

from aeron_cffi.queue import Cleaner, CleanerConfig, Consumer, ConsumerConfig, EntriesSkipped, QueueClosed
from aeron_cffi.testing import wait_until

from queue_support import ARCHIVE_SEGMENT_LENGTH, Acks, entries, take


def test_retention_keeps_the_newest_entries(ledger):
    ledger.write(*entries(1, 20))
    cleaner = Cleaner(ledger, CleanerConfig(retention=5, interval=0))
    assert cleaner.clean() == 15
    assert (ledger.length, ledger.tail) == (5, 15)
    assert cleaner.clean() == 0


def test_periodic_cleaning_reports_errors_and_goes_on(ledger, table):
    ledger.write(*entries(1, 10))
    errors: list[Exception] = []

    def on_error(error: Exception) -> None:
        errors.append(error)
        if len(errors) == 3:
            cleaner.close()  # from its own thread

    table.close()  # every round fails reading the closed table
    cleaner = Cleaner(ledger, CleanerConfig(interval=0.05, tables=[table], errors=on_error))
    try:
        wait_until(lambda: len(errors) >= 3, "three failed rounds")
        time.sleep(0.3)  # six more intervals: a cleaner still running would fail again
    finally:
        cleaner.close()
    assert len(errors) == 3 and all(isinstance(e, QueueClosed) for e in errors)
    assert ledger.length == 10


def test_never_past_the_slowest_consumer_unless_the_threshold_forces_it(ledger, table):
    for first in range(1, 421, 7):  # 60 batches of 7 KB: about 3.4 segment files
        ledger.write(*entries(first, 7, size=1000))
    skips: list[EntriesSkipped] = []
    marks = Acks()
    fast = Consumer(ledger, table, ConsumerConfig(name="fast", batch=50))
    slow = Consumer(ledger, table, ConsumerConfig(name="slow", window=10, batch=1, skipped=skips.append))
    try:
        assert take(fast, 420) == list(range(1, 421))
        fast.mark(420, cumulative=True, ack=marks.ack(420))
        delivered = take(slow, 10)
        slow.mark(5, cumulative=True, ack=marks.ack(5))
        assert marks.wait(420, 5) == [None, None]

        cleaner = Cleaner(ledger, CleanerConfig(retention=0, interval=0, tables=[table]))
        assert cleaner.clean() == 5  # the slow consumer's mark is the floor
        assert ledger.archive.get_start_position(ledger.recording_id) == 0

        forcing = Cleaner(ledger, CleanerConfig(retention=0, threshold=100, interval=0, tables=[table]))
        assert forcing.clean() == 315
        assert ledger.tail == 320
        new_start = ledger.archive.get_start_position(ledger.recording_id)
        assert new_start >= 2 * ARCHIVE_SEGMENT_LENGTH

        slow.mark(10, cumulative=True)
        while delivered[-1] != 420:
            delivered += take(slow, 1)
            slow.mark(delivered[-1], cumulative=True)
    finally:
        slow.close()
        fast.close()
    assert len(skips) == 1
    skip = skips[0]
    skipped = list(range(skip.after + 1, skip.before))
    # what the replay had already brought before it was stopped is delivered, not skipped
    assert skip.after >= 10 and skip.count == len(skipped) > 0
    assert sorted(delivered + skipped) == list(range(1, 421))  # every entry delivered or reported, once
