"""Free localhost ports for channels of tests and demos."""

from __future__ import annotations

import socket


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
