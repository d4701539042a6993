"""``AsyncConnect``: connecting a cluster client step by step (Java's ``AeronCluster.AsyncConnect``).

Steps: add the egress subscription; add an ingress publication per member (or the one
ingress channel); when one is connected and the egress channel's port is resolved,
send ``SessionConnectRequest``; then read egress until the answer with our correlation
id: ``Challenge`` (answer with the credentials from ``on_challenge``, and wait again),
``SessionEvent`` OK (done), REDIRECT (follow the leader named in it), ERROR or
AUTHENTICATION_REJECTED (raise). The whole connect has one deadline, the context's
``message_timeout_ns``.
"""

from __future__ import annotations

import contextlib
import enum
import time
from typing import TYPE_CHECKING, Any, Callable, cast

from aeron_cffi import versions
from aeron_cffi.async_add import AsyncAdd
from aeron_cffi.client import Aeron
from aeron_cffi.cluster import codecs
from aeron_cffi.cluster.client import FRAGMENT_LIMIT, AeronCluster, MemberIngress
from aeron_cffi.cluster.client_context import AeronClusterContext, member_ingress_channel, parse_ingress_endpoints
from aeron_cffi.cluster.codecs import NULL_INT64, EventCode
from aeron_cffi.cluster.egress_adapter import EgressAdapter
from aeron_cffi.cluster.errors import (
    AuthenticationRejectedError,
    ClusterError,
    ClusterTimeoutError,
    ConnectRejectedError,
)
from aeron_cffi.cluster.ingress_proxy import IngressProxy
from aeron_cffi.errors import AeronError, OfferResult
from aeron_cffi.fragment_assembler import FragmentAssembler
from aeron_cffi.header import Header

if TYPE_CHECKING:
    from aeron_cffi.exclusive_publication import ExclusivePublication
    from aeron_cffi.publication import Publication
    from aeron_cffi.subscription import Subscription

__all__ = ["AsyncConnect"]


class AsyncConnect:
    """A connect in progress: call ``poll()`` until it returns the ``AeronCluster``
    (``AeronCluster.connect`` does that with the context's idle strategy). Raises
    ``ClusterTimeoutError``, ``ConnectRejectedError``, ``AuthenticationRejectedError``
    or a driver's ``RegistrationError``; after an error, or ``close()`` before the end,
    everything it made is closed."""

    class State(enum.IntEnum):
        CREATE_EGRESS_SUBSCRIPTION = -1
        CREATE_INGRESS_PUBLICATIONS = 0
        AWAIT_PUBLICATION_CONNECTED = 1
        SEND_MESSAGE = 2
        POLL_RESPONSE = 3
        CONCLUDE_CONNECT = 4
        DONE = 5

    def __init__(self, context: AeronClusterContext) -> None:
        self.context = context
        self.state = AsyncConnect.State.CREATE_EGRESS_SUBSCRIPTION
        self._deadline_ns = time.monotonic_ns() + context.message_timeout_ns
        self._owns_aeron = context.aeron is None
        if context.aeron is not None:
            self._aeron = context.aeron
        else:
            directory = context.aeron_directory_name
            settings: dict[str, Any] = {"dir": directory} if directory is not None else {}
            self._aeron = Aeron(**settings)
        self._members: dict[int, MemberIngress] = {}
        self._ingress: MemberIngress | None = None  # the member whose publication sends the request
        self._egress_pending: AsyncAdd[Subscription] | None = None
        self._subscription: Any = None
        self._adapter = EgressAdapter(self._ignore_message, self)
        self._assembler: FragmentAssembler | None = None
        self._proxy: IngressProxy | None = None
        self._message: tuple[Any, ...] = ()
        self._correlation_id = NULL_INT64
        self._cluster_session_id = NULL_INT64
        self._response: Any = None
        self._response_image_session_id = 0
        self._ok: codecs.SessionEvent | None = None
        try:
            self._egress_pending = self._aeron.async_add_subscription(context.egress_channel, context.egress_stream_id)
            if context.ingress_endpoints is not None:
                self._members = {member: MemberIngress(member, endpoint)
                                 for member, endpoint in context.ingress_endpoints.items()}  # type: ignore[union-attr]
            else:
                self._members = {-1: MemberIngress(-1, "")}  # the ingress channel as given
        except BaseException:
            self.close()
            raise

    @property
    def step(self) -> int:
        return int(self.state)

    # -- polling -----------------------------------------------------------------------

    def poll(self) -> AeronCluster | None:
        """One step of the connect: the connected ``AeronCluster`` when done, else ``None``."""
        if self.state == AsyncConnect.State.DONE:
            raise ClusterError("AsyncConnect already returned its AeronCluster")
        try:
            self._check_deadline()
            if self._aeron.context.use_conductor_agent_invoker:
                self._aeron.do_work()
            step: Callable[[], AeronCluster | None] = getattr(self, "_" + self.state.name.lower())
            return step()
        except BaseException:
            self.close()
            raise

    def _check_deadline(self) -> None:
        if time.monotonic_ns() - self._deadline_ns < 0:
            return
        egress_connected = self._subscription is not None and self._subscription.is_connected
        errors = "; ".join(f"member {m.member_id}: {m.error}" for m in self._members.values() if m.error)
        raise ClusterTimeoutError(
            f"cluster connect timeout: state={self.state.name} message_timeout="
            f"{self.context.message_timeout_ns / 1e9:g}s ingress_channel={self.context.ingress_channel} "
            f"ingress_endpoints={self.context.ingress_endpoints} egress_connected={egress_connected} "
            f"egress_channel={self.context.egress_channel}" + (f" ({errors})" if errors else ""))

    def _create_egress_subscription(self) -> None:
        subscription = self._egress_pending.poll()  # type: ignore[union-attr]
        if subscription is not None:
            self._egress_pending = None
            self._subscription = subscription
            self._assembler = FragmentAssembler(self._adapter.on_fragment)
            self.state = AsyncConnect.State.CREATE_INGRESS_PUBLICATIONS

    def _create_ingress_publications(self) -> None:
        for member in self._members.values():
            if member.publication is None and member.error is None:
                if member.pending is None:
                    member.pending = self._add_publication(member)
                member.poll()
        if all(m.publication is not None or m.error is not None for m in self._members.values()):
            self.state = AsyncConnect.State.AWAIT_PUBLICATION_CONNECTED

    def _add_publication(self, member: MemberIngress) -> AsyncAdd[Publication] | AsyncAdd[ExclusivePublication]:
        ingress_channel = cast(str, self.context.ingress_channel)  # set by AeronClusterContext.__post_init__
        channel = ingress_channel if member.member_id < 0 and not member.endpoint else \
            member_ingress_channel(ingress_channel, member.endpoint)
        if self.context.is_ingress_exclusive:
            return self._aeron.async_add_exclusive_publication(channel, self.context.ingress_stream_id)
        return self._aeron.async_add_publication(channel, self.context.ingress_stream_id)

    def _await_publication_connected(self) -> None:
        response_channel = self._subscription.try_resolve_channel_endpoint_port()
        if response_channel is None:
            return
        if self._ingress is None:
            for member in self._members.values():
                member.poll()
                if member.publication is not None and member.publication.is_connected:
                    self._ingress = member
                    break
            else:
                return
        else:
            leader = self._ingress  # named by a redirect: its publication may still be pending
            leader.poll()
            if leader.error is not None:
                raise leader.error
            if leader.publication is None or not leader.publication.is_connected:
                return
        self._proxy = IngressProxy(self._ingress.publication)  # type: ignore[arg-type]
        self._correlation_id = self._aeron.next_correlation_id()
        info = versions.version_info()
        client_info = f"name={self.context.client_name} version={info.full} commit={info.gitsha} aeron-cffi"
        self._message = ("send_connect_request", self._correlation_id, self.context.egress_stream_id,
                         response_channel, self.context.credentials(), client_info)
        self.state = AsyncConnect.State.SEND_MESSAGE

    def _send_message(self) -> None:
        method, *args = self._message
        result = getattr(self._proxy, method)(*args)
        if result > 0:
            self.state = AsyncConnect.State.POLL_RESPONSE
        elif result == OfferResult.NOT_CONNECTED:
            raise ClusterError("unexpected loss of connection to cluster")

    def _poll_response(self) -> None:
        self._response = None
        self._subscription.poll(self._assembler, FRAGMENT_LIMIT)
        response, self._response = self._response, None
        if response is None:
            return
        if isinstance(response, codecs.Challenge):
            self._cluster_session_id = response.cluster_session_id
            self._correlation_id = self._aeron.next_correlation_id()
            self._message = ("send_challenge_response", self._correlation_id, self._cluster_session_id,
                             self.context.answer_challenge(response.encoded_challenge))
            self.state = AsyncConnect.State.SEND_MESSAGE
            return
        code = response.code
        if code == EventCode.OK:
            self._cluster_session_id = response.cluster_session_id
            self.state = AsyncConnect.State.CONCLUDE_CONNECT
            self._ok = response
        elif code == EventCode.ERROR:
            raise ConnectRejectedError(f"cluster rejected the connect: {response.detail}", response.detail)
        elif code == EventCode.AUTHENTICATION_REJECTED:
            raise AuthenticationRejectedError(f"cluster rejected the credentials: {response.detail}", response.detail)
        elif code == EventCode.REDIRECT:
            self._redirect(response.leader_member_id, response.detail)

    def _redirect(self, leader_member_id: int, endpoints: str) -> None:
        # The member that answered is a follower: talk to the leader it names, keeping
        # our publication to it if its endpoint did not change.
        old_leader = self._members.pop(leader_member_id, None)
        for member in self._members.values():
            member.close()
        self._members = {member: MemberIngress(member, endpoint)
                         for member, endpoint in parse_ingress_endpoints(endpoints).items()}
        new_leader = self._members.get(leader_member_id)
        if new_leader is None:
            raise ClusterError(f"redirect to leader {leader_member_id} without its endpoint: {endpoints!r}")
        if old_leader is not None and old_leader.error is None and old_leader.endpoint == new_leader.endpoint:
            self._members[leader_member_id] = old_leader
        else:
            if old_leader is not None:
                old_leader.close()
            new_leader.pending = self._add_publication(new_leader)
        self._ingress = self._members[leader_member_id]
        self.state = AsyncConnect.State.AWAIT_PUBLICATION_CONNECTED

    def _conclude_connect(self) -> AeronCluster:
        ok = self._ok
        leader = self._ingress
        assert ok is not None and leader is not None
        image = self._subscription.image_by_session_id(self._response_image_session_id)
        if image is None:
            return None  # type: ignore[return-value]  # the image is not known to the client yet
        heartbeat_timeout_ns: int | None = ok.leader_heartbeat_timeout_ns
        if heartbeat_timeout_ns == NULL_INT64:
            heartbeat_timeout_ns = None
        cluster = AeronCluster(
            self.context, self._aeron, self._owns_aeron, leader.publication, self._subscription,  # type: ignore
            image, ok.cluster_session_id, ok.leadership_term_id, ok.leader_member_id, heartbeat_timeout_ns)
        for member in self._members.values():
            if member is not leader:
                member.close()
        self._assembler.close()  # type: ignore[union-attr]
        self.state = AsyncConnect.State.DONE
        return cluster

    # -- EgressEvents (called during _poll_response's poll) -------------------------------

    @staticmethod
    def _ignore_message(*_: Any) -> None:
        """Application messages cannot arrive before the session exists."""

    def on_session_event(self, event: codecs.SessionEvent, header: Header) -> None:
        if event.correlation_id == self._correlation_id:
            self._response = event
            if event.code == EventCode.OK:
                self._response_image_session_id = header.session_id

    def on_challenge(self, challenge: codecs.Challenge, header: Header) -> None:
        if challenge.correlation_id == self._correlation_id:
            self._response = challenge

    def on_new_leader(self, event: codecs.NewLeaderEvent, header: Header) -> None:
        """Not for a session that does not exist yet."""

    def on_admin_response(self, response: codecs.AdminResponse, header: Header) -> None:
        """Not for a session that does not exist yet."""

    # -- closing -----------------------------------------------------------------------

    def close(self) -> None:
        """Abandon the connect: close what it made (nothing once it returned the client).
        Best effort, like Java's: a failure to close one part does not stop the others
        nor hide the error that ended the connect."""
        if self.state == AsyncConnect.State.DONE:
            return
        self.state = AsyncConnect.State.DONE
        for resource in (self._egress_pending, self._subscription, self._assembler, *self._members.values()):
            if resource is not None:
                with contextlib.suppress(AeronError):
                    resource.close()
        if self._owns_aeron:
            with contextlib.suppress(AeronError):
                self._aeron.close()
