"""``AeronClusterContext``: settings are checked when made, before anything is created."""

from __future__ import annotations

import pytest

from aeron_cffi.cluster import AeronClusterContext
from aeron_cffi.cluster.client_context import format_ingress_endpoints, member_ingress_channel
from aeron_cffi.errors import InvalidArgumentError


def test_endpoints_as_java_writes_them_or_as_a_mapping():
    from_text = AeronClusterContext(ingress_endpoints="0=localhost:9002,1=localhost:9102")
    from_mapping = AeronClusterContext(ingress_endpoints={0: "localhost:9002", 1: "localhost:9102"})
    assert from_text.ingress_endpoints == from_mapping.ingress_endpoints == {0: "localhost:9002", 1: "localhost:9102"}
    assert format_ingress_endpoints(from_text.ingress_endpoints) == "0=localhost:9002,1=localhost:9102"
    assert from_text.ingress_channel == "aeron:udp"


def test_member_channel_gets_the_members_endpoint():
    channel = member_ingress_channel("aeron:udp?term-length=256k|endpoint=elsewhere:1", "node1:9102")
    assert "endpoint=node1:9102" in channel and "term-length=256k" in channel
    assert member_ingress_channel("aeron:ipc", "node1:9102") == "aeron:ipc"


@pytest.mark.parametrize("settings, error, match", [
    ({}, InvalidArgumentError, "ingress_endpoints"),
    ({"ingress_endpoints": {}}, InvalidArgumentError, "empty"),
    ({"ingress_endpoints": "0:localhost:9002"}, InvalidArgumentError, "missing '='"),
    ({"ingress_endpoints": "zero=localhost:9002"}, InvalidArgumentError, "not an int"),
    ({"ingress_endpoints": {"0": "localhost:9002"}}, TypeError, "int member ids"),
    ({"ingress_endpoints": ["localhost:9002"]}, TypeError, "mapping or a str"),
    ({"ingress_channel": b"aeron:udp"}, TypeError, "ingress_channel must be str"),
    ({"ingress_channel": "aeron:ipc", "egress_stream_id": "102"}, TypeError, "egress_stream_id must be int"),
    ({"ingress_channel": "aeron:ipc", "message_timeout_ns": 0}, InvalidArgumentError, "positive"),
    ({"ingress_channel": "aeron:ipc", "encoded_credentials": "secret"}, TypeError, "encoded_credentials"),
    ({"ingress_channel": "aeron:ipc", "on_challenge": b"answer"}, TypeError, "on_challenge must be callable"),
    ({"ingress_channel": "aeron:ipc", "idle_strategy": 1}, TypeError, "IdleStrategy"),
])
def test_bad_settings_are_refused(settings, error, match):
    with pytest.raises(error, match=match):
        AeronClusterContext(**settings)


def test_credentials_callables_must_return_bytes():
    context = AeronClusterContext(ingress_channel="aeron:ipc", encoded_credentials=lambda: "text",
                                  on_challenge=lambda challenge: None)
    with pytest.raises(TypeError, match="encoded_credentials returned str"):
        context.credentials()
    with pytest.raises(TypeError, match="on_challenge returned NoneType"):
        context.answer_challenge(b"challenge!")
    assert AeronClusterContext(ingress_channel="aeron:ipc").answer_challenge(b"c") == b""
