"""An archive client closed from another thread while a request runs (issue #7, concurrency).

The request in flight finishes on live C memory and returns its answer; every later
call raises ``ResourceClosedError``; ``aeron_archive_close`` (and the close of the
client ``connect`` started) runs when the request returns.
"""

from __future__ import annotations

import threading

import pytest
from archive_support import connect, payload, publish, wait_for

from aeron_cffi import ResourceClosedError
from aeron_cffi.archive import SourceLocation

IPC = "aeron:ipc"
RECORDINGS = 4


def test_close_from_another_thread_waits_for_the_running_request(driver_dir, archive_process, archive, stream_id):
    for i in range(RECORDINGS):  # a few descriptors for a slow listing to walk through
        stream = stream_id + 100_000 * i  # one recording per stream (this module's archive has no other)
        with archive.aeron.add_publication(IPC, stream) as publication:
            archive.start_recording(IPC, stream, SourceLocation.LOCAL, auto_stop=True)
            publish(publication, [payload(i)])
            wait_for(lambda: len(archive.list_recordings()) > i)
    doomed = connect(driver_dir, archive_process)
    consumed = threading.Event()
    seen: list[int] = []

    def slow_consumer(descriptor):
        seen.append(descriptor.recording_id)
        consumed.set()
        threading.Event().wait(0.2)  # the request stays in C while the other thread closes

    listed: list = []
    lister = threading.Thread(target=lambda: listed.append(
        doomed.list_recordings(consumer=slow_consumer)))
    lister.start()
    assert consumed.wait(20)
    doomed.close()
    assert doomed.is_closed and doomed._close_pending  # C close waits for the listing
    lister.join(30)
    assert not lister.is_alive()
    assert [d.recording_id for d in listed[0]] == seen and len(seen) == RECORDINGS
    assert not doomed._close_pending and doomed.aeron.is_closed  # the listing's return closed both
    with pytest.raises(ResourceClosedError):
        doomed.list_recordings()
