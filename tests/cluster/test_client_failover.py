"""The Python cluster client on a three-node cluster of Java auction services: redirect
from a follower to the leader on connect, and failover when the leader is killed."""

from __future__ import annotations

import time

from aeron_cffi.cluster.codecs import ClusterRole
from client_support import (
    RecordingListener,
    auction_cluster,
    bid,
    connect,
    result_of,
    wait_for,
)

# Leader heartbeat timeout, election, and the client noticing: generous for a loaded machine.
FAILOVER_TIMEOUT = 60.0


cluster = auction_cluster(3)


def test_connect_through_a_follower_is_redirected_to_the_leader(cluster, client_driver_dir):
    leader = cluster.leader()
    follower = next(node for node in cluster.nodes if node is not leader)
    # The codecs' ClusterRole is what the nodes' role counters hold (once the followers
    # have left their side of the election too).
    roles = [ClusterRole.FOLLOWER, ClusterRole.FOLLOWER, ClusterRole.LEADER]
    wait_for(lambda: sorted(ClusterRole(node.role) for node in cluster.nodes) == roles, None, f"roles {roles}")
    listener = RecordingListener()
    with connect(cluster, client_driver_dir, listener, ingress_endpoints=None,
                 ingress_channel=f"aeron:udp?term-length=256k|endpoint={follower.ingress_endpoint}") as client:
        assert client.leader_member_id == leader.member_id
        assert leader.ingress_endpoint in client.ingress_publication.channel
        assert result_of(client, listener, bid(client, 1, 1)).winning_customer_id == 1


def test_failover_when_the_leader_is_killed(cluster, client_driver_dir):
    listener = RecordingListener()
    # Waiting for the new leader is bounded by new_leader_timeout_ns (default: twice the
    # leader heartbeat timeout); a loaded machine may elect more slowly than that.
    with connect(cluster, client_driver_dir, listener, new_leader_timeout_ns=int(FAILOVER_TIMEOUT * 1e9)) as client:
        old_leader = cluster.leader()
        assert client.leader_member_id == old_leader.member_id
        price = 1 << 40
        for _ in range(5):
            price += 1
            result = result_of(client, listener, bid(client, 2, price))
            assert (result.succeeded, result.best_price) == (True, price)
        acknowledged = price

        for container in cluster.containers:
            if container.node is old_leader:
                container.kill()
        old_leader.kill()

        # Keep bidding through the election: bids sent to the dead leader are lost
        # (never answered), and the client moves to the new leader by itself.
        deadline = time.monotonic() + FAILOVER_TIMEOUT
        answered_after = None
        while answered_after is None:
            assert time.monotonic() < deadline, f"no bid answered within {FAILOVER_TIMEOUT}s of the kill"
            price += 1
            correlation_id = bid(client, 3, price)
            try:
                answered_after = result_of(client, listener, correlation_id, timeout=2.0)
            except AssertionError:
                continue  # this one went to the old leader; a new leader answers a later one
        new_leader = cluster.leader(exclude=[old_leader])
        assert client.leader_member_id == new_leader.member_id != old_leader.member_id
        assert [event[2] for event in listener.new_leaders] == [new_leader.member_id]
        assert answered_after.succeeded and answered_after.winning_customer_id == 3

        # What the old leader acknowledged survived: a lower bid than it loses.
        late = result_of(client, listener, bid(client, 4, acknowledged - 1))
        assert not late.succeeded and late.best_price >= acknowledged
