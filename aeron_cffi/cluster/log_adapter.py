"""The cluster log, as a service consumes it (Java's ``BoundedLogAdapter``).

A bounded controlled poll of the log image up to the commit position (what a quorum
has appended), ``fragment_limit`` fragments at a time, with messages above the MTU
reassembled (in C, by ``ImageControlledFragmentAssembler``) before they are decoded.
Each event goes to the agent with the log position after it; every fragment is
consumed (the handler returns None: CONTINUE).
"""

from __future__ import annotations

from typing import Protocol

from aeron_cffi.cluster import codecs
from aeron_cffi.cluster.service_adapter import check_schema
from aeron_cffi.fragment_assembler import ImageControlledFragmentAssembler
from aeron_cffi.header import Header
from aeron_cffi.image import Image
from aeron_cffi.subscription import Subscription

__all__ = ["BoundedLogAdapter", "LogListener"]


_SESSION_MESSAGE = codecs.SESSION_MESSAGE_HEADER.template_id


class LogListener(Protocol):
    def on_session_message(self, log_position: int, cluster_session_id: int, timestamp: int, payload: bytes,
                           header: Header) -> None: ...

    def on_timer_event(self, log_position: int, correlation_id: int, timestamp: int) -> None: ...

    def on_session_open(self, log_position: int, event: codecs.SessionOpenEvent) -> None: ...

    def on_session_close(self, log_position: int, event: codecs.SessionCloseEvent) -> None: ...

    def on_service_action(self, log_position: int, request: codecs.ClusterActionRequest) -> None: ...

    def on_new_leadership_term_event(self, log_position: int, event: codecs.NewLeadershipTermEvent) -> None: ...


class BoundedLogAdapter:
    def __init__(self, listener: LogListener, fragment_limit: int) -> None:
        self._listener = listener
        self._fragment_limit = fragment_limit
        self._assembler = ImageControlledFragmentAssembler(self._on_message)
        self.image: Image | None = None
        self._subscription: Subscription | None = None
        self.max_log_position = 0
        self._schema_checked = False

    def join(self, subscription: Subscription, image: Image, max_log_position: int) -> None:
        """Follow ``image`` (of ``subscription``, which this adapter now owns) up to
        ``max_log_position``."""
        self._subscription, self.image = subscription, image
        self.max_log_position = max_log_position

    def poll(self, limit_position: int) -> int:
        image = self.image
        assert image is not None, "poll before join"
        return image.bounded_controlled_poll(self._assembler, limit_position, self._fragment_limit)

    def is_done(self) -> bool:
        """The image reached the end this log was joined for, or ended."""
        image = self.image
        assert image is not None, "is_done before join"
        return image.position >= self.max_log_position or image.is_end_of_stream or image.is_closed

    def _on_message(self, data: bytes, header: Header) -> None:
        # The hot path, a session message, reads the SBE header without building a tuple.
        block_length, template_id, schema_id, version = codecs.HEADER.unpack_from(data)
        listener = self._listener
        if template_id == _SESSION_MESSAGE and schema_id == codecs.SCHEMA_ID:
            _, cluster_session_id, timestamp, payload_offset = codecs.decode_session_header(data, 0, block_length)
            listener.on_session_message(header.position, cluster_session_id, timestamp, data[payload_offset:],
                                        header)
            return
        message_header = codecs.decode_header(data)
        if not self._schema_checked:
            check_schema(message_header, "cluster log")
            self._schema_checked = True
        body, end = codecs.HEADER_LENGTH, len(data)
        if template_id == codecs.TIMER_EVENT.template_id:
            event = codecs.TIMER_EVENT.decode_body(data, body, block_length, version, end)
            listener.on_timer_event(header.position, event.correlation_id, event.timestamp)
        elif template_id == codecs.SESSION_OPEN_EVENT.template_id:
            listener.on_session_open(
                header.position, codecs.SESSION_OPEN_EVENT.decode_body(data, body, block_length, version, end))
        elif template_id == codecs.SESSION_CLOSE_EVENT.template_id:
            listener.on_session_close(
                header.position, codecs.SESSION_CLOSE_EVENT.decode_body(data, body, block_length, version, end))
        elif template_id == codecs.CLUSTER_ACTION_REQUEST.template_id:
            listener.on_service_action(
                header.position, codecs.CLUSTER_ACTION_REQUEST.decode_body(data, body, block_length, version, end))
        elif template_id == codecs.NEW_LEADERSHIP_TERM_EVENT.template_id:
            listener.on_new_leadership_term_event(
                header.position,
                codecs.NEW_LEADERSHIP_TERM_EVENT.decode_body(data, body, block_length, version, end))
        # MembershipChangeEvent (dynamic join, removed from Aeron) and anything newer: not for services.

    def leave(self) -> None:
        """Stop following the log: close its subscription."""
        subscription, self._subscription, self.image = self._subscription, None, None
        if subscription is not None:
            subscription.close()

    def close(self) -> None:
        self.leave()
        self._assembler.close()
