"""Connecting to a real Java archive: context settings, sync and async connect,
callbacks of the context, close."""

from __future__ import annotations

import time

import pytest

from aeron_cffi.archive import AeronArchive, ArchiveContext, ArchiveError, ArchiveErrorCode, CredentialsSupplier
from aeron_cffi.errors import AeronTimeoutError, DriverTimeoutError, ResourceClosedError
from aeron_cffi.testing import free_udp_port

from archive_support import connect, wait_for


def test_context_keywords_read_back(driver_dir):
    with ArchiveContext(
        aeron_directory_name=str(driver_dir),
        control_request_channel="aeron:udp?endpoint=localhost:8010",
        control_request_stream_id=11,
        control_response_channel="aeron:udp?endpoint=localhost:0",
        control_response_stream_id=21,
        recording_events_channel="aeron:udp?endpoint=localhost:8030",
        recording_events_stream_id=31,
        message_timeout_ns=3_000_000_000,
        message_retry_attempts=7,
        control_term_buffer_length=128 * 1024,
        control_mtu_length=4096,
        control_term_buffer_sparse=False,
        client_name="cffi-test",
    ) as context:
        assert context.aeron_directory_name == str(driver_dir)
        assert context.control_request_channel == "aeron:udp?endpoint=localhost:8010"
        assert context.control_request_stream_id == 11
        assert context.control_response_channel == "aeron:udp?endpoint=localhost:0"
        assert context.control_response_stream_id == 21
        assert context.recording_events_channel == "aeron:udp?endpoint=localhost:8030"
        assert context.recording_events_stream_id == 31
        assert context.message_timeout_ns == 3_000_000_000
        assert context.message_retry_attempts == 7
        assert context.control_term_buffer_length == 128 * 1024
        assert context.control_mtu_length == 4096
        assert context.control_term_buffer_sparse is False
        assert context.client_name == "cffi-test"
        assert context.owns_aeron_client is False
    with pytest.raises(ResourceClosedError):
        context.client_name
    with pytest.raises(TypeError, match="unknown archive context setting"):
        ArchiveContext(control_request_chanel="aeron:ipc")


def test_connect_reports_archive_id_and_session(driver_dir, archive_process):
    with connect(driver_dir, archive_process) as archive:
        assert archive.archive_id == archive_process.archive_id
        assert archive.control_session_id > 0
        assert archive.aeron_t != archive.control_response_subscription_t
        assert repr(archive) == (f"<AeronArchive open archive_id={archive.archive_id} "
                                 f"control_session_id={archive.control_session_id}>")
        context = archive.context  # (its channels as the C client completed them)
        assert repr(context) == (
            f"<ArchiveContext open control_request_channel={context.control_request_channel!r} "
            f"control_response_channel={context.control_response_channel!r} "
            f"aeron_directory_name={str(driver_dir)!r}>")
    assert archive.is_closed
    assert repr(archive) == "<AeronArchive closed>"
    with pytest.raises(ResourceClosedError):
        archive.list_recordings()
    archive.close()  # idempotent


def test_async_connect_polls_to_a_client(driver_dir, archive_process):
    pending = AeronArchive.async_connect(
        aeron_directory_name=str(driver_dir),
        control_request_channel=archive_process.control_request_channel,
        control_response_channel=archive_process.control_response_channel,
    )
    archive = wait_for(pending.poll)
    with archive:
        assert pending.done
        assert archive.archive_id == archive_process.archive_id


def test_connect_times_out_without_an_archive(driver_dir):
    channel = f"aeron:udp?endpoint=localhost:{free_udp_port()}"
    with pytest.raises(AeronTimeoutError) as raised:
        AeronArchive.connect(
            aeron_directory_name=str(driver_dir),
            control_request_channel=channel,
            control_response_channel="aeron:udp?endpoint=localhost:0",
            message_timeout_ns=300_000_000,
        )
    assert str(raised.value).splitlines()[0] == f"no archive answered on {channel} stream 10 within 0.3 s"


def test_connect_without_a_response_channel_defaults_it(driver_dir, archive_process):
    with AeronArchive.connect(aeron_directory_name=str(driver_dir),
                              control_request_channel=archive_process.control_request_channel) as archive:
        assert archive.archive_id == archive_process.archive_id
        assert archive.context.control_response_channel.startswith("aeron:udp?")
        assert "endpoint=localhost:0" in archive.context.control_response_channel


def test_connect_without_a_driver_honours_the_message_timeout(tmp_path):
    started = time.monotonic()
    with pytest.raises(DriverTimeoutError) as raised:
        AeronArchive.connect(aeron_directory_name=str(tmp_path / "no-driver"),
                             control_request_channel="aeron:udp?endpoint=localhost:8010",
                             message_timeout_ns=300_000_000)
    assert time.monotonic() - started < 5  # not Aeron's 10 s driver timeout
    assert str(raised.value).splitlines()[0].startswith(
        f"no media driver is running in {tmp_path / 'no-driver'} (none answered within 300 ms): start one with "
        f"`aeron-cffi driver --dir {tmp_path / 'no-driver'}`")


def test_context_callbacks_run_during_calls(driver_dir, archive_process):
    idles: list[int] = []
    invocations: list[float] = []
    supplied: list[bytes] = []

    def encoded() -> bytes:
        supplied.append(b"user:secret")
        return supplied[-1]

    credentials = CredentialsSupplier(encoded_credentials=encoded)
    context = ArchiveContext(
        aeron_directory_name=str(driver_dir),
        control_request_channel=archive_process.control_request_channel,
        control_response_channel=archive_process.control_response_channel,
        credentials_supplier=credentials,
        idle_strategy=idles.append,
        delegating_invoker=lambda: invocations.append(time.monotonic()),
    )
    with context, AeronArchive.connect(context) as archive:
        archive.list_recordings()
        assert supplied == [b"user:secret"]
        assert all(work_count == 0 for work_count in idles) and idles
        assert invocations
        # every credentials buffer lent to C came back through the free callback
        assert context.targets[0].lent == {}


def test_callback_exception_is_raised_by_the_call(driver_dir, archive_process):
    def broken_invoker() -> None:
        raise KeyError("from the invoker")

    with connect(driver_dir, archive_process) as good:
        good.list_recordings()
    context = ArchiveContext(
        aeron_directory_name=str(driver_dir),
        control_request_channel=archive_process.control_request_channel,
        control_response_channel=archive_process.control_response_channel,
        delegating_invoker=broken_invoker,
    )
    with context, pytest.raises(KeyError, match="from the invoker"):
        AeronArchive.connect(context).close()


def test_error_handler_leaves_awaited_errors_to_the_call(driver_dir, archive_process):
    errors: list[Exception] = []
    with connect(driver_dir, archive_process, error_handler=errors.append) as archive:
        with pytest.raises(ArchiveError) as raised:
            archive.stop_replication(987654321)
        assert raised.value.archive_code == ArchiveErrorCode.UNKNOWN_REPLICATION
        assert archive.poll_for_recording_signals() == 0
        assert archive.poll_for_error_response() == ""
        archive.check_for_error_response()
        assert errors == []
