"""``cluster describe | snapshot | shutdown``: drive a cluster node from its cluster
directory, through Aeron's own ``io.aeron.cluster.ClusterTool`` (Java, from the pinned
``aeron-all`` jar; there is no C API for Cluster).

* ``describe`` reads the node's mark files (consensus module, then one per service):
  component, member and service ids, pid, start and last activity;
* ``snapshot`` asks the consensus module to take a snapshot;
* ``shutdown`` asks for an orderly stop of the node, with a snapshot.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from typing import Callable

from aeron_cffi.cli._common import CliError, ExitCode, add_json, format_timestamp, one_line, print_json, print_table
from aeron_cffi.testing.cluster import ClusterToolResult, cluster_tool

__all__ = ["register"]

_DESCRIBE_COLUMNS = (("TYPE", "componentType"), ("MEMBER", "memberId"), ("SERVICE", "serviceId"), ("PID", "pid"),
                     ("STARTED", "startTimestamp"), ("ACTIVITY", "activityTimestamp"),
                     ("AERON DIR", "aeronDirectory"))
_TIMESTAMPS = frozenset({"startTimestamp", "activityTimestamp"})


def _run_tool(args: argparse.Namespace, command: str) -> ClusterToolResult:
    if not os.path.isdir(args.cluster_dir):
        raise CliError(ExitCode.IO_ERROR, f"cluster directory not found: {args.cluster_dir}")
    try:
        result = cluster_tool(args.cluster_dir, command, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        raise CliError(ExitCode.TIMEOUT, f"ClusterTool {command} did not finish within {args.timeout:g}s") from None
    if not result.ok:
        raise CliError(ExitCode.CLUSTER_ERROR, f"ClusterTool {command} failed (exit status {result.returncode}): "
                                               f"{_last_line(result.output)}")
    return result


def _last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return one_line(lines[-1]) if lines else "no output"


def _cell(name: str, value: str) -> str:
    if name in _TIMESTAMPS:
        return format_timestamp(int(value)) if int(value) > 0 else "-"  # -1: the component stopped
    return value


def run_describe(args: argparse.Namespace) -> None:
    result = _run_tool(args, "describe")
    if not result.mark_files:
        raise CliError(ExitCode.CLUSTER_ERROR, f"no cluster mark file in {args.cluster_dir}: "
                                               f"{_last_line(result.output)}")
    if args.json:
        print_json(list(result.mark_files))
    else:
        print_table([header for header, _ in _DESCRIBE_COLUMNS],
                    [[_cell(name, mark_file.get(name, "")) for _, name in _DESCRIBE_COLUMNS]
                     for mark_file in result.mark_files])


def _toggle(command: str) -> Callable[[argparse.Namespace], None]:
    def run(args: argparse.Namespace) -> None:
        result = _run_tool(args, command)
        if args.json:
            print_json({"command": command, "applied": True, "output": result.output.strip().splitlines()})
        else:
            print(result.output.strip())
    return run


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("cluster", help="describe, snapshot or shut down a cluster node",
                                   description=__doc__)
    commands = parser.add_subparsers(dest="cluster_command", metavar="COMMAND", required=True)
    for name, run, help in (("describe", run_describe, "the node's mark files: components, ids, pids, activity"),
                            ("snapshot", _toggle("snapshot"), "take a snapshot of the cluster"),
                            ("shutdown", _toggle("shutdown"), "stop the cluster in order, with a snapshot")):
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        sub.add_argument("cluster_dir", help="the node's cluster directory (aeron.cluster.dir)")
        sub.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                         help="how long ClusterTool may take, JVM start included (default: %(default)s)")
        add_json(sub)
