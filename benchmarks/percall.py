"""Per-call costs of the Python APIs, measured in one process: ``python -m benchmarks.percall``.

Where ``benchmarks/run`` compares whole programs with C, this splits a Python
program's cost per message into its calls, to see what limits it. Each operation
runs in rounds over IPC on an exclusive publication (the packaged C media driver,
as in the benchmarks): a round sends ``--round`` messages then receives them all,
and only the side being measured is timed (the other side uses the batch paths).
Prints the median nanoseconds per message over the rounds, in this thread's CPU time,
so that other processes taking the core do not count (every call measured runs in
this thread: nothing here waits).

    .venv/bin/python -m benchmarks.percall [--rounds N] [--round N] [--only NAME]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

from aeron_cffi import Aeron, BufferClaim
from aeron_cffi._native import ffi, lib
from aeron_cffi.fast import BatchPoller, CopyingPoller, MessageBatch, offer_batch

from benchmarks.programs import media_driver

STREAM_ID = 1001
FRAGMENT_LIMIT = 256
TERM_LENGTH = 8 << 20
LONGEST_FRAME = 1024 + 32  # 1 KiB message and its header
WARM_UP_ROUNDS = 16


class Bench:
    """An exclusive publication and a subscription on one IPC stream, and the batch
    paths used for the side of a round that is not timed."""

    def __init__(self, aeron: Aeron, round_size: int) -> None:
        self.round_size = round_size
        self.subscription = aeron.add_subscription("aeron:ipc", STREAM_ID)
        self.publication = aeron.add_exclusive_publication("aeron:ipc", STREAM_ID)
        while not (self.publication.is_connected and self.subscription.is_connected):
            time.sleep(0.001)
        self.drainer = BatchPoller(self.subscription, max_fragments=4096, capacity=4 << 20)
        self.batches: dict[int, MessageBatch] = {}

    def fill(self, length: int) -> None:
        batch = self.batches.setdefault(length, MessageBatch.of([bytes(length)] * self.round_size))
        start = 0
        while start < batch.count:
            start += offer_batch(self.publication, batch, start, max_wait=1.0)

    def drain(self, count: int) -> None:
        while count > 0:
            count -= self.drainer.poll(max_wait=1.0)

    def sending(self, send: Callable[[int], None], count: int) -> int:
        """ns for ``send(count)`` (which sends ``count`` messages); then drains them."""
        start = time.thread_time_ns()
        send(count)
        elapsed = time.thread_time_ns() - start
        self.drain(count)
        return elapsed

    def receiving(self, receive: Callable[[int], None], length: int, count: int) -> int:
        """Fills ``count`` messages of ``length``; ns for ``receive(count)`` (until all are in)."""
        self.fill(length)
        start = time.thread_time_ns()
        receive(count)
        return time.thread_time_ns() - start


def until_sent(offer: Callable[..., int], *args: object) -> Callable[[int], None]:
    """Sends ``count`` messages with ``offer(*args)``, retrying each until it is accepted."""
    def send(count: int) -> None:
        for _ in range(count):
            while offer(*args) < 0:
                pass
    return send


def claiming(publication, length: int, in_place: bool) -> Callable[[], int]:
    """try_claim, write the message with ``put`` or through ``buffer`` (in place), commit."""
    claim = BufferClaim()
    message = bytes(length)

    def send() -> int:
        result = publication.try_claim(length, claim)
        if result > 0:
            if in_place:
                claim.buffer[:] = message
            else:
                claim.put(message)
            claim.commit()
        return result
    return send


def polling(poll: Callable[[], int]) -> Callable[[int], None]:
    def receive(count: int) -> None:
        while count > 0:
            count -= poll()
    return receive


def operations(bench: Bench) -> dict[str, Callable[[int], int]]:
    """name -> run(count): ns to send or receive ``count`` messages."""
    pub, sub = bench.publication, bench.subscription
    m32, m1k = bytes(32), bytes(1024)
    halves = [bytes(16), bytes(16)]
    batch32 = MessageBatch.of([m32] * bench.round_size)
    poller = BatchPoller(sub, max_fragments=FRAGMENT_LIMIT, capacity=1 << 20)
    copying = CopyingPoller(sub)
    received = [0]

    def on_fragment(data: bytes, header: object) -> None:
        received[0] += 1

    def send_batch(count: int) -> None:
        start = 0
        while start < count:
            start += offer_batch(pub, batch32, start, max_wait=1.0)

    def empty_loop(count: int) -> None:
        for _ in range(count):
            pass

    def empty_calls(count: int) -> None:
        clock = lib.aeron_nano_clock
        for _ in range(count):
            clock()

    def timed(function: Callable[[int], None]) -> Callable[[int], int]:
        def run(count: int) -> int:
            start = time.thread_time_ns()
            function(count)
            return time.thread_time_ns() - start
        return run

    return {
        "python loop iteration": timed(empty_loop),
        "cffi call (aeron_nano_clock)": timed(empty_calls),
        "offer 32 B bytes": lambda n: bench.sending(until_sent(pub.offer, m32), n),
        "offer 32 B, the C function called directly": lambda n: bench.sending(until_sent(
            lib.aeron_exclusive_publication_offer, pub._ptr, m32, 32, ffi.NULL, ffi.NULL), n),
        "offer 1 KiB bytes": lambda n: bench.sending(until_sent(pub.offer, m1k), n),
        "offerv 2 x 16 B": lambda n: bench.sending(until_sent(pub.offerv, halves), n),
        "offer(b''.join(2 x 16 B))": lambda n: bench.sending(until_sent(lambda: pub.offer(b"".join(halves))), n),
        "try_claim + put + commit 32 B": lambda n: bench.sending(until_sent(claiming(pub, 32, False)), n),
        "try_claim + put + commit 1 KiB": lambda n: bench.sending(until_sent(claiming(pub, 1024, False)), n),
        "try_claim + buffer[:] + commit 32 B": lambda n: bench.sending(until_sent(claiming(pub, 32, True)), n),
        "try_claim + buffer[:] + commit 1 KiB": lambda n: bench.sending(until_sent(claiming(pub, 1024, True)), n),
        "offer_batch 32 B": lambda n: bench.sending(send_batch, n),
        "poll(handler) 32 B": lambda n: bench.receiving(
            polling(lambda: sub.poll(on_fragment, FRAGMENT_LIMIT)), 32, n),
        "CopyingPoller.poll(handler) 32 B": lambda n: bench.receiving(
            polling(lambda: copying.poll(on_fragment, FRAGMENT_LIMIT)), 32, n),
        "BatchPoller.poll 32 B": lambda n: bench.receiving(polling(poller.poll), 32, n),
    }


def argument_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m benchmarks.percall``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.percall", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="rounds per operation (median over them)")
    parser.add_argument("--round", type=int, default=2048, help="messages per round")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="operations whose name contains NAME (repeatable)")
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = argument_parser()
    args = parser.parse_args(argv)
    if args.round * LONGEST_FRAME > TERM_LENGTH // 2:
        # a round is sent before it is received: it must fit the publication window
        parser.error(f"--round {args.round} does not fit the publication window ({TERM_LENGTH // 2} bytes)")
    # Terms small enough that the warm-up rounds touch every page of the log buffer.
    with media_driver(ipc_term_buffer_length=TERM_LENGTH) as directory, Aeron(dir=directory) as aeron:
        bench = Bench(aeron, args.round)
        for name, run in operations(bench).items():
            if args.only and not any(part in name for part in args.only):
                continue
            for _ in range(WARM_UP_ROUNDS):
                run(args.round)
            per_message = [run(args.round) / args.round for _ in range(args.rounds)]
            print(f"{name:40s} {statistics.median(per_message):8.1f} ns/msg", flush=True)


if __name__ == "__main__":
    main()
