"""Two hosts: network namespaces joined by a veth pair, a C media driver in each.

Each driver is the packaged ``aeronmd`` run through ``ip netns exec``, so its UDP
sockets live in its host's namespace and traffic between the hosts crosses the veth.
Its Aeron directory is in the shared filesystem, so this process' clients reach each
driver through shared memory, whatever namespace the driver's network is in.

The namespaces are made once per module (``veth_hosts``); drivers and clients come
from the per-test ``aeron_testbed``, which stops them before the namespaces go.
Ports are fixed: nothing else listens in a new namespace.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import pytest

from aeron_cffi.client import Aeron
from aeron_cffi.fragment_assembler import FragmentAssembler
from aeron_cffi.testing import RunningDriver, wait_until
from aeron_cffi.testing.netns import Host, VethHosts

TERM_LENGTH = 256 * 1024
MESSAGES = 3000
#: Every LARGE_EVERY-th message is LARGE_SIZE bytes: above the 1408-byte MTU, so it
#: crosses as several frames and comes back whole only through the FragmentAssembler.
LARGE_EVERY = 50
LARGE_SIZE = 10_000


@pytest.fixture(scope="module")
def veth_hosts():
    """Two namespaces joined by a veth pair; fails (never skips) where ``ip netns add`` is refused."""
    with VethHosts() as hosts:
        yield hosts


@dataclasses.dataclass
class HostDriver:
    """A host, the driver running in its namespace and a client of that driver."""

    host: Host
    driver: RunningDriver
    client: Aeron

    @property
    def address(self) -> str:
        return self.host.address


def start_host(testbed, host: Host) -> HostDriver:
    driver = testbed.driver("process", command_prefix=host.command_prefix,
                            term_buffer_length=TERM_LENGTH, ipc_term_buffer_length=TERM_LENGTH)
    return HostDriver(host, driver, testbed.client(driver))


@pytest.fixture
def host_a(aeron_testbed, veth_hosts) -> HostDriver:
    return start_host(aeron_testbed, veth_hosts.a)


@pytest.fixture
def host_b(aeron_testbed, veth_hosts) -> HostDriver:
    return start_host(aeron_testbed, veth_hosts.b)


def message(index: int) -> bytes:
    """Message ``index``: its number, then bytes that differ from one message to the next."""
    size = LARGE_SIZE if index % LARGE_EVERY == 0 else 32 + index % 1000
    head = f"message-{index:06d}:".encode()
    return head + bytes((index + i) % 251 for i in range(size - len(head)))


def messages(count: int = MESSAGES) -> list[bytes]:
    return [message(i) for i in range(count)]


class Receiver:
    """Whole messages of one subscription, in arrival order."""

    def __init__(self, subscription) -> None:
        self.subscription = subscription
        self.received: list[bytes] = []
        self.assembler = FragmentAssembler(lambda data, header: self.received.append(bytes(data)))

    def poll(self) -> int:
        return self.subscription.poll(self.assembler, 100)


def exchange(publication, subscriptions, sent: list[bytes]) -> list[list[bytes]]:
    """Offer every message (polling the subscriptions while back pressured), then poll
    until each subscription has them all: what each one received."""
    receivers = [Receiver(subscription) for subscription in subscriptions]

    def poll_all() -> None:
        for receiver in receivers:
            receiver.poll()

    for index, data in enumerate(sent):
        wait_until(lambda: publication.offer(data) > 0, f"offer of message {index}", poll_all)
    return receive_all(receivers, len(sent))


def receive_all(receivers: list[Receiver], count: int) -> list[list[bytes]]:
    """Poll until each receiver has ``count`` messages: what each one received."""
    wait_until(lambda: all(len(r.received) >= count for r in receivers),
               f"{count} messages at each of {len(receivers)} subscriptions",
               lambda: [receiver.poll() for receiver in receivers])
    for receiver in receivers:
        receiver.assembler.close()
    return [receiver.received for receiver in receivers]


def assert_in_order(received: list[bytes], sent: list[bytes], where: str) -> None:
    """Same messages, same order, byte for byte; a failure names the first difference."""
    assert len(received) == len(sent), f"{where}: {len(received)} messages, sent {len(sent)}"
    differs = next((i for i, (got, want) in enumerate(zip(received, sent)) if got != want), None)
    assert differs is None, f"{where}: message {differs} differs: {received[differs][:40]!r}..."


def source_addresses(subscription) -> set[str]:
    """The addresses (without ports) the subscription's images came from."""
    addresses = set()
    for image in subscription.images():
        addresses.add(image.source_identity.rpartition(":")[0])
        image.close()
    return addresses


def connected(*resources) -> Callable[[], bool]:
    return lambda: all(resource.is_connected for resource in resources)


class VethTraffic:
    """Bytes the veth carried from ``sender`` to ``receiver`` since this object was made,
    by the kernel's counters of the two ends: what crossed the link, headers included."""

    def __init__(self, sender: Host, receiver: Host) -> None:
        self.sender, self.receiver = sender, receiver
        self._sent = sender.interface_counters().tx_bytes
        self._received = receiver.interface_counters().rx_bytes

    def carried(self) -> tuple[int, int]:
        """(bytes sent by ``sender``'s end, bytes received by ``receiver``'s end)."""
        return (self.sender.interface_counters().tx_bytes - self._sent,
                self.receiver.interface_counters().rx_bytes - self._received)
