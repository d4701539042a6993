"""Recovery of a Python clustered service: from a snapshot (ClusterTool snapshot) and
the log after it, or from the whole log when there is no snapshot."""

from __future__ import annotations

import pytest
from service_support import Collector, EchoService, await_egress, connect, offer, restart_node, start_service

from aeron_cffi.cluster import CloseReason
from aeron_cffi.testing.cluster import LocalCluster


def _send(client, collector: Collector, messages: list[bytes]) -> None:
    expected = len(collector.messages) + len(messages)
    for message in messages:
        offer(client, message)
    await_egress(client, lambda: len(collector.messages) == expected, f"{len(messages)} echoes")


@pytest.mark.parametrize("snapshot", [True, False], ids=["snapshot-and-log", "whole-log"])
def test_restart_recovers_state_and_open_sessions(aeron_cluster: LocalCluster, snapshot: bool) -> None:
    node = aeron_cluster.nodes[0]
    service = EchoService()
    container = start_service(aeron_cluster, node, service)
    aeron_cluster.leader()
    collector = Collector()
    client = connect(aeron_cluster, node, collector)
    before = [b"before-%d" % i for i in range(20)] + [b"L" * 5000]
    _send(client, collector, before)
    if snapshot:
        result = node.tool("snapshot")
        assert result.ok, result.output
        assert "type=SNAPSHOT" in node.tool("recording-log").output
    after = [b"after-%d" % i for i in range(10)]
    _send(client, collector, after)
    session_id = client.cluster_session_id

    restarted = EchoService()
    # an orderly stop: the service sees its consensus module go away and terminates
    container = restart_node(aeron_cluster, node, container, restarted, kill=False)
    assert service.terminated
    assert restarted.loaded_from_snapshot is snapshot
    assert restarted.applied == before + after
    # the session comes back from the snapshot, or from its open event in the log; the
    # consensus module may then time it out (its client went with the node's driver)
    assert restarted.sessions_at_start == ([session_id] if snapshot else [])
    assert restarted.opened == ([] if snapshot else [session_id])
    assert restarted.closed in ([], [(session_id, CloseReason.TIMEOUT)])
    assert restarted.errors == []
    client.close()


class FailingSnapshotService(EchoService):
    def on_take_snapshot(self, publication) -> None:
        raise RuntimeError("no room for the snapshot")


def test_a_failed_snapshot_is_acked_so_the_cluster_carries_on(aeron_cluster: LocalCluster) -> None:
    node = aeron_cluster.nodes[0]
    service = FailingSnapshotService()
    with start_service(aeron_cluster, node, service) as container:
        aeron_cluster.leader()
        result = node.tool("snapshot")  # returns once the consensus module is active again
        assert result.ok, result.output
        assert "type=SNAPSHOT" not in node.tool("recording-log").output
        assert any("no room for the snapshot" in str(e) for e in service.errors)
        # the error is in the service's mark file, where ClusterTool finds it
        errors = node.tool("errors")
        assert "no room for the snapshot" in errors.output, errors.output
        collector = Collector()
        with connect(aeron_cluster, node, collector) as client:
            _send(client, collector, [b"still here"])
        assert not container.is_terminated
