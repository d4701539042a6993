"""What a cluster client receives on egress: ``EgressListener`` (the user's callbacks,
Java's ``io.aeron.cluster.client.EgressListener``) and ``EgressAdapter``, which decodes
each reassembled egress message and dispatches it.

Application messages go straight to ``on_message(cluster_session_id, timestamp, buffer,
header)`` with ``buffer`` a ``memoryview`` of the payload (no copy; valid as long as
the caller keeps it, ``header`` only during the call). Session events, new-leader
events and challenges go to an ``EgressEvents`` object: the client's own (which reacts
to them and then tells the user's listener) or the connect's (which waits for them).
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, cast

from aeron_cffi.cluster import codecs
from aeron_cffi.cluster.codecs import HEADER, SCHEMA_ID, EventCode
from aeron_cffi.fragment_assembler import ControlledPollAction
from aeron_cffi.header import Header

__all__ = ["ControlledEgressListener", "EgressAdapter", "EgressEvents", "EgressListener"]

_SESSION_MESSAGE = codecs.SESSION_MESSAGE_HEADER.template_id
_SESSION_EVENT = codecs.SESSION_EVENT.template_id
_NEW_LEADER_EVENT = codecs.NEW_LEADER_EVENT.template_id
_CHALLENGE = codecs.CHALLENGE.template_id
_ADMIN_RESPONSE = codecs.ADMIN_RESPONSE.template_id


class EgressListener:
    """Callbacks of ``AeronCluster.poll_egress`` (subclass and override what you need;
    every method does nothing by default). Any object with these methods will do."""

    def on_message(self, cluster_session_id: int, timestamp: int, buffer: memoryview, header: Header) -> object:
        """A message from the clustered service to this session; ``timestamp`` is the
        cluster's time when the service sent it. What it returns is ignored (``object``, so
        that ``ControlledEgressListener`` can return an action)."""
        return None

    def on_session_event(self, correlation_id: int, cluster_session_id: int, leadership_term_id: int,
                         leader_member_id: int, code: EventCode, detail: str) -> None:
        """A session event (``EventCode.CLOSED`` when the cluster closed the session,
        ``ERROR`` for a rejected message ...)."""

    def on_new_leader(self, cluster_session_id: int, leadership_term_id: int, leader_member_id: int,
                      ingress_endpoints: str) -> None:
        """A new leader was elected; the client has already moved its ingress to it."""

    def on_admin_response(self, cluster_session_id: int, correlation_id: int, request_type: codecs.AdminRequestType,
                          response_code: codecs.AdminResponseCode, message: str, payload: bytes) -> None:
        """The answer to an admin request."""


class ControlledEgressListener(EgressListener):
    """Callbacks of ``AeronCluster.controlled_poll_egress`` (Java's ``ControlledEgressListener``):
    as ``EgressListener``, but ``on_message`` returns a ``ControlledPollAction``."""

    def on_message(self, cluster_session_id: int, timestamp: int, buffer: memoryview,
                   header: Header) -> ControlledPollAction | None:
        """As ``EgressListener.on_message``; return ``ABORT`` to get this message again on
        the next poll, ``BREAK`` to stop this poll after it, ``None``/``CONTINUE`` to go on."""
        return None


class EgressEvents(Protocol):
    """The receiver of egress events other than application messages."""

    def on_session_event(self, event: codecs.SessionEvent, header: Header) -> None: ...

    def on_new_leader(self, event: codecs.NewLeaderEvent, header: Header) -> None: ...

    def on_challenge(self, challenge: codecs.Challenge, header: Header) -> None: ...

    def on_admin_response(self, response: codecs.AdminResponse, header: Header) -> None: ...


class EgressAdapter:
    """Decodes egress messages (a fragment handler for a ``FragmentAssembler``).

    Only messages for ``cluster_session_id`` are delivered (all of them while it is
    ``None``, during connect, when the session id is not known yet). Another schema
    raises ``SchemaMismatchError``, as Java's adapter throws.
    """

    __slots__ = ("cluster_session_id", "_on_message", "_events")

    def __init__(self, on_message: Callable[[int, int, memoryview, Header], object], events: EgressEvents,
                 cluster_session_id: int | None = None) -> None:
        self.cluster_session_id = cluster_session_id
        self._on_message = on_message
        self._events = events

    def on_fragment(self, data: bytes, header: Header) -> ControlledPollAction | None:
        """Decode and dispatch one message; returns what ``on_message`` returned (the
        action, for a controlled poll), else ``None`` (continue)."""
        block_length, template_id, schema_id, version = HEADER.unpack_from(data, 0)
        if schema_id != SCHEMA_ID:
            raise codecs.schema_mismatch("cluster egress", schema_id, version)
        if template_id == _SESSION_MESSAGE:
            _, cluster_session_id, timestamp, payload = codecs.decode_session_header(data, 0, block_length)
            if cluster_session_id == self.cluster_session_id or self.cluster_session_id is None:
                # a ControlledPollAction or None from a controlled listener; ignored by a plain poll
                return cast("ControlledPollAction | None",
                            self._on_message(cluster_session_id, timestamp, memoryview(data)[payload:], header))
            return None
        codec = _EVENT_CODECS.get(template_id)
        if codec is None:
            return None  # a message for other kinds of egress listener (Java ignores them too)
        event: Any = codec.decode_body(data, codecs.HEADER_LENGTH, block_length, version, len(data))
        if self.cluster_session_id is None or event.cluster_session_id == self.cluster_session_id:
            getattr(self._events, _EVENT_METHODS[template_id])(event, header)
        return None


_EVENT_CODECS: dict[int, codecs.MessageCodec[Any]] = {
    _SESSION_EVENT: codecs.SESSION_EVENT, _NEW_LEADER_EVENT: codecs.NEW_LEADER_EVENT,
    _CHALLENGE: codecs.CHALLENGE, _ADMIN_RESPONSE: codecs.ADMIN_RESPONSE}
_EVENT_METHODS = {_SESSION_EVENT: "on_session_event", _NEW_LEADER_EVENT: "on_new_leader",
                  _CHALLENGE: "on_challenge", _ADMIN_RESPONSE: "on_admin_response"}
