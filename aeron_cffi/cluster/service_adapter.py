"""What the consensus module tells a service on the control channel's service stream
(104 by default), as Java's ``ServiceAdapter`` reads it: ``JoinLog`` (follow a log),
``ServiceTerminationPosition`` (terminate there) and ``RequestServiceAck`` (ack there).

One message per poll, so the agent acts on a ``JoinLog`` before the next one arrives.
A message of another schema or schema version stops the service with
``SchemaMismatchError`` naming both versions.
"""

from __future__ import annotations

from typing import Protocol

from aeron_cffi.cluster import codecs
from aeron_cffi.cluster.errors import SchemaMismatchError
from aeron_cffi.fragment_assembler import FragmentAssembler
from aeron_cffi.header import Header
from aeron_cffi.subscription import Subscription

__all__ = ["ServiceAdapter", "ServiceControlListener", "check_schema"]

_FRAGMENT_LIMIT = 1


class ServiceControlListener(Protocol):
    def on_join_log(self, join_log: codecs.JoinLog) -> None: ...

    def on_service_termination_position(self, log_position: int) -> None: ...

    def on_request_service_ack(self, log_position: int) -> None: ...


def check_schema(header: codecs.MessageHeader, where: str) -> None:
    """Refuse a consensus module of another schema version than the one this package
    speaks (the pinned Aeron's): an older one lacks fields a service needs and a newer
    one has not been tested against, so the service stops with both versions named
    rather than misreading the log."""
    if header.version != codecs.SCHEMA_VERSION:
        raise SchemaMismatchError(
            f"{where}: the consensus module speaks cluster schema {header.schema_id} version {header.version}, "
            f"this service speaks schema {codecs.SCHEMA_ID} version {codecs.SCHEMA_VERSION} (Aeron 1.51.0)")


class ServiceAdapter:
    def __init__(self, subscription: Subscription, listener: ServiceControlListener) -> None:
        self.subscription = subscription
        self._listener = listener
        self._assembler = FragmentAssembler(self._on_message)

    def poll(self) -> int:
        return self.subscription.poll(self._assembler, _FRAGMENT_LIMIT)

    def _on_message(self, data: bytes, header: Header) -> None:
        message_header = codecs.decode_header(data)
        check_schema(message_header, "service control message")
        template_id = message_header.template_id
        if template_id == codecs.JOIN_LOG.template_id:
            self._listener.on_join_log(codecs.JOIN_LOG.decode(data))
        elif template_id == codecs.SERVICE_TERMINATION_POSITION.template_id:
            self._listener.on_service_termination_position(
                codecs.SERVICE_TERMINATION_POSITION.decode(data).log_position)
        elif template_id == codecs.REQUEST_SERVICE_ACK.template_id:
            self._listener.on_request_service_ack(codecs.REQUEST_SERVICE_ACK.decode(data).log_position)

    def close(self) -> None:
        self._assembler.close()
        self.subscription.close()
