"""Aeron Cluster from Python: the cluster's SBE codecs, a client and a clustered service
container, speaking the protocol of the Java consensus module in the pinned ``aeron-all``
(there is no C API for Cluster). ``docs/cluster-client.md`` and ``docs/cluster.md``.
"""

from aeron_cffi.cluster import codecs
from aeron_cffi.cluster.errors import (
    AuthenticationRejectedError,
    ClusterClosedError,
    ClusterCodecError,
    ClusterError,
    ClusterTimeoutError,
    ConnectRejectedError,
    SchemaMismatchError,
)

__all__ = [
    "AuthenticationRejectedError",
    "ClusterClosedError",
    "ClusterCodecError",
    "ClusterError",
    "ClusterTimeoutError",
    "ConnectRejectedError",
    "SchemaMismatchError",
    "codecs",
]
