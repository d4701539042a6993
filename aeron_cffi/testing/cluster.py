"""Real Aeron Cluster parts for tests: cluster nodes, a Java service container, ClusterTool.

A ``ClusterNode`` is ``io.aeron.cluster.ClusteredMediaDriver`` of the pinned aeron-all
jar (Java media driver, archive and consensus module in one process) with directories
and ports of its own; ``LocalCluster`` makes one or three of them that know each other.
The consensus module waits for its services (``service_count``), so a node elects
itself leader only once a service (ours in Python, or ``JavaServiceContainer``) has
connected. Every process is stopped and every directory it made deleted by
``close()`` (or the context manager), whatever state the process is in.

Timeouts are test-sized (``TEST_TIMEOUTS``) and every agent shares one thread with a
backing-off idle strategy, so a node is light on a busy machine.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import time
from typing import Any, Iterable

from aeron_cffi import _waiting
from aeron_cffi.cluster import ClusteredService, ClusteredServiceContainer, ClusterRole
from aeron_cffi.cnc import CncFile
from aeron_cffi.errors import AeronError
from aeron_cffi.driver_process import DriverProcess
from aeron_cffi.testing import images
from aeron_cffi.testing.containers import ContainerLauncher
from aeron_cffi.testing.java_process import (
    TEST_JAVA_OPTIONS, JavaPart, JavaProcess, JavaRuntime, JavaStartError, java_command, mark_file_header,
    mark_file_stale)
from aeron_cffi.testing.jar import aeron_all_jar
from aeron_cffi.testing.ports import PortAllocator

__all__ = ["ClusterNode", "ClusterStartError", "ClusterToolResult", "JavaServiceContainer", "LocalCluster",
           "NodeRole", "TEST_TIMEOUTS", "cluster_tool"]

#: Consensus module timeouts for tests: quick elections and session expiry, still
#: tolerant of a loaded machine (Java's defaults are 10 s heartbeats and sessions,
#: and a 60 s start-up canvass).
TEST_TIMEOUTS: dict[str, str] = {
    "aeron.cluster.session.timeout": "5s",
    "aeron.cluster.leader.heartbeat.timeout": "2s",
    "aeron.cluster.leader.heartbeat.interval": "100ms",
    "aeron.cluster.election.timeout": "500ms",
    "aeron.cluster.startup.canvass.timeout": "4s",
    "aeron.cluster.termination.timeout": "5s",
}

_MAIN_CLASS = "io.aeron.cluster.ClusteredMediaDriver"
_CONTAINER_CLASS = "io.aeron.cluster.service.ClusteredServiceContainer"
_TOOL_CLASS = "io.aeron.cluster.ClusterTool"
# AeronCounters' type ids of the consensus module counters a test waits on.
_CONSENSUS_MODULE_STATE_TYPE_ID = 200
_NODE_ROLE_TYPE_ID = 201
_COMMIT_POSITION_TYPE_ID = 203
_ELECTION_STATE_TYPE_ID = 207
_ELECTION_CLOSED = 17
_CONSENSUS_MODULE_ACTIVE = 1
# The mark files of a node's archive, consensus module and services (java_process: their layout).
_MARK_FILE_NAMES = ("archive-mark.dat", "cluster-mark.dat", "cluster-mark-service-*.dat")

class ClusterStartError(JavaStartError):
    """A cluster process did not come up; the message carries its log's tail."""


#: ``Cluster.Role`` codes of the node-role counter: the codecs' ``ClusterRole`` (kept under
#: this name for the launcher's users).
NodeRole = ClusterRole


@dataclasses.dataclass(frozen=True)
class ClusterToolResult:
    """What ``ClusterTool`` printed: ``ok`` is its exit status 0 and, for commands that
    toggle the cluster (snapshot, shutdown...), its "applied successfully" line;
    ``mark_files`` are the decoded mark files of ``describe`` (consensus module first,
    then one per service), each a dict of the fields ClusterTool printed."""

    command: str
    returncode: int
    output: str
    ok: bool
    mark_files: tuple[dict[str, str], ...] = ()


# ClusterTool prints a mark file as SBE's toString: "[MarkFileHeader](sbe...):name=value|name=value|..."
_MARK_FILE_LINE = re.compile(r"^\[MarkFileHeader\]\((?P<meta>[^)]*)\):(?P<fields>.*)$")


def _parse_mark_file(line: str) -> dict[str, str] | None:
    match = _MARK_FILE_LINE.match(line.strip())
    if match is None:
        return None
    fields = {}
    for item in (*match["meta"].split("|"), *match["fields"].split("|")):
        name, _, value = item.partition("=")
        fields[name] = value.strip("'")
    return fields


def cluster_tool(cluster_dir: str | os.PathLike[str], command: str, *args: str, timeout: float = 60.0,
                 java: str = "java") -> ClusterToolResult:
    """Run ``io.aeron.cluster.ClusterTool <cluster_dir> <command> [args]`` and parse its output."""
    completed = subprocess.run(
        java_command(java, aeron_all_jar(), _TOOL_CLASS, args=[os.fspath(cluster_dir), command, *args],
                     options=TEST_JAVA_OPTIONS),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=timeout, text=True)
    output = completed.stdout
    mark_files = tuple(found for line in output.splitlines() if (found := _parse_mark_file(line)))
    toggles = command in ("snapshot", "shutdown", "suspend", "resume", "abort")
    ok = completed.returncode == 0 and (not toggles or "applied successfully" in output)
    return ClusterToolResult(command, completed.returncode, output, ok, mark_files)


def _cluster_process(main_class: str, properties: dict[str, str], log_path: pathlib.Path, name: str,
                     java_keyword: str, runtime: JavaRuntime) -> JavaProcess:
    """A cluster component's Java process: quick-starting options, ``ClusterStartError``s."""
    return JavaProcess(main_class, properties, log_path, name=name, java_keyword=java_keyword, runtime=runtime,
                       options=TEST_JAVA_OPTIONS, start_error=ClusterStartError)


class _JavaComponent(JavaPart):
    """A cluster component running in a ``JavaProcess`` of its own."""

    _startup_timeout: float

    def wait_exit(self, timeout: float = 30.0) -> int:
        """The exit status once the process ends by itself (after a ClusterTool shutdown)."""
        return self._process.wait(timeout)


@dataclasses.dataclass(frozen=True)
class _MemberPorts:
    ingress: int
    consensus: int
    log: int
    catchup: int
    archive: int

    @classmethod
    def allocate(cls, ports: PortAllocator) -> "_MemberPorts":
        return cls(*(ports() for _ in dataclasses.fields(cls)))

    def member(self, member_id: int) -> str:
        """This member's entry of ``aeron.cluster.members``."""
        return ",".join([str(member_id), *(f"localhost:{getattr(self, f.name)}" for f in dataclasses.fields(self))])


class ClusterNode(_JavaComponent):
    """One cluster member: ``ClusteredMediaDriver`` with its Aeron, archive and cluster
    directories under ``root`` and ``shm_root``.

    ``start()`` returns once the consensus module is up (it then waits for its
    services); ``kill()`` is SIGKILL, ``stop()`` an orderly SIGTERM, and ``restart()``
    starts it again on the same directories (recovering from its recording log).
    """

    def __init__(self, member_id: int, members: str, ports: _MemberPorts, *, root: pathlib.Path,
                 shm_root: pathlib.Path, service_count: int = 1, properties: dict[str, str] | None = None,
                 startup_timeout: float = 90.0, java: str = "java", runtime: JavaRuntime | None = None) -> None:
        self.member_id = member_id
        self.runtime = runtime or JavaRuntime(java=java)
        self.ports = ports
        self.root = root / f"node-{member_id}"
        self.aeron_dir = shm_root / f"node-{member_id}-driver"
        self.archive_dir = self.root / "archive"
        self.cluster_dir = self.root / "cluster"
        self.ingress_endpoint = f"localhost:{ports.ingress}"
        self._startup_timeout = startup_timeout
        properties = {
            "aeron.dir": str(self.aeron_dir),
            "aeron.dir.delete.on.start": "true",
            "aeron.dir.delete.on.shutdown": "true",
            "aeron.threading.mode": "SHARED",
            "aeron.shared.idle.strategy": "backoff",
            "aeron.term.buffer.length": str(256 * 1024),
            "aeron.ipc.term.buffer.length": str(256 * 1024),
            "aeron.archive.dir": str(self.archive_dir),
            "aeron.archive.id": str(member_id),
            "aeron.archive.threading.mode": "SHARED",
            "aeron.archive.idle.strategy": "backoff",
            "aeron.archive.control.channel": f"aeron:udp?endpoint=localhost:{ports.archive}",
            "aeron.archive.replication.channel": "aeron:udp?endpoint=localhost:0",
            "aeron.archive.recording.events.enabled": "false",
            "aeron.cluster.dir": str(self.cluster_dir),
            "aeron.cluster.member.id": str(member_id),
            "aeron.cluster.members": members,
            "aeron.cluster.ingress.channel": "aeron:udp?term-length=256k",
            "aeron.cluster.log.channel": "aeron:udp?term-length=256k",
            "aeron.cluster.replication.channel": "aeron:udp?endpoint=localhost:0",
            "aeron.cluster.service.count": str(service_count),
            "aeron.cluster.idle.strategy": "backoff",
            **TEST_TIMEOUTS,
            **(properties or {}),
        }
        self._process = _cluster_process(_MAIN_CLASS, properties, root / f"node-{member_id}.log",
                                         f"cluster node {member_id}", "ClusterNode(java=...)", self.runtime)
        self._killed = False

    @property
    def properties(self) -> dict[str, str]:
        return self._process.properties

    def start(self) -> "ClusterNode":
        self.launch()
        try:
            self.wait_started()
        except BaseException:
            self.stop()
            raise
        return self

    def launch(self) -> None:
        """Start the process without waiting for it (``wait_started`` waits)."""
        self.cluster_dir.mkdir(parents=True, exist_ok=True)
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        if self._killed:
            mark_file_stale(itertools.chain.from_iterable(
                directory.glob(pattern) for directory in (self.cluster_dir, self.archive_dir)
                for pattern in _MARK_FILE_NAMES))
            self._killed = False
        # A killed driver's CnC file would pass for the new one's until it is replaced.
        shutil.rmtree(self.aeron_dir, ignore_errors=True)
        self._process.launch()

    def wait_started(self) -> None:
        """Return once the consensus module is up (``ClusterStartError`` if the process
        exits or the start-up timeout passes)."""
        self._process.wait_ready(lambda: self.counter(_CONSENSUS_MODULE_STATE_TYPE_ID) is not None,
                                 "to start its consensus module", self._startup_timeout)

    def counter(self, type_id: int) -> int | None:
        """The value of this node's first counter of ``type_id`` (None if there is none,
        or no driver)."""
        try:
            with CncFile(self.aeron_dir) as cnc:
                reader = cnc.counters_reader()
                for info in reader:
                    if info.type_id == type_id:
                        return reader.value(info.counter_id)
        except AeronError:
            return None
        return None

    @property
    def role(self) -> int | None:
        """``NodeRole`` code of this node, None while there is no consensus module."""
        return self.counter(_NODE_ROLE_TYPE_ID) if self.running else None

    @property
    def commit_position(self) -> int | None:
        return self.counter(_COMMIT_POSITION_TYPE_ID) if self.running else None

    def is_leader(self) -> bool:
        """Leader in a closed election and active, as ``ClusterTool is-leader`` checks."""
        return (self.running and self.role == NodeRole.LEADER
                and self.counter(_ELECTION_STATE_TYPE_ID) == _ELECTION_CLOSED
                and self.counter(_CONSENSUS_MODULE_STATE_TYPE_ID) == _CONSENSUS_MODULE_ACTIVE)

    def tool(self, command: str, *args: str, timeout: float = 60.0) -> ClusterToolResult:
        """``ClusterTool`` on this node's cluster directory."""
        return cluster_tool(self.cluster_dir, command, *args, timeout=timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash would; ``restart()`` recovers on the same directories."""
        if self.running:
            self._process.kill()
            self._killed = True

    def stop(self, timeout: float = 20.0) -> None:
        """An orderly stop (SIGTERM), keeping the directories."""
        self._process.stop(timeout)

    def restart(self) -> "ClusterNode":
        """Stop (if still running) and start again on the same directories."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop the process (SIGKILL if it does not stop) and delete its directories."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.aeron_dir, ignore_errors=True)


class LocalCluster:
    """``size`` ``ClusterNode``s on localhost that form one cluster, in private
    temporary directories; ``close()`` stops them all and deletes everything.

    Clients reach it at ``ingress_endpoints`` (``"0=localhost:p0,1=..."``) over
    ``ingress_channel``; ``python_service`` and ``java_service`` run a node's service. ``properties`` are passed to every node (e.g. to change a
    timeout); ``service_count`` is how many services each node waits for.
    """

    def __init__(self, size: int = 1, *, service_count: int = 1, properties: dict[str, str] | None = None,
                 ports: PortAllocator | None = None, tmp_root: str | os.PathLike[str] | None = None,
                 shm_root: str | os.PathLike[str] | None = None, backend: str = "host") -> None:
        if size < 1:
            raise ValueError(f"a cluster has at least one node, not {size}")
        if backend not in ("host", "docker"):
            raise ValueError(f"backend must be host or docker, not {backend!r}")
        ports = ports or PortAllocator()
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="aeron-cluster-", dir=tmp_root))
        shm_parent = shm_root or ("/dev/shm" if os.access("/dev/shm", os.W_OK) else None)
        self.shm_root = pathlib.Path(tempfile.mkdtemp(prefix="aeron-cluster-", dir=shm_parent))
        member_ports = [_MemberPorts.allocate(ports) for _ in range(size)]
        members = "|".join(p.member(i) for i, p in enumerate(member_ports))
        # On the docker backend every node (and Java service) runs in a container of the Java
        # image; they share the loopback of one more container, which holds the network
        # namespace for them (an idle aeronmd: a node's container may be killed in a test).
        self._network_holder: DriverProcess | None = None
        runtime = JavaRuntime()
        if backend == "docker":
            launcher = ContainerLauncher(images.java_image, [self.root, self.shm_root])
            runtime = JavaRuntime(launcher, images.IN_IMAGE_JAVA, images.IN_IMAGE_JAR)
            self._network_holder = DriverProcess(
                self.shm_root / "network", log_path=self.root / "network.log", executable=images.IN_IMAGE_AERONMD,
                launch=ContainerLauncher(images.driver_image, [self.root, self.shm_root]), threading_mode="SHARED",
                shared_idle_strategy="sleep-ns", dir_delete_on_shutdown=True)
        self._runtime = runtime
        self.nodes = [ClusterNode(i, members, p, root=self.root, shm_root=self.shm_root,
                                  service_count=service_count, properties=properties, runtime=runtime)
                      for i, p in enumerate(member_ports)]
        self.ingress_endpoints = ",".join(f"{n.member_id}={n.ingress_endpoint}" for n in self.nodes)
        self.ingress_channel = "aeron:udp?term-length=256k"
        self.containers: list[JavaServiceContainer | ClusteredServiceContainer] = []

    def start(self) -> "LocalCluster":
        try:
            if self._network_holder is not None:
                holder = self._network_holder.start().process
                self._runtime.launch.network_mode = f"container:{holder.container.id}"  # type: ignore[attr-defined]
            for node in self.nodes:
                node.launch()
            for node in self.nodes:
                node.wait_started()
        except BaseException:
            self.close()
            raise
        return self

    def leader(self, timeout: float = 60.0, exclude: Iterable[ClusterNode] = ()) -> ClusterNode:
        """The node that is leader in a closed election (waiting up to ``timeout``)."""
        excluded = set(map(id, exclude))

        def no_leader(message: str) -> ClusterStartError:
            tails = "\n".join(f"node {n.member_id} (running={n.running}):\n{n.log_tail(15)}" for n in self.nodes)
            return ClusterStartError(f"{message}:\n{tails}")
        return _waiting.until(lambda: next((n for n in self.nodes if id(n) not in excluded and n.is_leader()), None),
                              "a leader", timeout, pause=0.05, error=no_leader)

    def java_service(self, node: ClusterNode, service_class: str, service_id: int = 0,
                     properties: dict[str, str] | None = None) -> "JavaServiceContainer":
        """Start a ``JavaServiceContainer`` running ``service_class`` on ``node``."""
        container = JavaServiceContainer(node, service_class, service_id=service_id, properties=properties)
        self.containers.append(container)
        return container.start()

    def python_service(self, node: ClusterNode, service: ClusteredService,
                       **settings: Any) -> ClusteredServiceContainer:
        """Run ``service`` beside ``node`` in a ``ClusteredServiceContainer`` on a thread of
        its own (``settings`` are ``ServiceContext`` keywords); closed with the cluster."""
        container = ClusteredServiceContainer(service, cluster_dir=node.cluster_dir, aeron_dir=node.aeron_dir,
                                              **settings)
        self.containers.append(container)
        return container.start()

    def close(self) -> None:
        for container in self.containers:
            container.close()
        for node in self.nodes:
            node.close()
        if self._network_holder is not None:
            self._network_holder.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.shm_root, ignore_errors=True)

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class JavaServiceContainer(_JavaComponent):
    """``io.aeron.cluster.service.ClusteredServiceContainer`` running ``service_class``
    (e.g. ``io.aeron.samples.cluster.tutorial.BasicAuctionClusteredService``) as
    service ``service_id`` of ``node``. ``start()`` returns once its mark file is
    ready; it exits by itself when the node terminates it."""

    def __init__(self, node: ClusterNode, service_class: str, *, service_id: int = 0,
                 properties: dict[str, str] | None = None, startup_timeout: float = 90.0,
                 java: str | None = None) -> None:
        self.node = node
        self.service_id = service_id
        self._startup_timeout = startup_timeout
        properties = {
            "aeron.dir": str(node.aeron_dir),
            "aeron.cluster.dir": str(node.cluster_dir),
            "aeron.cluster.service.id": str(service_id),
            "aeron.cluster.service.class.name": service_class,
            "aeron.cluster.idle.strategy": "backoff",
            **(properties or {}),
        }
        # the node's runtime (host or container), with another host java if ``java`` names one
        runtime = node.runtime if java is None else dataclasses.replace(node.runtime, java=java)
        self._process = _cluster_process(_CONTAINER_CLASS, properties, node.root / f"service-{service_id}.log",
                                         f"service container {service_id}", "JavaServiceContainer(java=...)", runtime)

    def start(self) -> "JavaServiceContainer":
        mark_file = self.node.cluster_dir / f"cluster-mark-service-{self.service_id}.dat"
        launched_ms = time.time() * 1000

        self._process.launch()
        try:
            self._process.wait_ready(lambda: mark_file_header(mark_file)[1] >= launched_ms, "to be ready (its mark file)",
                                     self._startup_timeout)
        except BaseException:
            self.close()
            raise
        return self

    def kill(self) -> None:
        self._process.kill()

    def close(self) -> None:
        self._process.stop(timeout=20.0)
