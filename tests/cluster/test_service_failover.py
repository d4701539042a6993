"""Three nodes, a Python echo service on each: the leader's node is killed (SIGKILL)
during a stream of messages; the client fails over to the new leader, every message it
saw echoed was applied exactly once by every surviving service, and the killed node,
restarted, catches up to the same state."""

from __future__ import annotations

import pytest
from service_support import Collector, EchoService, start_service

from aeron_cffi.cluster import AeronCluster
from aeron_cffi.testing.cluster import LocalCluster
from aeron_cffi.testing.waiting import wait_until

MESSAGES = 300
KILL_AT = 100


@pytest.mark.parametrize("aeron_driver", ["embedded"], indirect=True)
def test_leader_killed_mid_stream_client_fails_over_and_nothing_acknowledged_is_lost(
        aeron_cluster_three: LocalCluster, aeron_driver) -> None:
    cluster = aeron_cluster_three
    services = {node.member_id: EchoService() for node in cluster.nodes}
    containers = {node.member_id: start_service(cluster, node, services[node.member_id]) for node in cluster.nodes}
    leader = cluster.leader()
    collector = Collector()
    # the client's own C driver: it outlives the node that is killed; and it waits for the
    # new leader as long as the test does (an election on a loaded machine can be slow)
    with AeronCluster.connect(ingress_endpoints=cluster.ingress_endpoints, ingress_channel=cluster.ingress_channel,
                              aeron_directory_name=str(aeron_driver.dir), egress_listener=collector,
                              new_leader_timeout_ns=60_000_000_000) as client:
        for i in range(MESSAGES):
            if i == KILL_AT:
                wait_until(lambda: len(collector.messages) >= KILL_AT // 2, "echoes before the kill",
                           work=client.poll_egress)
                leader.kill()
                containers.pop(leader.member_id).close()  # the node's service dies with it
            wait_until(lambda: client.offer(b"message-%d" % i) > 0, f"offer of message {i}",
                       work=client.poll_egress, timeout=60)
            client.poll_egress()
        # messages offered to the dead leader before the client heard of the new one are
        # lost unacknowledged; a last message echoed shows the client is on the new leader
        for attempt in range(30):
            final = b"final-%d" % attempt
            wait_until(lambda: client.offer(final) > 0, "the final offer", work=client.poll_egress, timeout=60)
            try:
                wait_until(lambda: final in collector.messages, "the final echo", timeout=2.0,
                           work=lambda: client.poll_egress() + client.send_keep_alive())
                break
            except AssertionError:
                continue
        assert final in collector.messages
        assert client.leader_member_id != leader.member_id

    echoed = collector.messages
    assert len(echoed) == len(set(echoed)), "an echo arrived twice"
    survivors = [services[member_id] for member_id in containers]
    wait_until(lambda: all(len(s.applied) == len(survivors[0].applied) for s in survivors),
               "the survivors to agree")
    for service in survivors:
        assert service.applied == survivors[0].applied
        applied = set(service.applied)
        assert len(applied) == len(service.applied), "a message was applied twice"
        assert set(echoed) <= applied, "an acknowledged message is missing"

    leader.start()
    caught_up = EchoService()
    start_service(cluster, leader, caught_up)
    wait_until(lambda: caught_up.applied == survivors[0].applied, "the restarted node to catch up", timeout=60)
