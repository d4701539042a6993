"""The ledger against the real Java archive: the seed's ledger behaviours, durability
across processes, purging by whole segments, and bad input that loses nothing."""

from __future__ import annotations

import queue
import struct

import pytest

from aeron_cffi.queue import (Entry, InvalidEntry, Ledger, LimitReached, NotMonotonic, QueueClosed, WriterConflict,
                              split_sequence)
from aeron_cffi.testing import wait_until

from queue_support import ARCHIVE_SEGMENT_LENGTH, Child, describe, entries, ledger_config, open_when_free


def test_a_new_ledger_is_empty(ledger):
    assert (ledger.length, ledger.head, ledger.tail) == (0, 0, 0)
    assert ledger.index(0) == (0, False)
    assert ledger.read(0, 10) == []


def test_write_read_and_index_from_both_ends(ledger):
    ledger.write(*entries(1, 3))
    ledger.write(*entries(10, 2))
    assert (ledger.length, ledger.head, ledger.tail) == (5, 11, 0)
    assert [e.sequence for e in ledger.read(2, 3)] == [2, 3, 10]
    assert ledger.read(4, 1) == [entries(10, 1)[0]]  # from the first sequence at or above
    assert ledger.read(12, 5) == []
    assert ledger.index(0) == (1, True)
    assert ledger.index(4) == (11, True)
    assert ledger.index(-1) == (11, True)
    assert ledger.index(-5) == (1, True)
    assert ledger.index(5) == (11, False)  # past the end: the last sequence, not found
    assert ledger.index(-6) == (11, False)


def test_next_sequence_is_generated_and_above_the_written_head(ledger):
    generated = ledger.next_sequence(3)
    assert split_sequence(generated)[1] >= 1  # a (second, ordinal) sequence
    ledger.write(Entry(generated, b"a"), Entry(generated + 1, b"b"), Entry(generated + 2, b"c"))
    ledger.write(Entry(generated + (1 << 40), b"from a clock ahead of ours"))
    assert ledger.next_sequence() == generated + (1 << 40) + 1


def test_writes_must_be_monotonic_and_a_refused_batch_writes_nothing(ledger):
    ledger.write(*entries(5, 2))
    with pytest.raises(NotMonotonic):
        ledger.write(*entries(6, 1))  # not above the head
    with pytest.raises(NotMonotonic):
        ledger.write(Entry(8, b"a"), Entry(7, b"b"))  # not increasing within the batch
    with pytest.raises(InvalidEntry):
        ledger.write(Entry(9, b"ok"), Entry(10, "not bytes"))
    with pytest.raises(InvalidEntry):
        ledger.write(Entry(9, b"ok"), (10, b"not an Entry"))
    with pytest.raises(InvalidEntry):
        ledger.write(Entry(0, b"zero"))
    assert (ledger.length, ledger.head) == (2, 6)
    ledger.write(Entry(7, bytearray(b"bytes-like")))
    assert ledger.read(7, 1) == [Entry(7, b"bytes-like")]


def test_a_batch_larger_than_one_message_is_refused_whole(ledger):
    too_big = [Entry(s, b"x" * 1000) for s in range(1, 10)]  # 9 KB over 8 KiB messages
    with pytest.raises(InvalidEntry, match="exceeds the largest message"):
        ledger.write(*too_big)
    assert ledger.length == 0
    ledger.write(*too_big[:7])
    assert ledger.length == 7


def test_limit_refuses_writes_past_it(archive, prefix):
    with Ledger(archive, ledger_config(prefix, limit=3)) as ledger:
        ledger.write(*entries(1, 2))
        with pytest.raises(LimitReached):
            ledger.write(*entries(3, 2))
        ledger.write(*entries(3, 1))
        with pytest.raises(LimitReached):
            ledger.write(*entries(4, 1))
        ledger.delete(1)
        ledger.write(*entries(4, 1))
        assert ledger.length == 3


def test_subscribers_get_each_new_head_and_a_full_one_misses_it(ledger):
    roomy, full = queue.Queue(), queue.Queue(maxsize=1)
    ledger.subscribe(roomy)
    ledger.subscribe(full)
    ledger.write(*entries(1, 2))
    ledger.write(*entries(3, 1))
    ledger.unsubscribe(roomy)
    ledger.write(*entries(4, 1))
    assert [roomy.get_nowait() for _ in range(roomy.qsize())] == [2, 3]
    assert full.get_nowait() == 2


def test_delete_moves_the_tail_never_past_the_head(ledger):
    ledger.write(*entries(1, 5))
    assert ledger.delete(2) == 2
    assert (ledger.length, ledger.head, ledger.tail) == (3, 5, 2)
    assert ledger.index(0) == (3, True)
    assert ledger.read(0, 10) == entries(3, 3)
    assert ledger.delete(2) == 0
    assert ledger.delete(100) == 3
    assert (ledger.length, ledger.head, ledger.tail) == (0, 5, 5)
    assert ledger.index(0) == (5, False)


def test_delete_purges_whole_segment_files_before_the_first_kept_entry(archive, ledger, queue_archive):
    for first in range(1, 421, 7):  # about 3.5 segment files of 7 KB batches
        ledger.write(*entries(first, 7, size=1000))
    assert archive.get_start_position(ledger.recording_id) == 0
    ledger.delete(300)
    start = archive.get_start_position(ledger.recording_id)
    assert start > 0 and start % ARCHIVE_SEGMENT_LENGTH == 0
    assert ledger.read(301, 1) == entries(301, 1, size=1000)
    found = describe(queue_archive, ledger.config.prefix)  # a new process, after the purge
    assert (found["length"], found["head"], found["tail"]) == (120, 420, 300)
    assert [s for s, _ in found["entries"]] == list(range(301, 421))


def test_reopening_in_a_new_process_finds_the_same_ledger(ledger, queue_archive):
    ledger.write(*entries(1, 4))
    ledger.write(*entries(7, 3))
    ledger.delete(2)
    found = describe(queue_archive, ledger.config.prefix)
    assert (found["length"], found["head"], found["tail"]) == (5, 9, 2)
    assert found["entries"] == [[e.sequence, e.payload.decode()] for e in entries(3, 2) + entries(7, 3)]


def test_a_second_writer_is_refused_and_a_closed_ledger_refuses_use(archive, ledger, queue_archive, prefix):
    with pytest.raises(WriterConflict, match="one writer at a time"):
        Ledger(archive, ledger_config(prefix))
    with Child(queue_archive, "hold", prefix) as child:  # nor from another process
        with pytest.raises(AssertionError, match="WriterConflict"):
            child.read()
    ledger.write(*entries(1, 1))
    ledger.close()
    for use in (lambda: ledger.write(*entries(2, 1)), lambda: ledger.read(1, 1), lambda: ledger.delete(1)):
        with pytest.raises(QueueClosed):
            use()
    with Ledger(archive, ledger_config(prefix)) as reopened:  # closing released the writer
        reopened.write(*entries(2, 1))
        assert reopened.read(0, 5) == entries(1, 2)


def test_a_writer_killed_mid_stream_is_taken_over_with_no_gap_and_no_duplicate(archive, prefix, queue_archive):
    with Child(queue_archive, "write", prefix, 1, 1_000_000, 10) as child:
        child.read_until("opened")
        for _ in range(20):
            child.read_until("acked")
        with pytest.raises(WriterConflict):
            Ledger(archive, ledger_config(prefix))  # it is alive
        child.kill()
        acked = max(r["acked"] for r in child.drain() if "acked" in r)
    config = ledger_config(prefix, writer_timeout=1.0)
    ledger = wait_until(lambda: open_when_free(archive, config), "the dead writer's lock to go stale")
    with ledger:
        head = ledger.head
        assert head >= acked and head % 10 == 0  # every acknowledged entry, whole batches only
        assert ledger.read(0, ledger.length) == [Entry(s, f"entry-{s}".encode()) for s in range(1, head + 1)]
        ledger.write(Entry(head + 1, b"after the takeover"))
    found = describe(queue_archive, prefix)
    assert [s for s, _ in found["entries"]] == list(range(1, head + 2))


def test_a_cached_ledger_reads_its_newest_entries_from_memory_with_their_objects(archive, prefix):
    decoded = [{"n": n} for n in range(3)]
    with Ledger(archive, ledger_config(prefix, cache=2)) as ledger:
        ledger.write(*[Entry(s, b"p%d" % s, object=decoded[s - 1]) for s in (1, 2, 3)])
        from_memory = ledger.read(2, 2)
        assert [e.sequence for e in from_memory] == [2, 3]
        assert [e.object for e in from_memory] == decoded[1:]  # the writer's own objects
        replayed = ledger.read(1, 3)  # entry 1 is not cached: read from the archive
        assert replayed == [Entry(s, b"p%d" % s) for s in (1, 2, 3)]
        assert [e.object for e in replayed] == [None, None, None]


def test_a_message_cut_short_by_a_crash_is_dropped_and_the_ledger_goes_on(archive, prefix, queue_archive):
    with Ledger(archive, ledger_config(prefix)) as ledger:
        ledger.write(*entries(1, 3))
        # Only a crash in the middle of an offer leaves the first fragment of a message
        # without the rest; write one as such a crash would leave it.
        writer = ledger._writer
        publication = writer._publication
        constants, position = publication.constants, publication.position
        fragment = b"the first fragment of a batch".ljust(64, b".")
        begin = struct.pack("<iBBhiiiiq", 32 + len(fragment), 0, 0x80, 1,  # length, version, BEGIN flag, DATA
                            position % constants.term_buffer_length, constants.session_id, constants.stream_id,
                            constants.initial_term_id + position // constants.term_buffer_length, 0)
        writer.wait_recorded(publication.offer_block(begin + fragment))
    found = describe(queue_archive, prefix)  # the recording ends in the middle of that message
    assert (found["length"], found["head"]) == (3, 3)
    with Ledger(archive, ledger_config(prefix)) as reopened:
        reopened.write(*entries(4, 1))
        assert reopened.read(0, 10) == entries(1, 4)
    assert [s for s, _ in describe(queue_archive, prefix)["entries"]] == [1, 2, 3, 4]
