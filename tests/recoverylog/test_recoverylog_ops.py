"""RecordedOp's wire format and framing against bytes written out by hand from the
protobuf encoding rules and Gazette's field numbers (not by the library under test)."""

import pytest

from aeron_cffi.recoverylog.ops import FrameError, RecordedOp, decode_message, encode_frame, next_checksum

WORD = "66339336"

# (op fields, encoded message as hex, annotated field by field)
VECTORS = [
    (
        dict(seq_no=1, checksum=0x12345678, author=7, write=dict(fnode=3, offset=0, length=5)),
        "0801"            # 1 seq_no varint 1
        "1578563412"      # 2 checksum fixed32 little-endian
        "1d07000000"      # 3 author fixed32
        "3a04" "0803" "1805",  # 7 write, 4 bytes: fnode 3, length 5 (offset 0 left out)
    ),
    (
        dict(seq_no=300, checksum=0, author=0xFFFFFFFF, create=dict(path="/a")),
        "08ac02"          # seq_no 300 = 0b1_0010_1100: ac 02
        "1dffffffff"      # author 2**32-1 (checksum 0 left out)
        "2204" "0a022f61",  # 4 create: path "/a"
    ),
    (
        dict(seq_no=5, checksum=1, author=2, link=dict(fnode=2**40, path="/b")),
        "0805" "1501000000" "1d02000000"
        "2a0b" "088080808080" "20" "12022f62",  # 5 link (11 bytes): fnode 2**40 as a 6-byte varint, path "/b"
    ),
    (
        dict(seq_no=6, checksum=2, author=2, unlink=dict(fnode=4, path="/c")),
        "0806" "1502000000" "1d02000000"
        "3206" "0804" "12022f63",  # 6 unlink: fnode 4, path "/c"
    ),
    (
        dict(seq_no=7, checksum=3, author=2, property=dict(path="/ID", content="x")),
        "0807" "1503000000" "1d02000000"
        "4208" "0a032f4944" "120178",  # 8 property: path "/ID", content "x"
    ),
    (
        dict(seq_no=8, checksum=4, author=9, first_offset=128, last_offset=1),
        "0808" "1504000000" "1d09000000"
        "488001"  # 9 first_offset 128 (a player's meta-field)
        "5001",   # 10 last_offset 1
    ),
    (dict(seq_no=9, author=1), "0809" "1d01000000"),  # a no-op: no operation field
]


@pytest.mark.parametrize("fields, encoded_hex", VECTORS)
def test_encoding_matches_the_wire_format(fields, encoded_hex):
    op = RecordedOp(**fields)
    encoded = bytes.fromhex(encoded_hex)
    frame = encode_frame(op)
    assert frame == bytes.fromhex(WORD) + len(encoded).to_bytes(4, "little") + encoded
    decoded, decoded_encoded, rest = decode_message(frame + b"data")
    assert decoded == op and bytes(decoded_encoded) == encoded and bytes(rest) == b"data"


def test_checksum_is_crc32c_chained_over_encoded_ops():
    assert next_checksum(0, b"123456789") == 0xE3069283  # the CRC-32C check value
    assert next_checksum(next_checksum(0, b"1234"), b"56789") == 0xE3069283


@pytest.mark.parametrize("message, reason", [
    (b"", "frame word"),
    (b"\x00\x33\x93\x36\x00\x00\x00\x00", "frame word"),
    (bytes.fromhex(WORD) + (100).to_bytes(4, "little") + b"\x08\x01", "longer than its message"),
    (bytes.fromhex(WORD) + (2).to_bytes(4, "little") + b"\x0a\xff", "does not hold a RecordedOp"),
])
def test_malformed_messages_raise_frame_error(message, reason):
    with pytest.raises(FrameError, match=reason):
        decode_message(message)
