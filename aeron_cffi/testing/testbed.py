"""``AeronTestbed``: real Aeron parts for one test (or session), torn down together.

A testbed starts C media drivers (embedded in this process, or the packaged
``aeronmd`` as a child process), Java archives on them, ``Aeron`` clients and
``AeronArchive`` clients. Everything it makes lives under two private roots: one for
Aeron directories (under ``/dev/shm`` where it exists, as Aeron's own default) and
one temporary directory for archives, logs and properties files. ``close()`` closes
the parts in reverse order of creation, whatever state they are in (a crashed
archive, a killed driver), then deletes both roots; an error closing one part does
not keep the others open.

The pytest plugin (``aeron_cffi.testing.plugin``) gives one per test and one per
session; outside pytest use it as a context manager::

    with AeronTestbed() as bed:
        archive = bed.java_archive(bed.driver())
        client = bed.archive_client(archive)
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import shutil
import tempfile
from typing import Any

from aeron_cffi.archive import AeronArchive
from aeron_cffi.client import Aeron
from aeron_cffi.cnc import CncFile
from aeron_cffi.driver_process import DriverProcess
from aeron_cffi.errors import AeronError
from aeron_cffi.media_driver import MediaDriver
from aeron_cffi.testing import images
from aeron_cffi.testing.archive_process import JavaArchive
from aeron_cffi.testing.containers import ContainerLauncher, docker_client

__all__ = ["AeronTestbed", "CLIENT_DRIVER_TIMEOUT_MS", "DRIVER_DEFAULTS", "DRIVER_KINDS", "RunningDriver"]

DRIVER_KINDS = ("embedded", "process")
#: Where out-of-process parts run: host processes, or containers (``aeron_cffi.testing.containers``).
BACKENDS = ("host", "docker")
#: Small terms and one shared agent thread: quick to start, light on memory.
DRIVER_DEFAULTS: dict[str, Any] = {
    "threading_mode": "SHARED",
    "term_buffer_length": 64 * 1024,
    "ipc_term_buffer_length": 64 * 1024,
    "dir_delete_on_start": True,
    "dir_delete_on_shutdown": True,
}
CLIENT_DRIVER_TIMEOUT_MS = 10_000
_SHM = pathlib.Path("/dev/shm")


@dataclasses.dataclass
class RunningDriver:
    """A started C media driver: ``kind`` is ``"embedded"`` (``handle`` is a
    ``MediaDriver``) or ``"process"`` (``handle`` is a ``DriverProcess``, which runs in a
    container on the docker backend); ``pid`` is the process that runs it (as the host sees it)."""

    kind: str
    dir: pathlib.Path
    pid: int
    handle: MediaDriver | DriverProcess

    def close(self) -> None:
        if isinstance(self.handle, MediaDriver):
            self.handle.close()
        else:
            self.handle.stop()

    def __fspath__(self) -> str:
        return str(self.dir)


def _default_shm_root() -> pathlib.Path | None:
    return _SHM if _SHM.is_dir() and os.access(_SHM, os.W_OK) else None


class AeronTestbed:
    """Starts drivers, archives and clients; ``close()`` stops all of them.

    ``driver_kind`` is the default kind of ``driver()``; ``shm_root`` and
    ``tmp_root`` are the parent directories of the testbed's own roots
    (``/dev/shm`` and the system temporary directory by default). ``backend="docker"``
    runs the ``"process"`` drivers and the Java archives in containers of images built
    from local files (``aeron_cffi.testing.images``); embedded drivers and clients stay in
    this process, and everything is used and torn down the same way.
    """

    def __init__(self, driver_kind: str = "embedded", *, backend: str = "host",
                 shm_root: str | os.PathLike[str] | None = None, tmp_root: str | os.PathLike[str] | None = None) -> None:
        if driver_kind not in DRIVER_KINDS:
            raise ValueError(f"driver kind must be one of {DRIVER_KINDS}, not {driver_kind!r}")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
        if backend == "docker":
            docker_client()  # fail here, in one line, if there is no daemon
        self.driver_kind = driver_kind
        self.backend = backend
        self._stack = contextlib.ExitStack()
        self.tmp_dir = pathlib.Path(tempfile.mkdtemp(prefix="aeron-testbed-", dir=tmp_root))
        self._stack.callback(shutil.rmtree, self.tmp_dir, ignore_errors=True)
        shm_parent = shm_root if shm_root is not None else _default_shm_root()
        if shm_parent is None:
            self.shm_dir = self.tmp_dir / "shm"
            self.shm_dir.mkdir()
        else:
            self.shm_dir = pathlib.Path(tempfile.mkdtemp(prefix="aeron-testbed-", dir=shm_parent))
            self._stack.callback(shutil.rmtree, self.shm_dir, ignore_errors=True)
        self._count = 0
        self.drivers: list[RunningDriver] = []
        self.archives: list[JavaArchive] = []

    def _name(self, what: str) -> str:
        self._count += 1
        return f"{what}-{self._count}"

    # -- parts ---------------------------------------------------------------------

    def driver(self, kind: str | None = None, **settings: Any) -> RunningDriver:
        """Start a C media driver of ``kind`` (the testbed's default kind if None) in a
        new Aeron directory; ``settings`` override ``DRIVER_DEFAULTS`` and are
        ``MediaDriver``/``DriverProcess`` keywords (``term_buffer_length=``, ...)."""
        kind = kind or self.driver_kind
        if kind not in DRIVER_KINDS:
            raise ValueError(f"driver kind must be one of {DRIVER_KINDS}, not {kind!r}")
        aeron_dir = self.shm_dir / self._name(f"{kind}-driver")
        options = {**DRIVER_DEFAULTS, **settings}
        if kind == "embedded":
            handle: MediaDriver | DriverProcess = MediaDriver(dir=aeron_dir, **options)
            pid = os.getpid()
        else:  # start() stops the process itself if the driver does not come up
            handle = DriverProcess(aeron_dir, log_path=self.tmp_dir / f"{aeron_dir.name}.log",
                                   **self._in_container(images.driver_image, "executable", images.IN_IMAGE_AERONMD),
                                   **options).start()
            pid = handle.pid
        running = RunningDriver(kind, aeron_dir, pid, handle)
        self._stack.callback(running.close)
        self.drivers.append(running)
        return running

    def java_archive(self, driver: RunningDriver | str | os.PathLike[str], **kwargs: Any) -> JavaArchive:
        """Start a Java archive on ``driver`` (a ``RunningDriver`` or an Aeron
        directory), recording into a new directory; ``kwargs`` are ``JavaArchive``'s
        (``recording_events=``, ``segment_file_length=``, ``properties=``...)."""
        archive = JavaArchive(os.fspath(driver), archive_dir=self.tmp_dir / self._name("archive"),
                              **self._in_container(images.java_image, "java", images.IN_IMAGE_JAVA,
                                                   jar=images.IN_IMAGE_JAR), **kwargs)
        self._stack.callback(archive.close)
        self.archives.append(archive)
        return archive.start()

    def _in_container(self, image: Any, executable_keyword: str, executable: str, **paths: str) -> dict[str, Any]:
        """On the docker backend, the keywords that make a part run in a container of ``image``
        (``launch``, the executable's and other files' paths in the image); else none."""
        if self.backend == "host":
            return {}
        return {"launch": ContainerLauncher(image, [self.tmp_dir, self.shm_dir]), executable_keyword: executable,
                **paths}

    def client(self, driver: RunningDriver | str | os.PathLike[str], **settings: Any) -> Aeron:
        """An ``Aeron`` client connected to ``driver``; ``settings`` are ``Context`` keywords."""
        settings.setdefault("driver_timeout_ms", CLIENT_DRIVER_TIMEOUT_MS)
        return self._stack.enter_context(Aeron(dir=os.fspath(driver), **settings))

    def archive_client(self, archive: JavaArchive, **settings: Any) -> AeronArchive:
        """An ``AeronArchive`` connected to ``archive`` through its driver; ``settings``
        are ``ArchiveContext`` keywords (``recording_signal_consumer=``, ``aeron=``...)."""
        settings.setdefault("aeron_directory_name", str(archive.aeron_dir))
        return self._stack.enter_context(AeronArchive.connect(
            control_request_channel=archive.control_request_channel,
            control_response_channel=archive.control_response_channel,
            **settings,
        ))

    # -- diagnostics -----------------------------------------------------------------

    def diagnostics(self) -> dict[str, str]:
        """What went wrong inside the parts, by title: each running driver's distinct
        error log and each archive's log tail, where not empty (the plugin adds them
        to a failed test's report)."""
        found: dict[str, str] = {}
        for driver in self.drivers:
            try:
                with CncFile(driver.dir) as cnc:
                    errors = cnc.error_log_read()
            except AeronError:  # the driver is gone
                continue
            if errors:
                found[f"aeron {driver.dir.name} errors"] = "\n".join(
                    f"{e.observation_count} observations of: {e.error}" for e in errors)
        for archive in self.archives:
            tail = archive.log_tail()
            if tail.strip():
                found[f"aeron {archive.archive_dir.name} log"] = tail
        return found

    # -- teardown --------------------------------------------------------------------

    def close(self) -> None:
        """Close every part, newest first, then delete the testbed's directories."""
        self._stack.close()

    def __enter__(self) -> "AeronTestbed":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
