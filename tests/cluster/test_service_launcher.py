"""The cluster launcher and ClusterTool wrapper of ``aeron_cffi.testing.cluster``, against
the real ``ClusteredMediaDriver`` with Java's sample service in a Java container."""

from __future__ import annotations

from aeron_cffi.testing.cluster import LocalCluster, NodeRole
from client_support import AUCTION_SERVICE


def test_single_node_elects_itself_and_clustertool_drives_it(aeron_cluster: LocalCluster) -> None:
    node = aeron_cluster.nodes[0]
    service = aeron_cluster.java_service(node, AUCTION_SERVICE)
    assert aeron_cluster.leader() is node
    assert node.role == NodeRole.LEADER

    described = node.tool("describe")
    assert described.ok, described.output
    assert [m["componentType"] for m in described.mark_files] == ["CONSENSUS_MODULE", "CONTAINER"]
    assert described.mark_files[1]["serviceId"] == "0"
    assert described.mark_files[0]["aeronDirectory"] == str(node.aeron_dir)

    snapshot = node.tool("snapshot")
    assert snapshot.ok, snapshot.output

    shutdown = node.tool("shutdown")
    assert shutdown.ok, shutdown.output
    assert node.wait_exit(60) == 0
    assert service.wait_exit(60) == 0
