"""Helpers of the cluster client tests: Java cluster nodes from ``aeron_cffi.testing.cluster``
running the samples' ``BasicAuctionClusteredService``, and the auction's wire format
(the clients' C media driver, ``client_driver_dir``, is a fixture of ``conftest.py``).

A node costs a JVM start, so clusters are shared by the tests of a module.
"""

from __future__ import annotations

import dataclasses
import itertools
import pathlib
import struct
import time
from typing import Any, Callable

import pytest

from aeron_cffi.cluster import AeronCluster, EgressListener, EventCode
from aeron_cffi.cluster.codecs import AdminRequestType, AdminResponseCode
from aeron_cffi.testing.cluster import LocalCluster
from aeron_cffi.testing.waiting import wait_until

AUCTION_SERVICE = "io.aeron.samples.cluster.tutorial.BasicAuctionClusteredService"
WAIT_TIMEOUT = 20.0

# BasicAuctionClusteredService's messages (little-endian, as Agrona's buffers are):
# a bid is correlationId, customerId, price; the answer adds whether the bid won
# and carries the auction's current winner and best price.
BID = struct.Struct("<qqq")
BID_RESULT = struct.Struct("<qqq?")

_correlation_ids = itertools.count(1)


@dataclasses.dataclass(frozen=True)
class BidResult:
    correlation_id: int
    winning_customer_id: int
    best_price: int
    succeeded: bool


class RecordingListener(EgressListener):
    """Keeps what ``poll_egress`` delivers."""

    def __init__(self) -> None:
        self.results: list[BidResult] = []
        self.timestamps: list[int] = []
        self.session_ids: list[int] = []
        self.session_events: list[tuple[int, int, int, int, EventCode, str]] = []
        self.new_leaders: list[tuple[int, int, int, str]] = []
        self.admin_responses: list[tuple[int, int, AdminRequestType, AdminResponseCode, str, bytes]] = []

    def on_message(self, cluster_session_id, timestamp, buffer, header) -> None:
        assert len(buffer) == BID_RESULT.size
        self.results.append(BidResult(*BID_RESULT.unpack(buffer)))
        self.timestamps.append(timestamp)
        self.session_ids.append(cluster_session_id)

    def on_session_event(self, correlation_id, cluster_session_id, leadership_term_id, leader_member_id, code,
                         detail) -> None:
        self.session_events.append((correlation_id, cluster_session_id, leadership_term_id, leader_member_id, code,
                                    detail))

    def on_new_leader(self, cluster_session_id, leadership_term_id, leader_member_id, ingress_endpoints) -> None:
        self.new_leaders.append((cluster_session_id, leadership_term_id, leader_member_id, ingress_endpoints))

    def on_admin_response(self, cluster_session_id, correlation_id, request_type, response_code, message,
                          payload) -> None:
        self.admin_responses.append((cluster_session_id, correlation_id, request_type, response_code, message,
                                     payload))


def auction_cluster(size: int = 1, properties: dict[str, str] | None = None):
    """A module fixture: ``size`` nodes, each with a Java ``BasicAuctionClusteredService``,
    once a leader is elected; closed (every process stopped) after the module."""
    @pytest.fixture(scope="module")
    def cluster():
        with LocalCluster(size, properties=properties) as running:
            for node in running.nodes:
                running.java_service(node, AUCTION_SERVICE)
            running.leader()
            yield running
    return cluster


def connect(cluster: LocalCluster, driver_dir: pathlib.Path, listener: EgressListener | None = None,
            **settings: Any) -> AeronCluster:
    settings.setdefault("ingress_endpoints", cluster.ingress_endpoints)
    settings.setdefault("ingress_channel", cluster.ingress_channel)
    return AeronCluster.connect(aeron_directory_name=str(driver_dir), egress_listener=listener, **settings)


def wait_for(condition: Callable[[], Any], client: AeronCluster | None = None, what: str = "the condition",
             timeout: float = WAIT_TIMEOUT) -> Any:
    """``wait_until`` polling ``client``'s egress (and keeping its session alive) between
    tries of ``condition``."""
    return wait_until(condition, what, work=None if client is None else _egress_work(client), timeout=timeout)


def _egress_work(client: AeronCluster) -> Callable[[], None]:
    """Poll ``client``'s egress, and send a keep-alive every half second, while it is open."""
    next_keep_alive = 0.0

    def work() -> None:
        nonlocal next_keep_alive
        if client.is_closed:
            return
        client.poll_egress()
        now = time.monotonic()
        if now > next_keep_alive and not client.is_closed:
            client.send_keep_alive()
            next_keep_alive = now + 0.5
    return work


def bid(client: AeronCluster, customer_id: int, price: int) -> int:
    """Offer a bid (retrying back pressure, polling egress meanwhile); its correlation id."""
    correlation_id = next(_correlation_ids)
    message = BID.pack(correlation_id, customer_id, price)
    wait_for(lambda: client.offer(message) > 0, client, f"the bid {correlation_id} to be offered")
    return correlation_id


def result_of(client: AeronCluster, listener: RecordingListener, correlation_id: int,
              timeout: float = WAIT_TIMEOUT) -> BidResult:
    """The service's answer to the bid ``correlation_id``."""
    def answer() -> BidResult | None:
        return next((r for r in listener.results if r.correlation_id == correlation_id), None)
    return wait_for(answer, client, f"the answer to bid {correlation_id}", timeout)
