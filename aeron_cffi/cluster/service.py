"""The clustered service API: what a user implements (``ClusteredService``) and what the
container hands it (``Cluster``, ``ClientSession``).

Names follow Java's ``io.aeron.cluster.service`` and aeron-go's ``cluster`` package
(``seeds/aeron-go-clustered-service.txt``) in snake_case. Every callback runs on the
service's own thread (the container's agent thread, or the thread that calls
``do_work``); ``Cluster`` and ``ClientSession`` methods that send must be called there
too, and raise ``ClusterError`` otherwise, as they do from ``on_start``,
``on_role_change`` and ``on_terminate`` (where Java forbids sending too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from aeron_cffi.cluster.codecs import CloseReason, ClusterRole, ClusterTimeUnit
from aeron_cffi.exclusive_publication import ExclusivePublication
from aeron_cffi.header import Header
from aeron_cffi.image import Image

if TYPE_CHECKING:
    from aeron_cffi.async_add import AsyncAdd
    from aeron_cffi.client import Aeron
    from aeron_cffi.cluster.agent import ClusteredServiceAgent
    from aeron_cffi.idle_strategy import IdleStrategy
    from aeron_cffi.publication import Publication

__all__ = ["MOCKED_OFFER", "ClientSession", "CloseReason", "Cluster", "ClusterRole", "ClusterTimeUnit",
           "ClusteredService"]

#: What ``ClientSession.offer`` returns on a follower: nothing is sent (only the leader
#: answers clients) but the service carries on as if it had been (Java's MOCKED_OFFER).
MOCKED_OFFER = 1


class ClusteredService:
    """Base class of a clustered service: override what you need; every default does nothing.

    A service must be deterministic: its state may depend only on what the callbacks
    deliver (messages, timers, ``Cluster.time``), so that every node and every replay
    of the log reaches the same state.
    """

    def on_start(self, cluster: Cluster, snapshot_image: Image | None) -> None:
        """The service starts; ``snapshot_image`` is the service's part of the latest
        snapshot (poll it until your own end marker; it is closed when ``on_start``
        returns) or None when there is none."""

    def on_session_open(self, session: ClientSession, timestamp: int) -> None:
        """A client session opened."""

    def on_session_close(self, session: ClientSession, timestamp: int, close_reason: CloseReason) -> None:
        """A client session closed (``CloseReason.CLIENT_ACTION``, ``SERVICE_ACTION`` or ``TIMEOUT``)."""

    def on_session_message(self, session: ClientSession | None, timestamp: int, buffer: bytes,
                           header: Header) -> None:
        """A message from ``session`` (None for a message the service sent itself with
        ``Cluster.offer``); ``buffer`` is the payload without the session header."""

    def on_timer_event(self, correlation_id: int, timestamp: int) -> None:
        """A timer scheduled with ``Cluster.schedule_timer`` expired."""

    def on_take_snapshot(self, publication: ExclusivePublication) -> None:
        """Write the service's state to ``publication`` (a recorded snapshot); retry
        back-pressured offers with ``Cluster.idle_strategy``."""

    def on_role_change(self, new_role: ClusterRole) -> None:
        """The node's role changed."""

    def on_terminate(self, cluster: Cluster) -> None:
        """The container is terminating (cluster shutdown, or the consensus module went away)."""

    def on_new_leadership_term_event(self, leadership_term_id: int, log_position: int, timestamp: int,
                                     term_base_log_position: int, leader_member_id: int, log_session_id: int,
                                     time_unit: ClusterTimeUnit, app_version: int) -> None:
        """An election finished and a leader began a new term."""

    def do_background_work(self, now_ns: int) -> int:
        """Called on every duty cycle (not deterministic: do not change replicated
        state here); returns the work done."""
        return 0


class ClientSession:
    """A client's session with the cluster, as the service sees it."""

    __slots__ = ("id", "response_stream_id", "response_channel", "encoded_principal", "_agent", "_publication",
                 "_pending_publication", "_closing")

    def __init__(self, cluster_session_id: int, response_stream_id: int, response_channel: str,
                 encoded_principal: bytes, agent: ClusteredServiceAgent) -> None:
        self.id = cluster_session_id
        self.response_stream_id = response_stream_id
        self.response_channel = response_channel
        self.encoded_principal = encoded_principal
        self._agent = agent
        self._publication: Publication | None = None
        self._pending_publication: AsyncAdd[Publication] | None = None
        self._closing = False

    @property
    def is_closing(self) -> bool:
        """``close()`` was asked for; the session closes when the log says so."""
        return self._closing

    def offer(self, buffer: Any) -> int:
        """Send ``buffer`` (bytes-like) to the client on its egress, behind a session
        header. On the leader: the new position, or a negative ``OfferResult`` (e.g.
        ``NOT_CONNECTED`` while the response publication connects, ``BACK_PRESSURED``);
        on a follower: ``MOCKED_OFFER``, nothing sent."""
        return self._agent.offer_to_session(self, buffer)

    def offerv(self, buffers: Sequence[Any]) -> int:
        """As ``offer`` with the payload gathered from ``buffers``."""
        return self._agent.offer_to_session(self, buffers, gather=True)

    def close(self) -> bool:
        """Ask the consensus module to close this session (``Cluster.close_client_session``);
        False, and nothing sent, once the session has closed."""
        if self._agent.get_client_session(self.id) is not self:
            return False
        return self._agent.close_client_session(self.id)

    def __repr__(self) -> str:
        return f"ClientSession(id={self.id}, response_channel={self.response_channel!r}, " \
               f"response_stream_id={self.response_stream_id})"


class Cluster:
    """The cluster as a service sees it (Java's ``Cluster``), handed to ``on_start``."""

    __slots__ = ("_agent",)

    def __init__(self, agent: ClusteredServiceAgent) -> None:
        self._agent = agent

    @property
    def member_id(self) -> int:
        """This node's member id (-1 until the service joins a log)."""
        return self._agent.member_id

    @property
    def role(self) -> ClusterRole:
        return self._agent.role

    @property
    def service_id(self) -> int:
        return self._agent.service_id

    @property
    def log_position(self) -> int:
        """Position in the log after the event being processed."""
        return self._agent.log_position

    @property
    def time(self) -> int:
        """Cluster time of the event being processed, in ``time_unit``."""
        return self._agent.cluster_time

    @property
    def time_unit(self) -> ClusterTimeUnit:
        return self._agent.time_unit

    @property
    def aeron(self) -> Aeron:
        """The container's Aeron client."""
        return self._agent.aeron

    @property
    def idle_strategy(self) -> IdleStrategy:
        """Idle with this in long callbacks (loading or taking a snapshot): it keeps the
        service's mark file and its liveness checks going."""
        return self._agent.idle_strategy

    @property
    def client_sessions(self) -> tuple[ClientSession, ...]:
        """The open sessions, by ascending id."""
        return self._agent.client_sessions()

    def get_client_session(self, cluster_session_id: int) -> ClientSession | None:
        return self._agent.get_client_session(cluster_session_id)

    def close_client_session(self, cluster_session_id: int) -> bool:
        """Ask the consensus module to close a session; ``on_session_close`` follows
        with ``CloseReason.SERVICE_ACTION`` once it is in the log. ``ClusterError`` for
        an unknown session."""
        return self._agent.close_client_session(cluster_session_id)

    def schedule_timer(self, correlation_id: int, deadline: int) -> bool:
        """Schedule (or reschedule) timer ``correlation_id`` for cluster time
        ``deadline`` (in ``time_unit``); ``on_timer_event`` runs when it expires. Use
        ids that are deterministic (from the state or the message), never random.
        False if the consensus module's stream is back-pressured: try again."""
        return self._agent.schedule_timer(correlation_id, deadline)

    def cancel_timer(self, correlation_id: int) -> bool:
        """Cancel timer ``correlation_id`` (a timer that already fired is not an error)."""
        return self._agent.cancel_timer(correlation_id)

    def offer(self, buffer: Any) -> int:
        """Append a message from the service itself to the log (through the consensus
        module): it comes back to ``on_session_message`` with no session, on every node."""
        return self._agent.offer_to_cluster(buffer)
