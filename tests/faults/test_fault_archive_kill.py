"""SIGKILL the Java archive while it records, restart it on the same directory.

The killed archive leaves an active recording behind (no stop position in the
catalogue) and a mark file that still looks alive; the restarted archive waits out
the mark file, gives the recording the stop position of the data it finds on disk,
replays exactly that, and lets ``extend_recording`` continue the same recording.
"""

from __future__ import annotations

import time

import pytest

from aeron_cffi import ChannelUri
from aeron_cffi.archive import NULL_POSITION, RecordingSignalCode, SourceLocation, recording_pos
from aeron_cffi.testing import RecordingSignals

from aeron_cffi.testing import recording_counter, wait_until
from faults_support import SHORT_TIMEOUTS, message, offer

pytestmark = pytest.mark.long

STREAM = 4001
REPLAY_STREAM = 4002
#: One frame per message (32-byte header), a whole number of them per term (no
#: padding frames), so any stop position the archive finds is a multiple of FRAME.
SIZE = 96
FRAME = 128
KILLED_AT = 1000  # messages offered when the archive is killed
RECORDED_BEFORE_KILL = 500  # of which at least these are on disk
EXTENSION = 400


def replay(archive, recording_id: int, count: int) -> list[bytes]:
    """Every message of a stopped recording; the replay ends after them."""
    received: list[bytes] = []
    with archive.replay(recording_id, "aeron:ipc", REPLAY_STREAM) as subscription:
        def poll() -> None:
            subscription.poll(lambda data, header: received.append(bytes(data)), 100)
        wait_until(lambda: len(received) >= count, f"{count} replayed messages", poll)
        wait_until(lambda: subscription.image_count == 0, "end of the replay", poll)
    return received


def test_archive_killed_mid_recording_restarts_with_stop_position_and_extends(aeron_testbed, aeron_free_port):
    # the dead archive's Aeron client leaves the driver within seconds, before the restart
    driver = aeron_testbed.driver("process", **SHORT_TIMEOUTS)
    archive = aeron_testbed.java_archive(driver, segment_file_length=128 * 1024)
    client = aeron_testbed.client(driver)
    channel = f"aeron:udp?endpoint=localhost:{aeron_free_port()}|term-length=64k"

    before = aeron_testbed.archive_client(archive)
    subscription_id = before.start_recording(channel, STREAM, SourceLocation.REMOTE)
    publication = client.add_publication(channel, STREAM)
    counter_id = recording_counter(before, publication.session_id)
    recording_id = recording_pos.get_recording_id(before, counter_id)
    for i in range(KILLED_AT):
        offer(publication, message(i, SIZE))
    counters = client.counters_reader()
    # the archive is still writing the rest: kill it now, with the recording active
    wait_until(lambda: counters.value(counter_id) >= RECORDED_BEFORE_KILL * FRAME, "recorded position")
    recorded_at_kill = counters.value(counter_id)
    archive.kill()
    killed = time.monotonic()
    publication.close()
    before.close()

    archive.start()  # waits until the killed archive's mark file is stale
    restarted_s = time.monotonic() - killed
    signals = RecordingSignals()
    after = aeron_testbed.archive_client(archive, recording_signal_consumer=signals)
    descriptor = after.list_recording(recording_id)
    stop = descriptor.stop_position
    assert stop != NULL_POSITION and after.get_recording_position(recording_id) == NULL_POSITION
    assert RECORDED_BEFORE_KILL * FRAME <= stop <= KILLED_AT * FRAME and stop % FRAME == 0
    recorded = stop // FRAME
    assert replay(after, recording_id, recorded) == [message(i, SIZE) for i in range(recorded)]
    assert after.list_recording_subscriptions("aeron:udp", STREAM, apply_stream_id=True) == []

    # Extend: a publication whose stream continues at the stop position with the
    # recording's initial term id, term length and MTU; a session id of its own keeps
    # any image of the old session out of the archive's subscription.
    session = f"session-id={descriptor.session_id + 1}"
    extend_uri = ChannelUri.parse(f"{channel}|{session}|mtu={descriptor.mtu_length}")
    extend_uri.set_initial_position(stop, descriptor.initial_term_id, descriptor.term_buffer_length)
    extend_subscription_id = after.extend_recording(recording_id, f"{channel}|{session}", STREAM,
                                                    SourceLocation.REMOTE)
    assert extend_subscription_id != subscription_id
    with client.add_exclusive_publication(str(extend_uri), STREAM) as extension:
        assert extension.position == stop
        signals.wait_for(after, recording_id, RecordingSignalCode.EXTEND)
        counter_id = recording_counter(after, extension.session_id)
        assert recording_pos.get_recording_id(after, counter_id) == recording_id
        for i in range(recorded, recorded + EXTENSION):
            position = offer(extension, message(i, SIZE))
        wait_until(lambda: counters.value(counter_id) >= position, "extension recorded")
        after.stop_recording_subscription(extend_subscription_id)
    signals.wait_for(after, recording_id, RecordingSignalCode.STOP)
    assert after.get_stop_position(recording_id) == stop + EXTENSION * FRAME == position
    assert after.list_recording(recording_id).start_position == 0
    total = recorded + EXTENSION
    assert replay(after, recording_id, total) == [message(i, SIZE) for i in range(total)]
    print(f"{recorded_at_kill // FRAME} of {KILLED_AT} messages recorded at the kill; archive restart "
          f"{restarted_s:.1f} s after the kill; replayed {recorded} messages "
          f"(stop position {stop}), then {total} after extending by {EXTENSION}")
