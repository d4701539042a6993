"""An archive client closed from another thread while a request runs (issue #7, concurrency).

The request in flight finishes on live C memory and returns its answer; every later
call raises ``ResourceClosedError``; ``aeron_archive_close`` (and the close of the
client ``connect`` started) runs when the request returns.
"""

from __future__ import annotations

import threading

import pytest
from archive_support import connect, payload, record

from aeron_cffi import ResourceClosedError

RECORDINGS = 4


def test_close_from_another_thread_waits_for_the_running_request(driver_dir, archive_process, archive, signals,
                                                                  stream_id):
    for i in range(RECORDINGS):  # a few descriptors for the listing to walk through
        record(archive, signals, stream_id + 100_000 * i, [payload(i)])  # this module's archive has no other
    doomed = connect(driver_dir, archive_process)
    in_consumer, closed = threading.Event(), threading.Event()
    seen: list[int] = []

    def consumer(descriptor):
        seen.append(descriptor.recording_id)
        in_consumer.set()
        closed.wait(20)  # the request stays in C until the other thread has closed

    listed: list = []
    lister = threading.Thread(target=lambda: listed.append(doomed.list_recordings(consumer=consumer)))
    lister.start()
    assert in_consumer.wait(20)
    doomed.close()
    assert doomed.is_closed and doomed._close_pending  # C close waits for the listing
    closed.set()
    lister.join(30)
    assert not lister.is_alive()
    assert [d.recording_id for d in listed[0]] == seen and len(seen) == RECORDINGS
    assert not doomed._close_pending and doomed.aeron.is_closed  # the listing's return closed both
    with pytest.raises(ResourceClosedError):
        doomed.list_recordings()
