"""Free localhost ports for channels of tests and demos."""

from __future__ import annotations

import socket

__all__ = ["PortAllocator", "free_udp_port"]


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PortAllocator:
    """Calls return free localhost UDP ports (``free_udp_port``), never one it gave before."""

    def __init__(self) -> None:
        self.given: set[int] = set()

    def __call__(self) -> int:
        port = free_udp_port()
        while port in self.given:
            port = free_udp_port()
        self.given.add(port)
        return port
