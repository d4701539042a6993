"""Per-call costs of the Python APIs, measured in one process: ``python -m benchmarks.percall``.

Where ``benchmarks/run`` compares whole programs with C, this splits a Python
program's cost per message into its calls, to see what limits it. Each operation
runs in rounds over IPC on an exclusive publication (the packaged C media driver,
as in the benchmarks): a round sends ``--round`` messages then receives them all,
and only the side being measured is timed (the other side uses the batch paths).
Prints the median nanoseconds per message over the rounds, in this thread's CPU time,
so that other processes taking the core do not count (every call measured runs in
this thread: nothing here waits).

``--peer pyaeron`` sets pyaeron beside us: it runs on the peers' interpreter (CPython
3.12, ``benchmarks.peers``, where this re-runs itself), with our rows for the same calls
(``PEER_ROWS``) on that same interpreter and in the same process, one round of each in
turn; the untimed side of pyaeron's rounds is ours. It prints both figures and ours ÷
pyaeron: below 1.00, our call costs less.

    .venv/bin/python -m benchmarks.percall [--rounds N] [--round N] [--only NAME] [--peer pyaeron]
"""

from __future__ import annotations

import argparse
import pathlib
import platform
import statistics
import subprocess
import sys
import time
from typing import Any, Callable

from aeron_cffi import Aeron, BufferClaim, FragmentAssembler
from aeron_cffi._native import ffi, lib
from aeron_cffi.fast import BatchPoller, CopyingPoller, MessageBatch, offer_batch

from benchmarks import peers
from benchmarks.programs import media_driver

STREAM_ID = 1001
FRAGMENT_LIMIT = 256
TERM_LENGTH = 8 << 20
LONGEST_FRAME = 1024 + 32  # 1 KiB message and its header
WARM_UP_ROUNDS = 16
#: Our rows that ``--peer pyaeron`` sets beside pyaeron's same call.
PEER_ROWS = ("offer 32 B bytes", "offer 1 KiB bytes", "poll(handler) 32 B", "poll(handler) 1 KiB",
             "poll(handler, view=True) 32 B", "poll(handler, view=True) 1 KiB")
#: pyaeron's streams: its publication's (drained by us) and its subscription's (filled by us).
PEER_OFFER_STREAM, PEER_POLL_STREAM = 1002, 1003


def _wait_connected(*resources: Any) -> None:
    while not all(r.is_connected for r in resources):
        time.sleep(0.001)


class Sending:
    """Times sends on a publication; drains them, untimed, with a ``BatchPoller`` on
    ``subscription`` (ours, on the same stream)."""

    def __init__(self, subscription: Any) -> None:
        self.drainer = BatchPoller(subscription, max_fragments=4096, capacity=4 << 20)

    def drain(self, count: int) -> None:
        while count > 0:
            count -= self.drainer.poll(max_wait=1.0)

    def __call__(self, send: Callable[[int], None], count: int) -> int:
        """ns for ``send(count)`` (which sends ``count`` messages); then drains them."""
        start = time.thread_time_ns()
        send(count)
        elapsed = time.thread_time_ns() - start
        self.drain(count)
        return elapsed


class Receiving:
    """Times receives on a subscription; fills them first, untimed, with ``offer_batch`` on
    ``publication`` (ours, on the same stream)."""

    def __init__(self, publication: Any, round_size: int) -> None:
        self.publication = publication
        self.round_size = round_size
        self.batches: dict[int, MessageBatch] = {}

    def fill(self, length: int) -> None:
        batch = self.batches.setdefault(length, MessageBatch.of([bytes(length)] * self.round_size))
        start = 0
        while start < batch.count:
            start += offer_batch(self.publication, batch, start, max_wait=1.0)

    def __call__(self, receive: Callable[[int], None], length: int, count: int) -> int:
        """Fills ``count`` messages of ``length``; ns for ``receive(count)`` (until all are in)."""
        self.fill(length)
        start = time.thread_time_ns()
        receive(count)
        return time.thread_time_ns() - start


class Bench:
    """An exclusive publication and a subscription on one IPC stream, and the batch
    paths used for the side of a round that is not timed."""

    def __init__(self, aeron: Aeron, round_size: int) -> None:
        self.round_size = round_size
        self.subscription = aeron.add_subscription("aeron:ipc", STREAM_ID)
        self.publication = aeron.add_exclusive_publication("aeron:ipc", STREAM_ID)
        _wait_connected(self.publication, self.subscription)
        self.sending = Sending(self.subscription)
        self.receiving = Receiving(self.publication, round_size)


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

    assembler = FragmentAssembler(on_fragment)

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
        "poll(handler) 1 KiB": lambda n: bench.receiving(
            polling(lambda: sub.poll(on_fragment, FRAGMENT_LIMIT)), 1024, n),
        "poll(handler, view=True) 32 B": lambda n: bench.receiving(
            polling(lambda: sub.poll(on_fragment, FRAGMENT_LIMIT, view=True)), 32, n),
        "poll(handler, view=True) 1 KiB": lambda n: bench.receiving(
            polling(lambda: sub.poll(on_fragment, FRAGMENT_LIMIT, view=True)), 1024, n),
        "poll(FragmentAssembler(handler)) 32 B": lambda n: bench.receiving(
            polling(lambda: sub.poll(assembler, FRAGMENT_LIMIT)), 32, n),
        "CopyingPoller.poll(handler) 32 B": lambda n: bench.receiving(
            polling(lambda: copying.poll(on_fragment, FRAGMENT_LIMIT)), 32, n),
        "BatchPoller.poll 32 B": lambda n: bench.receiving(polling(poller.poll), 32, n),
    }


def pyaeron_operations(aeron: Aeron, client: Any, round_size: int) -> dict[str, Callable[[int], int]]:
    """``PEER_ROWS`` with pyaeron's calls (``client``: a ``pyaeron.Aeron``), named as ours.
    ``poll`` is given ``assemble=False``, as in ``benchmarks.pyaeron_workers``; its handler
    always gets a view (a ``BufferView``), so it stands beside both of our poll rows."""
    publication = client.add_exclusive_publication("aeron:ipc", PEER_OFFER_STREAM)
    drained = aeron.add_subscription("aeron:ipc", PEER_OFFER_STREAM)
    subscription = client.add_subscription("aeron:ipc", PEER_POLL_STREAM)
    filler = aeron.add_exclusive_publication("aeron:ipc", PEER_POLL_STREAM)
    _wait_connected(publication, drained, subscription, filler)
    sending, receiving = Sending(drained), Receiving(filler, round_size)
    m32, m1k = bytes(32), bytes(1024)
    received = [0]

    def on_fragment(data: object, header: object) -> None:
        received[0] += 1

    def poll() -> int:
        return int(subscription.poll(on_fragment, FRAGMENT_LIMIT, assemble=False))

    return {
        "offer 32 B bytes": lambda n: sending(until_sent(publication.offer, m32), n),
        "offer 1 KiB bytes": lambda n: sending(until_sent(publication.offer, m1k), n),
        "poll(handler) 32 B": lambda n: receiving(polling(poll), 32, n),
        "poll(handler) 1 KiB": lambda n: receiving(polling(poll), 1024, n),
        "poll(handler, view=True) 32 B": lambda n: receiving(polling(poll), 32, n),
        "poll(handler, view=True) 1 KiB": lambda n: receiving(polling(poll), 1024, n),
    }


def measure(runs: dict[str, Callable[[int], int]], rounds: int, round_size: int) -> dict[str, float]:
    """Median ns per message of each run, over ``rounds`` rounds after the warm-up; several
    runs take one round each in turn, so that the machine's load falls on them alike."""
    for _ in range(WARM_UP_ROUNDS):
        for run in runs.values():
            run(round_size)
    per_message: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            per_message[name].append(run(round_size) / round_size)
    medians = {name: statistics.median(values) for name, values in per_message.items()}
    for name, value in medians.items():
        print(f"{name:40s} {value:8.1f} ns/msg", flush=True)
    return medians


def beside_pyaeron(directory: str, aeron: Aeron, bench: Bench, args: argparse.Namespace) -> None:
    """Our ``PEER_ROWS`` and pyaeron's, in turn, on this interpreter; then ours ÷ pyaeron."""
    import pyaeron

    print(f"Python {platform.python_version()}: aeron-cffi and pyaeron {pyaeron.__version__} "
          f"({pyaeron.aeron_version}), one process, the same media driver", flush=True)
    with pyaeron.Aeron(dir=directory) as client:
        ours, theirs = operations(bench), pyaeron_operations(aeron, client, args.round)
        ratios = {}
        for name in PEER_ROWS:
            if args.only and not any(part in name for part in args.only):
                continue
            found = measure({name: ours[name], f"pyaeron {name}": theirs[name]}, args.rounds, args.round)
            ratios[name] = found[name] / found[f"pyaeron {name}"]
    print("ours ÷ pyaeron, per call (below 1.00: ours costs less)")
    for name, value in ratios.items():
        print(f"  {name:38s} {value:8.2f}")


def argument_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m benchmarks.percall``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.percall", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="rounds per operation (median over them)")
    parser.add_argument("--round", type=int, default=2048, help="messages per round")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="operations whose name contains NAME (repeatable)")
    parser.add_argument("--peer", choices=("pyaeron",),
                        help=f"set the peer beside our {', '.join(PEER_ROWS)} (both on its interpreter, "
                             f"CPython {peers.PYTHON_VERSION}, .venv-peers, made on first use)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = argument_parser()
    args = parser.parse_args(argv)
    if args.round * LONGEST_FRAME > TERM_LENGTH // 2:
        # a round is sent before it is received: it must fit the publication window
        parser.error(f"--round {args.round} does not fit the publication window ({TERM_LENGTH // 2} bytes)")
    if args.peer and pathlib.Path(sys.prefix).resolve() != peers.VENV.resolve():
        # pyaeron is on the peers' interpreter: run there (this interpreter cannot import it)
        return subprocess.run([peers.python(), "-m", "benchmarks.percall",
                               *(sys.argv[1:] if argv is None else argv)]).returncode
    # Terms small enough that the warm-up rounds touch every page of the log buffer.
    with media_driver(ipc_term_buffer_length=TERM_LENGTH) as directory, Aeron(dir=directory) as aeron:
        bench = Bench(aeron, args.round)
        if args.peer:
            beside_pyaeron(directory, aeron, bench, args)
            return 0
        for name, run in operations(bench).items():
            if not args.only or any(part in name for part in args.only):
                measure({name: run}, args.rounds, args.round)
    return 0


if __name__ == "__main__":
    sys.exit(main())
