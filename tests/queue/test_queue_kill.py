"""kill -9 of the parts (the issue's "Done when"): nothing acknowledged is lost, every
batch is whole or absent, a consumer resumes after its last acknowledged mark."""

from __future__ import annotations

import time
from typing import Callable

from aeron_cffi.queue import Consumer, ConsumerConfig, Entry, Ledger, Table, TableConfig, WriterConflict
from aeron_cffi.testing import wait_until

from queue_child import MESSAGE_TIMEOUT_NS
from queue_support import ARCHIVE_SEGMENT_LENGTH, Child, describe, entries, ledger_config, open_when_free


def acked_until_killed(child: Child, at_least: int, before_kill: Callable[[], object] = lambda: None) -> int:
    """Read ``at_least`` acks, call ``before_kill``, kill the child (SIGKILL), and return
    the last ack it reported."""
    child.read_until("opened")
    last = max(child.read_until("acked")["acked"] for _ in range(at_least))
    before_kill()
    child.kill()
    return max([last, *(r["acked"] for r in child.drain() if "acked" in r)])


def assert_whole_batches_with_every_ack(found: dict, acked: int, batch: int) -> None:
    head = found["head"]
    assert head >= acked, "an acknowledged entry is missing"
    assert head % batch == 0, "a batch was recorded in part"
    assert found["entries"] == [[s, f"entry-{s}"] for s in range(1, head + 1)]


def test_a_producer_killed_mid_stream_loses_nothing_acknowledged(queue_archive, prefix):
    with Child(queue_archive, "produce", prefix, 10) as child:
        acked = acked_until_killed(child, 200)
    assert_whole_batches_with_every_ack(describe(queue_archive, prefix), acked, 10)


def test_an_archive_killed_mid_stream_and_restarted_loses_nothing_acknowledged(aeron_testbed, queue_driver, archive,
                                                                              prefix):
    own = aeron_testbed.java_archive(queue_driver, segment_file_length=ARCHIVE_SEGMENT_LENGTH)
    with Child(own, "produce", prefix, 10) as child:
        def kill_the_archive_and_let_the_producer_run_on() -> None:
            own.kill()
            time.sleep(0.5)

        acked = acked_until_killed(child, 200, kill_the_archive_and_let_the_producer_run_on)
    # A new archive with the same id refuses to start while the driver still holds the
    # dead one's counters (until the driver times its client out).
    label = f" - archiveId={own.archive_id}"
    wait_until(lambda: not any(c.label.endswith(label) for c in archive.aeron.counters_reader()),
               "the driver to free the killed archive's counters")
    own.start()  # the same directory; the catalogue is recovered
    found = describe(own, prefix)
    assert_whole_batches_with_every_ack(found, acked, 10)
    with aeron_testbed.archive_client(own, message_timeout_ns=MESSAGE_TIMEOUT_NS) as restarted:  # the ledger goes on
        config = ledger_config(prefix, writer_timeout=1.0)
        ledger = wait_until(lambda: open_when_free(restarted, config), "the dead producer's lock to go stale")
        with ledger:
            ledger.write(Entry(found["head"] + 1, f"entry-{found['head'] + 1}".encode()))
    assert describe(own, prefix)["entries"] == [[s, f"entry-{s}"] for s in range(1, found["head"] + 2)]


def test_a_consumer_killed_after_an_acknowledged_mark_resumes_after_it(archive, queue_archive, prefix):
    with Ledger(archive, ledger_config(prefix)) as ledger:
        ledger.write(*entries(1, 200))
        with Child(queue_archive, "consume", prefix, "worker") as child:
            last = max(child.read_until("marked")["marked"] for _ in range(20))
            child.kill()
            marked = max([last, *(r["marked"] for r in child.drain() if "marked" in r)])
        table = Table(archive, TableConfig(prefix=prefix, writer_timeout=1.0))
        try:
            consumer = wait_until(lambda: consumer_when_free(ledger, table, "worker"),
                                  "the dead consumer's lock to go stale")
            with consumer:
                saved = table.get("worker").sequences[0]
                assert saved >= marked  # the kill may have come after a later save it did not report
                redelivered = [consumer.entries.get(timeout=30).sequence for _ in range(200 - saved)]
            assert redelivered == list(range(saved + 1, 201))  # only the unmarked ones, from after the mark
        finally:
            table.close()


def consumer_when_free(ledger, table, name) -> Consumer | None:
    try:
        return Consumer(ledger, table, ConsumerConfig(name=name))
    except WriterConflict:
        return None
