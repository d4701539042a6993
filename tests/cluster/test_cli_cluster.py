"""``aeron-cffi cluster describe | snapshot | shutdown`` run as a user runs it, against a
real one-node cluster (ClusteredMediaDriver and a Java service container)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from aeron_cffi.cli import ExitCode
from aeron_cffi.testing.cluster import LocalCluster
from client_support import AUCTION_SERVICE

CLI_TIMEOUT = 120


def cli(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aeron_cffi", "cluster", *map(str, args)], capture_output=True,
                          text=True, timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)


@pytest.fixture
def node(aeron_cluster: LocalCluster):
    node = aeron_cluster.nodes[0]
    service = aeron_cluster.java_service(node, AUCTION_SERVICE)
    aeron_cluster.leader()
    node.service = service
    return node


def test_describe_snapshot_shutdown(node):
    described = cli("describe", node.cluster_dir, "--json")
    assert described.returncode == 0, described.stderr
    mark_files = json.loads(described.stdout)
    assert [(m["componentType"], m["serviceId"], m["pid"]) for m in mark_files] == [
        ("CONSENSUS_MODULE", "-1", str(node.pid)), ("CONTAINER", "0", str(node.service.pid))]

    table = cli("describe", node.cluster_dir)
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split()[:4] == ["TYPE", "MEMBER", "SERVICE", "PID"]
    assert [row.split()[:4] for row in rows] == [["CONSENSUS_MODULE", "0", "-1", str(node.pid)],
                                                 ["CONTAINER", "0", "0", str(node.service.pid)]]

    snapshot = cli("snapshot", node.cluster_dir)
    assert (snapshot.returncode, snapshot.stdout.strip()) == (0, "Member [0]: SNAPSHOT applied successfully")
    assert "SNAPSHOT" in node.tool("recording-log").output.upper()

    shutdown = cli("shutdown", node.cluster_dir, "--json")
    assert shutdown.returncode == 0, shutdown.stderr
    assert json.loads(shutdown.stdout) == {"command": "shutdown", "applied": True,
                                           "output": ["Member [0]: SHUTDOWN applied successfully"]}
    assert node.wait_exit(60) == 0
    assert node.service.wait_exit(60) == 0


def test_failures_exit_with_their_class(tmp_path):
    missing = cli("describe", tmp_path / "no-such-dir")
    assert missing.returncode == ExitCode.IO_ERROR
    assert missing.stderr.strip() == f"aeron-cffi cluster: cluster directory not found: {tmp_path / 'no-such-dir'}"

    empty = cli("snapshot", tmp_path)
    assert empty.returncode == ExitCode.CLUSTER_ERROR
    assert empty.stderr.strip().endswith("cluster-mark.dat does not exist.")
    assert empty.stdout == ""
