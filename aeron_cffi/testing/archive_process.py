"""A real Java archive (``io.aeron.archive.Archive`` from aeron-all) as a child process.

It runs against an already running media driver (normally our C driver) named by
its Aeron directory, listens for control requests on a localhost UDP port of its
own, keeps its recordings in a directory of its own, and is always stopped and
cleaned up by ``close()`` / the context manager.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile
import time
from typing import IO, Any, Callable

from aeron_cffi.driver_process import popen_logged
from aeron_cffi.testing.java_process import (
    MARK_FILE_LIVENESS_S, JavaPart, JavaProcess, JavaRuntime, JavaStartError, MissingRequirementError,
    mark_file_header)
from aeron_cffi.testing.ports import free_udp_port

__all__ = ["ArchiveStartError", "JavaArchive", "MissingRequirementError"]

_MAIN_CLASS = "io.aeron.archive.Archive"
_MARK_FILE = "archive-mark.dat"


class ArchiveStartError(JavaStartError):
    """The Java archive did not become ready; the message carries its log's tail."""


class JavaArchive(JavaPart):
    """Start ``io.aeron.archive.Archive`` on the driver at ``aeron_dir``.

    ``control_request_channel`` / ``control_response_channel`` are what a client
    passes to the archive context to reach it; ``recording_events_channel`` is set
    when ``recording_events=True``.
    """

    def __init__(
        self,
        aeron_dir: str | os.PathLike[str],
        *,
        archive_dir: str | os.PathLike[str] | None = None,
        archive_id: int | None = None,
        control_port: int | None = None,
        recording_events: bool = False,
        segment_file_length: int | None = None,
        properties: dict[str, str] | None = None,
        startup_timeout: float = 60.0,
        java: str = "java",
        jar: str | os.PathLike[str] | None = None,
        launch: Callable[[list[str], IO[bytes]], Any] | None = None,
    ) -> None:
        self.aeron_dir = pathlib.Path(aeron_dir)
        self._owns_dir = archive_dir is None
        self.archive_dir = pathlib.Path(archive_dir or tempfile.mkdtemp(prefix="aeron-archive-"))
        self.archive_id = archive_id if archive_id is not None else int.from_bytes(os.urandom(4), "little")
        self.control_port = control_port or free_udp_port()
        self.control_request_channel = f"aeron:udp?endpoint=localhost:{self.control_port}"
        self.control_response_channel = "aeron:udp?endpoint=localhost:0"
        self.recording_events_channel = (
            f"aeron:udp?endpoint=localhost:{free_udp_port()}" if recording_events else None
        )
        self.log_path = self.archive_dir.parent / f"{self.archive_dir.name}.log"
        self._startup_timeout = startup_timeout
        archive_properties = {
            "aeron.dir": str(self.aeron_dir),
            "aeron.archive.dir": str(self.archive_dir),
            "aeron.archive.id": str(self.archive_id),
            "aeron.archive.control.channel": self.control_request_channel,
            "aeron.archive.replication.channel": "aeron:udp?endpoint=localhost:0",
            "aeron.archive.threading.mode": "SHARED",
            "aeron.archive.recording.events.enabled": "true" if recording_events else "false",
        }
        if self.recording_events_channel:
            archive_properties["aeron.archive.recording.events.channel"] = self.recording_events_channel
        if segment_file_length:
            archive_properties["aeron.archive.segment.file.length"] = str(segment_file_length)
        archive_properties.update(properties or {})
        # ``launch`` starts the command (``subprocess.Popen`` by default; a ``ContainerLauncher`` runs a
        # container of the Java image, with ``java`` and ``jar`` the paths in the image)
        runtime = JavaRuntime(launch or popen_logged, java, jar)
        self._process = JavaProcess(_MAIN_CLASS, archive_properties, self.log_path, name="the Java archive",
                                    java_keyword="JavaArchive(java=...)", runtime=runtime,
                                    start_error=ArchiveStartError)

    def start(self) -> "JavaArchive":
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        self._await_stale_mark_file()
        launched_ms = time.time() * 1000
        self._process.launch()
        try:
            self._wait_ready(launched_ms)
        except BaseException:
            self.close()
            raise
        return self

    def _await_stale_mark_file(self) -> None:
        """An archive killed (``kill()``) leaves a mark file that still looks alive; wait
        until it is older than the liveness timeout, as a restarted archive requires.
        (Waiting, rather than zeroing its timestamp as ``ClusterNode`` does after its own
        kill, also gives the driver time to drop the dead archive's client, and never
        touches the mark file of an archive that is still running there.)"""
        _, activity_timestamp = mark_file_header(self.archive_dir / _MARK_FILE)
        # bounded by the timeout from now, should the timestamp be in the future
        stale_at = min(activity_timestamp / 1000, time.time()) + MARK_FILE_LIVENESS_S
        while time.time() <= stale_at:
            time.sleep(0.05)

    def _wait_ready(self, launched_ms: float) -> None:
        """Ready once the mark file carries a version and an activity timestamp from
        after ``launched_ms``, which the archive writes last in its start-up
        (``ArchiveMarkFile.signalReady``): an older one is a killed archive's, and a
        terminated archive writes -1."""
        def ready() -> bool:
            version, activity_timestamp = mark_file_header(self.archive_dir / _MARK_FILE)
            return version != 0 and activity_timestamp >= launched_ms

        self._process.wait_ready(ready, "to be ready", self._startup_timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash would; ``start()`` again reuses the same directory (once
        the mark file left behind is stale: up to 10 s after the kill)."""
        self._process.kill()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL), keeping the archive directory."""
        self._process.stop(timeout)

    def close(self) -> None:
        """Stop the process and delete what this object created."""
        self.stop()
        if self._owns_dir:
            shutil.rmtree(self.archive_dir, ignore_errors=True)
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> "JavaArchive":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()
