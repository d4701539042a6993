"""``AsyncCluster``: an Aeron Cluster client on the event loop: an awaited connect and
offer, and the egress's messages with ``async for``.

The cluster client is polled, like a subscription: each step here is one non-blocking
call on the loop thread (``AsyncConnect.poll``, ``AeronCluster.offer``,
``AeronCluster.poll_egress``), with ``aeron_cffi.aio.polling``'s schedule between empty
ones, so nothing busy-loops the loop and no thread is involved."""

from __future__ import annotations

import collections
import dataclasses
from typing import Any, AsyncIterator

from aeron_cffi.aio.polling import PollSchedule, offer_until, poll_until
from aeron_cffi.cluster import codecs
from aeron_cffi.cluster.client import AeronCluster
from aeron_cffi.cluster.client_context import AeronClusterContext
from aeron_cffi.cluster.codecs import EventCode
from aeron_cffi.cluster.egress_adapter import EgressListener
from aeron_cffi.cluster.errors import ClusterClosedError
from aeron_cffi.header import Header

__all__ = ["AsyncCluster", "EgressMessage"]


@dataclasses.dataclass(frozen=True)
class EgressMessage:
    """A message from the clustered service to this session (a copy: the egress buffer is
    only valid during the poll). ``timestamp`` is the cluster's time when the service sent
    it; ``position`` the egress stream position just after it."""

    data: bytes
    cluster_session_id: int
    timestamp: int
    position: int


class _EgressQueue(EgressListener):
    """Keeps the egress messages for ``AsyncCluster``'s iteration and tells the user's
    listener the rest (session events, new leaders, admin responses)."""

    def __init__(self, listener: EgressListener | None) -> None:
        self.pending: collections.deque[EgressMessage] = collections.deque()
        self.listener = listener or EgressListener()

    def on_message(self, cluster_session_id: int, timestamp: int, buffer: memoryview, header: Header) -> None:
        self.pending.append(EgressMessage(bytes(buffer), cluster_session_id, timestamp, header.position))

    def on_session_event(self, correlation_id: int, cluster_session_id: int, leadership_term_id: int,
                         leader_member_id: int, code: EventCode, detail: str) -> None:
        self.listener.on_session_event(correlation_id, cluster_session_id, leadership_term_id, leader_member_id,
                                       code, detail)

    def on_new_leader(self, cluster_session_id: int, leadership_term_id: int, leader_member_id: int,
                      ingress_endpoints: str) -> None:
        self.listener.on_new_leader(cluster_session_id, leadership_term_id, leader_member_id, ingress_endpoints)

    def on_admin_response(self, cluster_session_id: int, correlation_id: int, request_type: codecs.AdminRequestType,
                          response_code: codecs.AdminResponseCode, message: str, payload: bytes) -> None:
        self.listener.on_admin_response(cluster_session_id, correlation_id, request_type, response_code, message,
                                        payload)


class AsyncCluster:
    """asyncio over an ``AeronCluster`` session: ``await AsyncCluster.connect(...)`` (the
    ``AeronCluster.connect`` keywords), ``await offer(message)``, and
    ``async for message in cluster`` (``EgressMessage``s).

    The egress's messages come through ``messages``/``receive`` and never reach an
    ``egress_listener``'s ``on_message``; the listener, if given, gets the other egress
    events. Use one task at a time per cluster client, as one thread at a time."""

    def __init__(self, cluster: AeronCluster, egress: _EgressQueue, schedule: PollSchedule | None = None) -> None:
        """Made by ``connect``."""
        self.cluster = cluster
        self._egress = egress
        self.schedule = schedule or PollSchedule()

    @classmethod
    async def connect(cls, context: AeronClusterContext | None = None, schedule: PollSchedule | None = None,
                      **settings: Any) -> AsyncCluster:
        """Connect and open a session, stepping ``AeronCluster.async_connect`` on the loop;
        raises as ``AeronCluster.connect`` does (``ClusterTimeoutError`` after the
        context's ``message_timeout_ns``). A cancelled connect closes what it made."""
        context = AeronClusterContext.of(context, settings)
        egress = _EgressQueue(context.egress_listener)
        connecting = AeronCluster.async_connect(dataclasses.replace(context, egress_listener=egress))
        try:
            cluster = await poll_until(connecting.poll, None, schedule)
        except BaseException:
            connecting.close()
            raise
        assert cluster is not None  # (no timeout given: poll_until returns a result or raises)
        return cls(cluster, egress, schedule)

    async def offer(self, message: Any, timeout: float | None = None) -> int:
        """Send ``message`` (bytes-like): the new ingress position. Retries
        ``NOT_CONNECTED`` (as while a new leader is awaited), ``BACK_PRESSURED`` and
        ``ADMIN_ACTION``, polling the egress between tries (which is how the client follows
        a new leader; the messages it brings wait for ``messages``/``receive``).
        ``AeronTimeoutError`` naming the last result if not sent within ``timeout`` s
        (``None``: no limit); ``ClusterClosedError`` once the session is closed; what
        ``AeronCluster.offer`` raises for a bad message."""
        def offer() -> int:
            result = self.cluster.offer(message)
            if result < 0:
                self.cluster.poll_egress()
            return result

        return await offer_until(offer, "AsyncCluster.offer", timeout, self.schedule)

    def _attempt(self) -> EgressMessage | None:
        if not self._egress.pending:
            self.cluster.poll_egress()
        return self._egress.pending.popleft() if self._egress.pending else None

    async def receive(self, timeout: float | None = None) -> EgressMessage | None:
        """The next egress message, or ``None`` if none came within ``timeout`` seconds
        (``None``: no limit); ``ClusterClosedError`` once the session is closed and every
        message that came before is handed out (the egress poll raises it)."""
        return await poll_until(self._attempt, timeout, self.schedule)

    async def messages(self, timeout: float | None = None) -> AsyncIterator[EgressMessage]:
        """Iterate over the egress's messages as they come. Ends when none came for
        ``timeout`` seconds (``None``: never), or once the session is closed (by
        ``close()``, the cluster, or no new leader in time) and what came before it is
        handed out."""
        while True:
            try:
                message = await poll_until(self._attempt, timeout, self.schedule)
            except ClusterClosedError:  # (only the egress poll raises it, once the queue is empty)
                return
            if message is None:
                return
            yield message

    def __aiter__(self) -> AsyncIterator[EgressMessage]:
        return self.messages()

    async def close(self) -> None:
        """Close the session (``AeronCluster.close``)."""
        self.cluster.close()

    async def __aenter__(self) -> AsyncCluster:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"Async{self.cluster!r}"
