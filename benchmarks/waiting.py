"""What waiting for a message costs: ``python -m benchmarks.waiting [--messages N] [--gap S]``.

A sender process (not a thread: it would wait for the receiver's GIL) offers one message
every ``--gap`` seconds (long enough for a waiting receiver to reach its deepest idle),
stamped with ``perf_counter_ns`` (CLOCK_MONOTONIC, the same in every process); the receiver
waits for each with one of the APIs below and records the delay from the stamp to its
return. Prints the median, 90th and 99th percentile latency (µs) and the receiving
thread's CPU time over the run as a share of one core: the price of idling.

* ``receive, backoff``: ``Subscription.receive`` with its default idle (spin, yield,
  sleep up to 1 ms);
* ``receive, busy spin``: ``Subscription.receive(idle_strategy=NoOpIdleStrategy())``,
  the lowest latency Python gets, for one whole core;
* ``aio, timer polling``: ``AsyncSubscription.receive`` on an asyncio loop (loop turns,
  then timer sleeps up to 2 ms; see ``aeron_cffi.aio.polling``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import statistics
import struct
import time
from typing import Callable

from aeron_cffi import Aeron, NoOpIdleStrategy, Subscription
from aeron_cffi.aio import AsyncSubscription

from benchmarks.programs import media_driver

__all__ = ["Result", "main", "measure"]

STREAM_ID = 1002
_STAMP = struct.Struct("<q")


@dataclasses.dataclass(frozen=True)
class Result:
    name: str
    latencies_us: list[float]
    cpu_share: float  # receiving thread's CPU seconds per wall second

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_us)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _send(directory: str, count: int, gap: float) -> None:
    with Aeron(dir=directory) as aeron, aeron.add_exclusive_publication("aeron:ipc", STREAM_ID) as publication:
        for _ in range(count):
            time.sleep(gap)
            while publication.offer(_STAMP.pack(time.perf_counter_ns())) < 0:
                time.sleep(0.0001)


def _receive_sync(subscription: Subscription, count: int, spin: bool) -> list[float]:
    latencies = []
    idle = NoOpIdleStrategy() if spin else None
    for _ in range(count):
        message = subscription.receive(timeout=30, idle_strategy=idle)
        assert message is not None, "no message within 30 s"
        latencies.append((time.perf_counter_ns() - _STAMP.unpack(message.data)[0]) / 1000)
    return latencies


async def _receive_async(subscription: Subscription, count: int) -> list[float]:
    latencies = []
    receiver = AsyncSubscription(subscription)
    for _ in range(count):
        message = await receiver.receive(timeout=30)
        assert message is not None, "no message within 30 s"
        latencies.append((time.perf_counter_ns() - _STAMP.unpack(message.data)[0]) / 1000)
    return latencies


def measure(aeron: Aeron, messages: int, gap: float) -> list[Result]:
    """Each way of waiting, measured in turn over one IPC stream from a sender process."""
    ways: dict[str, Callable[[Subscription], list[float]]] = {
        "receive, backoff": lambda sub: _receive_sync(sub, messages, spin=False),
        "receive, busy spin": lambda sub: _receive_sync(sub, messages, spin=True),
        "aio, timer polling": lambda sub: asyncio.run(_receive_async(sub, messages)),
    }
    results = []
    spawn = multiprocessing.get_context("spawn")  # (a fork would copy the client's threads' state)
    with aeron.add_subscription("aeron:ipc", STREAM_ID) as subscription:
        for name, receive in ways.items():
            sender = spawn.Process(target=_send, args=(aeron.context.dir, messages, gap))
            sender.start()
            try:
                cpu, wall = time.thread_time(), time.monotonic()
                latencies = receive(subscription)
                cpu, wall = time.thread_time() - cpu, time.monotonic() - wall
            finally:
                sender.join(30)
                if sender.exitcode is None:
                    sender.kill()
            results.append(Result(name, latencies, cpu / wall))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.01, metavar="SECONDS")
    args = parser.parse_args()
    with media_driver() as directory, Aeron(dir=directory) as aeron:
        results = measure(aeron, args.messages, args.gap)
    print(f"{'':22} {'p50 µs':>8} {'p90 µs':>8} {'p99 µs':>8} {'CPU':>6}")
    for result in results:
        print(f"{result.name:22} {statistics.median(result.latencies_us):8.0f} {result.percentile(0.9):8.0f} "
              f"{result.percentile(0.99):8.0f} {result.cpu_share:6.1%}")


if __name__ == "__main__":
    main()
