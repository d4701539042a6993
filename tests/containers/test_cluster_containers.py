"""Cluster nodes on the container backend: ``ClusteredMediaDriver`` and the Java service container
in containers of the Java image, the three members sharing one container's loopback. A Python
client on a member's driver connects, bids, and fails over when the leader's container is killed."""

from __future__ import annotations

import os
import pathlib
import sys
import time

import pytest

from aeron_cffi.testing import LocalCluster
from aeron_cffi.testing.containers import OWNER_LABEL, docker_client

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "cluster"))
from client_support import AUCTION_SERVICE, RecordingListener, bid, connect, result_of  # noqa: E402

pytestmark = pytest.mark.long

FAILOVER_TIMEOUT = 60.0  # heartbeat timeout, election and the client noticing, on a loaded machine


def test_three_containerised_nodes_elect_serve_a_python_client_and_fail_over(tmp_path):
    with LocalCluster(3, backend="docker", tmp_root=tmp_path) as cluster:
        for node in cluster.nodes:
            cluster.java_service(node, AUCTION_SERVICE)
        leader = cluster.leader()
        mine = docker_client().containers.list(filters={"label": f"{OWNER_LABEL}={os.getpid()}"})
        assert len(mine) == 7  # the network holder, three nodes, three services
        # a member that stays up carries the client's driver
        host = next(node for node in cluster.nodes if node is not leader)
        listener = RecordingListener()
        with connect(cluster, host.aeron_dir, listener, new_leader_timeout_ns=int(FAILOVER_TIMEOUT * 1e9)) as client:
            opening = result_of(client, listener, bid(client, customer_id=1, price=0)).best_price
            acknowledged = opening + 10
            assert result_of(client, listener, bid(client, customer_id=1, price=acknowledged)).succeeded
            for container in cluster.containers:
                if container.node is leader:
                    container.kill()
            leader.kill()  # SIGKILL of the leader's containers
            # bids sent to the dead leader are never answered; the client moves to the new one
            deadline = time.monotonic() + FAILOVER_TIMEOUT
            price, answer = acknowledged, None
            while answer is None:
                assert time.monotonic() < deadline, f"no bid answered within {FAILOVER_TIMEOUT}s of the kill"
                price += 1
                try:
                    answer = result_of(client, listener, bid(client, customer_id=2, price=price), timeout=2.0)
                except AssertionError:
                    continue
            assert answer.succeeded and answer.best_price == price > acknowledged  # the state survived
            assert client.leader_member_id == cluster.leader(exclude=[leader]).member_id != leader.member_id
    assert docker_client().containers.list(all=True, filters={"label": f"{OWNER_LABEL}={os.getpid()}"}) == []
