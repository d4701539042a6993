"""``driver``: run the packaged C media driver (``aeronmd``) in the foreground.

Settings are Aeron properties, from properties files and ``-D name=value`` options
(as ``aeronmd`` takes them), plus shortcuts for the common ones. Once the driver's
CnC file is ready, one line says so (JSON with ``--json``); Ctrl-C or SIGTERM stops
the driver and the command exits with 0 (or the driver's status if it failed).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

from aeron_cffi.cli._common import CliError, ExitCode, add_json, print_fields, print_json
from aeron_cffi.cnc import CncFile, default_path
from aeron_cffi.errors import AeronError
from aeron_cffi.executables import aeronmd_path
from aeron_cffi.media_driver import ThreadingMode

_PR_SET_PDEATHSIG = 1
_SHORTCUTS = {
    "dir": "aeron.dir",
    "threading_mode": "aeron.threading.mode",
    "term_buffer_length": "aeron.term.buffer.length",
    "ipc_term_buffer_length": "aeron.ipc.term.buffer.length",
}


def _define(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise ValueError(text)
    return name, value


def _properties(path: str) -> dict[str, str]:
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as error:
        raise CliError(ExitCode.IO_ERROR, f"cannot read properties file {path}: {error.strerror}") from None
    pairs = (line.strip().partition("=") for line in lines)
    return {name.strip(): value.strip() for name, equals, value in pairs if equals and not name.startswith("#")}


def _settings(args) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The ``-D`` pairs for aeronmd, and every property as aeronmd will end up with it:
    it applies ``-D`` first, then the files in order, each overriding what came before."""
    defines = list(args.define or [])
    defines += [(name, str(getattr(args, option))) for option, name in _SHORTCUTS.items()
                if getattr(args, option) is not None]
    effective = dict(defines)
    for path in args.properties:
        effective.update(_properties(path))
    return defines, effective


def _wait_ready(process: subprocess.Popen, aeron_dir: str, timeout: float) -> None:
    """Until the CnC file in ``aeron_dir`` is this process's (not a dead driver's)."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with CncFile(aeron_dir, 100) as cnc:
                if cnc.constants.pid == process.pid:
                    return
        except AeronError:
            pass
        time.sleep(0.05)
    status = "exited with %s" % process.returncode if process.poll() is not None else f"not ready after {timeout:g}s"
    raise CliError(ExitCode.NO_DRIVER, f"aeronmd {status} (directory {aeron_dir})")


def _die_with_parent() -> None:
    """In the child, on Linux: get SIGTERM when this command dies, even by SIGKILL
    (``prctl(PR_SET_PDEATHSIG)``), so no driver outlives it."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def run(args) -> int:
    defines, effective = _settings(args)
    aeron_dir = effective.get("aeron.dir") or os.environ.get("AERON_DIR") or default_path()
    command = [str(aeronmd_path()), *(f"-D{name}={value}" for name, value in defines), *args.properties]
    process = subprocess.Popen(command, preexec_fn=_die_with_parent)
    received: list[int] = []

    def forward(signum: int, frame: object) -> None:
        received.append(signum)
        process.send_signal(signal.SIGTERM)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        _wait_ready(process, aeron_dir, args.start_timeout)
        ready = {"status": "ready", "aeron_dir": aeron_dir, "pid": process.pid}
        print_json(ready) if args.json else print_fields(ready)
        sys.stdout.flush()
        status = process.wait()
        # aeronmd exits with the number of the signal that stopped it: a requested stop is success.
        return ExitCode.OK if received and status in (0, signal.SIGTERM) else status
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if process.poll() is None:
            process.terminate()
            process.wait()


def register(subparsers) -> None:
    parser = subparsers.add_parser("driver", help="run the packaged C media driver until Ctrl-C/SIGTERM",
                                   description=__doc__.split("\n\n", 1)[1])
    parser.add_argument("properties", nargs="*", metavar="PROPERTIES_FILE", help="Aeron properties files")
    parser.add_argument("-D", dest="define", action="append", type=_define, metavar="NAME=VALUE",
                        help="an Aeron property, e.g. -D aeron.dir.delete.on.shutdown=true")
    parser.add_argument("--dir", help="aeron.dir: the driver's directory")
    # Any case, as MediaDriver(threading_mode=...) takes it; not INVOKER, which needs a
    # program that embeds the driver to do its work.
    parser.add_argument("--threading-mode", type=str.upper, help="aeron.threading.mode",
                        choices=[mode.name for mode in ThreadingMode if mode is not ThreadingMode.INVOKER])
    parser.add_argument("--term-buffer-length", type=int, help="aeron.term.buffer.length")
    parser.add_argument("--ipc-term-buffer-length", type=int, help="aeron.ipc.term.buffer.length")
    parser.add_argument("--start-timeout", type=float, default=10.0, metavar="SECONDS",
                        help="how long to wait for the driver to come up (default: %(default)s)")
    add_json(parser)
    parser.set_defaults(run=run)
