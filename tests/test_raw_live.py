"""The foundation works end to end through the raw ``lib``, with no Pythonic layer involved:

* the embedded C media driver (``aeron_driver_*``) with a client doing an IPC round trip;
* the packaged ``aeronmd`` as a process with a UDP round trip on localhost;
* the Java archive on the C driver, reached by the C archive client, reporting its id.
"""

from __future__ import annotations

import pathlib
import time

import pytest

from aeron_cffi._native import c_string, ffi, lib
from aeron_cffi.testing import free_udp_port

TIMEOUT = 10.0


def ok(result: int, what: str) -> int:
    if result < 0:
        raise AssertionError(f"{what} failed: {c_string(lib.aeron_errmsg())} ({lib.aeron_errcode()})")
    return result


def until(predicate, what: str):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.001)
    raise AssertionError(f"timed out: {what}")


class RawClient:
    """The minimum of client calls a round trip needs, each checked."""

    def __init__(self, aeron_dir: pathlib.Path) -> None:
        self.context = ffi.new("aeron_context_t **")
        ok(lib.aeron_context_init(self.context), "aeron_context_init")
        ok(lib.aeron_context_set_dir(self.context[0], str(aeron_dir).encode()), "aeron_context_set_dir")
        self.client = ffi.new("aeron_t **")
        ok(lib.aeron_init(self.client, self.context[0]), "aeron_init")
        ok(lib.aeron_start(self.client[0]), "aeron_start")

    def add_publication(self, channel: str, stream_id: int):
        pending = ffi.new("aeron_async_add_publication_t **")
        ok(lib.aeron_async_add_publication(pending, self.client[0], channel.encode(), stream_id), "add publication")
        publication = ffi.new("aeron_publication_t **")
        until(lambda: ok(lib.aeron_async_add_publication_poll(publication, pending[0]), "poll publication"),
              "publication added")
        return publication[0]

    def add_subscription(self, channel: str, stream_id: int):
        pending = ffi.new("aeron_async_add_subscription_t **")
        ok(lib.aeron_async_add_subscription(
            pending, self.client[0], channel.encode(), stream_id, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL),
            "add subscription")
        subscription = ffi.new("aeron_subscription_t **")
        until(lambda: ok(lib.aeron_async_add_subscription_poll(subscription, pending[0]), "poll subscription"),
              "subscription added")
        return subscription[0]

    def close(self) -> None:
        ok(lib.aeron_close(self.client[0]), "aeron_close")
        ok(lib.aeron_context_close(self.context[0]), "aeron_context_close")


def round_trip(client: RawClient, channel: str, messages: list[bytes]) -> list[bytes]:
    """Offer ``messages`` on ``channel`` and return what a subscription polls back."""
    subscription = client.add_subscription(channel, 1001)
    publication = client.add_publication(channel, 1001)
    until(lambda: lib.aeron_publication_is_connected(publication), "publication connected")

    received: list[bytes] = []

    @ffi.callback("aeron_fragment_handler_t")
    def on_fragment(clientd, buffer, length, header):
        received.append(bytes(ffi.buffer(buffer, length)))

    for message in messages:
        until(lambda: lib.aeron_publication_offer(publication, message, len(message), ffi.NULL, ffi.NULL) > 0,
              "offer accepted")
    until(lambda: lib.aeron_subscription_poll(subscription, on_fragment, ffi.NULL, 10) >= 0
          and len(received) == len(messages), "all messages polled")
    ok(lib.aeron_publication_close(publication, ffi.NULL, ffi.NULL), "aeron_publication_close")
    ok(lib.aeron_subscription_close(subscription, ffi.NULL, ffi.NULL), "aeron_subscription_close")
    return received


def test_embedded_driver_ipc_round_trip(tmp_path: pathlib.Path):
    aeron_dir = tmp_path / "embedded"
    driver_context = ffi.new("aeron_driver_context_t **")
    ok(lib.aeron_driver_context_init(driver_context), "aeron_driver_context_init")
    ctx = driver_context[0]
    ok(lib.aeron_driver_context_set_dir(ctx, str(aeron_dir).encode()), "set_dir")
    ok(lib.aeron_driver_context_set_threading_mode(ctx, lib.AERON_THREADING_MODE_SHARED), "set_threading_mode")
    ok(lib.aeron_driver_context_set_dir_delete_on_start(ctx, True), "set_dir_delete_on_start")
    ok(lib.aeron_driver_context_set_dir_delete_on_shutdown(ctx, True), "set_dir_delete_on_shutdown")
    ok(lib.aeron_driver_context_set_ipc_term_buffer_length(ctx, 64 * 1024), "set_ipc_term_buffer_length")
    driver = ffi.new("aeron_driver_t **")
    ok(lib.aeron_driver_init(driver, ctx), "aeron_driver_init")
    ok(lib.aeron_driver_start(driver[0], False), "aeron_driver_start")
    try:
        assert (aeron_dir / "cnc.dat").is_file()
        client = RawClient(aeron_dir)
        try:
            messages = [f"ipc message {i}".encode() for i in range(100)]
            assert round_trip(client, "aeron:ipc", messages) == messages
        finally:
            client.close()
    finally:
        ok(lib.aeron_driver_close(driver[0]), "aeron_driver_close")
        ok(lib.aeron_driver_context_close(ctx), "aeron_driver_context_close")
    assert not aeron_dir.exists(), "dir_delete_on_shutdown removes the driver directory"


def test_aeronmd_process_udp_round_trip(aeronmd_dir: pathlib.Path):
    client = RawClient(aeronmd_dir)
    try:
        channel = f"aeron:udp?endpoint=localhost:{free_udp_port()}"
        messages = [bytes([i]) * (i + 1) for i in range(200)]
        assert round_trip(client, channel, messages) == messages
    finally:
        client.close()


def test_c_archive_client_reaches_java_archive(java_archive):
    context = ffi.new("aeron_archive_context_t **")
    ok(lib.aeron_archive_context_init(context), "aeron_archive_context_init")
    ctx = context[0]
    ok(lib.aeron_archive_context_set_aeron_directory_name(ctx, str(java_archive.aeron_dir).encode()), "aeron dir")
    ok(lib.aeron_archive_context_set_control_request_channel(ctx, java_archive.control_request_channel.encode()),
       "control request channel")
    ok(lib.aeron_archive_context_set_control_response_channel(ctx, java_archive.control_response_channel.encode()),
       "control response channel")
    archive = ffi.new("aeron_archive_t **")
    try:
        ok(lib.aeron_archive_connect(archive, ctx), "aeron_archive_connect")
        assert lib.aeron_archive_get_archive_id(archive[0]) == java_archive.archive_id
        assert lib.aeron_archive_control_session_id(archive[0]) > 0
    finally:
        if archive[0] != ffi.NULL:
            ok(lib.aeron_archive_close(archive[0]), "aeron_archive_close")
        ok(lib.aeron_archive_context_close(ctx), "aeron_archive_context_close")


@pytest.mark.parametrize("bad_channel", ["aeron:udp?endpoint=", "not-a-channel"])
def test_malformed_channel_fails_in_c_not_in_the_interpreter(aeronmd_dir: pathlib.Path, bad_channel: str):
    client = RawClient(aeronmd_dir)
    try:
        with pytest.raises(AssertionError, match="failed"):
            client.add_publication(bad_channel, 1)
    finally:
        client.close()
