"""A child process of the queue tests: connects to the session's archive and plays one
role, reporting on stdout as JSON lines, so tests can kill it with SIGKILL mid-way.

    python queue_child.py '<json: aeron_dir, control_request_channel, control_response_channel>' ROLE PREFIX [ARGS...]

Roles: ``describe`` (print the ledger's state and entries), ``write FIRST COUNT BATCH``
(write batches, print each acknowledged last sequence, then wait to be killed),
``hold`` (open the ledger for writing and wait), ``produce BATCH`` (a Producer writing
forever; prints every acknowledged sequence), ``consume NAME`` (a Consumer marking every
entry cumulatively; prints each acknowledged mark).
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time

from aeron_cffi.archive import AeronArchive
from aeron_cffi.queue import Consumer, ConsumerConfig, Entry, Ledger, Producer, ProducerConfig, Table, TableConfig

from queue_support import ledger_config


#: A just restarted archive on a loaded machine can take more than the default 10 s to answer.
MESSAGE_TIMEOUT_NS = 30_000_000_000


def say(**fields) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def describe(archive: AeronArchive, prefix: str) -> None:
    ledger = Ledger(archive, ledger_config(prefix), writable=False)
    entries = ledger.read(0, ledger.length)
    marks = Table(archive, TableConfig(prefix=prefix)).all()
    say(length=ledger.length, head=ledger.head, tail=ledger.tail,
        entries=[[e.sequence, e.payload.decode()] for e in entries],
        marks={name: m.sequences for name, m in marks.items()})


def produce(archive: AeronArchive, prefix: str, batch: str) -> None:
    """Batches of exactly ``batch`` (the timeout is long and entries come fast), forever."""
    acked: queue.Queue = queue.Queue()
    ledger = Ledger(archive, ledger_config(prefix))
    producer = Producer(ledger, ProducerConfig(batch=int(batch), timeout=5.0))
    say(opened=True)
    sequence, unacked = 0, 0
    while True:
        while unacked < 10 * int(batch):
            sequence += 1
            producer.write(Entry(sequence, f"entry-{sequence}".encode()),
                           lambda error, s=sequence: acked.put((s, error)))
            unacked += 1
        done, error = acked.get()
        unacked -= 1
        if error is None:
            say(acked=done)


def consume(archive: AeronArchive, prefix: str, name: str) -> None:
    """Mark each entry cumulatively, a little slowly; report each acknowledged mark."""
    ledger = Ledger(archive, ledger_config(prefix), writable=False)
    table = Table(archive, TableConfig(prefix=prefix, writer_timeout=1.0))
    consumer = Consumer(ledger, table, ConsumerConfig(name=name, window=5))
    while True:
        entry = consumer.entries.get()
        time.sleep(0.01)
        consumer.mark(entry.sequence, cumulative=True,
                      ack=lambda error, s=entry.sequence: error is None and say(marked=s))


def write(archive: AeronArchive, prefix: str, first: str, count: str, batch: str) -> None:
    ledger = Ledger(archive, ledger_config(prefix))
    say(opened=True)
    sequence, last = int(first), int(first) + int(count)
    while sequence < last:
        size = min(int(batch), last - sequence)
        ledger.write(*[Entry(s, f"entry-{s}".encode()) for s in range(sequence, sequence + size)])
        sequence += size
        say(acked=sequence - 1)
    threading.Event().wait()


def hold(archive: AeronArchive, prefix: str) -> None:
    Ledger(archive, ledger_config(prefix))
    say(opened=True)
    threading.Event().wait()


ROLES = {"describe": describe, "write": write, "hold": hold, "produce": produce, "consume": consume}


def main() -> None:
    where = json.loads(sys.argv[1])
    role, prefix, *args = sys.argv[2:]
    with AeronArchive.connect(aeron_directory_name=where["aeron_dir"],
                              control_request_channel=where["control_request_channel"],
                              control_response_channel=where["control_response_channel"],
                              message_timeout_ns=MESSAGE_TIMEOUT_NS) as archive:
        ROLES[role](archive, prefix, *args)


if __name__ == "__main__":
    main()
