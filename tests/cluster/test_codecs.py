"""The cluster codecs against the schema inside the pinned aeron-all jar (read at test
time, never copied into the repository), and round trips of every message."""

from __future__ import annotations

import enum
import struct
import xml.etree.ElementTree as ElementTree
import zipfile

import pytest

from aeron_cffi.cluster import codecs
from aeron_cffi.cluster.codecs import MESSAGES, MessageCodec
from aeron_cffi.cluster.errors import ClusterCodecError, SchemaMismatchError
from aeron_cffi.testing import aeron_all_jar

SCHEMA_PATH = "cluster/aeron-cluster-codecs.xml"
SIZES = {"int64": 8, "int32": 4, "uint8": 1, "uint16": 2, "uint32": 4}
# SBE's null values for optional fields of each primitive when the type sets none.
DEFAULT_NULLS = {"int64": -(1 << 63), "int32": -(1 << 31), "uint8": 0xFF}


class Schema:
    """The parts of an SBE schema the codecs rely on."""

    def __init__(self, root: ElementTree.Element) -> None:
        self.root = root
        self.id = int(root.get("id"))
        self.version = int(root.get("version"))
        types = root.find("types")
        self.types = {t.get("name"): t for t in types.findall("type")}
        self.enums = {e.get("name"): e for e in types.findall("enum")}
        self.composites = {c.get("name"): c for c in types.findall("composite")}
        self.messages = {m.get("name").lower(): m for m in root.iter() if m.tag.endswith("message")}

    def primitive(self, type_name: str) -> str:
        if type_name in SIZES:
            return type_name
        if type_name in self.types:
            return self.types[type_name].get("primitiveType")
        return self.enums[type_name].get("encodingType")

    def enum_values(self, name: str) -> dict[str, int]:
        return {v.get("name"): int(v.text) for v in self.enums[name].findall("validValue")}


@pytest.fixture(scope="module")
def schema() -> Schema:
    with zipfile.ZipFile(aeron_all_jar()) as jar:
        return Schema(ElementTree.fromstring(jar.read(SCHEMA_PATH)))


def test_schema_id_and_version(schema):
    assert (schema.id, schema.version) == (codecs.SCHEMA_ID, codecs.SCHEMA_VERSION)


def test_message_header_layout(schema):
    header = schema.composites["messageHeader"]
    layout = [(t.get("name"), t.get("primitiveType")) for t in header.findall("type")]
    assert layout == [("blockLength", "uint16"), ("templateId", "uint16"), ("schemaId", "uint16"),
                      ("version", "uint16")]
    assert codecs.HEADER.format == "<HHHH" and codecs.HEADER_LENGTH == 8


@pytest.mark.parametrize("name", ["varAsciiEncoding", "varDataEncoding"])
def test_var_length_prefix_is_u32(schema, name):
    length = schema.composites[name].find("type[@name='length']")
    assert length.get("primitiveType") == "uint32"
    assert int(length.get("maxValue")) == 1 << 30


@pytest.mark.parametrize("codec", MESSAGES, ids=lambda c: c.name)
def test_message_matches_schema(schema, codec: MessageCodec):
    message = schema.messages[codec.name.lower()]
    assert message.get("name") == codec.name
    assert int(message.get("id")) == codec.template_id

    fields = message.findall("field")
    assert [f.get("name") for f in fields] == [f.name for f in codec.fields]
    offset = 0
    for xml_field, field in zip(fields, codec.fields):
        where = f"{codec.name}.{field.name}"
        type_name = xml_field.get("type")
        if xml_field.get("offset") is not None:
            offset = int(xml_field.get("offset"))
        assert codec.field_offset(field.name) == offset, where
        assert schema.primitive(type_name) == field.primitive, where
        assert int(xml_field.get("sinceVersion", "0")) == field.since_version, where
        if type_name in schema.enums:
            assert field.enum is not None and field.enum.__name__ == type_name, where
        else:
            assert field.enum is None, where
        if field.since_version:
            # Absent in an older sender's message: the decoder returns the schema's null.
            declared = schema.types.get(type_name)
            null = declared.get("nullValue") if declared is not None else None
            expected = int(null) if null is not None else DEFAULT_NULLS[field.primitive]
            assert field.null_value == expected, where
        offset += SIZES[field.primitive]
    assert codec.block_length == int(message.get("blockLength", offset)), codec.name

    datas = message.findall("data")
    assert [d.get("name") for d in datas] == [v.name for v in codec.var_fields]
    for xml_data, var in zip(datas, codec.var_fields):
        assert xml_data.get("type") == ("varAsciiEncoding" if var.ascii else "varDataEncoding")
        assert int(xml_data.get("sinceVersion", "0")) == var.since_version
    assert not message.findall("group"), "repeating groups are not supported by MessageCodec"


ENUMS = [codecs.BooleanType, codecs.EventCode, codecs.CloseReason, codecs.ClusterAction, codecs.SnapshotMark,
         codecs.ChangeType, codecs.ClusterTimeUnit, codecs.AdminRequestType, codecs.AdminResponseCode]


@pytest.mark.parametrize("enum_type", ENUMS, ids=lambda e: e.__name__)
def test_enum_values_match_schema(schema, enum_type: type[enum.IntEnum]):
    assert {m.name: m.value for m in enum_type} == schema.enum_values(enum_type.__name__)


def test_every_schema_enum_is_covered(schema):
    assert set(schema.enums) == {e.__name__ for e in ENUMS}


def test_every_message_of_the_service_and_client_protocol_is_covered(schema):
    # Template ids the brief lists: session protocol, log events, service control, snapshots.
    wanted = {1, 2, 3, 4, 5, 6, 7, 8, 20, 21, 22, 23, 24, 25, 30, 31, 32, 33, 40, 42, 108, 100, 102}
    assert wanted <= set(codecs.MESSAGES_BY_TEMPLATE_ID)
    assert all(str(t) in {m.get("id") for m in schema.messages.values()} for t in wanted)


# -- round trips ----------------------------------------------------------------------

def sample(codec: MessageCodec, seed: int = 1):
    """A message with a distinct value in every field (a valid enum member for enums)."""
    values = []
    for index, field in enumerate(codec.fields):
        if field.enum is not None:
            members = list(field.enum)
            values.append(members[(seed + index) % len(members)])
        elif field.primitive == "int64":
            values.append(-(seed * 1_000_003 + index) * (1 << 33))
        else:
            values.append(seed * 1000 + index)
    for index, var in enumerate(codec.var_fields):
        values.append(f"aeron:udp?endpoint=localhost:{seed}{index}" if var.ascii else bytes([seed, index, 255]) * 7)
    return codec.type(*values)


@pytest.mark.parametrize("codec", MESSAGES, ids=lambda c: c.name)
def test_round_trip(codec: MessageCodec):
    message = sample(codec)
    encoded = codec.encode(message)
    assert len(encoded) == codec.encoded_length(message)
    block_length, template_id, schema_id, version = struct.unpack_from("<HHHH", encoded)
    assert (block_length, template_id, schema_id, version) == (codec.block_length, codec.template_id, 111, 16)
    assert codec.decode(encoded) == message

    # Into a caller's buffer at an offset, decoded from a memoryview with a bound.
    buffer = bytearray(7 + len(encoded) + 5)
    assert codec.encode_into(buffer, 7, message) == len(encoded)
    assert codec.decode(memoryview(buffer), 7, len(encoded)) == message


def test_decoder_honours_a_newer_senders_longer_block():
    # A later schema version appends fields to the block: the var field is found after it.
    message = sample(codecs.NEW_LEADER_EVENT)
    encoded = bytearray(codecs.NEW_LEADER_EVENT.encode(message))
    block_end = 8 + codecs.NEW_LEADER_EVENT.block_length
    newer = encoded[:block_end] + b"\xAA" * 12 + encoded[block_end:]
    struct.pack_into("<HHHH", newer, 0, codecs.NEW_LEADER_EVENT.block_length + 12, 6, 111, 17)
    assert codecs.NEW_LEADER_EVENT.decode(newer) == message


def test_decoder_gives_nulls_for_fields_an_older_sender_lacks():
    message = sample(codecs.JOIN_LOG)
    encoded = bytearray(codecs.JOIN_LOG.encode(message))
    # A version-15 consensus module had no isStandby: a 36-byte block, then logChannel.
    older = encoded[:8 + 36] + encoded[8 + 40:]
    struct.pack_into("<HHHH", older, 0, 36, 40, 111, 15)
    decoded = codecs.JOIN_LOG.decode(older)
    assert decoded.is_standby == codecs.NULL_INT32
    assert decoded._replace(is_standby=message.is_standby) == message

    event = sample(codecs.SESSION_EVENT)
    encoded = bytearray(codecs.SESSION_EVENT.encode(event))
    struct.pack_into("<H", encoded, 6, 12)  # same block, but a version before leaderHeartbeatTimeoutNs (13)
    assert codecs.SESSION_EVENT.decode(encoded) == event._replace(leader_heartbeat_timeout_ns=codecs.NULL_INT64)

    request = sample(codecs.SESSION_CONNECT_REQUEST)
    encoded = bytearray(codecs.SESSION_CONNECT_REQUEST.encode(request._replace(client_info="")))
    shorter = encoded[:-4]  # a version-13 client sends no clientInfo length at all
    struct.pack_into("<H", shorter, 6, 13)
    assert codecs.SESSION_CONNECT_REQUEST.decode(shorter) == request._replace(client_info="")


def test_unknown_enum_value_is_kept_as_int():
    encoded = bytearray(codecs.SESSION_CLOSE_EVENT.encode(sample(codecs.SESSION_CLOSE_EVENT)))
    struct.pack_into("<i", encoded, 8 + 24, 77)
    assert codecs.SESSION_CLOSE_EVENT.decode(encoded).close_reason == 77


def test_session_header_fast_path_agrees_with_the_codec():
    generic = codecs.SESSION_MESSAGE_HEADER.encode(codecs.SessionMessageHeader(5, -(1 << 62), 123456789))
    assert codecs.session_header_bytes(5, -(1 << 62), 123456789) == generic
    buffer = bytearray(40)
    codecs.encode_session_header(buffer, 4, 5, -(1 << 62), 123456789)
    assert bytes(buffer[4:36]) == generic
    header = codecs.decode_header(memoryview(buffer), 4)
    assert header == codecs.MessageHeader(24, 1, 111, 16)
    assert codecs.decode_session_header(memoryview(buffer), 4, header.block_length) == (5, -(1 << 62), 123456789, 36)
    assert codecs.SESSION_HEADER_LENGTH == 32


def test_foreign_schema_is_rejected_naming_both_sides():
    encoded = bytearray(codecs.SERVICE_ACK.encode(sample(codecs.SERVICE_ACK)))
    struct.pack_into("<HH", encoded, 4, 101, 9)
    with pytest.raises(SchemaMismatchError, match=r"schemaId=111 version=16.*schemaId=101 version=9"):
        codecs.SERVICE_ACK.decode(encoded)
    with pytest.raises(SchemaMismatchError, match="schemaId=101"):
        codecs.decode_header(encoded)


def test_malformed_messages_raise_codec_errors():
    encoded = codecs.CHALLENGE.encode(sample(codecs.CHALLENGE))
    with pytest.raises(ClusterCodecError, match="run past"):
        codecs.CHALLENGE.decode(encoded[:-1])
    with pytest.raises(ClusterCodecError, match="shorter than the message header"):
        codecs.CHALLENGE.decode(encoded[:5])
    with pytest.raises(ClusterCodecError, match="expected ChallengeResponse"):
        codecs.CHALLENGE_RESPONSE.decode(encoded)
    with pytest.raises(ClusterCodecError, match="runs past the message end"):
        codecs.CHALLENGE.decode(encoded, 0, 12)


def test_encoding_rejects_bad_values_clearly():
    request = sample(codecs.SESSION_CONNECT_REQUEST)
    with pytest.raises(ClusterCodecError, match="must be ASCII"):
        codecs.SESSION_CONNECT_REQUEST.encode(request._replace(response_channel="aeron:udp?endpoint=é"))
    with pytest.raises(TypeError, match="encoded_credentials must be bytes-like"):
        codecs.SESSION_CONNECT_REQUEST.encode(request._replace(encoded_credentials="secret"))
    with pytest.raises(ClusterCodecError, match="cannot encode SessionConnectRequest"):
        codecs.SESSION_CONNECT_REQUEST.encode(request._replace(response_stream_id=1 << 40))
    with pytest.raises(ClusterCodecError, match="too short"):
        codecs.SESSION_CONNECT_REQUEST.encode_into(bytearray(30), 0, request)


def test_semantic_version_composition():
    assert codecs.PROTOCOL_SEMANTIC_VERSION == (0 << 16) | (3 << 8) | 0
    assert codecs.semantic_version_str(codecs.semantic_version(1, 2, 3)) == "1.2.3"
    with pytest.raises(ValueError):
        codecs.semantic_version(256, 0, 0)
