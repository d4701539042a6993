"""The cluster launcher and ClusterTool wrapper of ``aeron_cffi.testing.cluster``, against
the real ``ClusteredMediaDriver`` with Java's sample service in a Java container; a Java
part whose java is missing fails in one line, as the archive does."""

from __future__ import annotations

import pytest

from aeron_cffi.testing.cluster import JavaServiceContainer, LocalCluster, NodeRole
from aeron_cffi.testing.java_process import JavaStartError, MissingRequirementError
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


def test_a_java_service_without_its_java_fails_in_one_line_naming_it() -> None:
    cluster = LocalCluster()  # (not started: the service container fails before it needs a node)
    try:
        container = JavaServiceContainer(cluster.nodes[0], AUCTION_SERVICE, java="no-such-java")
        with pytest.raises(MissingRequirementError) as raised:
            container.start()
        assert str(raised.value) == ("no-such-java is not on PATH: service container 0 needs a Java 17+ runtime "
                                     "(install one, or pass JavaServiceContainer(java=...))")
        assert isinstance(raised.value, JavaStartError)
        assert not container.running and container.pid is None
    finally:
        cluster.close()
