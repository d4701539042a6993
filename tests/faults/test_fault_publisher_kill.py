"""SIGKILL a publishing process: its image goes unavailable, an auto-stop recording stops.

The publisher is a child interpreter sending over UDP to a subscription of this
process and to a Java archive recording the stream with ``auto_stop``. Either it is a
client of the same driver (the driver times the dead client out and closes its
publication, which ends the stream), or it runs a driver of its own, killed with it
(the receiving driver hears nothing more and times the image out). Both end the same
way: ``on_unavailable_image`` for that session once every frame it sent was
delivered, and the recording stopped at the same position.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from aeron_cffi.archive import RecordingSignalCode, SourceLocation, recording_pos
from aeron_cffi.cnc import CncFile
from aeron_cffi.testing import RecordingSignals

from aeron_cffi.testing import recording_counter, wait_until
from faults_support import SHORT_TIMEOUTS, python_command

STREAM = 5001
RECEIVED_BEFORE_KILL = 1000
#: Kill to unavailable image, at most: client liveness + linger + image liveness, and a
#: loaded machine's margin (Aeron's default timeouts alone would add up to about 25 s).
UNAVAILABLE_WITHIN_S = 30.0

PUBLISHER = """
import sys, time
from aeron_cffi import Aeron, MediaDriver

aeron_dir, channel, stream, own_driver_dir = sys.argv[1:]
driver = None
if own_driver_dir != "-":
    driver = MediaDriver(dir=own_driver_dir, threading_mode="SHARED", term_buffer_length=65536,
                         dir_delete_on_start=True)
client = Aeron(dir=driver.dir if driver else aeron_dir)
publication = client.add_publication(channel, int(stream))
print(publication.session_id, flush=True)
sent = 0
while True:  # until killed
    if publication.offer(b"%08d" % sent) > 0:
        sent += 1
    else:
        time.sleep(0.0005)
"""


@pytest.mark.parametrize("publisher", ["client-of-the-driver", "with-its-own-driver"])
def test_publisher_killed_image_unavailable_and_auto_stop_recording_stops(aeron_testbed, aeron_free_port, publisher):
    driver = aeron_testbed.driver("process", **SHORT_TIMEOUTS)
    with CncFile(driver.dir) as cnc:  # the driver really runs with the short timeouts
        assert cnc.constants.client_liveness_timeout == SHORT_TIMEOUTS["client_liveness_timeout_ns"]
    archive = aeron_testbed.java_archive(driver)
    signals = RecordingSignals()
    control = aeron_testbed.archive_client(archive, recording_signal_consumer=signals)
    client = aeron_testbed.client(driver)
    channel = f"aeron:udp?endpoint=localhost:{aeron_free_port()}"
    unavailable: list[tuple[float, int, int]] = []
    subscription = client.add_subscription(channel, STREAM, on_unavailable_image=lambda image: unavailable.append(
        (time.monotonic(), image.session_id, image.position)))
    control.start_recording(channel, STREAM, SourceLocation.REMOTE, auto_stop=True)

    received: list[bytes] = []
    last_position = [0]

    def on_message(data, header) -> None:
        received.append(bytes(data))
        last_position[0] = header.position

    def poll() -> None:
        subscription.poll(on_message, 100)

    own_dir = aeron_testbed.shm_dir / "publisher-driver" if publisher == "with-its-own-driver" else "-"
    child = subprocess.Popen(python_command(PUBLISHER, driver.dir, channel, STREAM, own_dir),
                             stdout=subprocess.PIPE, text=True)
    try:
        session_id = int(child.stdout.readline())
        recording_id = recording_pos.get_recording_id(control, recording_counter(control, session_id))
        signals.wait_for(control, recording_id, RecordingSignalCode.START)
        wait_until(lambda: len(received) >= RECEIVED_BEFORE_KILL, "messages from the publisher", poll)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    killed = time.monotonic()

    wait_until(lambda: unavailable, "unavailable image", poll, timeout=UNAVAILABLE_WITHIN_S)
    went, unavailable_session, final_position = unavailable[0]
    assert unavailable_session == session_id and len(unavailable) == 1
    # the driver drains an image to its subscribers before it goes: nothing is left
    assert subscription.poll(on_message, 100) == 0 and subscription.image_count == 0
    assert final_position == last_position[0]
    assert received == [b"%08d" % i for i in range(len(received))]

    stopped = signals.wait_for(control, recording_id, RecordingSignalCode.STOP)
    assert stopped.position == control.list_recording(recording_id).stop_position == final_position
    assert control.list_recording_subscriptions("aeron:udp", STREAM, apply_stream_id=True) == []
    print(f"{publisher}: kill -9 to unavailable image {went - killed:.2f} s; "
          f"{len(received)} messages, recording stopped at {final_position}")
