"""``CncFile``: a driver's command-and-control file (``aeron_cnc_*``), for stats and error logs."""

from __future__ import annotations

import dataclasses
import os
from typing import Callable

from aeron_cffi._lifetime import Resource, in_flight
from aeron_cffi._native import c_string, ffi, lib
from aeron_cffi.callbacks import SyncTarget, log_sink
from aeron_cffi.counters import CountersReader
from aeron_cffi.errors import AeronError, check


@dataclasses.dataclass(frozen=True)
class CncConstants:
    """(``aeron_cnc_constants_t``)"""

    cnc_version: int
    to_driver_buffer_length: int
    to_clients_buffer_length: int
    counter_metadata_buffer_length: int
    counter_values_buffer_length: int
    error_log_buffer_length: int
    client_liveness_timeout: int
    start_timestamp: int
    pid: int
    file_page_size: int


@dataclasses.dataclass(frozen=True)
class ErrorLogEntry:
    """One distinct error in the driver's error log."""

    observation_count: int
    first_observation_timestamp: int
    last_observation_timestamp: int
    error: str


@dataclasses.dataclass(frozen=True)
class LossReportEntry:
    """One stream's loss record in the driver's loss report."""

    observation_count: int
    total_bytes_lost: int
    first_observation_timestamp: int
    last_observation_timestamp: int
    session_id: int
    stream_id: int
    channel: str
    source: str


class CncFile(Resource):
    """A driver's CnC file mapped read-only (``aeron_cnc_init``); waits ``timeout_ms`` for it.
    Every read is in flight: a close from another thread unmaps the file only after it."""

    def __init__(self, aeron_dir: str | os.PathLike[str], timeout_ms: int = 0) -> None:
        super().__init__()
        out = ffi.new("aeron_cnc_t **")
        try:
            check(lib.aeron_cnc_init(out, os.fspath(aeron_dir).encode(), timeout_ms), f"aeron_cnc_init({aeron_dir})")
        except AeronError:
            self._closed = True
            raise
        self._ptr = out[0]

    @property
    @in_flight
    def constants(self) -> CncConstants:
        """(``aeron_cnc_constants``)"""
        out = ffi.new("aeron_cnc_constants_t *")
        check(lib.aeron_cnc_constants(self._ptr, out), "aeron_cnc_constants")
        return CncConstants(*(getattr(out, f.name) for f in dataclasses.fields(CncConstants)))

    @property
    @in_flight
    def filename(self) -> str:
        """(``aeron_cnc_filename``)"""
        return c_string(lib.aeron_cnc_filename(self._ptr))

    @property
    @in_flight
    def to_driver_heartbeat(self) -> int:
        """Epoch ms of the driver's last heartbeat (``aeron_cnc_to_driver_heartbeat``)."""
        return lib.aeron_cnc_to_driver_heartbeat(self._ptr)

    @in_flight
    def counters_reader(self) -> CountersReader:
        """The driver's counters (``aeron_cnc_counters_reader``), valid while this file is open."""
        return CountersReader(lib.aeron_cnc_counters_reader(self._ptr), parent=self)

    @in_flight
    def error_log_read(self, since_timestamp: int = 0) -> list[ErrorLogEntry]:
        """Distinct errors observed since ``since_timestamp`` (``aeron_cnc_error_log_read``)."""
        entries: list[ErrorLogEntry] = []
        target = SyncTarget(lambda *fields: entries.append(ErrorLogEntry(*fields)))
        lib.aeron_cnc_error_log_read(self._ptr, lib.aeron_cffi_on_error_log_reader_func, ffi.new_handle(target),
                                     since_timestamp)
        target.raise_pending()
        return entries

    @in_flight
    def loss_reporter_read(self) -> list[LossReportEntry]:
        """The loss report (``aeron_cnc_loss_reporter_read``)."""
        entries: list[LossReportEntry] = []
        target = SyncTarget(lambda *fields: entries.append(LossReportEntry(*fields)))
        check(lib.aeron_cnc_loss_reporter_read(self._ptr, lib.aeron_cffi_on_loss_reporter_read_entry_func,
                                               ffi.new_handle(target)), "aeron_cnc_loss_reporter_read")
        target.raise_pending()
        return entries

    def _close_native(self) -> None:
        lib.aeron_cnc_close(self._ptr)


def is_driver_active(aeron_dir: str | os.PathLike[str], timeout_ms: int = 0,
                     log: Callable[[str], object] = lambda line: None) -> bool:
    """True if a driver heartbeats in ``aeron_dir`` (``aeron_is_driver_active``); its log lines go to ``log``."""
    with log_sink(log) as log_func:
        return bool(lib.aeron_is_driver_active(os.fspath(aeron_dir).encode(), timeout_ms, log_func))


def default_path() -> str:
    """The default Aeron directory for this user (``aeron_default_path``)."""
    buffer = ffi.new("char[]", 4096)
    check(lib.aeron_default_path(buffer, len(buffer)), "aeron_default_path")
    return c_string(buffer)


def request_driver_termination(aeron_dir: str | os.PathLike[str], token: bytes = b"") -> None:
    """Ask the driver in ``aeron_dir`` to terminate (``aeron_context_request_driver_termination``)."""
    check(lib.aeron_context_request_driver_termination(os.fspath(aeron_dir).encode(), token, len(token)),
          "aeron_context_request_driver_termination")


def delete_directory(aeron_dir: str | os.PathLike[str]) -> None:
    """Remove an Aeron directory (``aeron_delete_directory``)."""
    check(lib.aeron_delete_directory(os.fspath(aeron_dir).encode()), "aeron_delete_directory")
