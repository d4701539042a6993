"""``AeronCluster``: a client session with an Aeron Cluster (Java's ``io.aeron.cluster.client.AeronCluster``).

``AeronCluster.connect(ingress_endpoints={0: "localhost:9002"}, ...)`` opens a session
with the cluster's leader; ``offer``/``try_claim`` send messages to the clustered
service (the ``SessionMessageHeader`` is added here), ``poll_egress()`` delivers what
the service sends back, session events and new-leader events to the context's
``EgressListener``; ``send_keep_alive()`` keeps an idle session open; ``close()`` ends
the session.

Leader changes: when the cluster elects a new leader it sends a ``NewLeaderEvent`` on
egress; ``poll_egress`` moves the ingress to the new leader's endpoint and calls
``on_new_leader``. When the ingress or egress goes away without one, the client waits
up to ``new_leader_timeout_ns`` for it (``offer`` returns ``NOT_CONNECTED`` meanwhile),
then closes. Keep calling ``poll_egress`` to see either happen.

Thread safety (as Java's): an ``AeronCluster`` is not thread-safe; use it from one
thread, or serialise every call (``offer``, ``poll_egress``, ``send_keep_alive``,
``close``) with your own lock.
"""

from __future__ import annotations

import contextlib
import enum
import time
from typing import TYPE_CHECKING, Any

from aeron_cffi.async_add import AsyncAdd
from aeron_cffi.buffer_claim import BufferClaim
from aeron_cffi.cluster import codecs
from aeron_cffi.cluster.client_context import (
    LEADER_HEARTBEAT_TIMEOUT_NS_DEFAULT,
    AeronClusterContext,
    member_ingress_channel,
    parse_ingress_endpoints,
)
from aeron_cffi.cluster.codecs import SESSION_HEADER_LENGTH, EventCode
from aeron_cffi.cluster.egress_adapter import ControlledEgressListener, EgressAdapter, EgressListener
from aeron_cffi.cluster.errors import ClusterClosedError, ClusterError
from aeron_cffi.cluster.ingress_proxy import IngressProxy
from aeron_cffi.errors import AeronError, MaxPositionExceededError, OfferResult, PublicationClosedError
from aeron_cffi.fragment_assembler import ControlledFragmentAssembler, FragmentAssembler
from aeron_cffi.header import Header

if TYPE_CHECKING:
    from aeron_cffi.client import Aeron
    from aeron_cffi.cluster.async_connect import AsyncConnect
    from aeron_cffi.exclusive_publication import ExclusivePublication
    from aeron_cffi.image import Image
    from aeron_cffi.publication import Publication, PublicationBase
    from aeron_cffi.subscription import Subscription

__all__ = ["AeronCluster", "MemberIngress", "SESSION_HEADER_LENGTH"]

FRAGMENT_LIMIT = 10
SEND_ATTEMPTS = 3


class MemberIngress:
    """One member's ingress publication while it is being added (connect, new leader)."""

    def __init__(self, member_id: int, endpoint: str) -> None:
        self.member_id = member_id
        self.endpoint = endpoint
        self.pending: AsyncAdd[Publication] | AsyncAdd[ExclusivePublication] | None = None
        self.publication: PublicationBase | None = None
        self.error: AeronError | None = None

    def poll(self) -> None:
        if self.pending is None:
            return
        try:
            publication = self.pending.poll()
        except AeronError as exc:  # e.g. an endpoint that does not resolve: others may still do
            self.error, self.pending = exc, None
            return
        if publication is not None:
            self.publication, self.pending = publication, None

    def close(self) -> None:
        for resource in (self.pending, self.publication):
            if resource is not None:
                resource.close()
        self.pending = self.publication = None


class _State(enum.Enum):
    CONNECTED = "connected"
    AWAIT_NEW_LEADER = "awaiting a new leader"
    AWAIT_NEW_LEADER_CONNECTION = "connecting to the new leader"
    PENDING_CLOSE = "closing"
    CLOSED = "closed"


class AeronCluster:
    """A connected session with a cluster; make one with ``AeronCluster.connect(...)``."""

    SESSION_HEADER_LENGTH = SESSION_HEADER_LENGTH

    def __init__(self, context: AeronClusterContext, aeron: Aeron, owns_aeron: bool, publication: PublicationBase,
                 subscription: Subscription, egress_image: Image, cluster_session_id: int, leadership_term_id: int,
                 leader_member_id: int, leader_heartbeat_timeout_ns: int | None) -> None:
        """Made by ``AsyncConnect`` once the cluster accepted the session."""
        self._context = context
        self._aeron = aeron
        self._owns_aeron = owns_aeron
        self._subscription = subscription
        self._egress_image = egress_image
        self._cluster_session_id = cluster_session_id
        self._leadership_term_id = leadership_term_id
        self._leader_member_id = leader_member_id
        self._proxy = IngressProxy(publication)
        self._proxy.session(leadership_term_id, cluster_session_id)
        self._listener = EgressListener() if context.egress_listener is None else context.egress_listener
        self._controlled_listener = ControlledEgressListener() if context.controlled_egress_listener is None \
            else context.controlled_egress_listener
        # One adapter per kind of poll, each telling its own listener (Java's two assemblers).
        self._assembler = FragmentAssembler(EgressAdapter(
            self._listener.on_message, _EgressEvents(self, self._listener), cluster_session_id).on_fragment)
        self._controlled_assembler = ControlledFragmentAssembler(EgressAdapter(
            self._controlled_listener.on_message, _EgressEvents(self, self._controlled_listener),
            cluster_session_id).on_fragment)
        self._new_leader_timeout_ns = context.new_leader_timeout_ns or 2 * (
            leader_heartbeat_timeout_ns or LEADER_HEARTBEAT_TIMEOUT_NS_DEFAULT)
        self._state = _State.CONNECTED
        self._state_deadline_ns = 0
        self._close_reason = ""

    # -- connecting --------------------------------------------------------------------

    @classmethod
    def connect(cls, context: AeronClusterContext | None = None, **settings: Any) -> AeronCluster:
        """Connect to the cluster and open a session; pass an ``AeronClusterContext`` or
        its keywords. Raises ``ClusterTimeoutError`` after ``message_timeout_ns``,
        ``ConnectRejectedError``/``AuthenticationRejectedError`` when the cluster says no."""
        connect = cls.async_connect(context, **settings)
        idle = connect.context.idle_strategy
        state = connect.state
        while (cluster := connect.poll()) is None:
            if state != connect.state:
                state = connect.state
                idle.reset()
            else:
                idle.idle(0)
        return cluster

    @classmethod
    def async_connect(cls, context: AeronClusterContext | None = None, **settings: Any) -> AsyncConnect:
        """Start connecting; ``poll()`` the result until it returns the ``AeronCluster``."""
        from aeron_cffi.cluster.async_connect import AsyncConnect  # it builds AeronClusters

        return AsyncConnect(AeronClusterContext.of(context, settings))

    # -- state -------------------------------------------------------------------------

    @property
    def context(self) -> AeronClusterContext:
        return self._context

    @property
    def aeron(self) -> Aeron:
        return self._aeron

    @property
    def cluster_session_id(self) -> int:
        return self._cluster_session_id

    @property
    def leadership_term_id(self) -> int:
        return self._leadership_term_id

    @property
    def leader_member_id(self) -> int:
        return self._leader_member_id

    @property
    def ingress_publication(self) -> PublicationBase:
        self._check_open()
        return self._proxy.publication

    @property
    def egress_subscription(self) -> Subscription:
        self._check_open()
        return self._subscription

    @property
    def max_message_length(self) -> int:
        """Largest message ``offer`` takes: the ingress publication's less the session header."""
        return self._proxy.max_message_length

    @property
    def is_closed(self) -> bool:
        return self._state is _State.CLOSED

    def _check_open(self) -> None:
        if self._state is _State.CLOSED:
            raise ClusterClosedError(f"AeronCluster session {self._cluster_session_id} is closed: {self._close_reason}")

    # -- sending -----------------------------------------------------------------------

    def offer(self, message: Any) -> int:
        """Send ``message`` (bytes-like) to the clustered service: the new ingress position
        (> 0), or a retryable ``OfferResult`` (``NOT_CONNECTED`` also while waiting for a
        new leader). Raises ``InvalidArgumentError`` above ``max_message_length``,
        ``TypeError`` for a non bytes-like message, ``ClusterClosedError`` once closed."""
        return self._send(self._proxy.offer, message)

    def try_claim(self, length: int, buffer_claim: BufferClaim) -> int:
        """Claim ``length`` bytes for a message written in place: on success the session
        header is already written and the message goes at
        ``buffer_claim.buffer[AeronCluster.SESSION_HEADER_LENGTH:]``; then
        ``buffer_claim.commit()``. Results as ``offer``."""
        return self._send(self._proxy.try_claim, length, buffer_claim)

    def _send(self, send: Any, *args: Any) -> int:
        self._check_open()
        if self._state is not _State.CONNECTED and self._state is not _State.AWAIT_NEW_LEADER_CONNECTION:
            return OfferResult.NOT_CONNECTED  # no publication until a new leader shows up
        try:
            result: int = send(*args)
        except PublicationClosedError:
            result = OfferResult.NOT_CONNECTED
            self._on_disconnected()
        except MaxPositionExceededError:
            self._proxy.publication.close()
            self._set_state(_State.PENDING_CLOSE, 0, "ingress publication reached its maximum position")
            raise
        self._track_result(result)
        return result

    def _track_result(self, result: int) -> None:
        # Java's trackIngressPublicationResult: a lost ingress means the leader is gone.
        if self._state is _State.CONNECTED:
            if result == OfferResult.NOT_CONNECTED:
                self._on_disconnected()
        elif self._state is _State.AWAIT_NEW_LEADER_CONNECTION and result > 0:
            self._set_state(_State.CONNECTED, 0)

    def send_keep_alive(self) -> bool:
        """Tell the cluster this session is alive (needed when no message was sent for
        a while: the cluster closes sessions idle for its session timeout). True if sent
        (up to three tries)."""
        return self._send_with_retries(self._proxy.send_keep_alive)

    def send_admin_request_to_take_a_snapshot(self, correlation_id: int) -> bool:
        """Ask the cluster to take a snapshot; the answer comes to the listener's
        ``on_admin_response`` with ``correlation_id`` (the consensus module's authorisation
        service decides: by default it refuses, ``UNAUTHORISED_ACCESS``). True if sent."""
        if not isinstance(correlation_id, int) or isinstance(correlation_id, bool):
            raise TypeError(f"correlation_id must be int, not {type(correlation_id).__name__}")
        return self._send_with_retries(self._proxy.send_admin_request, correlation_id,
                                       codecs.AdminRequestType.SNAPSHOT)

    def _send_with_retries(self, send: Any, *request: Any) -> bool:
        self._check_open()
        idle = self._context.idle_strategy
        idle.reset()
        for attempt in range(SEND_ATTEMPTS):
            if self._state is not _State.CONNECTED and self._state is not _State.AWAIT_NEW_LEADER_CONNECTION:
                return False
            try:
                result = send(self._leadership_term_id, self._cluster_session_id, *request)
            except PublicationClosedError:
                self._on_disconnected()
                return False
            except MaxPositionExceededError as exc:
                raise ClusterError(f"ingress max position exceeded: {exc}") from exc
            self._track_result(result)
            if result > 0:
                return True
            if attempt < SEND_ATTEMPTS - 1:
                idle.idle(0)
        return False

    # -- receiving ---------------------------------------------------------------------

    def poll_egress(self) -> int:
        """Deliver up to 10 egress fragments to the ``egress_listener`` and act on leader
        changes and session closes; returns the work done. Call it often (it is also how
        the client notices a new leader)."""
        self._check_open()
        return self._after_poll(self._subscription.poll(self._assembler, FRAGMENT_LIMIT))

    def controlled_poll_egress(self) -> int:
        """As ``poll_egress``, delivering to the ``controlled_egress_listener``, whose
        ``on_message`` returns a ``ControlledPollAction`` (``ABORT`` to have the message
        again on the next poll, ``BREAK``, ``COMMIT``; ``None`` is ``CONTINUE``)."""
        self._check_open()
        return self._after_poll(self._subscription.controlled_poll(self._controlled_assembler, FRAGMENT_LIMIT))

    def _after_poll(self, work: int) -> int:
        if (self._state is _State.CONNECTED or self._state is _State.AWAIT_NEW_LEADER_CONNECTION) and \
                self._egress_image.is_closed:
            self._on_disconnected()
            work += 1
        return work + self.poll_state_changes()

    def poll_state_changes(self) -> int:
        """Close the client if the cluster closed the session or no new leader came in time."""
        if self._state is _State.PENDING_CLOSE or (
                (self._state is _State.AWAIT_NEW_LEADER or self._state is _State.AWAIT_NEW_LEADER_CONNECTION)
                and time.monotonic_ns() - self._state_deadline_ns >= 0):
            if self._state is not _State.PENDING_CLOSE:
                self._close_reason = (f"no new leader within {self._new_leader_timeout_ns / 1e9:g} s "
                                      f"({self._state.value})")
            self._close()
            return 1
        return 0

    # Egress events, from either adapter (through _EgressEvents).

    def _on_session_event(self, event: codecs.SessionEvent) -> None:
        if event.code == EventCode.CLOSED:
            self._set_state(_State.PENDING_CLOSE, 0, f"the cluster closed the session ({event.detail or 'CLOSED'})")

    def _on_new_leader(self, event: codecs.NewLeaderEvent, header: Header) -> None:
        image = self._subscription.image_by_session_id(header.session_id)
        if image is not None:
            self._egress_image.close()
            self._egress_image = image
        self._set_state(_State.AWAIT_NEW_LEADER_CONNECTION, time.monotonic_ns() + self._context.message_timeout_ns)
        self._leadership_term_id = event.leadership_term_id
        self._leader_member_id = event.leader_member_id
        self._proxy.session(event.leadership_term_id, self._cluster_session_id)
        self._proxy.publication.close()
        channel = self._context.ingress_channel
        if self._context.ingress_endpoints is not None:
            endpoints = parse_ingress_endpoints(event.ingress_endpoints)
            self._context.ingress_endpoints = endpoints
            if event.leader_member_id not in endpoints:
                raise ClusterError(f"new leader {event.leader_member_id} is not in its ingress endpoints "
                                   f"{event.ingress_endpoints!r}")
            channel = member_ingress_channel(channel, endpoints[event.leader_member_id])  # type: ignore[arg-type]
        self._proxy.use(self._add_ingress_publication(channel))  # type: ignore[arg-type]
        for listener in (self._listener, self._controlled_listener):  # both, as Java tells both
            listener.on_new_leader(event.cluster_session_id, event.leadership_term_id, event.leader_member_id,
                                   event.ingress_endpoints)

    def _add_ingress_publication(self, channel: str) -> PublicationBase:
        timeout = self._context.message_timeout_ns / 1e9
        try:
            if self._context.is_ingress_exclusive:
                return self._aeron.add_exclusive_publication(channel, self._context.ingress_stream_id, timeout)
            return self._aeron.add_publication(channel, self._context.ingress_stream_id, timeout)
        except AeronError as exc:
            raise ClusterError(f"failed to add the new leader's ingress publication (leader="
                               f"{self._leader_member_id} term={self._leadership_term_id} channel={channel}): "
                               f"{exc}") from exc

    def _on_disconnected(self) -> None:
        with contextlib.suppress(AeronError):
            self._proxy.publication.close()
        self._set_state(_State.AWAIT_NEW_LEADER, time.monotonic_ns() + self._new_leader_timeout_ns)

    def _set_state(self, state: _State, deadline_ns: int, reason: str = "") -> None:
        self._state = state
        self._state_deadline_ns = deadline_ns
        if reason:
            self._close_reason = reason

    # -- closing -----------------------------------------------------------------------

    def close(self) -> None:
        """Close the session (``SessionCloseRequest`` if still connected to the leader),
        the ingress publication and the egress subscription, and the Aeron client if the
        cluster client started it. Idempotent."""
        if self._state is _State.CLOSED:
            return
        if not self._close_reason:
            self._close_reason = "close() was called"
        self._close()

    def _close(self) -> None:
        publication = self._proxy.publication
        if self._state is _State.CONNECTED and not publication.is_closed and publication.is_connected:
            self._send_with_retries(self._proxy.send_close_request)
        self._state = _State.CLOSED
        for resource in (publication, self._egress_image, self._assembler, self._controlled_assembler,
                         self._subscription):
            with contextlib.suppress(AeronError):  # best effort: close the rest whatever one says
                resource.close()
        if self._owns_aeron:
            self._aeron.close()

    def __enter__(self) -> AeronCluster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"AeronCluster(cluster_session_id={self._cluster_session_id}, leader_member_id="
                f"{self._leader_member_id}, leadership_term_id={self._leadership_term_id}, state={self._state.value})")


class _EgressEvents:
    """The events one adapter decodes: the client acts on them, then tells ``listener``."""

    __slots__ = ("_cluster", "_listener")

    def __init__(self, cluster: AeronCluster, listener: EgressListener) -> None:
        self._cluster = cluster
        self._listener = listener

    def on_session_event(self, event: codecs.SessionEvent, header: Header) -> None:
        self._cluster._on_session_event(event)
        self._listener.on_session_event(event.correlation_id, event.cluster_session_id, event.leadership_term_id,
                                        event.leader_member_id, event.code, event.detail)

    def on_new_leader(self, event: codecs.NewLeaderEvent, header: Header) -> None:
        self._cluster._on_new_leader(event, header)

    def on_challenge(self, challenge: codecs.Challenge, header: Header) -> None:
        """Challenges only come during connect."""

    def on_admin_response(self, response: codecs.AdminResponse, header: Header) -> None:
        self._listener.on_admin_response(response.cluster_session_id, response.correlation_id, response.request_type,
                                         response.response_code, response.message, response.payload)
