"""Exceptions of ``aeron_cffi.cluster``, in the package's ``AeronError`` hierarchy.

Protocol errors (a malformed or foreign message) are also ``ValueError``; the client's
timeout is also ``TimeoutError`` (through ``AeronTimeoutError``); use after close is a
``ResourceClosedError`` like everywhere else in the package.
"""

from __future__ import annotations

from aeron_cffi.errors import AeronError, AeronTimeoutError, ResourceClosedError

__all__ = [
    "AuthenticationRejectedError",
    "ClusterClosedError",
    "ClusterCodecError",
    "ClusterError",
    "ClusterTimeoutError",
    "ConnectRejectedError",
    "SchemaMismatchError",
]


class ClusterError(AeronError):
    """Something went wrong talking to an Aeron Cluster (Java's ``ClusterException``)."""


class ClusterCodecError(ClusterError, ValueError):
    """A cluster message is malformed: truncated, a length running past its buffer, the
    wrong template for the decoder, or a value the schema cannot carry."""


class SchemaMismatchError(ClusterCodecError):
    """A message of another SBE schema (or a schema version we cannot read) arrived;
    the message names both sides' schema id and version."""


class ConnectRejectedError(ClusterError):
    """The cluster answered the connect request with ``EventCode.ERROR`` (for example
    too many sessions, or an incompatible client protocol version); ``detail`` is the
    cluster's reason."""

    def __init__(self, errmsg: str, detail: str = "") -> None:
        super().__init__(errmsg)
        self.detail = detail


class AuthenticationRejectedError(ConnectRejectedError):
    """The cluster's authenticator rejected the credentials (``AUTHENTICATION_REJECTED``)."""


class ClusterTimeoutError(ClusterError, AeronTimeoutError):
    """No answer from the cluster within the message timeout (connect, or a new leader
    that never showed up)."""


class ClusterClosedError(ClusterError, ResourceClosedError):
    """The cluster client is closed (by ``close()``, or by the cluster closing the session);
    nothing was sent."""
