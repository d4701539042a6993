"""``IngressProxy``: what a cluster client sends to the cluster's ingress.

Each ``send_*`` encodes one message and offers it once on the current ingress
publication, returning the publication's result (a position > 0, or a retryable
``OfferResult``); retrying and reacting to the result is the caller's business, as in
Java's ``AeronCluster``. ``offer``/``try_claim`` put the session's 32-byte
``SessionMessageHeader`` in front of an application message.
"""

from __future__ import annotations

from typing import Any

from aeron_cffi.buffer_claim import BufferClaim
from aeron_cffi.cluster import codecs
from aeron_cffi.cluster.codecs import SESSION_HEADER_LENGTH
from aeron_cffi.errors import InvalidArgumentError
from aeron_cffi.publication import PublicationBase

__all__ = ["IngressProxy"]

_MESSAGE_TYPES = (bytes, bytearray, memoryview)


class IngressProxy:
    """Encoder of ingress messages onto ``publication`` (replaced on a new leader)."""

    __slots__ = ("publication", "_session_header", "_max_message_length", "_max_claim_length")

    def __init__(self, publication: PublicationBase) -> None:
        self._session_header = b""
        self.use(publication)

    def use(self, publication: PublicationBase) -> None:
        """Send on ``publication`` from now on (the new leader's)."""
        self.publication = publication
        self._max_message_length = publication.max_message_length - SESSION_HEADER_LENGTH
        self._max_claim_length = publication.max_payload_length - SESSION_HEADER_LENGTH

    def session(self, leadership_term_id: int, cluster_session_id: int) -> None:
        """The session and term every application message is sent under from now on
        (Java sends timestamp 0: the cluster stamps messages when it appends them)."""
        self._session_header = codecs.session_header_bytes(leadership_term_id, cluster_session_id, 0)

    @property
    def max_message_length(self) -> int:
        """Largest application message ``offer`` takes (the publication's maximum less the header)."""
        return self._max_message_length

    # -- session protocol ----------------------------------------------------------------

    def send_connect_request(self, correlation_id: int, response_stream_id: int, response_channel: str,
                             encoded_credentials: bytes, client_info: str) -> int:
        return self.publication.offer(codecs.SESSION_CONNECT_REQUEST.encode(codecs.SessionConnectRequest(
            correlation_id, response_stream_id, codecs.PROTOCOL_SEMANTIC_VERSION, response_channel,
            encoded_credentials, client_info)))

    def send_challenge_response(self, correlation_id: int, cluster_session_id: int, encoded_credentials: bytes) -> int:
        return self.publication.offer(codecs.CHALLENGE_RESPONSE.encode(
            codecs.ChallengeResponse(correlation_id, cluster_session_id, encoded_credentials)))

    def send_keep_alive(self, leadership_term_id: int, cluster_session_id: int) -> int:
        return self.publication.offer(codecs.SESSION_KEEP_ALIVE.encode(
            codecs.SessionKeepAlive(leadership_term_id, cluster_session_id)))

    def send_admin_request(self, leadership_term_id: int, cluster_session_id: int, correlation_id: int,
                           request_type: codecs.AdminRequestType) -> int:
        return self.publication.offer(codecs.ADMIN_REQUEST.encode(
            codecs.AdminRequest(leadership_term_id, cluster_session_id, correlation_id, request_type, b"")))

    def send_close_request(self, leadership_term_id: int, cluster_session_id: int) -> int:
        return self.publication.offer(codecs.SESSION_CLOSE_REQUEST.encode(
            codecs.SessionCloseRequest(leadership_term_id, cluster_session_id)))

    # -- application messages ------------------------------------------------------------

    def offer(self, message: Any) -> int:
        """Offer ``message`` (bytes-like) behind the session header."""
        if type(message) is not bytes and not isinstance(message, _MESSAGE_TYPES):
            raise TypeError(f"AeronCluster.offer: message must be bytes-like, not {type(message).__name__}")
        length = len(message) if type(message) is bytes else memoryview(message).nbytes
        if length > self._max_message_length:
            raise InvalidArgumentError(
                f"AeronCluster.offer: message of {length} bytes exceeds the maximum {self._max_message_length} "
                f"(the ingress publication's max_message_length less the {SESSION_HEADER_LENGTH}-byte session header)")
        # One copy into a joined buffer is cheaper than a vectored offer from Python
        # (docs/benchmarks.md: offerv costs a view and an iovec entry per buffer).
        return self.publication.offer(self._session_header + message)

    def try_claim(self, length: int, buffer_claim: BufferClaim) -> int:
        """Claim ``length`` bytes behind the session header; on success the header is
        written and the message goes at ``buffer_claim.buffer[SESSION_HEADER_LENGTH:]``."""
        if not isinstance(length, int) or isinstance(length, bool):
            raise TypeError(f"AeronCluster.try_claim: length must be int, not {type(length).__name__}")
        if not 0 <= length <= self._max_claim_length:
            raise InvalidArgumentError(
                f"AeronCluster.try_claim: length {length} is outside 0..{self._max_claim_length} (the ingress "
                f"publication's max_payload_length less the {SESSION_HEADER_LENGTH}-byte session header)")
        result = self.publication.try_claim(length + SESSION_HEADER_LENGTH, buffer_claim)
        if result > 0:
            buffer_claim.put(self._session_header)
        return result
