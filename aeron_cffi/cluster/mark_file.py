"""The service's mark file, ``cluster-mark-service-<id>.dat``, laid out as Java's
``ClusterMarkFile`` writes it for a ``ClusteredServiceContainer``.

The consensus module never reads it; ``ClusterTool`` does (``describe``, ``pid``,
``errors``), so operators see a Python service as they see a Java one. Layout (schema
110 version 2, ``aeron-cluster-mark-codecs.xml`` in the jar): an 8-byte SBE header,
the 128-byte ``MarkFileHeader`` block, its var-length strings, all within an 8 KiB
header; then Agrona's ``DistinctErrorLog`` of ``error_buffer_length`` bytes. The
version is written last (``signal_ready``), the activity timestamp every second while
the service runs, and -1 when it terminates.
"""

from __future__ import annotations

import mmap
import os
import pathlib
import struct
import time
import traceback

from aeron_cffi.cluster.codecs import HEADER, semantic_version
from aeron_cffi.cluster.errors import ClusterError

__all__ = ["ServiceMarkFile"]

_SCHEMA_ID = 110
_SCHEMA_VERSION = 2
_TEMPLATE_ID = 200
_BLOCK_LENGTH = 128
HEADER_LENGTH = 8 * 1024
ERROR_BUFFER_MIN_LENGTH = 1024 * 1024
_PAGE = 4096
# ClusterMarkFile.SEMANTIC_VERSION: 0.3.0
_SEMANTIC_VERSION = semantic_version(0, 3, 0)
_COMPONENT_CONTAINER = 2
_NULL_VALUE = -1

# MarkFileHeader fields after version (int32 @0): componentType, activityTimestamp,
# startTimestamp, pid, candidateTermId, archiveStreamId, serviceStreamId,
# consensusModuleStreamId, ingressStreamId, memberId, serviceId, headerLength,
# errorBufferLength, clusterId.
_BODY_AFTER_VERSION = struct.Struct("<iqqqqiiiiiiiii")
_BODY = 8
_VERSION_OFFSET = _BODY + 0
_ACTIVITY_OFFSET = _BODY + 8
_PID_OFFSET = _BODY + 24
_MEMBER_ID_OFFSET = _BODY + 56
#: Java's ClusteredServiceContainer.Configuration.LIVENESS_TIMEOUT_MS: ten missed updates.
LIVENESS_TIMEOUT_MS = 10_000
_I32 = struct.Struct("<i")
_I64 = struct.Struct("<q")

# Agrona DistinctErrorLog record: length (int32, written last), observation count
# (int32), last and first observation timestamps (int64), then the error text; 8-aligned.
_ERROR_RECORD = struct.Struct("<iiqq")
_ERROR_RECORD_ALIGNMENT = 8


class ServiceMarkFile:
    """Create (or take over) the mark file of service ``service_id`` in ``directory``."""

    def __init__(self, directory: str | os.PathLike[str], *, service_id: int, cluster_id: int, aeron_directory: str,
                 control_channel: str, service_name: str, archive_stream_id: int, service_stream_id: int,
                 consensus_module_stream_id: int, error_buffer_length: int = ERROR_BUFFER_MIN_LENGTH) -> None:
        if error_buffer_length < ERROR_BUFFER_MIN_LENGTH:
            raise ValueError(f"error_buffer_length must be at least {ERROR_BUFFER_MIN_LENGTH}, "
                             f"not {error_buffer_length}")
        self.path = pathlib.Path(directory) / f"cluster-mark-service-{service_id}.dat"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _check_not_active(self.path)
        length = -(-(HEADER_LENGTH + error_buffer_length) // _PAGE) * _PAGE
        with open(self.path, "a+b") as f:
            f.truncate(0)  # a previous run's header and errors are not ours
            f.truncate(length)
            self._map = mmap.mmap(f.fileno(), length)
        self._error_buffer_length = error_buffer_length
        self._errors: dict[str, int] = {}  # distinct error text -> its record's offset
        self._error_limit = 0
        now_ms = _now_ms()
        HEADER.pack_into(self._map, 0, _BLOCK_LENGTH, _TEMPLATE_ID, _SCHEMA_ID, _SCHEMA_VERSION)
        _BODY_AFTER_VERSION.pack_into(
            self._map, _BODY + 4, _COMPONENT_CONTAINER, 0, now_ms, os.getpid(), _NULL_VALUE, archive_stream_id,
            service_stream_id, consensus_module_stream_id, _NULL_VALUE, _NULL_VALUE, service_id, HEADER_LENGTH,
            error_buffer_length, cluster_id)
        position = _BODY + _BLOCK_LENGTH
        # aeronDirectory, controlChannel, ingressChannel, serviceName, authenticator,
        # servicesClusterDir: the container leaves the third, fifth and sixth empty.
        for text in (aeron_directory, control_channel, "", service_name, "", ""):
            data = text.encode("ascii")
            _I32.pack_into(self._map, position, len(data))
            self._map[position + 4:position + 4 + len(data)] = data
            position += 4 + len(data)
        if position > HEADER_LENGTH:
            raise ValueError(f"mark file header of {position} bytes exceeds {HEADER_LENGTH}")

    def signal_ready(self) -> None:
        """The version, written last, tells readers the header is complete."""
        self.update_activity_timestamp(_now_ms())
        _I32.pack_into(self._map, _VERSION_OFFSET, _SEMANTIC_VERSION)

    def update_activity_timestamp(self, now_ms: int) -> None:
        _I64.pack_into(self._map, _ACTIVITY_OFFSET, now_ms)

    def member_id(self, member_id: int) -> None:
        _I32.pack_into(self._map, _MEMBER_ID_OFFSET, member_id)

    def signal_terminated(self) -> None:
        if not self._map.closed:
            _I64.pack_into(self._map, _ACTIVITY_OFFSET, _NULL_VALUE)

    def record_error(self, error: BaseException) -> None:
        """Record ``error`` in the distinct error log (``ClusterTool errors`` prints it);
        a repeat of the same error counts another observation. Silently dropped when
        the log is full, as Agrona does."""
        text = "".join(traceback.format_exception_only(type(error), error)).strip()
        now_ms = _now_ms()
        offset = self._errors.get(text)
        base = HEADER_LENGTH
        if offset is not None:
            count = _I32.unpack_from(self._map, base + offset + 4)[0]
            _I64.pack_into(self._map, base + offset + 8, now_ms)
            _I32.pack_into(self._map, base + offset + 4, count + 1)
            return
        encoded = text.encode("utf-8")
        length = _ERROR_RECORD.size + len(encoded)
        aligned = -(-length // _ERROR_RECORD_ALIGNMENT) * _ERROR_RECORD_ALIGNMENT
        if self._error_limit + aligned > self._error_buffer_length:
            return
        offset = self._error_limit
        start = base + offset
        self._map[start + _ERROR_RECORD.size:start + length] = encoded
        _ERROR_RECORD.pack_into(self._map, start, 0, 1, now_ms, now_ms)
        _I32.pack_into(self._map, start, length)  # last: a reader skips a record of length 0
        self._errors[text] = offset
        self._error_limit += aligned

    def close(self) -> None:
        if not self._map.closed:
            self._map.flush()
            self._map.close()


def _check_not_active(path: pathlib.Path) -> None:
    """Refuse a mark file that a live service (Java or Python) updated within the
    liveness timeout, as Java's ``MarkFile`` does: two services with one id would
    corrupt the cluster's acks."""
    try:
        with open(path, "rb") as f:
            header = f.read(_PID_OFFSET + 8)
    except FileNotFoundError:
        return
    if len(header) < _PID_OFFSET + 8:
        return
    version = _I32.unpack_from(header, _VERSION_OFFSET)[0]
    activity_ms = _I64.unpack_from(header, _ACTIVITY_OFFSET)[0]
    age_ms = _now_ms() - activity_ms
    if version > 0 and activity_ms > 0 and age_ms < LIVENESS_TIMEOUT_MS:
        pid = _I64.unpack_from(header, _PID_OFFSET)[0]
        raise ClusterError(f"{path} is in use by a live service (pid {pid}, active {age_ms} ms ago); a service "
                           f"id runs once per cluster directory (or wait {LIVENESS_TIMEOUT_MS} ms after a crash)")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
