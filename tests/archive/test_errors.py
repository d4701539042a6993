"""Archive control errors arrive as ArchiveError with the archive's code and message."""

from __future__ import annotations

import pytest

from aeron_cffi.archive import ArchiveError, ArchiveErrorCode, RecordingSignalCode, SourceLocation
from aeron_cffi.errors import AeronError, InvalidArgumentError
from aeron_cffi.testing import free_udp_port

from archive_support import connect, payload, publish, record, recording_counter, wait_for, wait_recorded

IPC = "aeron:ipc?term-length=64k"
UNKNOWN_ID = 987654321


def test_every_archive_error_code_signal_and_source_location_has_a_member():
    from aeron_cffi._native import lib

    for prefix, enum_class, count in (("ARCHIVE_ERROR_CODE_", ArchiveErrorCode, 14),
                                      ("AERON_ARCHIVE_CLIENT_RECORDING_SIGNAL_", RecordingSignalCode, 9),
                                      ("AERON_ARCHIVE_SOURCE_LOCATION_", SourceLocation, 2)):
        defined = {name.removeprefix(prefix): getattr(lib, name) for name in dir(lib) if name.startswith(prefix)}
        assert {member.name: member.value for member in enum_class} == defined
        assert len(defined) == count


def _raises(code: ArchiveErrorCode, call, *args, **kwargs) -> ArchiveError:
    with pytest.raises(ArchiveError) as raised:
        call(*args, **kwargs)
    error = raised.value
    assert error.archive_code is code
    assert error.archive_message and error.archive_message in error.errmsg
    assert error.correlation_id > 0
    assert isinstance(error, AeronError)
    return error


def test_unknown_recording(archive):
    error = _raises(ArchiveErrorCode.UNKNOWN_RECORDING, archive.get_stop_position, UNKNOWN_ID)
    assert str(UNKNOWN_ID) in error.archive_message
    _raises(ArchiveErrorCode.UNKNOWN_RECORDING, archive.purge_recording, UNKNOWN_ID)
    _raises(ArchiveErrorCode.UNKNOWN_RECORDING, archive.replay, UNKNOWN_ID, "aeron:ipc", 1)


def test_unknown_subscription(archive):
    _raises(ArchiveErrorCode.UNKNOWN_SUBSCRIPTION, archive.stop_recording_subscription, UNKNOWN_ID)
    _raises(ArchiveErrorCode.UNKNOWN_SUBSCRIPTION, archive.stop_recording_channel_and_stream, IPC, 4242)


def test_unknown_replication(archive):
    _raises(ArchiveErrorCode.UNKNOWN_REPLICATION, archive.stop_replication, UNKNOWN_ID)


def test_active_subscription_and_active_recording(archive, stream_id):
    subscription_id = archive.start_recording(IPC, stream_id, SourceLocation.LOCAL)
    try:
        _raises(ArchiveErrorCode.ACTIVE_SUBSCRIPTION, archive.start_recording, IPC, stream_id, SourceLocation.LOCAL)
        with archive.add_publication(IPC, stream_id) as publication:
            counter_id = recording_counter(archive, publication.session_id)
            recording_id = archive.find_last_matching_recording("aeron:ipc", stream_id, publication.session_id)
            wait_recorded(archive, counter_id, publish(publication, [payload(0)]))
            _raises(ArchiveErrorCode.ACTIVE_RECORDING, archive.truncate_recording, recording_id, 0)
            _raises(ArchiveErrorCode.ACTIVE_RECORDING, archive.purge_recording, recording_id)
    finally:
        archive.stop_recording_subscription(subscription_id)


def test_invalid_extension_reaches_the_error_handler(driver_dir, archive_process, archive, signals, stream_id):
    recording_id, stop = record(archive, signals, stream_id, [payload(0)])
    errors: list[Exception] = []
    with connect(driver_dir, archive_process, error_handler=errors.append) as client:
        # A new exclusive publication starts at 0, not at the recording's stop position.
        client.extend_recording(recording_id, IPC, stream_id, SourceLocation.LOCAL)
        with client.add_exclusive_publication(IPC, stream_id) as publication:
            publish(publication, [payload(1)])
            wait_for(lambda: errors, poll=client.check_for_error_response)
        client.stop_recording_channel_and_stream(IPC, stream_id)
    error = errors[0]
    assert isinstance(error, ArchiveError)
    assert error.archive_code is ArchiveErrorCode.INVALID_EXTENSION
    assert f"cannot extend recording {recording_id}" in error.archive_message
    assert archive.get_stop_position(recording_id) == stop


def test_code_newer_than_the_header_stays_an_int(archive, signals, stream_id):
    recording_id, stop = record(archive, signals, stream_id, [payload(0)])
    with pytest.raises(ArchiveError) as raised:
        archive.start_replay(recording_id, "aeron:ipc", 1, position=stop + 4096)
    # The Java archive sends codes aeron_archive.h (1.51.0) has no #define for.
    assert raised.value.archive_code not in set(ArchiveErrorCode)
    assert f"start position={stop + 4096}" in raised.value.archive_message


def test_python_rejects_bad_arguments_before_c(archive):
    with pytest.raises(InvalidArgumentError):
        archive.start_recording(b"aeron:ipc", 1)
    with pytest.raises(TypeError):
        archive.start_replay(1, "aeron:ipc", 1, positon=0)


def test_control_channel_nobody_listens_on_raises_timeout(driver_dir):
    from aeron_cffi.archive import AeronArchive
    from aeron_cffi.errors import AeronTimeoutError

    with pytest.raises(AeronTimeoutError):
        AeronArchive.connect(
            aeron_directory_name=str(driver_dir),
            control_request_channel=f"aeron:udp?endpoint=localhost:{free_udp_port()}",
            control_response_channel="aeron:udp?endpoint=localhost:0",
            message_timeout_ns=200_000_000,
        )
