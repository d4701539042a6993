"""A Java main class of the aeron-all jar as a child process, and the mark files such processes keep.

Every Java part of the testing kit (the archive, cluster nodes, Java service containers,
``ClusterTool``) is ``java <options> -D<key>=<value>... -cp <aeron-all jar> <main class> <args>``;
``java_command`` builds that line and ``JavaProcess`` runs it through a ``JavaRuntime``: a
host process (``popen_logged``, ``java`` from ``PATH``, the jar from ``aeron_all_jar()``) or
a container of the Java image (a ``ContainerLauncher``, with the image's paths), logging to
a file, stoppable and killable.

Aeron's Java components announce themselves in a mark file (``archive-mark.dat``,
``cluster-mark.dat``, ``cluster-mark-service-N.dat``): an 8-byte SBE message header, then
a ``MarkFileHeader`` with its version (int32) at +0 and an epoch-ms activity timestamp
(int64) at +8, which the process refreshes every second; a process refuses a directory
whose mark file was active within the last ``MARK_FILE_LIVENESS_S``.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import struct
import subprocess
from typing import IO, Any, Callable, Iterable, Sequence

from aeron_cffi import _waiting
from aeron_cffi.driver_process import popen_logged
from aeron_cffi.testing.jar import aeron_all_jar

__all__ = ["JAVA_OPTIONS", "MARK_FILE_LIVENESS_S", "TEST_JAVA_OPTIONS", "JavaProcess", "JavaRuntime",
           "JavaStartError", "JavaPart", "MissingRequirementError", "java_command", "mark_file_header", "mark_file_stale"]

JAVA_OPTIONS: tuple[str, ...] = (
    "-XX:+UseSerialGC",
    "-Xms64m",
    "-Xmx512m",
    # Agrona reaches into these JDK internals for off-heap buffers.
    "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
)
#: Quicker JVM start-up for the cluster's short-lived test processes (C1 only), in less memory.
TEST_JAVA_OPTIONS: tuple[str, ...] = (*JAVA_OPTIONS, "-XX:TieredStopAtLevel=1", "-Xmx256m")

#: Java's liveness timeout of a mark file (ten updates, 1 s apart; not configurable).
MARK_FILE_LIVENESS_S = 10.0
# The MarkFileHeader's version (int32) and, after 4 bytes of component type, activity timestamp (int64).
_MARK_FILE_HEADER = struct.Struct("<i4xq")
_MARK_FILE_HEADER_OFFSET = 8  # after the SBE message header
_MARK_FILE_ACTIVITY_OFFSET = _MARK_FILE_HEADER_OFFSET + 8


class JavaStartError(RuntimeError):
    """A Java process did not come up; the message carries its log's tail."""


class MissingRequirementError(JavaStartError):
    """What a Java process needs is not there (``java``, the aeron-all jar); the message
    names it, in one line."""


def java_command(java: str, jar: str | os.PathLike[str], main_class: str, properties: dict[str, str] | None = None,
                 args: Sequence[str] = (), options: Sequence[str] = JAVA_OPTIONS) -> list[str]:
    """``java <options> -D<key>=<value>... -cp <jar> <main_class> <args>``."""
    return [java, *options, *(f"-D{key}={value}" for key, value in (properties or {}).items()),
            "-cp", os.fspath(jar), main_class, *args]


@dataclasses.dataclass(frozen=True)
class JavaRuntime:
    """Where Java processes run: host processes (the defaults: ``java`` from ``PATH``, the jar
    from ``aeron_all_jar()``), or containers of the Java image (``launch`` a
    ``ContainerLauncher``; ``java`` and ``jar`` its paths in the image)."""

    #: starts ``(command, log file)`` and returns a ``subprocess.Popen`` or what answers like one
    launch: Callable[[list[str], IO[bytes]], Any] = popen_logged
    java: str = "java"
    jar: str | os.PathLike[str] | None = None

    def resolve(self, needed_by: str, java_keyword: str) -> tuple[str, str | os.PathLike[str]]:
        """The ``java`` and jar to run; ``MissingRequirementError`` (naming ``needed_by`` and
        the ``java_keyword`` that would name another java) if either is not there. Only a
        host process's java is looked for: a container's is the image's."""
        java = self.java
        if self.launch is popen_logged:
            found = shutil.which(java)
            if found is None:
                raise MissingRequirementError(
                    f"{java} is not on PATH: {needed_by} needs a Java 17+ runtime (install one, or pass "
                    f"{java_keyword})")
            java = found
        try:
            return java, self.jar or aeron_all_jar()
        except (FileNotFoundError, subprocess.CalledProcessError) as error:
            raise MissingRequirementError(f"the aeron-all jar is missing: {error}") from None


class JavaProcess:
    """One Java main class with ``-D`` properties, logging to a file (appended to by every
    launch), stoppable and killable. ``name`` says what it is in errors ("the Java archive",
    "cluster node 0"), which are ``start_error``s; ``java_keyword`` is how its user names
    another java (``"JavaArchive(java=...)"``)."""

    def __init__(self, main_class: str, properties: dict[str, str], log_path: pathlib.Path, *, name: str,
                 java_keyword: str, runtime: JavaRuntime | None = None, options: Sequence[str] = JAVA_OPTIONS,
                 start_error: type[JavaStartError] = JavaStartError) -> None:
        self.main_class = main_class
        self.properties = properties
        self.log_path = log_path
        self.name = name
        self.runtime = runtime or JavaRuntime()
        self._java_keyword = java_keyword
        self._options = tuple(options)
        self._start_error = start_error
        self.process: Any = None  # a subprocess.Popen, or what the runtime's launch returned
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def launch(self) -> None:
        """Start the process (``MissingRequirementError`` if its java or jar is not there)."""
        java, jar = self.runtime.resolve(self.name, self._java_keyword)
        command = java_command(java, jar, self.main_class, self.properties, options=self._options)
        self._close_log()  # a killed process's
        self._log = open(self.log_path, "ab")
        self.process = self.runtime.launch(command, self._log)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def check_alive(self) -> None:
        """``start_error`` with the log's tail if the process has exited."""
        if self.process is not None and self.process.poll() is not None:
            raise self._start_error(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")

    def wait_ready(self, condition: Callable[[], object], what: str, timeout: float) -> None:
        """Until ``condition()`` (polled every 50 ms); ``start_error`` with the log's tail
        if the process exits first or ``timeout`` seconds pass."""
        _waiting.until(condition, f"{self.name} {what}", timeout, pause=0.05,
                       error=lambda message: self._start_error(f"{message}:\n{self.log_tail()}"),
                       work=self.check_alive)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.running:
            self.process.kill()
            self.process.wait()

    def wait(self, timeout: float | None = None) -> int:
        """The exit status once the process ends by itself (``TimeoutExpired`` otherwise)."""
        returncode: int = self.process.wait(timeout)
        return returncode

    def stop(self, timeout: float) -> None:
        """SIGTERM (Java runs its shutdown hooks: an orderly close), SIGKILL after ``timeout``."""
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class JavaPart:
    """What a part running in a ``JavaProcess`` of its own (``_process``) says about it."""

    _process: JavaProcess

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process.running

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    def log_tail(self, lines: int = 40) -> str:
        return self._process.log_tail(lines)


def mark_file_header(path: pathlib.Path) -> tuple[int, int]:
    """The mark file's (version, activity timestamp in epoch ms); (0, 0) while it is not there."""
    try:
        with open(path, "rb") as f:
            f.seek(_MARK_FILE_HEADER_OFFSET)
            version, activity_timestamp = _MARK_FILE_HEADER.unpack(f.read(_MARK_FILE_HEADER.size))
            return version, activity_timestamp
    except (FileNotFoundError, struct.error):
        return 0, 0


def mark_file_stale(paths: Iterable[pathlib.Path]) -> None:
    """Zero the activity timestamp of mark files a killed process left behind, which a
    restarted process would otherwise take for a live one for ``MARK_FILE_LIVENESS_S``;
    the rest of each file (versions, candidate term, errors) stays as the process left it."""
    zero = (0).to_bytes(8, "little")
    for path in paths:
        with open(path, "r+b") as f:
            f.seek(_MARK_FILE_ACTIVITY_OFFSET)
            f.write(zero)
