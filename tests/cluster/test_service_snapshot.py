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
    container = start_service(node, service)
    try:
        aeron_cluster.leader()
        collector = Collector()
        client = connect(aeron_cluster, node, collector)
        before = [b"before-%d" % i for i in range(20)] + [b"L" * 5000]
        _send(client, collector, before)
        if snapshot:
            result = node.tool("snapshot")
            assert result.ok, result.output
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
    finally:
        container.close()
