"""The cluster echo benchmark: a Python clustered service beside a Java one, as ratios.

One node (``aeron_cffi.testing.cluster.LocalCluster``: the Java ``ClusteredMediaDriver``
with its driver, archive and consensus module in SHARED mode) runs an echo service:
either ours in Python (``ClusteredServiceContainer``, a worker process) or
``benchmarks/java/ClusterEchoService.java`` in Java's ``ClusteredServiceContainer``,
compiled with javac when the benchmark runs. Both send each session message back to
its session, retrying until it goes. The same Python client (``AeronCluster``) drives
both, so the ratio compares the services:

* round trip: one 32-byte message at a time, client -> log -> service -> client
  (p50/p99 in µs, after a warm-up);
* throughput: the client keeps up to ``WINDOW`` messages in flight and prints the
  echoes it gets once a second (``rate_subscriber``'s line).

``python -m benchmarks.cluster service|client ...`` are the Python workers.
"""

from __future__ import annotations

import argparse
import pathlib
import struct
import time
from array import array
from typing import Any, Callable

from aeron_cffi.cluster import AeronCluster, ClientSession, ClusteredService, ClusteredServiceContainer, EgressListener
from aeron_cffi.testing.cluster import LocalCluster

from benchmarks import programs
from benchmarks.programs import Process
from benchmarks.scenarios import (
    PERCENTILES,
    START_UP_SECONDS,
    Implementation,
    Measurement,
    Scenario,
    Settings,
    c_rates,
    python_percentiles,
    steady_rate,
)
from benchmarks.loops import Rate, Running, print_percentiles

MESSAGE_LENGTH = 32
WINDOW = 256  # messages in flight in the throughput run
PING_SHARE = 25  # a cluster round trip takes milliseconds: run a 25th of the ping-pong count
JAVA_SERVICE = "ClusterEchoService"
RUN_TIMEOUT = 120.0


# -- the Python workers --------------------------------------------------------------------


class EchoService(ClusteredService):
    """Sends every message back to its session, retrying until it goes."""

    def on_start(self, cluster: Any, snapshot_image: Any) -> None:
        self.idle = cluster.idle_strategy

    def on_session_message(self, session: ClientSession | None, timestamp: int, buffer: Any, header: Any) -> None:
        if session is None:
            return
        offer, idle = session.offer, self.idle
        idle.reset()
        while offer(buffer) < 0:
            idle.idle(0)


def service(args: argparse.Namespace) -> None:
    running = Running()
    with ClusteredServiceContainer.launch(EchoService(), cluster_dir=args.cluster_dir, aeron_dir=args.dir) as container:
        print("service started", flush=True)
        while running and not container.is_terminated:
            time.sleep(0.05)


class _Echoes(EgressListener):
    def __init__(self, on_echo: Callable[[memoryview], None]) -> None:
        self._on_echo = on_echo

    def on_message(self, cluster_session_id: int, timestamp: int, buffer: memoryview, header: Any) -> None:
        self._on_echo(buffer)


def _send(client: AeronCluster, message: Any) -> None:
    while client.offer(message) < 0:
        client.poll_egress()


def client(args: argparse.Namespace) -> None:
    timestamp = struct.Struct("<q")
    clock = time.perf_counter_ns
    if args.mode == "ping":
        rtts = array("q", bytes(8 * args.messages))
        received = [0]

        def on_echo(buffer: memoryview) -> None:
            rtts[received[0] % len(rtts)] = clock() - timestamp.unpack_from(buffer)[0]
            received[0] += 1
    else:
        rate = Rate()

        def on_echo(buffer: memoryview) -> None:
            rate.messages += 1
            rate.bytes += len(buffer)

    with AeronCluster.connect(ingress_endpoints=args.ingress_endpoints, ingress_channel=args.ingress_channel,
                              aeron_directory_name=args.dir, egress_listener=_Echoes(on_echo)) as cluster:
        message = bytearray(args.length)
        poll = cluster.poll_egress
        if args.mode == "ping":
            for count in (args.warmup, args.messages):
                received[0] = 0
                for i in range(count):
                    timestamp.pack_into(message, 0, clock())
                    _send(cluster, message)
                    while received[0] <= i:
                        poll()
            print_percentiles(rtts)
        else:
            running = Running()
            sent = 0
            while running:
                if sent - rate.messages < WINDOW and cluster.offer(message) > 0:
                    sent += 1
                poll()
                rate.report_if_due()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster")
    parser.add_argument("program", choices=("service", "client"))
    parser.add_argument("--dir", required=True, help="the node's Aeron directory")
    parser.add_argument("--cluster-dir", help="service: the node's cluster directory")
    parser.add_argument("--ingress-endpoints", help="client: the cluster's ingress endpoints")
    parser.add_argument("--ingress-channel", default="aeron:udp")
    parser.add_argument("--mode", choices=("ping", "throughput"), default="ping")
    parser.add_argument("--length", type=int, default=MESSAGE_LENGTH)
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--warmup", type=int, default=1_000)
    args = parser.parse_args(argv)
    (service if args.program == "service" else client)(args)


# -- the runs ------------------------------------------------------------------------------


def _python_service(cluster: LocalCluster, work: pathlib.Path) -> Process:
    node = cluster.nodes[0]
    return Process(programs.python_worker("service", module=__name__, dir=node.aeron_dir, cluster_dir=node.cluster_dir),
                   work / "python-service.log")


def _java_service(cluster: LocalCluster, work: pathlib.Path) -> Process:
    node = cluster.nodes[0]
    return Process(programs.java("io.aeron.cluster.service.ClusteredServiceContainer", {
        "aeron.dir": node.aeron_dir, "aeron.cluster.dir": node.cluster_dir, "aeron.cluster.service.id": 0,
        "aeron.cluster.service.class.name": JAVA_SERVICE, "aeron.cluster.idle.strategy": "backoff",
    }, classpath=(programs.java_classes(),)), work / "java-service.log")


def _echo_run(start_service: Callable[[LocalCluster, pathlib.Path], Process], mode: str,
              read: Callable[[Settings, Process], Measurement]) -> Callable[[Settings, pathlib.Path], Measurement]:
    def run(settings: Settings, work: pathlib.Path) -> Measurement:
        with LocalCluster(1, tmp_root=work) as cluster, programs.processes() as started:
            started.append(start_service(cluster, work))
            node = cluster.leader()
            client_process = Process(programs.python_worker(
                "client", module=__name__, dir=node.aeron_dir, ingress_endpoints=cluster.ingress_endpoints,
                ingress_channel=cluster.ingress_channel, mode=mode, messages=settings.ping_messages // PING_SHARE,
                warmup=settings.ping_warmup // PING_SHARE), work / "client.log")
            started.append(client_process)
            return read(settings, client_process)
    return run


def _round_trips(settings: Settings, client_process: Process) -> Measurement:
    return python_percentiles(client_process.wait(RUN_TIMEOUT))


def _throughput(settings: Settings, client_process: Process) -> Measurement:
    time.sleep(START_UP_SECONDS + settings.throughput_seconds)
    return {"rate": steady_rate(c_rates(client_process.interrupt()))}


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("cluster-echo-round-trip", f"Cluster echo round trip, {MESSAGE_LENGTH} B, one node, Python client",
             "µs", False, tuple(PERCENTILES), (
                 Implementation("Java ClusterEchoService (ours, javac)", "java", _echo_run(_java_service, "ping",
                                                                                          _round_trips)),
                 Implementation("Python EchoService (ClusteredServiceContainer)", "python",
                                _echo_run(_python_service, "ping", _round_trips)),
             ), baseline="java"),
    Scenario("cluster-echo-throughput", f"Cluster echo throughput, {MESSAGE_LENGTH} B, one node, Python client",
             "msgs/s", True, ("rate",), (
                 Implementation("Java ClusterEchoService (ours, javac)", "java", _echo_run(_java_service, "throughput",
                                                                                          _throughput)),
                 Implementation("Python EchoService (ClusteredServiceContainer)", "python",
                                _echo_run(_python_service, "throughput", _throughput)),
             ), baseline="java"),
)


if __name__ == "__main__":
    main()
