"""``aeron-cffi`` (also ``python -m aeron_cffi``): tools for people who run Aeron.

Subcommands: ``driver`` (run the packaged C media driver), ``stat`` / ``errors`` /
``loss`` (read a driver's CnC file like Aeron's AeronStat, ErrorStat and LossStat),
``archive ...`` (recording operations against a running archive), ``cluster ...``
(ClusterTool's describe, snapshot and shutdown of a cluster node), ``recoverylog ...``
(a recovery log's hints and its playback) and ``queue ...`` (a durable queue's state and
entries). Each one is in its own module here and registers itself with
``register(subparsers)``.

Failures print one line on stderr and exit with an ``ExitCode`` per class of failure.
"""

from __future__ import annotations

import argparse
import os
import sys

from aeron_cffi._version import __version__
from aeron_cffi.archive import ArchiveError
from aeron_cffi.cli import archive, cluster, driver, queues, recoverylog, stats
from aeron_cffi.cli._common import CliError, ExitCode, one_line
from aeron_cffi.errors import AeronError, DriverTimeoutError
from aeron_cffi.versions import version_info

__all__ = ["ExitCode", "main"]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="aeron-cffi",
        description="Tools for people who run Aeron: a media driver, its stats, archive operations, cluster nodes.",
        epilog="exit status: " + ", ".join(f"{code.value} {code.name.lower()}" for code in ExitCode))
    root.add_argument("--version", action="version", version=f"%(prog)s {__version__} ({version_info().full})",
                      help="print aeron-cffi's version and the compiled-in Aeron's, and exit")
    subparsers = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (driver, stats, archive, cluster, recoverylog, queues):
        module.register(subparsers)
    return root


def _failure(error: BaseException) -> tuple[ExitCode, str]:
    if isinstance(error, CliError):
        return error.code, str(error)
    if isinstance(error, ArchiveError):
        code = getattr(error.archive_code, "name", error.archive_code)
        return ExitCode.ARCHIVE_ERROR, f"archive error {code}: {error.archive_message or error.errmsg}"
    if isinstance(error, DriverTimeoutError):
        return ExitCode.NO_DRIVER, f"media driver not answering: {error.errmsg}"
    if isinstance(error, AeronError):
        return ExitCode.FAILURE, error.errmsg
    if isinstance(error, OSError):
        return ExitCode.IO_ERROR, f"{error.filename or 'I/O'}: {error.strerror or error}"
    return ExitCode.INTERRUPTED, "interrupted"


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status (the console script exits with it)."""
    args = parser().parse_args(argv)
    try:
        return int(args.run(args) or ExitCode.OK)
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not a failure
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except (CliError, AeronError, OSError, KeyboardInterrupt) as error:
        code, message = _failure(error)
        print(f"aeron-cffi {args.command}: {one_line(message)}", file=sys.stderr)
        return code
