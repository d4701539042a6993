"""The Python cluster client against a Java service: the samples' BasicAuctionClusteredService
in a ClusteredServiceContainer, on a one-node cluster of the pinned jar. The tests do
what Java's BasicAuctionClusterClient does (open a session, bid, read the answers), plus
the client's errors."""

from __future__ import annotations

import asyncio
import time

import pytest

from aeron_cffi import Aeron
from aeron_cffi.aio import AsyncCluster
from aeron_cffi.buffer_claim import BufferClaim
from aeron_cffi.cluster import (
    AeronCluster,
    ClusterClosedError,
    ClusterTimeoutError,
    ControlledEgressListener,
    EventCode,
)
from aeron_cffi.cluster.codecs import AdminRequestType, AdminResponseCode
from aeron_cffi.errors import InvalidArgumentError
from aeron_cffi.fragment_assembler import ControlledPollAction
from aeron_cffi.testing import free_udp_port
from client_support import (
    BID,
    BID_RESULT,
    BidResult,
    RecordingListener,
    auction_cluster,
    bid,
    connect,
    result_of,
    wait_for,
)


cluster = auction_cluster(1)


def test_auction_as_javas_client_does(cluster, client_driver_dir):
    alice_listener, bob_listener = RecordingListener(), RecordingListener()
    with connect(cluster, client_driver_dir, alice_listener) as alice, \
            connect(cluster, client_driver_dir, bob_listener) as bob:
        assert alice.cluster_session_id != bob.cluster_session_id
        assert alice.leader_member_id == 0 and alice.leadership_term_id >= 0

        # Each answer carries the auction's state after the bid: the service applied
        # the bids of both sessions, one at a time, in the order the log has them.
        opening = result_of(alice, alice_listener, bid(alice, customer_id=10, price=0)).best_price
        first = bid(alice, customer_id=10, price=opening + 100)
        assert result_of(alice, alice_listener, first) == BidResult(first, 10, opening + 100, True)
        outbid = bid(bob, customer_id=20, price=opening + 150)
        assert result_of(bob, bob_listener, outbid) == BidResult(outbid, 20, opening + 150, True)
        too_low = bid(alice, customer_id=10, price=opening + 120)
        assert result_of(alice, alice_listener, too_low) == BidResult(too_low, 20, opening + 150, False)

        # Each session only hears its own answers, with its session id and the cluster's time.
        assert {r.correlation_id for r in bob_listener.results} == {outbid}
        assert set(alice_listener.session_ids) == {alice.cluster_session_id}
        assert all(t > 0 for t in alice_listener.timestamps)
        assert alice_listener.timestamps == sorted(alice_listener.timestamps)
        assert alice.send_keep_alive()


def test_bid_written_in_place_with_try_claim(cluster, client_driver_dir):
    listener = RecordingListener()
    with connect(cluster, client_driver_dir, listener) as client:
        claim = BufferClaim()
        wait_for(lambda: client.try_claim(BID.size, claim) > 0, client, "a claim")
        correlation_id = 777_000
        claim.put(BID.pack(correlation_id, 30, 1 << 40), AeronCluster.SESSION_HEADER_LENGTH)
        claim.commit()
        assert result_of(client, listener, correlation_id) == BidResult(correlation_id, 30, 1 << 40, True)


def test_misuse_gets_clear_errors_and_loses_nothing(cluster, client_driver_dir):
    listener = RecordingListener()
    client = connect(cluster, client_driver_dir, listener)
    with pytest.raises(InvalidArgumentError, match="exceeds the maximum"):
        client.offer(bytes(client.max_message_length + 1))
    with pytest.raises(TypeError, match="bytes-like"):
        client.offer("a str is not a message")
    with pytest.raises(InvalidArgumentError, match="outside"):
        client.try_claim(client.ingress_publication.max_payload_length, BufferClaim())
    with pytest.raises(TypeError, match="length must be int"):
        client.try_claim(8.0, BufferClaim())

    # The session still works after the refusals.
    answered = bid(client, 40, 1 << 50)
    assert result_of(client, listener, answered).winning_customer_id == 40

    client.close()
    client.close()  # idempotent
    assert client.is_closed
    for use in (lambda: client.offer(b"x"), client.poll_egress, client.send_keep_alive,
                lambda: client.try_claim(1, BufferClaim())):
        with pytest.raises(ClusterClosedError, match="close\\(\\) was called"):
            use()


def test_connect_to_nothing_times_out(client_driver_dir):
    endpoint = f"localhost:{free_udp_port()}"
    with Aeron(dir=str(client_driver_dir)) as aeron:
        started = time.monotonic()
        with pytest.raises(ClusterTimeoutError, match="cluster connect timeout: state=") as timed_out:
            AeronCluster.connect(ingress_endpoints={0: endpoint}, aeron=aeron, message_timeout_ns=1_000_000_000)
        assert 1.0 <= time.monotonic() - started < 10.0
        # Nothing listens there, so the publication never connects; the error names the
        # step the connect reached and where it tried.
        assert endpoint in str(timed_out.value) and "message_timeout=1s" in str(timed_out.value)
        # A failed connect closes what it made, not the caller's client.
        assert not aeron.is_closed
        assert aeron.add_subscription("aeron:ipc", 9, timeout=5.0) is not None


def test_ingress_channel_without_endpoints(cluster, client_driver_dir):
    # Without ingress_endpoints the channel is used as given (one member's endpoint here).
    endpoint = cluster.nodes[0].ingress_endpoint
    listener = RecordingListener()
    with connect(cluster, client_driver_dir, listener, ingress_endpoints=None,
                 ingress_channel=f"aeron:udp?endpoint={endpoint}") as client:
        assert client.ingress_publication.channel.endswith(endpoint)
        assert result_of(client, listener, bid(client, 50, 1 << 55)).winning_customer_id == 50


def test_session_closed_by_the_cluster_when_keepalives_stop(cluster, client_driver_dir):
    listener = RecordingListener()
    client = connect(cluster, client_driver_dir, listener)
    try:
        # No keepalives, no messages: after its session timeout the cluster closes the
        # session and says so on egress; the client then closes itself.
        def closed_by_cluster() -> bool:
            return client.is_closed or (client.poll_egress() < 0)  # poll_egress counts work: never < 0

        wait_for(closed_by_cluster, None, "the cluster to close the idle session", timeout=30.0)
        closed = [e for e in listener.session_events if e[4] == EventCode.CLOSED]
        assert len(closed) == 1 and closed[0][1] == client.cluster_session_id
        with pytest.raises(ClusterClosedError, match="the cluster closed the session"):
            client.offer(b"late")
    finally:
        client.close()


def test_admin_snapshot_request_is_answered(cluster, client_driver_dir):
    # The consensus module's default authorisation service allows only backup and
    # standby requests: an admin snapshot from a client is answered, and refused.
    listener = RecordingListener()
    with connect(cluster, client_driver_dir, listener) as client:
        assert client.send_admin_request_to_take_a_snapshot(4242)
        response = wait_for(lambda: listener.admin_responses, client, "the admin response")[0]
        assert response[:4] == (client.cluster_session_id, 4242, AdminRequestType.SNAPSHOT,
                                AdminResponseCode.UNAUTHORISED_ACCESS)
        assert response[5] == b""
        with pytest.raises(TypeError, match="correlation_id must be int"):
            client.send_admin_request_to_take_a_snapshot("4242")


def test_close_from_inside_the_listener(cluster, client_driver_dir):
    # The listener may close the client it is called from: the poll in flight finishes,
    # then everything is released, and later calls raise instead of touching freed memory.
    class ClosingListener(RecordingListener):
        def on_message(self, cluster_session_id, timestamp, buffer, header) -> None:
            super().on_message(cluster_session_id, timestamp, buffer, header)
            client.close()

    listener = ClosingListener()
    client = connect(cluster, client_driver_dir, listener)
    correlation_id = bid(client, 70, 1 << 58)
    wait_for(lambda: client.is_closed or (client.poll_egress() < 0), None, "the listener to close the client")
    assert [r.correlation_id for r in listener.results] == [correlation_id]
    with pytest.raises(ClusterClosedError):
        client.poll_egress()


def test_controlled_poll_egress_redelivers_an_aborted_message(cluster, client_driver_dir):
    class AbortOnce(ControlledEgressListener):
        def __init__(self) -> None:
            self.deliveries: list[tuple[int, ControlledPollAction]] = []

        def on_message(self, cluster_session_id, timestamp, buffer, header):
            correlation_id = BidResult(*BID_RESULT.unpack(buffer)).correlation_id
            seen = any(c == correlation_id for c, _ in self.deliveries)
            action = ControlledPollAction.CONTINUE if seen else ControlledPollAction.ABORT
            self.deliveries.append((correlation_id, action))
            return action

    controlled = AbortOnce()
    with connect(cluster, client_driver_dir, controlled_egress_listener=controlled) as client:
        bids = [880_001, 880_002, 880_003]
        for i, correlation_id in enumerate(bids):
            message = BID.pack(correlation_id, 80, (1 << 59) + i)
            # Not bid(): it polls with poll_egress, which would take the answers away.
            wait_for(lambda: client.offer(message) > 0, None, f"the bid {correlation_id} to be offered")

        def polled_all() -> bool:
            client.controlled_poll_egress()
            return len(controlled.deliveries) >= 2 * len(bids)

        wait_for(polled_all, None, "every answer delivered twice")
        # Each answer came, was aborted, and came again, in order.
        assert controlled.deliveries == [(b, action) for b in bids
                                         for action in (ControlledPollAction.ABORT, ControlledPollAction.CONTINUE)]


# asyncio (aeron_cffi.aio.AsyncCluster), on the same cluster.

async def _async_connect(cluster, client_driver_dir, **settings) -> AsyncCluster:
    return await AsyncCluster.connect(ingress_endpoints=cluster.ingress_endpoints,
                                      ingress_channel=cluster.ingress_channel,
                                      aeron_directory_name=str(client_driver_dir), **settings)


@pytest.mark.asyncio
async def test_async_bids_offered_with_await_and_answers_iterated_with_async_for(cluster, client_driver_dir):
    listener = RecordingListener()  # gets the other egress events; the messages come through the iteration
    async with await _async_connect(cluster, client_driver_dir, egress_listener=listener) as client:
        session_id = client.cluster.cluster_session_id
        bids = [(990_001 + i, 90, (1 << 60) + i) for i in range(5)]
        positions = [await client.offer(BID.pack(*b), timeout=20) for b in bids]
        assert positions == sorted(positions) and positions[0] > 0

        answers = []
        async for message in client.messages(timeout=20):
            answers.append(message)
            if len(answers) == len(bids):
                break
        results = [BidResult(*BID_RESULT.unpack(answer.data)) for answer in answers]
        # in order, each bid the best so far: the service applied them one at a time
        assert results == [BidResult(c, 90, price, True) for c, _, price in bids]
        assert {answer.cluster_session_id for answer in answers} == {session_id}
        assert all(answer.timestamp > 0 for answer in answers)
        assert [a.position for a in answers] == sorted(a.position for a in answers)
        assert listener.results == []

        assert client.cluster.send_admin_request_to_take_a_snapshot(4343)
        assert await client.receive(timeout=0.5) is None  # no message: the admin answer goes to the listener
        assert [r[1] for r in listener.admin_responses] == [4343]
        with pytest.raises(TypeError):
            await client.offer("a str")


@pytest.mark.asyncio
async def test_async_iteration_ends_when_the_session_closes(cluster, client_driver_dir):
    client = await _async_connect(cluster, client_driver_dir)
    correlation_id = 990_100
    await client.offer(BID.pack(correlation_id, 91, 1 << 61), timeout=20)
    asyncio.get_running_loop().call_later(1.0, client.cluster.close)
    answers = [BidResult(*BID_RESULT.unpack(m.data)) async for m in client.messages(timeout=20)]
    assert [a.correlation_id for a in answers] == [correlation_id]  # what came before the close, then the end
    with pytest.raises(ClusterClosedError):
        await client.offer(b"late")
    with pytest.raises(ClusterClosedError):
        await client.receive(timeout=1)
    await client.close()  # idempotent


@pytest.mark.asyncio
async def test_async_connect_to_nothing_times_out_and_a_too_long_message_is_refused(cluster, client_driver_dir):
    with pytest.raises(ClusterTimeoutError, match="cluster connect timeout"):
        await AsyncCluster.connect(ingress_endpoints={0: f"localhost:{free_udp_port()}"},
                                   aeron_directory_name=str(client_driver_dir), message_timeout_ns=1_000_000_000)
    async with await _async_connect(cluster, client_driver_dir) as client:
        too_big = bytes(client.cluster.max_message_length + 1)
        with pytest.raises(InvalidArgumentError):
            await client.offer(too_big)
        assert await client.offer(b"x" * client.cluster.max_message_length, timeout=20) > 0
