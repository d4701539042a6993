"""SBE codecs of Aeron Cluster's protocol: schema 111, version 16 (Aeron 1.51.0).

Every message is an 8-byte header (``blockLength``, ``templateId``, ``schemaId``,
``version``, u16 little-endian), a fixed block of ``blockLength`` bytes, then its
var-length fields, each a u32 length and the bytes. Each message here is a
``MessageCodec`` built from its field table (name, SBE primitive, and the enum or null
value where the schema has one): the table is what ``tests/cluster/test_codecs.py``
checks against ``cluster/aeron-cluster-codecs.xml`` inside the pinned jar, so the
offsets, block lengths and template ids below are tested, not trusted.

* ``encode_into(buffer, offset, message)`` writes header, block and var fields into a
  caller's ``bytearray``/``memoryview``/cffi buffer and returns the length written;
  ``encode(message)`` is the ``bytes`` convenience.
* ``decode(buffer, offset, length)`` honours the sender's ``blockLength`` and
  ``version``: fields the sender's version or block does not have come back as the
  schema's null value, and var fields are found after the sender's block, so a newer
  sender that appends fields is read correctly.
* Messages are ``NamedTuple``s with the schema's field names in snake_case.

The per-message hot path (the 32-byte ``SessionMessageHeader`` in front of every
application message, on ingress, egress and in the log) has its own pre-compiled
``struct.Struct`` helpers: ``encode_session_header``, ``session_header_bytes`` and
``decode_session_header``, which read straight from a ``memoryview`` without copying
the payload.
"""

from __future__ import annotations

import enum
import re
import struct
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from aeron_cffi.cluster.errors import ClusterCodecError, SchemaMismatchError

__all__ = [
    "ADMIN_REQUEST",
    "ADMIN_RESPONSE",
    "CANCEL_TIMER",
    "CHALLENGE",
    "CHALLENGE_RESPONSE",
    "CLIENT_SESSION",
    "CLOSE_SESSION",
    "CLUSTER_ACTION_FLAGS_DEFAULT",
    "CLUSTER_ACTION_FLAGS_STANDBY_SNAPSHOT",
    "CLUSTER_ACTION_REQUEST",
    "HEADER",
    "HEADER_LENGTH",
    "JOIN_LOG",
    "MEMBERSHIP_CHANGE_EVENT",
    "MESSAGES",
    "MESSAGES_BY_TEMPLATE_ID",
    "NEW_LEADERSHIP_TERM_EVENT",
    "NEW_LEADER_EVENT",
    "NULL_INT32",
    "NULL_INT64",
    "NULL_VERSION",
    "PROTOCOL_SEMANTIC_VERSION",
    "REQUEST_SERVICE_ACK",
    "SCHEDULE_TIMER",
    "SCHEMA_ID",
    "SCHEMA_VERSION",
    "SERVICE_ACK",
    "SERVICE_TERMINATION_POSITION",
    "SESSION_CLOSE_EVENT",
    "SESSION_CLOSE_REQUEST",
    "SESSION_CONNECT_REQUEST",
    "SESSION_EVENT",
    "SESSION_HEADER_LENGTH",
    "SESSION_KEEP_ALIVE",
    "SESSION_MESSAGE_HEADER",
    "SESSION_OPEN_EVENT",
    "SNAPSHOT_MARKER",
    "TIMER_EVENT",
    "AdminRequest",
    "AdminRequestType",
    "AdminResponse",
    "AdminResponseCode",
    "BooleanType",
    "CancelTimer",
    "Challenge",
    "ChallengeResponse",
    "ChangeType",
    "ClientSession",
    "CloseReason",
    "CloseSession",
    "ClusterAction",
    "ClusterActionRequest",
    "ClusterRole",
    "ClusterTimeUnit",
    "EventCode",
    "Field",
    "JoinLog",
    "MembershipChangeEvent",
    "MessageCodec",
    "MessageHeader",
    "NewLeaderEvent",
    "NewLeadershipTermEvent",
    "RequestServiceAck",
    "ScheduleTimer",
    "ServiceAck",
    "ServiceTerminationPosition",
    "SessionCloseEvent",
    "SessionCloseRequest",
    "SessionConnectRequest",
    "SessionEvent",
    "SessionKeepAlive",
    "SessionMessageHeader",
    "SessionOpenEvent",
    "SnapshotMark",
    "SnapshotMarker",
    "TimerEvent",
    "VarField",
    "decode_header",
    "decode_session_header",
    "encode_session_header",
    "schema_mismatch",
    "semantic_version",
    "semantic_version_str",
    "session_header_bytes",
]

SCHEMA_ID = 111
SCHEMA_VERSION = 16

HEADER = struct.Struct("<HHHH")
HEADER_LENGTH = HEADER.size
_VAR_LENGTH = struct.Struct("<I")
# The schema's maxValue for a var field's u32 length.
_MAX_VAR_LENGTH = 1 << 30

# SBE null values of the primitive types the schema uses for optional fields.
NULL_INT64 = -(1 << 63)
NULL_INT32 = -(1 << 31)
NULL_VERSION = 0  # version_t and capacity_t: presence="optional" nullValue="0"
_NULL_UINT8 = 0xFF

# Flags of ClusterActionRequest (ConsensusModule.CLUSTER_ACTION_FLAGS_* in Java).
CLUSTER_ACTION_FLAGS_DEFAULT = 0
CLUSTER_ACTION_FLAGS_STANDBY_SNAPSHOT = 1


def semantic_version(major: int, minor: int, patch: int) -> int:
    """Agrona's ``SemanticVersion.compose``: one byte each, major highest."""
    for part in (major, minor, patch):
        if not 0 <= part <= 255:
            raise ValueError(f"semantic version parts must be 0..255: {major}.{minor}.{patch}")
    return (major << 16) | (minor << 8) | patch


def semantic_version_str(version: int) -> str:
    return f"{(version >> 16) & 0xFF}.{(version >> 8) & 0xFF}.{version & 0xFF}"


# The cluster client protocol version a client sends in SessionConnectRequest (Java's
# AeronCluster.Configuration.PROTOCOL_SEMANTIC_VERSION); the consensus module only
# accepts a client whose major version equals its own.
PROTOCOL_SEMANTIC_VERSION = semantic_version(0, 3, 0)


# -- enums (values checked against the schema by tests/cluster/test_codecs.py) ---------

class BooleanType(enum.IntEnum):
    FALSE = 0
    TRUE = 1


class EventCode(enum.IntEnum):
    """Code of a ``SessionEvent`` to a client."""

    OK = 0
    ERROR = 1
    REDIRECT = 2
    AUTHENTICATION_REJECTED = 3
    CLOSED = 4


class CloseReason(enum.IntEnum):
    CLIENT_ACTION = 0
    SERVICE_ACTION = 1
    TIMEOUT = 2


class ClusterAction(enum.IntEnum):
    SUSPEND = 0
    RESUME = 1
    SNAPSHOT = 2


class SnapshotMark(enum.IntEnum):
    BEGIN = 0
    SECTION = 1
    END = 2


class ChangeType(enum.IntEnum):
    JOIN = 0
    QUIT = 1


class ClusterTimeUnit(enum.IntEnum):
    MILLIS = 0
    MICROS = 1
    NANOS = 2


class AdminRequestType(enum.IntEnum):
    SNAPSHOT = 0


class AdminResponseCode(enum.IntEnum):
    OK = 0
    ERROR = 1
    UNAUTHORISED_ACCESS = 2


class ClusterRole(enum.IntEnum):
    """A node's role, as ``JoinLog.role`` and the cluster node role counter carry it
    (Java's ``Cluster.Role`` codes; not an SBE enum, the schema types it int32)."""

    FOLLOWER = 0
    CANDIDATE = 1
    LEADER = 2


# -- field tables --------------------------------------------------------------------

_PRIMITIVES = {"int64": "q", "int32": "i", "uint8": "B", "uint16": "H", "uint32": "I"}
_NULLS = {"int64": NULL_INT64, "int32": NULL_INT32, "uint8": _NULL_UINT8}


@dataclass(frozen=True)
class Field:
    """A fixed-block field: its schema name, SBE primitive, the enum it carries (if
    any), the schema version that added it and its null value when absent."""

    name: str
    primitive: str
    enum: type[enum.IntEnum] | None = None
    since_version: int = 0
    null: int | None = None

    @property
    def size(self) -> int:
        return struct.calcsize("<" + _PRIMITIVES[self.primitive])

    @property
    def null_value(self) -> int:
        return _NULLS[self.primitive] if self.null is None else self.null


@dataclass(frozen=True)
class VarField:
    """A var-length field (u32 length then bytes): ``ascii`` ones are ``str``."""

    name: str
    ascii: bool
    since_version: int = 0


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


M = TypeVar("M", bound=tuple[Any, ...])


class MessageCodec(Generic[M]):
    """Encoder and decoder of one message, built from its field table."""

    __slots__ = ("name", "template_id", "type", "fields", "var_fields", "block_length",
                 "_block", "_header_block", "_offsets", "_enum_fields", "_newest_field_version")

    def __init__(self, name: str, template_id: int, message_type: type[M],
                 fields: tuple[Field, ...], var_fields: tuple[VarField, ...] = ()) -> None:
        self.name = name
        self.template_id = template_id
        self.type = message_type
        self.fields = fields
        self.var_fields = var_fields
        expected = tuple(_snake(f.name) for f in fields) + tuple(_snake(v.name) for v in var_fields)
        declared: tuple[str, ...] = message_type._fields  # type: ignore[attr-defined]  # a NamedTuple class
        if declared != expected:
            raise TypeError(f"{message_type.__name__} fields {declared} != schema table {expected}")
        codes = "".join(_PRIMITIVES[f.primitive] for f in fields)
        self._block = struct.Struct("<" + codes)
        self._header_block = struct.Struct("<HHHH" + codes)
        self.block_length = self._block.size
        offsets, position = [], 0
        for f in fields:
            offsets.append(position)
            position += f.size
        self._offsets = tuple(offsets)
        self._enum_fields = tuple(i for i, f in enumerate(fields) if f.enum is not None)
        self._newest_field_version = max(f.since_version for f in fields)

    def field_offset(self, name: str) -> int:
        """Offset in the fixed block of the field named ``name`` (schema spelling)."""
        for f, offset in zip(self.fields, self._offsets):
            if f.name == name:
                return offset
        raise KeyError(name)

    # -- encoding --------------------------------------------------------------------

    def _var_values(self, message: M) -> list[bytes]:
        values = []
        for spec, value in zip(self.var_fields, message[len(self.fields):]):
            if spec.ascii:
                if not isinstance(value, str):
                    raise TypeError(f"{self.name}.{_snake(spec.name)} must be str, not {type(value).__name__}")
                try:
                    data = value.encode("ascii")
                except UnicodeEncodeError as exc:
                    raise ClusterCodecError(f"{self.name}.{_snake(spec.name)} must be ASCII: {value!r}") from exc
            else:
                if not isinstance(value, (bytes, bytearray, memoryview)):
                    raise TypeError(f"{self.name}.{_snake(spec.name)} must be bytes-like, not {type(value).__name__}")
                data = bytes(value)
            if len(data) > _MAX_VAR_LENGTH:
                raise ClusterCodecError(
                    f"{self.name}.{_snake(spec.name)} is {len(data)} bytes, above {_MAX_VAR_LENGTH}")
            values.append(data)
        return values

    def encoded_length(self, message: M) -> int:
        return self._length(self._var_values(message))

    def _length(self, var_values: list[bytes]) -> int:
        return HEADER_LENGTH + self.block_length + sum(_VAR_LENGTH.size + len(v) for v in var_values)

    def encode_into(self, buffer: Any, offset: int, message: M) -> int:
        """Write ``message`` at ``buffer[offset:]``; returns the number of bytes written."""
        var_values = self._var_values(message)
        needed = self._length(var_values)
        if offset < 0 or offset + needed > len(buffer):
            raise ClusterCodecError(f"cannot encode {self.name}: {needed} bytes at offset {offset} do not fit "
                                    f"in a buffer of {len(buffer)} bytes (too short)")
        try:
            self._header_block.pack_into(buffer, offset, self.block_length, self.template_id, SCHEMA_ID,
                                         SCHEMA_VERSION, *message[:len(self.fields)])
        except struct.error as exc:
            raise ClusterCodecError(f"cannot encode {self.name}: {exc}") from exc
        position = offset + HEADER_LENGTH + self.block_length
        for data in var_values:
            _VAR_LENGTH.pack_into(buffer, position, len(data))
            position += _VAR_LENGTH.size
            end = position + len(data)
            buffer[position:end] = data
            position = end
        return position - offset

    def encode(self, message: M) -> bytes:
        buffer = bytearray(self.encoded_length(message))
        self.encode_into(buffer, 0, message)
        return bytes(buffer)

    # -- decoding --------------------------------------------------------------------

    def decode(self, buffer: Any, offset: int = 0, length: int | None = None) -> M:
        """Decode the message whose SBE header starts at ``buffer[offset]``; ``length``
        (default: to the end of ``buffer``) bounds the var fields."""
        end = len(buffer) if length is None else offset + length
        if end - offset < HEADER_LENGTH:
            raise ClusterCodecError(f"{self.name}: {end - offset} bytes is shorter than the message header")
        block_length, template_id, schema_id, version = HEADER.unpack_from(buffer, offset)
        if schema_id != SCHEMA_ID:
            raise schema_mismatch(self.name, schema_id, version)
        if template_id != self.template_id:
            raise ClusterCodecError(
                f"expected {self.name} (templateId={self.template_id}), got templateId={template_id}")
        return self.decode_body(buffer, offset + HEADER_LENGTH, block_length, version, end)

    def decode_body(self, buffer: Any, offset: int, block_length: int, version: int, end: int) -> M:
        """Decode the block at ``buffer[offset]`` after a header already read (by a
        dispatcher): the sender's ``block_length`` and ``version`` decide which fields
        are present and where the var fields start; ``end`` bounds them."""
        if offset + block_length > end:
            raise ClusterCodecError(f"{self.name}: block of {block_length} bytes runs past the message end")
        if block_length >= self.block_length and version >= self._newest_field_version:
            values = list(self._block.unpack_from(buffer, offset))
        else:
            values = self._decode_older(buffer, offset, block_length, version)
        for index in self._enum_fields:
            values[index] = _enum_or_raw(self.fields[index].enum, values[index])  # type: ignore[arg-type]
        position = offset + block_length
        for spec in self.var_fields:
            if version < spec.since_version:
                values.append("" if spec.ascii else b"")
                continue
            if position + _VAR_LENGTH.size > end:
                raise ClusterCodecError(f"{self.name}.{_snake(spec.name)}: length runs past the message end")
            (size,) = _VAR_LENGTH.unpack_from(buffer, position)
            position += _VAR_LENGTH.size
            if position + size > end:
                raise ClusterCodecError(f"{self.name}.{_snake(spec.name)}: {size} bytes run past the message end")
            data = bytes(buffer[position:position + size])
            values.append(data.decode("ascii", "replace") if spec.ascii else data)
            position += size
        return self.type(*values)

    def _decode_older(self, buffer: Any, offset: int, block_length: int, version: int) -> list[int]:
        # A sender of an older version (or a shorter block): read field by field, and
        # give each field it does not have the schema's null value.
        values = []
        for spec, field_offset in zip(self.fields, self._offsets):
            if version >= spec.since_version and field_offset + spec.size <= block_length:
                values.append(struct.unpack_from("<" + _PRIMITIVES[spec.primitive], buffer, offset + field_offset)[0])
            else:
                values.append(spec.null_value)
        return values


def _enum_or_raw(enum_type: type[enum.IntEnum], value: int) -> int:
    # An unknown value (a null, or a newer sender's addition) stays a plain int rather
    # than failing the whole message.
    try:
        return enum_type(value)
    except ValueError:
        return value


class MessageHeader(NamedTuple):
    block_length: int
    template_id: int
    schema_id: int
    version: int


def decode_header(buffer: Any, offset: int = 0) -> MessageHeader:
    """The SBE header at ``buffer[offset]``; raises ``SchemaMismatchError`` if it is not
    this schema."""
    try:
        header = MessageHeader(*HEADER.unpack_from(buffer, offset))
    except struct.error as exc:
        raise ClusterCodecError(f"truncated message header: {exc}") from exc
    if header.schema_id != SCHEMA_ID:
        raise schema_mismatch("cluster message", header.schema_id, header.version)
    return header


def schema_mismatch(what: str, schema_id: int, version: int) -> SchemaMismatchError:
    """The error for ``what`` (a message, a stream) arriving in another schema than this
    one, naming both; callers compare ``schema_id`` with ``SCHEMA_ID`` themselves, so a
    hot path pays only the comparison."""
    return SchemaMismatchError(f"{what}: expected schemaId={SCHEMA_ID} version={SCHEMA_VERSION}, "
                               f"got schemaId={schema_id} version={version}")


# -- messages ------------------------------------------------------------------------

def _i64(name: str, **kw: Any) -> Field:
    return Field(name, "int64", **kw)


def _i32(name: str, **kw: Any) -> Field:
    return Field(name, "int32", **kw)


def _enum(name: str, enum_type: type[enum.IntEnum], **kw: Any) -> Field:
    return Field(name, "int32", enum=enum_type, **kw)


def _version(name: str, since_version: int = 0) -> Field:
    return Field(name, "int32", since_version=since_version, null=NULL_VERSION)


def _ascii(name: str, since_version: int = 0) -> VarField:
    return VarField(name, True, since_version)


def _data(name: str) -> VarField:
    return VarField(name, False)


# Session protocol (client <-> cluster)

class SessionMessageHeader(NamedTuple):
    leadership_term_id: int
    cluster_session_id: int
    timestamp: int


class SessionEvent(NamedTuple):
    cluster_session_id: int
    correlation_id: int
    leadership_term_id: int
    leader_member_id: int
    code: EventCode
    version: int
    leader_heartbeat_timeout_ns: int
    detail: str


class SessionConnectRequest(NamedTuple):
    correlation_id: int
    response_stream_id: int
    version: int
    response_channel: str
    encoded_credentials: bytes
    client_info: str


class SessionCloseRequest(NamedTuple):
    leadership_term_id: int
    cluster_session_id: int


class SessionKeepAlive(NamedTuple):
    leadership_term_id: int
    cluster_session_id: int


class NewLeaderEvent(NamedTuple):
    leadership_term_id: int
    cluster_session_id: int
    leader_member_id: int
    ingress_endpoints: str


class Challenge(NamedTuple):
    correlation_id: int
    cluster_session_id: int
    encoded_challenge: bytes


class ChallengeResponse(NamedTuple):
    correlation_id: int
    cluster_session_id: int
    encoded_credentials: bytes


class AdminRequest(NamedTuple):
    leadership_term_id: int
    cluster_session_id: int
    correlation_id: int
    request_type: AdminRequestType
    payload: bytes


class AdminResponse(NamedTuple):
    cluster_session_id: int
    correlation_id: int
    request_type: AdminRequestType
    response_code: AdminResponseCode
    message: str
    payload: bytes


SESSION_MESSAGE_HEADER = MessageCodec("SessionMessageHeader", 1, SessionMessageHeader, (
    _i64("leadershipTermId"), _i64("clusterSessionId"), _i64("timestamp")))
SESSION_EVENT = MessageCodec("SessionEvent", 2, SessionEvent, (
    _i64("clusterSessionId"), _i64("correlationId"), _i64("leadershipTermId"), _i32("leaderMemberId"),
    _enum("code", EventCode), _version("version", since_version=6),
    _i64("leaderHeartbeatTimeoutNs", since_version=13)), (_ascii("detail"),))
SESSION_CONNECT_REQUEST = MessageCodec("SessionConnectRequest", 3, SessionConnectRequest, (
    _i64("correlationId"), _i32("responseStreamId"), _version("version", since_version=2)),
    (_ascii("responseChannel"), _data("encodedCredentials"), _ascii("clientInfo", since_version=14)))
SESSION_CLOSE_REQUEST = MessageCodec("SessionCloseRequest", 4, SessionCloseRequest, (
    _i64("leadershipTermId"), _i64("clusterSessionId")))
SESSION_KEEP_ALIVE = MessageCodec("SessionKeepAlive", 5, SessionKeepAlive, (
    _i64("leadershipTermId"), _i64("clusterSessionId")))
NEW_LEADER_EVENT = MessageCodec("NewLeaderEvent", 6, NewLeaderEvent, (
    _i64("leadershipTermId"), _i64("clusterSessionId"), _i32("leaderMemberId")), (_ascii("ingressEndpoints"),))
CHALLENGE = MessageCodec("Challenge", 7, Challenge, (
    _i64("correlationId"), _i64("clusterSessionId")), (_data("encodedChallenge"),))
CHALLENGE_RESPONSE = MessageCodec("ChallengeResponse", 8, ChallengeResponse, (
    _i64("correlationId"), _i64("clusterSessionId")), (_data("encodedCredentials"),))
ADMIN_REQUEST = MessageCodec("AdminRequest", 26, AdminRequest, (
    _i64("leadershipTermId"), _i64("clusterSessionId"), _i64("correlationId"),
    _enum("requestType", AdminRequestType)), (_data("payload"),))
ADMIN_RESPONSE = MessageCodec("AdminResponse", 27, AdminResponse, (
    _i64("clusterSessionId"), _i64("correlationId"), _enum("requestType", AdminRequestType),
    _enum("responseCode", AdminResponseCode)), (_ascii("message"), _data("payload")))


# Log events (written into the log by the consensus module)

class TimerEvent(NamedTuple):
    leadership_term_id: int
    correlation_id: int
    timestamp: int


class SessionOpenEvent(NamedTuple):
    leadership_term_id: int
    correlation_id: int
    cluster_session_id: int
    timestamp: int
    response_stream_id: int
    response_channel: str
    encoded_principal: bytes


class SessionCloseEvent(NamedTuple):
    leadership_term_id: int
    cluster_session_id: int
    timestamp: int
    close_reason: CloseReason


class ClusterActionRequest(NamedTuple):
    leadership_term_id: int
    log_position: int
    timestamp: int
    action: ClusterAction
    flags: int


class NewLeadershipTermEvent(NamedTuple):
    leadership_term_id: int
    log_position: int
    timestamp: int
    term_base_log_position: int
    leader_member_id: int
    log_session_id: int
    time_unit: ClusterTimeUnit
    app_version: int


class MembershipChangeEvent(NamedTuple):
    leadership_term_id: int
    log_position: int
    timestamp: int
    leader_member_id: int
    cluster_size: int
    change_type: ChangeType
    member_id: int
    cluster_members: str


TIMER_EVENT = MessageCodec("TimerEvent", 20, TimerEvent, (
    _i64("leadershipTermId"), _i64("correlationId"), _i64("timestamp")))
SESSION_OPEN_EVENT = MessageCodec("SessionOpenEvent", 21, SessionOpenEvent, (
    _i64("leadershipTermId"), _i64("correlationId"), _i64("clusterSessionId"), _i64("timestamp"),
    _i32("responseStreamId")), (_ascii("responseChannel"), _data("encodedPrincipal")))
SESSION_CLOSE_EVENT = MessageCodec("SessionCloseEvent", 22, SessionCloseEvent, (
    _i64("leadershipTermId"), _i64("clusterSessionId"), _i64("timestamp"), _enum("closeReason", CloseReason)))
CLUSTER_ACTION_REQUEST = MessageCodec("ClusterActionRequest", 23, ClusterActionRequest, (
    _i64("leadershipTermId"), _i64("logPosition"), _i64("timestamp"), _enum("action", ClusterAction),
    _i32("flags", since_version=11)))
NEW_LEADERSHIP_TERM_EVENT = MessageCodec("NewLeadershipTermEvent", 24, NewLeadershipTermEvent, (
    _i64("leadershipTermId"), _i64("logPosition"), _i64("timestamp"), _i64("termBaseLogPosition"),
    _i32("leaderMemberId"), _i32("logSessionId"), _enum("timeUnit", ClusterTimeUnit, since_version=4),
    _version("appVersion", since_version=4)))
MEMBERSHIP_CHANGE_EVENT = MessageCodec("MembershipChangeEvent", 25, MembershipChangeEvent, (
    _i64("leadershipTermId"), _i64("logPosition"), _i64("timestamp"), _i32("leaderMemberId"),
    _i32("clusterSize"), _enum("changeType", ChangeType), _i32("memberId")), (_ascii("clusterMembers"),))


# Service <-> consensus module control

class CloseSession(NamedTuple):
    cluster_session_id: int


class ScheduleTimer(NamedTuple):
    correlation_id: int
    deadline: int


class CancelTimer(NamedTuple):
    correlation_id: int


class ServiceAck(NamedTuple):
    log_position: int
    timestamp: int
    ack_id: int
    relevant_id: int
    service_id: int


class JoinLog(NamedTuple):
    log_position: int
    max_log_position: int
    member_id: int
    log_session_id: int
    log_stream_id: int
    is_startup: BooleanType
    role: int
    is_standby: BooleanType
    log_channel: str


class ServiceTerminationPosition(NamedTuple):
    log_position: int


class RequestServiceAck(NamedTuple):
    log_position: int


CLOSE_SESSION = MessageCodec("CloseSession", 30, CloseSession, (_i64("clusterSessionId"),))
SCHEDULE_TIMER = MessageCodec("ScheduleTimer", 31, ScheduleTimer, (_i64("correlationId"), _i64("deadline")))
CANCEL_TIMER = MessageCodec("CancelTimer", 32, CancelTimer, (_i64("correlationId"),))
SERVICE_ACK = MessageCodec("ServiceAck", 33, ServiceAck, (
    _i64("logPosition"), _i64("timestamp"), _i64("ackId"), _i64("relevantId"), _i32("serviceId")))
JOIN_LOG = MessageCodec("JoinLog", 40, JoinLog, (
    _i64("logPosition"), _i64("maxLogPosition"), _i32("memberId"), _i32("logSessionId"), _i32("logStreamId"),
    _enum("isStartup", BooleanType), _i32("role"), _enum("isStandby", BooleanType, since_version=16)),
    (_ascii("logChannel"),))
SERVICE_TERMINATION_POSITION = MessageCodec("ServiceTerminationPosition", 42, ServiceTerminationPosition, (
    _i64("logPosition"),))
REQUEST_SERVICE_ACK = MessageCodec("requestServiceAck", 108, RequestServiceAck, (_i64("logPosition"),))


# Snapshots

class SnapshotMarker(NamedTuple):
    type_id: int
    log_position: int
    leadership_term_id: int
    index: int  # type: ignore[assignment]  # Java's field name; shadows tuple.index on purpose
    mark: SnapshotMark
    time_unit: ClusterTimeUnit
    app_version: int


class ClientSession(NamedTuple):
    cluster_session_id: int
    response_stream_id: int
    response_channel: str
    encoded_principal: bytes


SNAPSHOT_MARKER = MessageCodec("SnapshotMarker", 100, SnapshotMarker, (
    _i64("typeId"), _i64("logPosition"), _i64("leadershipTermId"), _i32("index"), _enum("mark", SnapshotMark),
    _enum("timeUnit", ClusterTimeUnit, since_version=4), _version("appVersion", since_version=4)))
CLIENT_SESSION = MessageCodec("ClientSession", 102, ClientSession, (
    _i64("clusterSessionId"), _i32("responseStreamId")), (_ascii("responseChannel"), _data("encodedPrincipal")))


MESSAGES: tuple[MessageCodec[Any], ...] = (
    SESSION_MESSAGE_HEADER, SESSION_EVENT, SESSION_CONNECT_REQUEST, SESSION_CLOSE_REQUEST, SESSION_KEEP_ALIVE,
    NEW_LEADER_EVENT, CHALLENGE, CHALLENGE_RESPONSE, ADMIN_REQUEST, ADMIN_RESPONSE,
    TIMER_EVENT, SESSION_OPEN_EVENT, SESSION_CLOSE_EVENT, CLUSTER_ACTION_REQUEST, NEW_LEADERSHIP_TERM_EVENT,
    MEMBERSHIP_CHANGE_EVENT,
    CLOSE_SESSION, SCHEDULE_TIMER, CANCEL_TIMER, SERVICE_ACK, JOIN_LOG, SERVICE_TERMINATION_POSITION,
    REQUEST_SERVICE_ACK,
    SNAPSHOT_MARKER, CLIENT_SESSION,
)
MESSAGES_BY_TEMPLATE_ID: dict[int, MessageCodec[Any]] = {m.template_id: m for m in MESSAGES}


# -- the per-message hot path: SessionMessageHeader ----------------------------------

SESSION_HEADER_LENGTH = HEADER_LENGTH + SESSION_MESSAGE_HEADER.block_length  # 32, Java's SESSION_HEADER_LENGTH
# SessionMessageHeader's own structs (SBE header + block, and the block alone), from its table.
_SESSION_HEADER = SESSION_MESSAGE_HEADER._header_block
_SESSION_HEADER_FIELDS = SESSION_MESSAGE_HEADER._block
_SESSION_HEADER_PREFIX = HEADER.pack(SESSION_MESSAGE_HEADER.block_length, SESSION_MESSAGE_HEADER.template_id,
                                     SCHEMA_ID, SCHEMA_VERSION)


def encode_session_header(buffer: Any, offset: int, leadership_term_id: int, cluster_session_id: int,
                          timestamp: int) -> None:
    """Write the 32-byte SessionMessageHeader (SBE header included) at ``buffer[offset]``."""
    _SESSION_HEADER.pack_into(buffer, offset, SESSION_MESSAGE_HEADER.block_length, SESSION_MESSAGE_HEADER.template_id,
                              SCHEMA_ID, SCHEMA_VERSION, leadership_term_id, cluster_session_id, timestamp)


def session_header_bytes(leadership_term_id: int, cluster_session_id: int, timestamp: int = 0) -> bytes:
    """The 32-byte SessionMessageHeader as ``bytes`` (to prepend with a vectored offer)."""
    return _SESSION_HEADER_PREFIX + _SESSION_HEADER_FIELDS.pack(leadership_term_id, cluster_session_id, timestamp)


def decode_session_header(buffer: Any, offset: int, block_length: int) -> tuple[int, int, int, int]:
    """``(leadership_term_id, cluster_session_id, timestamp, payload_offset)`` of a
    SessionMessageHeader whose SBE header (already read, giving ``block_length``) starts
    at ``buffer[offset]``; the payload starts after the sender's block."""
    if block_length < _SESSION_HEADER_FIELDS.size:
        raise ClusterCodecError(f"SessionMessageHeader blockLength={block_length} is shorter than "
                                f"{_SESSION_HEADER_FIELDS.size}")
    leadership_term_id, cluster_session_id, timestamp = _SESSION_HEADER_FIELDS.unpack_from(
        buffer, offset + HEADER_LENGTH)
    return leadership_term_id, cluster_session_id, timestamp, offset + HEADER_LENGTH + block_length
