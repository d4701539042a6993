"""What a clustered service sends to its consensus module (Java's ``ConsensusModuleProxy``):
acks, timers, session closes and the service's own messages into the log, on the
control channel's consensus-module stream (105 by default).

Each method makes one attempt and says whether the message went out; the agent retries
where Java retries (acks until they are sent, session closes three times).
"""

from __future__ import annotations

from typing import Any

from aeron_cffi.cluster import codecs
from aeron_cffi.publication import PublicationBase

__all__ = ["ConsensusModuleProxy"]

_ACK_LENGTH = codecs.HEADER_LENGTH + codecs.SERVICE_ACK.block_length


class ConsensusModuleProxy:
    def __init__(self, publication: PublicationBase) -> None:
        self.publication = publication
        self._ack_buffer = bytearray(_ACK_LENGTH)

    def _send(self, codec: codecs.MessageCodec[Any], message: Any) -> bool:
        return self.publication.offer(codec.encode(message)) > 0

    def ack(self, log_position: int, timestamp: int, ack_id: int, relevant_id: int, service_id: int) -> bool:
        codecs.SERVICE_ACK.encode_into(self._ack_buffer, 0, codecs.ServiceAck(
            log_position, timestamp, ack_id, relevant_id, service_id))
        return self.publication.offer(self._ack_buffer) > 0

    def schedule_timer(self, correlation_id: int, deadline: int) -> bool:
        return self._send(codecs.SCHEDULE_TIMER, codecs.ScheduleTimer(correlation_id, deadline))

    def cancel_timer(self, correlation_id: int) -> bool:
        return self._send(codecs.CANCEL_TIMER, codecs.CancelTimer(correlation_id))

    def close_session(self, cluster_session_id: int) -> bool:
        return self._send(codecs.CLOSE_SESSION, codecs.CloseSession(cluster_session_id))

    def offer(self, leadership_term_id: int, service_id: int, payload: Any) -> int:
        """The service's own message into the log: a session header whose
        ``clusterSessionId`` is the service id (the consensus module replaces it with
        ``(serviceId << 56) | sequence`` in the log), then ``payload``. Returns the
        publication's result (a position, or a negative ``OfferResult``)."""
        return self.publication.offer(b"".join((codecs.session_header_bytes(leadership_term_id, service_id), payload)))

    def close(self) -> None:
        self.publication.close()
