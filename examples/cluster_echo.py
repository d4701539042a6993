"""A clustered service in Python: an echo service on a one-node Aeron Cluster, and a client.

The node is the Java ``ClusteredMediaDriver`` of the pinned aeron-all jar (media
driver, archive and consensus module), started in temporary directories by
``aeron_cffi.testing.LocalCluster``; the service runs in this process, on the
container's thread; the client sends messages and prints what comes back. Everything
is stopped and removed at the end (the node shuts down through ClusterTool, which
takes a snapshot first).

    python examples/cluster_echo.py [--messages N]
"""

from __future__ import annotations

import argparse
import time

from aeron_cffi.cluster import AeronCluster, ClientSession, ClusteredService, ClusteredServiceContainer, EgressListener
from aeron_cffi.testing import LocalCluster, wait_until

TIMEOUT = 30.0


class EchoService(ClusteredService):
    """Sends every message back to the session it came from."""

    def on_start(self, cluster, snapshot_image) -> None:
        self.cluster = cluster

    def on_session_message(self, session: ClientSession, timestamp: int, buffer: bytes, header) -> None:
        # The response publication may still be connecting, or back-pressured: retry,
        # idling with the cluster's idle strategy (which keeps the service alive).
        deadline = time.monotonic() + TIMEOUT
        while session.offer(buffer) < 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not answer session {session.id}")
            self.cluster.idle_strategy.idle(0)

    def on_terminate(self, cluster) -> None:
        print("service: terminating")


class Printer(EgressListener):
    def __init__(self) -> None:
        self.received: list[bytes] = []

    def on_message(self, cluster_session_id, timestamp, buffer, header) -> None:
        self.received.append(bytes(buffer))
        print(f"client: echoed {bytes(buffer).decode()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5)
    args = parser.parse_args()

    with LocalCluster(1) as cluster:
        node = cluster.nodes[0]
        container = ClusteredServiceContainer.launch(EchoService(), cluster_dir=node.cluster_dir,
                                                     aeron_dir=node.aeron_dir)
        with container:
            cluster.leader()
            print(f"node {node.member_id} leads; ingress {cluster.ingress_endpoints}")
            printer = Printer()
            with AeronCluster.connect(ingress_endpoints=cluster.ingress_endpoints,
                                      ingress_channel=cluster.ingress_channel,
                                      aeron_directory_name=str(node.aeron_dir), egress_listener=printer) as client:
                for i in range(args.messages):
                    message = f"hello {i}".encode()
                    wait_until(lambda: client.offer(message) > 0, f"offer {i}", work=client.poll_egress)
                wait_until(lambda: len(printer.received) == args.messages, "the echoes", work=client.poll_egress)
            result = node.tool("shutdown")
            print(f"ClusterTool shutdown: {'ok' if result.ok else result.output}")
            wait_until(lambda: container.is_terminated, "the service to terminate")
            print(f"node exited with {node.wait_exit(TIMEOUT)}")


if __name__ == "__main__":
    main()
