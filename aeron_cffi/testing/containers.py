"""Running the real parts in containers: the media driver and the Java archive (images from
``aeron_cffi.testing.images``), with the ``docker`` package (the Docker Engine's own Python
client: testcontainers would add a reaper image that cannot be pulled where no registry is
reachable, and nothing this module needs).

A part runs as it does as a host process, with the same command and the same paths:

* ``--ipc=host``: the container shares the host's ``/dev/shm``, so the Aeron directory (at a
  unique path under ``/dev/shm``) is the same file inside and outside, and the driver reports
  paths a host client can open. The Aeron directory itself is never a mount point (Aeron
  deletes and recreates it).
* ``--network=none``: the driver does all the networking of a stream, and a container's own
  loopback is enough for a driver's UDP channels; an archive or a client reaches the driver
  through shared memory only. So a container never touches the host's network (no clash on
  port 8010 with an archive on the host).
* The folders the part reads and writes (its properties file, the archive's directory and
  log) are bound at the same path.

``ContainerProcess`` answers like ``subprocess.Popen`` (``poll``, ``wait``, ``terminate``,
``kill``, ``pid``, ``returncode``), so ``DriverProcess`` and ``JavaArchive`` run a container
through their ``launch`` hook unchanged. A container's output goes to the part's log file when
it exits, and the container is removed then. Should this process die without cleaning up
(``kill -9`` of pytest), a reaper process started with the first container removes every
container this process started, and the Aeron directories they used, once it is gone.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from typing import IO, Any, Callable, Sequence

__all__ = ["ContainerLauncher", "ContainerProcess", "DockerUnavailableError", "docker_client", "OWNER_LABEL"]

#: Label on every container: the pid of the process that started it.
OWNER_LABEL = "aeron-cffi.owner"
#: Label on every container: the host folders to delete once it is gone (``os.pathsep``-separated).
CLEANUP_LABEL = "aeron-cffi.cleanup"
_SHM = pathlib.Path("/dev/shm")


class DockerUnavailableError(RuntimeError):
    """No Docker daemon answers (or the ``docker`` package is missing); the message says how to get one."""


_client: Any = None
_reaper: subprocess.Popen[bytes] | None = None


def docker_client() -> Any:
    """A ``docker.DockerClient`` of the local daemon (``DOCKER_HOST`` or the default socket)."""
    global _client
    if _client is None:
        try:
            import docker  # type: ignore[import-untyped]  # docker ships no type hints (no types-docker here)
        except ImportError:
            raise DockerUnavailableError("the container backend needs the 'docker' package: pip install docker") from None
        try:
            client = docker.from_env()
            client.ping()
        except Exception as exc:  # noqa: BLE001  (docker raises several kinds for "no daemon")
            where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
            raise DockerUnavailableError(
                f"no Docker daemon answers at {where} ({type(exc).__name__}): start dockerd "
                "(ci/bootstrap starts one with --iptables=false --ip-forward=false --bridge=none)") from None
        _client = client
    return _client


def _start_reaper() -> None:
    """Start (once per process) the reaper that removes this process's containers after it dies."""
    global _reaper
    if _reaper is None or _reaper.poll() is not None:
        _reaper = subprocess.Popen([sys.executable, "-m", "aeron_cffi.testing.reaper", str(os.getpid())],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)  # a Ctrl-C of the test run must not stop it


class ContainerProcess:
    """A started container, answering like ``subprocess.Popen``. Its exit status follows
    Popen's convention: ``-N`` for a container ended by signal N (Docker reports 128 + N)."""

    def __init__(self, container: Any, log_path: str | None) -> None:
        self.container = container
        self._log_path = log_path
        self.returncode: int | None = None
        container.reload()
        self.pid: int = container.attrs["State"]["Pid"]

    def poll(self) -> int | None:
        if self.returncode is None:
            self.container.reload()
            state = self.container.attrs["State"]
            if state["Status"] in ("exited", "dead"):
                self._ended(state["ExitCode"])
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            import requests

            try:
                status = self.container.wait(timeout=timeout)["StatusCode"]
            except requests.exceptions.ConnectionError:  # (the read timed out)
                raise subprocess.TimeoutExpired(f"container {self.container.name}", timeout or 0) from None
            self._ended(status)
        return self.returncode  # type: ignore[return-value]

    def _signal(self, signal: str) -> None:
        import docker.errors  # type: ignore[import-untyped]  # docker ships no type hints (no types-docker here)

        if self.returncode is None:
            try:
                self.container.kill(signal=signal)
            except docker.errors.APIError:  # it ended meanwhile
                pass

    def terminate(self) -> None:
        self._signal("SIGTERM")

    def kill(self) -> None:
        self._signal("SIGKILL")

    def _ended(self, status: int) -> None:
        """Keep its output in the log file, then remove the container."""
        self.returncode = -(status - 128) if status > 128 else status
        if self._log_path is not None:
            with open(self._log_path, "ab") as log:
                log.write(self.container.logs(stdout=True, stderr=True))
        self.container.remove(force=True)


class ContainerLauncher:
    """``launch(command, log)`` for ``DriverProcess``/``JavaArchive``: runs ``command`` (its
    first element is the executable's path inside ``image``) in a container of ``image`` with
    the folders ``binds`` bound at the same path, and returns a ``ContainerProcess``."""

    def __init__(self, image: Callable[[Any], str], binds: Sequence[str | os.PathLike[str]] = (),
                 name: str | None = None, network_mode: str = "none") -> None:
        self._image = image
        self.binds = [pathlib.Path(b) for b in binds]
        self.name = name
        # "none" (a loopback of its own), or "container:ID" to share another container's
        # loopback (the members of a cluster reach each other there)
        self.network_mode = network_mode

    def __call__(self, command: Sequence[str], log: IO[bytes] | None) -> ContainerProcess:
        client = docker_client()
        image = self._image(client)
        _start_reaper()
        # Folders under /dev/shm are shared through --ipc=host; the others are bound.
        volumes = {str(b): {"bind": str(b), "mode": "rw"} for b in self.binds if _SHM not in b.parents}
        container = client.containers.run(
            image, list(command[1:]), detach=True, name=self.name, ipc_mode="host", network_mode=self.network_mode,
            init=True, volumes=volumes,
            labels={OWNER_LABEL: str(os.getpid()), CLEANUP_LABEL: os.pathsep.join(str(b) for b in self.binds)})
        # (the caller may close its log file once this returns, as it may after a Popen)
        return ContainerProcess(container, getattr(log, "name", None))
