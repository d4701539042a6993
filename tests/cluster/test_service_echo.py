"""A Python clustered service behind the real Java consensus module: echo, ClusterTool
reading its mark file, and shutdown through ClusterTool."""

from __future__ import annotations

from service_support import KICK, OFFER, Collector, EchoService, await_egress, connect, offer, start_service

from aeron_cffi.cluster import CloseReason, ClusterRole
from aeron_cffi.testing.cluster import LocalCluster
from aeron_cffi.testing.waiting import wait_until


def test_thousand_messages_echoed_in_order_including_above_the_mtu(aeron_cluster: LocalCluster) -> None:
    node = aeron_cluster.nodes[0]
    service = EchoService()
    with start_service(aeron_cluster, node, service) as container:
        assert aeron_cluster.leader() is node
        collector = Collector()
        with connect(aeron_cluster, node, collector) as client:
            # every 50th message spans several frames (MTU 1408) and is reassembled on both sides
            sent = [(b"%04d:" % i) * (1 if i % 50 else 1000) for i in range(1000)]
            for message in sent:
                offer(client, message)
                client.poll_egress()
            await_egress(client, lambda: len(collector.messages) >= len(sent), "1000 echoes")
            assert collector.messages == sent
            # the service's own message comes back through the log without a session
            offer(client, OFFER + b"from the service")
            await_egress(client, lambda: service.own_messages, "the service's own message")
            assert service.own_messages == [b"from the service"]
            # the service closes the client's session
            offer(client, KICK)
            await_egress(client, lambda: client.is_closed, "the session closed by the service")
        assert service.closed == [(service.opened[0], CloseReason.SERVICE_ACTION)]
        assert service.applied == sent
        assert container.cluster.role == ClusterRole.LEADER
        assert service.opened and service.errors == []


def test_clustertool_describes_the_python_service_and_shutdown_terminates_it(aeron_cluster: LocalCluster) -> None:
    node = aeron_cluster.nodes[0]
    service = EchoService()
    with start_service(aeron_cluster, node, service, service_name="python-echo") as container:
        aeron_cluster.leader()
        described = node.tool("describe")
        assert described.ok, described.output
        module, python_service = described.mark_files
        assert python_service["componentType"] == "CONTAINER"
        assert python_service["serviceId"] == "0"
        assert python_service["memberId"] == "0"
        assert python_service["serviceName"] == "python-echo"
        assert python_service["aeronDirectory"] == str(node.aeron_dir)
        assert int(python_service["pid"]) > 0 and int(python_service["activityTimestamp"]) > 0

        shutdown = node.tool("shutdown")
        assert shutdown.ok, shutdown.output
        assert container.wait_terminated(30)
        assert service.terminated
        assert container.termination is not None and container.termination.expected
        assert container.failure is None
        assert node.wait_exit(60) == 0


def test_a_client_that_stops_keepalives_is_closed_with_the_timeout_reason(aeron_free_port) -> None:
    with LocalCluster(1, ports=aeron_free_port, properties={"aeron.cluster.session.timeout": "2s"}) as cluster:
        node = cluster.nodes[0]
        service = EchoService()
        with start_service(cluster, node, service):
            cluster.leader()
            collector = Collector()
            with connect(cluster, node, collector) as client:
                offer(client, b"hello")
                await_egress(client, lambda: collector.messages == [b"hello"], "the echo")
                # no keepalive, no message: the consensus module times the session out
                wait_until(lambda: service.closed, "the session to time out")
                assert service.closed == [(client.cluster_session_id, CloseReason.TIMEOUT)]
