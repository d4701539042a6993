"""Aeron between two hosts: two network namespaces joined by a veth pair, a C media
driver in each (issue #7, part 6).

Traffic is shown to cross the veth twice over: the receiving image's source identity
is the other host's veth address, and the kernel's counters of both veth ends grew
by at least the payload sent.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from aeron_cffi.archive import AeronArchive, RecordingSignalCode, SourceLocation, recording_pos
from aeron_cffi.testing import RecordingSignals, recording_counter, wait_until
from aeron_cffi.testing.netns import ip

from hosts_support import (
    Receiver,
    VethTraffic,
    assert_in_order,
    connected,
    exchange,
    messages,
    receive_all,
    source_addresses,
)

STREAM_ID = 1001
REPLAY_STREAM_ID = 1002
UNICAST_PORT = 20121
MDC_PORT = 20131  # and the next two
MDC_CONTROL_PORT = 20140
ARCHIVE_CONTROL_PORT = 20150
RECORDED_PORT = 20151
REPLAY_PORT = 20152


def test_unicast_from_a_reaches_b_across_the_veth(host_a, host_b):
    channel = f"aeron:udp?endpoint={host_b.address}:{UNICAST_PORT}"
    subscription = host_b.client.add_subscription(channel, STREAM_ID)
    publication = host_a.client.add_publication(channel, STREAM_ID)
    wait_until(connected(publication, subscription), "A's publication and B's subscription to connect")
    sent = messages()
    traffic = VethTraffic(host_a.host, host_b.host)

    [received] = exchange(publication, [subscription], sent)

    assert_in_order(received, sent, "B")
    assert source_addresses(subscription) == {host_a.address}
    payload = sum(map(len, sent))
    assert min(traffic.carried()) >= payload


@pytest.mark.parametrize("control_mode", ["manual", "dynamic"])
def test_multi_destination_cast_from_a_reaches_every_destination(host_a, host_b, control_mode):
    # Two destinations on B and one on A itself; fc=min holds the publication to the
    # slowest of them, so none can fall a term behind and lose messages.
    destinations = [(host_b, f"{host_b.address}:{MDC_PORT}"), (host_b, f"{host_b.address}:{MDC_PORT + 1}"),
                    (host_a, f"{host_a.address}:{MDC_PORT + 2}")]
    if control_mode == "manual":
        publication = host_a.client.add_publication("aeron:udp?control-mode=manual|fc=min", STREAM_ID)
        for _, endpoint in destinations:
            publication.add_destination(f"aeron:udp?endpoint={endpoint}")
        subscribe_to = "aeron:udp?endpoint={}"
    else:  # subscribers announce themselves to the publication's control address
        control = f"{host_a.address}:{MDC_CONTROL_PORT}"
        publication = host_a.client.add_publication(f"aeron:udp?control={control}|control-mode=dynamic|fc=min",
                                                    STREAM_ID)
        subscribe_to = f"aeron:udp?endpoint={{}}|control={control}|control-mode=dynamic"
    subscriptions = [host.client.add_subscription(subscribe_to.format(endpoint), STREAM_ID)
                     for host, endpoint in destinations]
    wait_until(connected(publication, *subscriptions), "every destination to connect")
    sent = messages()
    traffic = VethTraffic(host_a.host, host_b.host)

    received = exchange(publication, subscriptions, sent)

    for (_, endpoint), got in zip(destinations, received):
        assert_in_order(got, sent, endpoint)
    assert [source_addresses(s) for s in subscriptions] == [{host_a.address}] * 3
    # Both of B's copies crossed the veth; A's own copy stayed on A.
    payload = sum(map(len, sent))
    assert min(traffic.carried()) >= 2 * payload


def test_archive_on_b_records_a_stream_from_a_and_replays_it_to_a(aeron_testbed, host_a, host_b):
    # The archive's channels are all opened by B's driver, so its control channel is on
    # B's veth address, which exists nowhere but in B's namespace. The JVM itself needs
    # no namespace: it talks only to that driver, through shared memory.
    control = f"aeron:udp?endpoint={host_b.address}:{ARCHIVE_CONTROL_PORT}"
    archive_process = aeron_testbed.java_archive(host_b.driver, properties={"aeron.archive.control.channel": control})
    signals = RecordingSignals()
    recorded = f"aeron:udp?endpoint={host_b.address}:{RECORDED_PORT}"
    replayed = f"aeron:udp?endpoint={host_a.address}:{REPLAY_PORT}"
    sent = messages()
    with AeronArchive.connect(aeron=host_b.client, control_request_channel=control,
                              control_response_channel=f"aeron:udp?endpoint={host_b.address}:0",
                              recording_signal_consumer=signals) as archive:
        subscription_id = archive.start_recording(recorded, STREAM_ID, SourceLocation.REMOTE)
        with host_a.client.add_publication(recorded, STREAM_ID) as publication:
            wait_until(connected(publication), "the archive on B to subscribe to A's publication")
            counter_id = recording_counter(archive, publication.session_id)
            recording_id = recording_pos.get_recording_id(archive, counter_id)
            source = recording_pos.get_source_identity(archive, counter_id)
            exchange(publication, [], sent)
            position = publication.position
            wait_until(lambda: archive.get_recording_position(recording_id) >= position,
                       f"the archive to record up to {position}")
        archive.stop_recording_subscription(subscription_id)
        signals.wait_for(archive, recording_id, RecordingSignalCode.STOP)
        descriptor = archive.list_recording(recording_id)

        # The replay's image may be gone once it ended, so its source is taken as it appears.
        replay_sources: list[str] = []
        with host_a.client.add_subscription(
                replayed, REPLAY_STREAM_ID,
                on_available_image=lambda image: replay_sources.append(image.source_identity)) as replay:
            traffic = VethTraffic(host_b.host, host_a.host)
            archive.start_replay(recording_id, replayed, REPLAY_STREAM_ID, position=0, length=position)
            [received] = receive_all([Receiver(replay)], len(sent))

    assert archive_process.running
    assert source.rpartition(":")[0] == host_a.address
    assert descriptor.source_identity == source
    assert (descriptor.start_position, descriptor.stop_position) == (0, position)
    assert descriptor.stripped_channel == recorded
    assert_in_order(received, sent, "the replay on A")
    assert [s.rpartition(":")[0] for s in replay_sources] == [host_b.address]
    assert min(traffic.carried()) >= sum(map(len, sent))


def test_without_privileges_the_hosts_fail_with_the_reason_not_a_skip():
    # The unicast test again, in a pytest run stripped of every capability (as a
    # non-root CI runner would be): the veth_hosts fixture must error, naming why.
    node = f"{__file__}::{test_unicast_from_a_reaches_b_across_the_veth.__name__}"
    with subprocess.Popen(["setpriv", "--bounding-set", "-all", "--inh-caps", "-all",
                           sys.executable, "-m", "pytest", "-q", "-rE", "-p", "no:cacheprovider", node],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as run:
        try:
            output, _ = run.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            run.kill()
            raise
    assert run.returncode == 1, output
    assert "1 error" in output and "skipped" not in output, output
    assert "NamespaceError" in output and "network namespaces need root" in output, output
    assert f"aeron-{run.pid}-" not in ip("netns", "list")
