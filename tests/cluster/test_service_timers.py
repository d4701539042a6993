"""Timers of a Python clustered service: scheduled from a message, cancelled, and
surviving a killed node."""

from __future__ import annotations

from service_support import (
    CANCEL,
    CORRELATION,
    SCHEDULE,
    TIMER,
    Collector,
    EchoService,
    await_egress,
    connect,
    offer,
    restart_node,
    start_service,
)

from aeron_cffi.testing.cluster import LocalCluster


def test_timers_fire_once_cancelled_never_and_survive_a_killed_node(aeron_cluster: LocalCluster) -> None:
    node = aeron_cluster.nodes[0]
    service = EchoService()
    container = start_service(aeron_cluster, node, service)
    aeron_cluster.leader()
    collector = Collector()
    with connect(aeron_cluster, node, collector) as client:
        offer(client, SCHEDULE + TIMER.pack(1, 100))
        offer(client, SCHEDULE + TIMER.pack(2, 1000))  # time enough for the cancel to be applied first
        offer(client, CANCEL + CORRELATION.pack(2))
        offer(client, SCHEDULE + TIMER.pack(3, 1200))
        # timer 3 fires after 1 and after 2 would have: by then each has had its chance
        await_egress(client, lambda: 3 in collector.fired, "timer 3")
        assert collector.fired == [1, 3]
        assert service.fired == [1, 3]
        offer(client, SCHEDULE + TIMER.pack(4, 4000))
        await_egress(client, lambda: len(collector.messages) == 5, "the schedule of timer 4 applied")

    restarted_service = EchoService()
    container = restart_node(aeron_cluster, node, container, restarted_service, kill=True)
    assert 4 not in service.fired  # it was still pending when the node was killed
    collector = Collector()
    with connect(aeron_cluster, node, collector) as client:
        await_egress(client, lambda: 4 in restarted_service.fired, "timer 4 after the restart")
    # the replayed log brought back the timers that fired before; 4 fired once, after the restart
    assert restarted_service.fired == [1, 3, 4]
    assert restarted_service.errors == []
