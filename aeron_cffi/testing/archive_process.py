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
import struct
import subprocess
import tempfile
import time
from typing import IO, Any, BinaryIO, Callable

from aeron_cffi.driver_process import popen_logged
from aeron_cffi.testing.jar import aeron_all_jar
from aeron_cffi.testing.ports import free_udp_port

__all__ = ["ArchiveStartError", "JavaArchive", "MissingRequirementError"]

_JAVA_OPTIONS = (
    "-XX:+UseSerialGC",
    "-Xms64m",
    "-Xmx512m",
    # Agrona reaches into these JDK internals for off-heap buffers.
    "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
)
_MARK_FILE = "archive-mark.dat"
# ArchiveMarkFile: an 8-byte SBE message header, then MarkFileHeader with
# version (int32) at +0 and activityTimestamp (int64) at +8.
_MARK_READY = struct.Struct("<i4xq")
_MARK_READY_OFFSET = 8
# Java's Archive.Configuration.LIVENESS_TIMEOUT_MS (ten mark file updates, 1 s apart;
# not configurable): an archive refuses a directory whose mark file is younger.
_MARK_LIVENESS_TIMEOUT_S = 10.0


class ArchiveStartError(RuntimeError):
    """The Java archive did not become ready; the message carries its log's tail."""


class MissingRequirementError(ArchiveStartError):
    """What the Java archive needs is not there (``java``, the aeron-all jar); the message
    names it, in one line."""


class JavaArchive:
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
        self._java = java
        self._jar = jar
        # starts the command (``subprocess.Popen`` by default; a ``ContainerLauncher`` runs a
        # container of the Java image, with ``java`` and ``jar`` the paths in the image)
        self._launch = launch or popen_logged
        self._properties = {
            "aeron.dir": str(self.aeron_dir),
            "aeron.archive.dir": str(self.archive_dir),
            "aeron.archive.id": str(self.archive_id),
            "aeron.archive.control.channel": self.control_request_channel,
            "aeron.archive.replication.channel": "aeron:udp?endpoint=localhost:0",
            "aeron.archive.threading.mode": "SHARED",
            "aeron.archive.recording.events.enabled": "true" if recording_events else "false",
        }
        if self.recording_events_channel:
            self._properties["aeron.archive.recording.events.channel"] = self.recording_events_channel
        if segment_file_length:
            self._properties["aeron.archive.segment.file.length"] = str(segment_file_length)
        self._properties.update(properties or {})
        self._process: Any = None  # a subprocess.Popen, or what ``launch`` returned
        self._log: BinaryIO | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> "JavaArchive":
        java = self._java
        if self._launch is popen_logged:  # a host process: its java must be on PATH
            found = shutil.which(self._java)
            if found is None:
                raise MissingRequirementError(
                    f"{self._java} is not on PATH: the Java archive needs a Java 17+ runtime (install one, or pass "
                    f"JavaArchive(java=...))")
            java = found
        try:
            jar = self._jar or aeron_all_jar()
        except (FileNotFoundError, subprocess.CalledProcessError) as error:
            raise MissingRequirementError(f"the aeron-all jar is missing: {error}") from None
        command = [
            java, *_JAVA_OPTIONS,
            *(f"-D{key}={value}" for key, value in self._properties.items()),
            "-cp", str(jar), "io.aeron.archive.Archive",
        ]
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        self._await_stale_mark_file()
        launched_ms = time.time() * 1000
        self._log = open(self.log_path, "wb")
        self._process = process = self._launch(command, self._log)
        try:
            self._wait_ready(process, launched_ms)
        except BaseException:
            self.close()
            raise
        return self

    def _mark(self) -> tuple[int, int]:
        """The mark file's (version, activity timestamp in epoch ms); (0, 0) if not there yet."""
        try:
            with open(self.archive_dir / _MARK_FILE, "rb") as f:
                f.seek(_MARK_READY_OFFSET)
                return _MARK_READY.unpack(f.read(_MARK_READY.size))
        except (FileNotFoundError, struct.error):
            return 0, 0

    def _await_stale_mark_file(self) -> None:
        """An archive killed (``kill()``) leaves a mark file that still looks alive; wait
        until it is older than the liveness timeout, as a restarted archive requires."""
        _, activity_timestamp = self._mark()
        # bounded by the timeout from now, should the timestamp be in the future
        stale_at = min(activity_timestamp / 1000, time.time()) + _MARK_LIVENESS_TIMEOUT_S
        while time.time() <= stale_at:
            time.sleep(0.05)

    def _wait_ready(self, process: subprocess.Popen[bytes], launched_ms: float) -> None:
        """Ready once the mark file carries a version and an activity timestamp from
        after ``launched_ms``, which the archive writes last in its start-up
        (``ArchiveMarkFile.signalReady``): an older one is a killed archive's, and a
        terminated archive writes -1."""
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ArchiveStartError(f"Java archive exited with {process.returncode}:\n{self.log_tail()}")
            version, activity_timestamp = self._mark()
            if version != 0 and activity_timestamp >= launched_ms:
                return
            time.sleep(0.05)
        raise ArchiveStartError(f"Java archive not ready after {self._startup_timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def kill(self) -> None:
        """SIGKILL, as a crash would; ``start()`` again reuses the same directory (once
        the mark file left behind is stale: up to 10 s after the kill)."""
        if self._process and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL), keeping the archive directory."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

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
