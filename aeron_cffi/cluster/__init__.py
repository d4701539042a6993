"""Aeron Cluster from Python: the cluster's SBE codecs, a client and a clustered service
container, speaking the protocol of the Java consensus module in the pinned ``aeron-all``
(there is no C API for Cluster). ``docs/cluster-client.md`` and ``docs/cluster.md``.
"""

from aeron_cffi.cluster import codecs
from aeron_cffi.cluster.async_connect import AsyncConnect
from aeron_cffi.cluster.client import AeronCluster
from aeron_cffi.cluster.client_context import AeronClusterContext
from aeron_cffi.cluster.codecs import CloseReason, ClusterRole, ClusterTimeUnit, EventCode
from aeron_cffi.cluster.container import ClusteredServiceContainer, ServiceContext
from aeron_cffi.cluster.egress_adapter import ControlledEgressListener, EgressListener
from aeron_cffi.cluster.errors import (
    AuthenticationRejectedError,
    ClusterClosedError,
    ClusterCodecError,
    ClusterError,
    ClusterTimeoutError,
    ConnectRejectedError,
    SchemaMismatchError,
)
from aeron_cffi.cluster.service import MOCKED_OFFER, ClientSession, Cluster, ClusteredService

__all__ = [
    "AeronCluster",
    "AeronClusterContext",
    "AsyncConnect",
    "ClientSession",
    "ControlledEgressListener",
    "CloseReason",
    "Cluster",
    "ClusterRole",
    "ClusterTimeUnit",
    "ClusteredService",
    "ClusteredServiceContainer",
    "MOCKED_OFFER",
    "ServiceContext",
    "EgressListener",
    "EventCode",
    "AuthenticationRejectedError",
    "ClusterClosedError",
    "ClusterCodecError",
    "ClusterError",
    "ClusterTimeoutError",
    "ConnectRejectedError",
    "SchemaMismatchError",
    "codecs",
]
