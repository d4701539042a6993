"""``AeronArchive.connect`` as a new user meets it: with only the control request channel
(the response channel defaults to an ephemeral localhost UDP port, as the CLI's
``--response-channel`` does, unless ``AERON_ARCHIVE_CONTROL_RESPONSE_CHANNEL`` names one),
and timeouts whose first line says what happened: no archive, or no driver (after the
connect's message timeout, not the client's 10 s driver timeout)."""

from __future__ import annotations

import time

import pytest

from aeron_cffi.archive import AeronArchive, ArchiveContext
from aeron_cffi.archive.context import DEFAULT_CONTROL_RESPONSE_CHANNEL
from aeron_cffi.errors import AeronTimeoutError, DriverTimeoutError
from aeron_cffi.testing import free_udp_port
from aeron_cffi.testing.waiting import wait_until


def test_connect_with_only_the_request_channel(driver_dir, archive_process, monkeypatch):
    monkeypatch.delenv("AERON_ARCHIVE_CONTROL_RESPONSE_CHANNEL", raising=False)
    with AeronArchive.connect(aeron_directory_name=str(driver_dir),
                              control_request_channel=archive_process.control_request_channel) as archive:
        assert archive.archive_id == archive_process.archive_id
        # Concluded: C adds the control stream's term length, MTU and session id to it.
        assert archive.context.control_response_channel.startswith("aeron:udp?")
        assert "endpoint=localhost:0" in archive.context.control_response_channel
    with ArchiveContext(control_request_channel="aeron:ipc") as unconcluded:
        assert unconcluded.control_response_channel == DEFAULT_CONTROL_RESPONSE_CHANNEL


def test_the_environment_variable_still_names_the_response_channel(monkeypatch):
    monkeypatch.setenv("AERON_ARCHIVE_CONTROL_RESPONSE_CHANNEL", "aeron:udp?endpoint=localhost:0|term-length=64k")
    with ArchiveContext() as context:
        assert context.control_response_channel == "aeron:udp?endpoint=localhost:0|term-length=64k"


@pytest.mark.parametrize("connect", ["blocking", "async"])
def test_a_connect_timeout_says_first_that_no_archive_answered(driver_dir, connect):
    channel = f"aeron:udp?endpoint=localhost:{free_udp_port()}"
    settings = dict(aeron_directory_name=str(driver_dir), control_request_channel=channel,
                    message_timeout_ns=300_000_000)
    with pytest.raises(AeronTimeoutError) as raised:
        if connect == "blocking":
            AeronArchive.connect(**settings)
        else:
            pending = AeronArchive.async_connect(**settings)
            wait_until(lambda: pending.poll(), "the connect to resolve")
    first_line, *causes = str(raised.value).splitlines()
    assert first_line == f"no archive answered on {channel} within 0.3s"
    assert any("connect timeout" in cause for cause in causes)  # Aeron's own trace follows


def test_without_a_driver_connect_gives_up_after_its_message_timeout_and_says_how_to_start_one(tmp_path):
    directory = tmp_path / "no-driver"
    started = time.monotonic()
    with pytest.raises(DriverTimeoutError) as raised:
        AeronArchive.connect(aeron_directory_name=str(directory), control_request_channel="aeron:ipc",
                             message_timeout_ns=500_000_000)
    assert time.monotonic() - started < 5  # not the client's 10 s driver timeout
    assert str(raised.value).splitlines()[0].startswith(
        f"no media driver is running in {directory} (waited 0.5s): start one, e.g. `aeron-cffi driver --dir {directory}`")
