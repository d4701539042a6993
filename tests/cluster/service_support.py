"""Helpers of the clustered service tests: a Python echo service with replicated state,
timers driven by messages and a snapshot of its own, a node running it, and a client
that collects what the service sends back.

The service's state is the list of payloads it applied and the timers that fired; its
snapshot is one message per payload and timer, then an end marker.
"""

from __future__ import annotations

import struct
from typing import Any, Callable

from aeron_cffi.cluster import (
    AeronCluster,
    ClientSession,
    CloseReason,
    Cluster,
    ClusteredService,
    ClusteredServiceContainer,
    EgressListener,
)
from aeron_cffi.fragment_assembler import ImageFragmentAssembler
from aeron_cffi.image import Image
from aeron_cffi.testing.cluster import ClusterNode, LocalCluster
from aeron_cffi.testing.waiting import wait_until

# Commands (first byte of a message); anything else is echoed and applied.
SCHEDULE = b"S"  # + correlation id, delay in ms: schedule a timer
CANCEL = b"X"  # + correlation id: cancel it
OFFER = b"O"  # + payload: the service offers the payload to the cluster itself
KICK = b"K"  # the service closes the sender's session
TIMER = struct.Struct("<qq")
CORRELATION = struct.Struct("<q")
FIRED = b"F"  # egress to every session when a timer fires: + correlation id
_SNAPSHOT_PAYLOAD = b"P"
_SNAPSHOT_TIMER = b"T"
_SNAPSHOT_END = b"E"


class EchoService(ClusteredService):
    """Echoes every message to its session and keeps what it applied."""

    def __init__(self) -> None:
        self.cluster: Cluster | None = None
        self.applied: list[bytes] = []
        self.fired: list[int] = []
        self.opened: list[int] = []
        self.own_messages: list[bytes] = []
        self.closed: list[tuple[int, CloseReason]] = []
        self.loaded_from_snapshot = False
        self.sessions_at_start: list[int] = []
        self.terminated = False
        self.errors: list[BaseException] = []

    def on_start(self, cluster: Cluster, snapshot_image: Image | None) -> None:
        self.cluster = cluster
        if snapshot_image is not None:
            self._load(snapshot_image, cluster)
        self.sessions_at_start = [session.id for session in cluster.client_sessions]

    def _load(self, image: Image, cluster: Cluster) -> None:
        done = []

        def on_message(data: bytes, header: Any) -> None:
            kind, body = data[:1], data[1:]
            if kind == _SNAPSHOT_PAYLOAD:
                self.applied.append(body)
            elif kind == _SNAPSHOT_TIMER:
                self.fired.append(CORRELATION.unpack(body)[0])
            elif kind == _SNAPSHOT_END:
                done.append(True)

        with ImageFragmentAssembler(on_message) as assembler:
            while not done:
                if image.poll(assembler, 10) == 0:
                    if image.is_closed:
                        raise RuntimeError("snapshot ended before the service's end marker")
                    cluster.idle_strategy.idle(0)
        self.loaded_from_snapshot = True

    def on_session_open(self, session: ClientSession, timestamp: int) -> None:
        self.opened.append(session.id)

    def on_session_close(self, session: ClientSession, timestamp: int, close_reason: CloseReason) -> None:
        self.closed.append((session.id, close_reason))

    def on_session_message(self, session: ClientSession | None, timestamp: int, buffer: bytes, header: Any) -> None:
        command = buffer[:1]
        if command == SCHEDULE:
            correlation_id, delay_ms = TIMER.unpack(buffer[1:])
            _retry(lambda: self.cluster.schedule_timer(correlation_id, timestamp + delay_ms), self.cluster)
        elif command == CANCEL:
            _retry(lambda: self.cluster.cancel_timer(CORRELATION.unpack(buffer[1:])[0]), self.cluster)
        elif command == OFFER:
            _retry(lambda: self.cluster.offer(buffer[1:]) > 0, self.cluster)
        elif command == KICK:
            _retry(session.close, self.cluster)
            return
        elif session is None:
            self.own_messages.append(buffer)
        else:
            self.applied.append(buffer)
        if session is not None:
            _retry(lambda: session.offer(buffer) > 0, self.cluster)

    def on_timer_event(self, correlation_id: int, timestamp: int) -> None:
        self.fired.append(correlation_id)
        for session in self.cluster.client_sessions:
            _retry(lambda: session.offer(FIRED + CORRELATION.pack(correlation_id)) > 0, self.cluster)

    def on_take_snapshot(self, publication: Any) -> None:
        records = [_SNAPSHOT_PAYLOAD + payload for payload in self.applied]
        records += [_SNAPSHOT_TIMER + CORRELATION.pack(c) for c in self.fired]
        for record in [*records, _SNAPSHOT_END]:
            _retry(lambda: publication.offer(record) > 0, self.cluster)

    def on_terminate(self, cluster: Cluster) -> None:
        self.terminated = True


def _retry(attempt: Callable[[], Any], cluster: Cluster, timeout: float = 10.0) -> None:
    """Retry a send until it goes (a response publication connecting, back pressure),
    idling with the cluster's idle strategy (which keeps the service alive) in between."""
    wait_until(attempt, "a send of the service to go through", work=lambda: cluster.idle_strategy.idle(0),
               timeout=timeout)


class Collector(EgressListener):
    """What a client received: echoed payloads and fired timers, in order."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.fired: list[int] = []

    def on_message(self, cluster_session_id: int, timestamp: int, buffer: memoryview, header: Any) -> None:
        data = bytes(buffer)
        if data[:1] == FIRED and len(data) == 1 + CORRELATION.size:
            self.fired.append(CORRELATION.unpack(data[1:])[0])
        else:
            self.messages.append(data)


def start_service(cluster: LocalCluster, node: ClusterNode, service: EchoService,
                  **settings: Any) -> ClusteredServiceContainer:
    """A container running ``service`` on its own thread beside ``node`` (closed with
    ``cluster``), reporting errors to ``service.errors``."""
    settings.setdefault("error_handler", service.errors.append)
    return cluster.python_service(node, service, **settings)


def restart_node(cluster: LocalCluster, node: ClusterNode, container: ClusteredServiceContainer,
                 service: EchoService, *, kill: bool) -> ClusteredServiceContainer:
    """Take ``node`` and its service down (SIGKILL, or an orderly SIGTERM after which
    the service sees its consensus module go away), then start both again on the same
    directories; returns the new container running ``service`` once the node leads."""
    if kill:
        node.kill()
        container.close()
    else:
        node.stop()
        assert container.wait_terminated(30), "the service did not notice its consensus module stop"
        container.close()
    node.start()
    restarted = start_service(cluster, node, service)
    cluster.leader()
    return restarted


def connect(cluster: LocalCluster, node: ClusterNode, collector: Collector, **settings: Any) -> AeronCluster:
    """A client (on ``node``'s driver) of ``cluster``."""
    return AeronCluster.connect(ingress_endpoints=cluster.ingress_endpoints, ingress_channel=cluster.ingress_channel,
                                aeron_directory_name=str(node.aeron_dir), egress_listener=collector, **settings)


def offer(client: AeronCluster, message: bytes) -> None:
    """Offer ``message``, polling egress while back-pressured."""
    wait_until(lambda: client.offer(message) > 0, "an offer to the cluster", work=client.poll_egress)


def await_egress(client: AeronCluster, condition: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    return wait_until(condition, what, work=client.poll_egress, timeout=timeout)
