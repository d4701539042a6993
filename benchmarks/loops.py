"""The per-message loops of the Python workers, and their output, for any client library.

Nothing here imports a client: ``benchmarks.workers`` runs these loops with aeron-cffi's
``offer`` and ``poll``, ``benchmarks.pyaeron_workers`` with pyaeron's (on another
interpreter), so both libraries are measured by the same Python code. What they need of
a library:

* ``offer(message)`` returns something ``< 0`` while the message is refused (aeron-cffi:
  a negative code; pyaeron: an ``OfferCode``, whose value is negative) and ``>= 0`` once it
  is in (a position; pyaeron's ``True``);
* ``poll(handler, fragment_limit)`` calls ``handler(data, header)`` per fragment, where
  ``data`` supports ``len`` and the buffer protocol (bytes, or a view valid during the call).

Output: the subscriber prints ``rate_subscriber``'s once-a-second line, ping prints
``percentile <p> <microseconds>`` lines (``benchmarks.scenarios`` reads both).
"""

from __future__ import annotations

import argparse
import math
import signal
import struct
import time
from array import array
from typing import Any, Callable, Protocol

FRAGMENT_LIMIT = 256
PERCENTILES = (50.0, 99.0, 99.9)

Handler = Callable[[Any, Any], None]
Offer = Callable[[Any], Any]
Poll = Callable[[Handler, int], int]


class Connectable(Protocol):
    @property
    def is_connected(self) -> bool: ...


class Running:
    """False once SIGINT arrived (a flag the loops check: a KeyboardInterrupt raised inside
    a poll handler could be swallowed by the C callback)."""

    def __init__(self) -> None:
        self.value = True
        signal.signal(signal.SIGINT, self._stop)

    def _stop(self, signum: int, frame: object) -> None:
        self.value = False

    def __bool__(self) -> bool:
        return self.value


class Rate:
    """Prints ``rate_subscriber``'s report line once a second."""

    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0
        self.last_ns = time.monotonic_ns()
        self.last_messages = 0
        self.last_bytes = 0

    def report_if_due(self) -> None:
        now = time.monotonic_ns()
        elapsed = now - self.last_ns
        if elapsed >= 1_000_000_000:
            messages, data = self.messages - self.last_messages, self.bytes - self.last_bytes
            print(f"{elapsed // 1_000_000}ms, {messages * 1e9 / elapsed:.4g} msgs/sec, "
                  f"{data * 1e9 / elapsed:.4g} bytes/sec, totals {self.messages} messages "
                  f"{self.bytes // (1 << 20)} MB payloads", flush=True)
            self.last_ns, self.last_messages, self.last_bytes = now, self.messages, self.bytes


def wait_connected(*resources: Connectable) -> None:
    for resource in resources:
        while not resource.is_connected:
            time.sleep(0.001)


def percentile(sorted_values: array[int], p: float) -> int:
    """The value at percentile ``p`` (HdrHistogram's definition, without its rounding)."""
    return sorted_values[max(0, math.ceil(p / 100.0 * len(sorted_values)) - 1)]


def print_percentiles(round_trips_ns: array[int]) -> None:
    ordered = array("q", sorted(round_trips_ns))
    for p in PERCENTILES:
        print(f"percentile {p} {percentile(ordered, p) / 1000.0:.3f}", flush=True)


def publish(offer: Offer, length: int) -> None:
    """Offers messages of ``length`` zero bytes as fast as they go in, until SIGINT."""
    message = bytes(length)
    running = Running()
    while running:
        offer(message)


def count(poll: Poll) -> None:
    """Polls with a handler that counts messages and bytes; reports once a second, until SIGINT."""
    rate = Rate()
    running = Running()

    def on_fragment(data: Any, header: Any) -> None:
        rate.messages += 1
        rate.bytes += len(data)

    while running:
        poll(on_fragment, FRAGMENT_LIMIT)
        rate.report_if_due()


def pong(offer: Offer, poll: Poll) -> None:
    """Sends back every message it polls (retrying until it goes), until SIGINT."""
    def on_ping(data: Any, header: Any) -> None:
        while offer(data) < 0:
            pass

    running = Running()
    while running:
        poll(on_ping, FRAGMENT_LIMIT)


def ping(offer: Offer, poll: Poll, messages: int, warmup: int, length: int) -> None:
    """``warmup`` then ``messages`` round trips of timestamped ``length``-byte messages, one
    in flight; prints the percentiles of the measured ones."""
    message = bytearray(length)
    timestamp = struct.Struct("<q")
    clock = time.perf_counter_ns
    rtts = array("q", bytes(8 * messages))
    received = [0]

    def on_pong(data: Any, header: Any) -> None:
        rtts[received[0] % len(rtts)] = clock() - timestamp.unpack_from(data)[0]
        received[0] += 1

    for rounds in (warmup, messages):
        received[0] = 0
        for i in range(rounds):
            timestamp.pack_into(message, 0, clock())
            while offer(message) < 0:
                timestamp.pack_into(message, 0, clock())
            while received[0] <= i:
                poll(on_pong, FRAGMENT_LIMIT)
    print_percentiles(rtts)


def argument_parser(prog: str, programs: list[str]) -> argparse.ArgumentParser:
    """The options every worker takes (each adds its own)."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("program", choices=sorted(programs))
    parser.add_argument("--dir", required=True, help="the media driver's Aeron directory")
    parser.add_argument("--channel", default="aeron:ipc")
    parser.add_argument("--stream-id", type=int, default=1001)
    parser.add_argument("--length", type=int, default=32)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--warmup", type=int, default=10_000)
    parser.add_argument("--ping-channel", default="aeron:ipc")
    parser.add_argument("--pong-channel", default="aeron:ipc")
    parser.add_argument("--ping-stream-id", type=int, default=1002)
    parser.add_argument("--pong-stream-id", type=int, default=1003)
    return parser
