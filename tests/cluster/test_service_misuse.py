"""Misuse of the service container gets clear exceptions, and the container's start-up
and shutdown rules hold, against a stand-in consensus module: counters and the control
streams on a real C media driver, driven by the test (no JVM needed for these)."""

from __future__ import annotations

import struct
import threading
from typing import Any

import pytest

from aeron_cffi.cluster import (
    Cluster,
    ClusterClosedError,
    ClusteredService,
    ClusteredServiceContainer,
    ClusterError,
    SchemaMismatchError,
    codecs,
)
from aeron_cffi.errors import InvalidArgumentError
from aeron_cffi.fragment_assembler import FragmentAssembler
from aeron_cffi.testing.waiting import wait_until

CONTROL = "aeron:ipc?term-length=128k"
COMMIT_POSITION_TYPE_ID = 203
RECOVERY_STATE_TYPE_ID = 204
# RecoveryState key: leadershipTermId, logPosition, timestamp, clusterId, serviceCount
RECOVERY_KEY = struct.Struct("<qqqii")


class RecordingService(ClusteredService):
    def __init__(self) -> None:
        self.start_error: BaseException | None = None
        self.terminated = 0

    def on_start(self, cluster: Cluster, snapshot_image: Any) -> None:
        try:
            cluster.schedule_timer(1, 0)
        except ClusterError as exc:
            self.start_error = exc

    def on_terminate(self, cluster: Cluster) -> None:
        self.terminated += 1


class ConsensusModuleStandIn:
    """The consensus module's side as a service sees it: its counters, the service
    stream it writes to and the stream it reads acks and messages from."""

    def __init__(self, client) -> None:
        self.commit_position = client.add_counter(COMMIT_POSITION_TYPE_ID, struct.pack("<i", 0), "commit-pos")
        self.recovery_state = client.add_counter(RECOVERY_STATE_TYPE_ID, RECOVERY_KEY.pack(-1, 0, 0, 0, 1),
                                                 "recovery-state")
        self.to_service = client.add_publication(CONTROL, 104)
        self.from_service = client.add_subscription(CONTROL, 105)
        self.received: list[bytes] = []
        self._assembler = FragmentAssembler(lambda data, header: self.received.append(data))

    def poll(self) -> int:
        return self.from_service.poll(self._assembler, 10)

    def acks(self) -> list[codecs.ServiceAck]:
        return [codecs.SERVICE_ACK.decode(m) for m in self.received
                if codecs.decode_header(m).template_id == codecs.SERVICE_ACK.template_id]


@pytest.fixture
def stand_in(aeron_client) -> ConsensusModuleStandIn:
    return ConsensusModuleStandIn(aeron_client)


@pytest.fixture
def container(aeron_driver, stand_in, tmp_path):
    service = RecordingService()
    errors: list[BaseException] = []
    with ClusteredServiceContainer(service, cluster_dir=tmp_path, aeron_dir=aeron_driver.dir,
                                   error_handler=errors.append) as container:
        container.do_work()  # the start-up, on this thread: it becomes the service's thread
        yield container


def test_start_up_acks_zero_with_the_client_id_and_sending_from_on_start_is_refused(container, stand_in) -> None:
    ack = wait_until(stand_in.acks, "the start-up ack", work=stand_in.poll)[0]
    assert ack == codecs.ServiceAck(log_position=0, timestamp=0, ack_id=0, relevant_id=container.aeron.client_id,
                                    service_id=0)
    error = container.service.start_error
    assert isinstance(error, ClusterError) and "on_start" in str(error)


def test_the_service_offer_carries_the_service_id_as_session_id(container, stand_in) -> None:
    assert container.cluster.offer(b"to the log") > 0
    wait_until(lambda: len(stand_in.received) >= 2, "the service's message", work=stand_in.poll)
    message = next(m for m in stand_in.received
                   if codecs.decode_header(m).template_id == codecs.SESSION_MESSAGE_HEADER.template_id)
    _, cluster_session_id, _, payload_offset = codecs.decode_session_header(
        message, 0, codecs.SESSION_MESSAGE_HEADER.block_length)
    assert cluster_session_id == 0 and message[payload_offset:] == b"to the log"


def test_bad_arguments_are_refused_before_anything_is_sent(container) -> None:
    cluster = container.cluster
    with pytest.raises(TypeError, match="bytes-like"):
        cluster.offer("text")
    with pytest.raises(InvalidArgumentError, match="exceeds the maximum"):
        cluster.offer(bytes(17 * 1024 * 1024))
    with pytest.raises(TypeError, match="correlation_id must be an int"):
        cluster.schedule_timer("7", 100)
    with pytest.raises(ValueError, match="64 bits"):
        cluster.schedule_timer(1, 1 << 64)
    with pytest.raises(ClusterError, match="unknown cluster session"):
        cluster.close_client_session(12345)


def test_calls_from_another_thread_are_refused(container) -> None:
    raised: list[BaseException] = []

    def elsewhere() -> None:
        for call in (lambda: container.cluster.schedule_timer(1, 10), container.do_work):
            try:
                call()
            except BaseException as exc:  # noqa: BLE001
                raised.append(exc)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert len(raised) == 2
    assert all(isinstance(e, ClusterError) and "service's thread" in str(e) for e in raised)
    assert not container.is_terminated
    container.do_work()  # still fine from its own thread


def test_a_consensus_module_of_another_schema_version_stops_the_service_naming_both(container, stand_in) -> None:
    join_log = bytearray(codecs.JOIN_LOG.encode(codecs.JoinLog(0, 0, 0, 1, 100, codecs.BooleanType.TRUE, 0,
                                                               codecs.BooleanType.FALSE, "aeron:ipc")))
    struct.pack_into("<H", join_log, 6, 12)  # the SBE header's version: an Aeron 1.47 consensus module
    wait_until(lambda: stand_in.to_service.offer(join_log) > 0, "the JoinLog offer")
    with pytest.raises(SchemaMismatchError) as raised:
        wait_until(lambda: container.do_work() < 0, "the schema error")
    assert "version 12" in str(raised.value) and "version 16" in str(raised.value)
    assert container.is_terminated and container.service.terminated == 1


def test_the_service_terminates_when_the_consensus_module_goes_away(container, stand_in) -> None:
    stand_in.commit_position.close()
    wait_until(lambda: container.is_terminated, "the service to notice", work=container.do_work)
    assert container.termination is not None and not container.termination.expected
    assert container.service.terminated == 1
    assert container.do_work() == 0


def test_use_after_close(container) -> None:
    cluster = container.cluster
    container.close()
    with pytest.raises(ClusterClosedError):
        container.do_work()
    with pytest.raises(ClusterClosedError):
        container.start()
    with pytest.raises(ClusterClosedError):
        cluster.offer(b"late")
    assert container.service.terminated == 1
    container.close()  # twice is fine


def test_a_second_service_with_the_same_id_is_refused(container, aeron_driver, tmp_path) -> None:
    with pytest.raises(ClusterError, match="in use by a live service"):
        ClusteredServiceContainer(RecordingService(), cluster_dir=tmp_path, aeron_dir=aeron_driver.dir)
    assert not container.is_terminated


def test_settings_and_service_are_checked() -> None:
    with pytest.raises(TypeError, match="ClusteredService"):
        ClusteredServiceContainer(object(), cluster_dir="/tmp/unused")
    with pytest.raises(TypeError, match="service_id must be an int"):
        ClusteredServiceContainer(ClusteredService(), cluster_dir="/tmp/unused", service_id="0")
    with pytest.raises(ValueError, match="service_id"):
        ClusteredServiceContainer(ClusteredService(), cluster_dir="/tmp/unused", service_id=200)


@pytest.mark.parametrize("aeron_driver", ["process"], indirect=True)
def test_the_service_terminates_when_its_driver_dies(aeron_driver, stand_in, tmp_path) -> None:
    service = RecordingService()
    with ClusteredServiceContainer(service, cluster_dir=tmp_path, aeron_dir=aeron_driver.dir,
                                   driver_timeout_ms=1000) as container:
        container.do_work()
        aeron_driver.handle.process.kill()  # as kill -9 of a node takes its driver with it
        wait_until(lambda: container.is_terminated, "the service to notice", work=container.do_work)
        assert not container.termination.expected and "driver" in str(container.termination)
        assert service.terminated == 1
