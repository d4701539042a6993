"""The Python side of each scenario, each run as its own process like the C samples.

``python -m benchmarks.workers <program> [options]``; every program connects to the
media driver at ``--dir`` and prints in the format of the C or Java sample it stands
beside, so one parser reads all three languages:

* ``ipc-pub`` / ``ipc-sub``: streaming publisher and rate subscriber; the subscriber
  prints one ``<ms>ms, <rate> msgs/sec, ...`` line a second (``rate_subscriber``'s).
  ``--api message`` uses ``offer`` and ``poll`` with a Python handler per message
  (given ``bytes``); ``--api view`` the same with ``poll(handler, view=True)`` (given a
  ``FragmentView``, also for ``ping``/``pong``, where pong offers the view back); ``--api copying`` the same handler through ``aeron_cffi.fast.CopyingPoller`` (one C
  call per poll, not one callback per fragment); ``--api batch`` uses
  ``aeron_cffi.fast`` (``offer_batch``, ``BatchPoller``).
* ``ping`` / ``pong``: round trips of timestamped messages; ping prints the
  percentiles as ``percentile <p> <microseconds>`` lines.
* ``archive``: record then replay through ``AeronArchive``, printing ``Recorded ...``
  and ``Replayed ...`` lines as the Java samples do.
* ``queue``: a durable queue (``aeron_cffi.queue``) on the archive: ``--messages``
  entries of ``--length`` bytes through a ``Producer`` with batch 1, then with batch 100,
  then as ready batches of 100 through ``Ledger.offer``, each counted once acknowledged
  (recorded), then all delivered to a ``Consumer``; prints ``Queue <what>: <rate>
  entries/s`` lines.

Each runs until it is done or gets SIGINT. The per-message loops (``offer``, ``poll``
with a handler) are ``benchmarks.loops``'s, which ``benchmarks.pyaeron_workers`` runs
with pyaeron: another ``--api`` for them is one more ``poll`` (or ``offer``) handed to
the same loop.
"""

from __future__ import annotations

import argparse
import functools
import os
import struct
import threading
import time

from aeron_cffi import Aeron, Subscription
from aeron_cffi.archive import AeronArchive, recording_pos
from aeron_cffi.fast import BatchPoller, CopyingPoller, MessageBatch, offer_batch
from aeron_cffi.queue import ConsumerConfig, Entry, Ledger, ProducerConfig, Queue, QueueConfig

from benchmarks import loops
from benchmarks.loops import FRAGMENT_LIMIT, Rate, Running, wait_connected

_MB = 1024.0 * 1024.0


def polling(subscription: Subscription, args: argparse.Namespace) -> loops.Poll:
    """The subscription's ``poll``, giving handlers a ``FragmentView`` for ``--api view``."""
    return functools.partial(subscription.poll, view=True) if args.api == "view" else subscription.poll


def ipc_pub(args: argparse.Namespace) -> None:
    with Aeron(dir=args.dir) as aeron:
        publication = aeron.add_exclusive_publication(args.channel, args.stream_id)
        wait_connected(publication)
        if args.api != "batch":
            loops.publish(publication.offer, args.length)
            return
        running = Running()
        batch = MessageBatch.of([bytes(args.length)] * max(1, 65536 // args.length))
        while running:
            start = 0
            while start < batch.count and running:
                start += offer_batch(publication, batch, start, max_wait=0.1)


def ipc_sub(args: argparse.Namespace) -> None:
    with Aeron(dir=args.dir) as aeron:
        subscription = aeron.add_subscription(args.channel, args.stream_id)
        if args.api != "batch":
            loops.count(CopyingPoller(subscription).poll if args.api == "copying" else polling(subscription, args))
            return
        rate, running = Rate(), Running()
        poller = BatchPoller(subscription, max_fragments=4096, capacity=4 << 20)
        while running:
            rate.messages += poller.poll(max_wait=0.05)
            rate.bytes += poller.bytes_polled
            rate.report_if_due()


def pong(args: argparse.Namespace) -> None:
    with Aeron(dir=args.dir) as aeron:
        subscription = aeron.add_subscription(args.ping_channel, args.ping_stream_id)
        publication = aeron.add_exclusive_publication(args.pong_channel, args.pong_stream_id)
        loops.pong(publication.offer, polling(subscription, args))


def ping(args: argparse.Namespace) -> None:
    with Aeron(dir=args.dir) as aeron:
        subscription = aeron.add_subscription(args.pong_channel, args.pong_stream_id)
        publication = aeron.add_exclusive_publication(args.ping_channel, args.ping_stream_id)
        wait_connected(subscription, publication)
        loops.ping(publication.offer, polling(subscription, args), args.messages, args.warmup, args.length)


def archive(args: argparse.Namespace) -> None:
    with Aeron(dir=args.dir) as aeron, \
            AeronArchive.connect(aeron=aeron, control_request_channel=args.control_channel,
                                 control_response_channel="aeron:udp?endpoint=localhost:0") as client:
        publication = aeron.add_exclusive_publication(args.channel, args.stream_id)
        separator = "|" if "?" in args.channel else "?"
        recorded_channel = f"{args.channel}{separator}session-id={publication.session_id}"
        subscription_id = client.start_recording(recorded_channel, args.stream_id)
        counter_id = -1
        while counter_id < 0:
            counter_id = recording_pos.find_counter_id_by_session_id(aeron, publication.session_id)
        recording_id = recording_pos.get_recording_id(aeron, counter_id)
        counters = aeron.counters_reader()

        message = bytearray(args.length)
        offer, pack_into, back_off = publication.offer, struct.Struct("<q").pack_into, os.sched_yield
        start = time.perf_counter_ns()
        for i in range(args.messages):
            pack_into(message, 0, i)
            while offer(message) < 0:
                back_off()  # (as the Java sample's YieldingIdleStrategy: the archive and driver need the cores)
        stop_position = publication.position
        while counters.value(counter_id) < stop_position:
            time.sleep(0)
        elapsed = (time.perf_counter_ns() - start) / 1e9
        print(f"Recorded {stop_position / _MB:.2f} MB @ {stop_position / _MB / elapsed:.2f} MB/s", flush=True)
        client.stop_recording_subscription(subscription_id)

        received = [0]

        def on_fragment(data: object, header: object) -> None:
            received[0] += 1

        start = time.perf_counter_ns()
        with client.replay(recording_id, "aeron:ipc", 101, position=0, length=stop_position) as replay:
            poll = replay.poll
            while received[0] < args.messages:
                poll(on_fragment, FRAGMENT_LIMIT, view=True)  # (the handler copies nothing)
        elapsed = (time.perf_counter_ns() - start) / 1e9
        print(f"Replayed {stop_position / _MB:.2f} MB @ {stop_position / _MB / elapsed:.2f} MB/s", flush=True)


def _acknowledged_rate(queue: Queue, batch: int, entries: int, payload: bytes) -> float:
    """Entries per second written through a producer with ``batch``, counted when the last
    is acknowledged. The ack only counts (acks are called one at a time, in order)."""
    acked = [0]
    failures: list[Exception] = []
    done = threading.Event()

    def ack(error: Exception | None) -> None:
        if error is not None:
            failures.append(error)
        acked[0] += 1
        if acked[0] == entries:
            done.set()

    first = queue.ledger.head + 1
    start = time.perf_counter()
    with queue.producer(ProducerConfig(batch=batch, timeout=0.001)) as producer:
        write = producer.write
        for sequence in range(first, first + entries):
            write(Entry(sequence, payload), ack)
        if not done.wait(120):
            raise RuntimeError(f"{acked[0]} of {entries} entries acknowledged after 120 s")
    elapsed = time.perf_counter() - start
    if failures:
        raise failures[0]
    return entries / elapsed


def _offered_rate(ledger: Ledger, entries: int, payload: bytes) -> float:
    """Entries per second sent as ready batches of 100 with ``Ledger.offer``, acknowledged
    as they are recorded: the storage path without the producer's work per entry."""
    first = ledger.head + 1
    batches = [[Entry(s, payload) for s in range(b, min(b + 100, first + entries))]
               for b in range(first, first + entries, 100)]
    start = time.perf_counter()
    for batch in batches:
        end = ledger.offer(*batch)
        ledger.acknowledge()
    ledger.acknowledge(end)
    return entries / (time.perf_counter() - start)


def queue_rates(args: argparse.Namespace) -> None:
    with Aeron(dir=args.dir) as aeron, \
            AeronArchive.connect(aeron=aeron, control_request_channel=args.control_channel,
                                 control_response_channel="aeron:udp?endpoint=localhost:0") as client, \
            Queue(client, QueueConfig(prefix="benchmark", clean_interval=0)) as queue:
        payload = bytes(args.length)
        for batch in (1, 100):
            print(f"Queue batch {batch}: {_acknowledged_rate(queue, batch, args.messages, payload):.0f} entries/s",
                  flush=True)
        print(f"Queue ledger 100: {_offered_rate(queue.ledger, args.messages, payload):.0f} entries/s", flush=True)
        total = queue.ledger.length
        with queue.consumer(ConsumerConfig(batch=1000, window=total)) as consumer:
            get = consumer.entries.get
            start = time.perf_counter()
            for _ in range(total):
                get(timeout=60)
            elapsed = time.perf_counter() - start
        print(f"Queue consumer: {total / elapsed:.0f} entries/s", flush=True)


PROGRAMS = {"ipc-pub": ipc_pub, "ipc-sub": ipc_sub, "ping": ping, "pong": pong, "archive": archive,
            "queue": queue_rates}


def main(argv: list[str] | None = None) -> None:
    parser = loops.argument_parser("python -m benchmarks.workers", list(PROGRAMS))
    parser.add_argument("--api", choices=("message", "view", "copying", "batch"), default="message")
    parser.add_argument("--control-channel", help="the archive's control request channel")
    args = parser.parse_args(argv)
    PROGRAMS[args.program](args)


if __name__ == "__main__":
    main()
