"""Two hosts on one Linux machine: network namespaces joined by a veth pair.

``VethHosts`` makes two network namespaces, each with ``lo`` up and one end of a veth
pair addressed on a private /24, and deletes them again. A media driver started
through a host's ``command_prefix`` (``DriverProcess(command_prefix=...)``) opens its
sockets in that namespace, so traffic between two such drivers crosses the veth as
it would cross a wire between two machines. The drivers' Aeron directories stay in
the shared filesystem: clients in this process reach each driver through shared
memory alone, and so does a Java archive, whose channels its driver opens.

It needs root (``ip netns add`` needs CAP_SYS_ADMIN) and iproute2's ``ip``;
``start()`` raises ``NamespaceError`` with ip's own message when either is missing.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import itertools
import json
import os
import subprocess

__all__ = ["Host", "InterfaceCounters", "NamespaceError", "VethHosts", "ip"]

_pairs = itertools.count(1)


class NamespaceError(RuntimeError):
    """An ``ip`` command failed; the message carries the command and ip's error."""


def ip(*args: str) -> str:
    """Run ``ip args...``; its output, or ``NamespaceError``."""
    command = ["ip", *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise NamespaceError("iproute2's `ip` command is not installed") from None
    if done.returncode != 0:
        raise NamespaceError(f"`{' '.join(command)}` failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


@dataclasses.dataclass(frozen=True)
class InterfaceCounters:
    """Bytes and packets an interface received and sent (its kernel statistics)."""

    rx_bytes: int
    rx_packets: int
    tx_bytes: int
    tx_packets: int


@dataclasses.dataclass(frozen=True)
class Host:
    """One namespace: ``address`` is its veth end's IPv4 address."""

    namespace: str
    interface: str
    address: str

    @property
    def command_prefix(self) -> list[str]:
        """Runs a command inside this namespace (``ip netns exec`` execs it, keeping its pid)."""
        return ["ip", "netns", "exec", self.namespace]

    def interface_counters(self) -> InterfaceCounters:
        """The veth end's traffic so far: what crossed the link, in either direction."""
        [link] = json.loads(ip("-n", self.namespace, "-s", "-j", "link", "show", "dev", self.interface))
        rx, tx = link["stats64"]["rx"], link["stats64"]["tx"]
        return InterfaceCounters(rx["bytes"], rx["packets"], tx["bytes"], tx["packets"])


class VethHosts:
    """Hosts ``a`` and ``b`` (``.1`` and ``.2`` of ``subnet``), from ``start()`` to ``close()``.

    Namespace names carry the pid and a per-process count, so concurrent runs and
    several pairs in one process do not collide. The subnet needs no care: it exists
    only inside the two namespaces, which have routing tables of their own.
    """

    def __init__(self, subnet: str | None = None) -> None:
        number = next(_pairs)
        network = ipaddress.ip_network(subnet or f"10.213.{os.getpid() % 256}.0/24")
        prefix = f"aeron-{os.getpid()}-{number}"
        self.subnet = network
        self.a = Host(f"{prefix}-a", "veth-a", str(network[1]))
        self.b = Host(f"{prefix}-b", "veth-b", str(network[2]))
        self._created: list[str] = []

    @property
    def hosts(self) -> tuple[Host, Host]:
        return self.a, self.b

    def start(self) -> VethHosts:
        """Create both namespaces and the link; on any failure delete what was made and raise."""
        try:
            for host in self.hosts:
                try:
                    ip("netns", "add", host.namespace)
                except NamespaceError as error:
                    raise NamespaceError(f"{error} (network namespaces need root: CAP_SYS_ADMIN)") from None
                self._created.append(host.namespace)
            # Each end is made inside its namespace, so its name never meets the root namespace's.
            ip("link", "add", self.a.interface, "netns", self.a.namespace, "type", "veth",
               "peer", "name", self.b.interface, "netns", self.b.namespace)
            for host in self.hosts:
                ip("-n", host.namespace, "addr", "add", f"{host.address}/{self.subnet.prefixlen}", "dev", host.interface)
                ip("-n", host.namespace, "link", "set", "lo", "up")
                ip("-n", host.namespace, "link", "set", host.interface, "up")
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Delete the namespaces (the veth goes with them); idempotent.

        A process still inside a namespace keeps it alive, unnamed, until it exits."""
        failure: NamespaceError | None = None
        while self._created:
            namespace = self._created.pop()
            try:
                ip("netns", "del", namespace)
            except NamespaceError as error:  # the other namespace is still deleted
                failure = failure or error
        if failure is not None:
            raise failure

    def __enter__(self) -> VethHosts:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()
