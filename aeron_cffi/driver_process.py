"""``DriverProcess``: the packaged ``aeronmd`` run as a child process with a generated configuration."""

from __future__ import annotations

import os
import pathlib
import subprocess
import tempfile
from typing import IO, Any, Callable, Sequence

from aeron_cffi._native import ffi, lib
from aeron_cffi.errors import DriverTimeoutError, ResourceClosedError, last_error
from aeron_cffi.executables import aeronmd_path

__all__ = ["DriverProcess", "property_name"]


def property_name(setting: str) -> str:
    """``term_buffer_length`` -> ``aeron.term.buffer.length`` (Aeron's property naming).

    The unit suffix of a duration's setter goes: ``client_liveness_timeout_ns`` is the
    property ``aeron.client.liveness.timeout`` (nanoseconds, as a number without a unit
    means), ``driver_timeout_ms`` is ``aeron.driver.timeout`` (milliseconds)."""
    return "aeron." + setting.removesuffix("_ns").removesuffix("_ms").replace("_", ".")


def _property_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value.name if hasattr(value, "name") else value)


def popen_logged(command: list[str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """The default ``launch``: ``command`` as a child process writing to ``log``."""
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


class DriverProcess:
    """Run ``aeronmd`` with settings written to a properties file, until ``stop()``.

    Settings are keywords named like ``MediaDriver``'s (``dir``, ``threading_mode``,
    ``term_buffer_length``, ``dir_delete_on_shutdown``...), each written as the
    ``aeron.*`` property (``property_name``); ``properties`` adds raw ones. The
    driver accepts termination requests (``aeron.driver.termination.validator=allow``)
    so ``stop()`` ends it cleanly with ``aeron_context_request_driver_termination``.
    ``command_prefix`` runs ``aeronmd`` through a launcher that execs it, such as
    ``["ip", "netns", "exec", name]`` for a driver in a network namespace. ``launch(command,
    log)`` starts the command instead of ``subprocess.Popen`` and returns an object that
    answers like one, with ``executable`` the path of ``aeronmd`` it sees: e.g. a
    ``ContainerLauncher`` (``aeron_cffi.testing.containers``) runs the driver in a container.
    """

    def __init__(self, dir: str | os.PathLike[str] | None = None, *, start_timeout: float = 10.0,
                 properties: dict[str, Any] | None = None, log_path: str | os.PathLike[str] | None = None,
                 command_prefix: Sequence[str] = (), executable: str | None = None,
                 launch: Callable[[list[str], IO[bytes]], Any] | None = None, **settings: Any) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="aeronmd-")
            base = pathlib.Path(self._tmp.name) / "aeron"
        else:
            base = pathlib.Path(dir)
        self.dir = base
        self.start_timeout = start_timeout
        self.command_prefix = list(command_prefix)
        self.executable = executable
        self._launch = launch or popen_logged
        config = {"aeron.dir": str(base), "aeron.driver.termination.validator": "allow",
                  "aeron.dir.delete.on.start": "true"}
        config.update({property_name(k): _property_value(v) for k, v in settings.items()})
        config.update({k: _property_value(v) for k, v in (properties or {}).items()})
        self.properties = config
        folder = pathlib.Path(self._tmp.name) if self._tmp else base.parent
        folder.mkdir(parents=True, exist_ok=True)
        self.config_path = folder / f"{base.name}.properties"
        self.log_path = pathlib.Path(log_path) if log_path else folder / f"{base.name}.log"
        self.process: Any = None  # a subprocess.Popen, or what ``launch`` returned

    def start(self) -> DriverProcess:
        """Write the configuration, launch ``aeronmd`` and wait until its CnC file is ready."""
        self.config_path.write_text("".join(f"{k}={v}\n" for k, v in self.properties.items()))
        with open(self.log_path, "wb") as log:
            self.process = self._launch(
                [*self.command_prefix, self.executable or str(aeronmd_path()), str(self.config_path)], log)
        cnc = ffi.new("aeron_cnc_t **")
        if lib.aeron_cnc_init(cnc, str(self.dir).encode(), int(self.start_timeout * 1000)) < 0:
            error = last_error(f"aeronmd did not start in {self.dir} (log: {self.log_path})")
            self.stop()
            raise DriverTimeoutError(error.errmsg, error.errcode)
        lib.aeron_cnc_close(cnc[0])
        return self

    @property
    def pid(self) -> int:
        """The ``aeronmd`` process id (``ResourceClosedError`` before ``start`` or after ``stop``)."""
        if self.process is None:
            raise ResourceClosedError("DriverProcess is not running: start() it first")
        pid: int = self.process.pid
        return pid

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        """Ask the driver to terminate, then SIGTERM/SIGKILL if it does not; returns its exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            lib.aeron_context_request_driver_termination(str(self.dir).encode(), ffi.NULL, 0)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self._tmp is not None:
            self._tmp.cleanup()
        returncode: int | None = process.returncode
        return returncode

    def __enter__(self) -> DriverProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
