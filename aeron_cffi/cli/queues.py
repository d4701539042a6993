"""queue: look into a durable queue (``aeron_cffi.queue``) kept by a running archive.

``describe NAME`` prints the ledger's head, tail and length and each named consumer's
position and lag; ``tail NAME`` prints entries as they are recorded. Both only read:
they neither write the ledger nor save a consumer's marks.
"""

from __future__ import annotations

import argparse
import math
import queue as _stdlib_queue
from typing import Any

from aeron_cffi.archive import AeronArchive
from aeron_cffi.cli._common import CliError, ExitCode, print_fields, print_json, print_table, wait_until
from aeron_cffi.cli.archive import archive_options, connect_archive
from aeron_cffi.queue import Consumer, ConsumerConfig, Ledger, LedgerConfig, Table, TableConfig
from aeron_cffi.queue.ledger import DEFAULT_STREAM_ID


def _open_ledger(archive: AeronArchive, args: argparse.Namespace) -> Ledger:
    ledger = Ledger(archive, LedgerConfig(prefix=args.name, stream_id=args.stream_id, timeout=args.timeout),
                    writable=False)
    if ledger.recording_id is None:
        raise CliError(ExitCode.ARCHIVE_ERROR, f"no queue named {args.name!r} in this archive")
    return ledger


def run_describe(args: argparse.Namespace) -> None:
    with connect_archive(args) as archive:
        ledger = _open_ledger(archive, args)
        table = Table(archive, TableConfig(prefix=args.name, stream_id=args.stream_id, timeout=args.timeout))
        consumers: list[dict[str, Any]] = [
            {"name": name, "position": marks.sequences[0], "marks": marks.sequences[1:],
             "lag": ledger.next_ordinal - ledger.ordinal_after(marks.sequences[0])}
            for name, marks in table.all().items() if marks.sequences]
        recording_id = ledger.recording_id
        assert recording_id is not None  # _open_ledger checked it
        summary = {"name": args.name, "recording_id": recording_id,
                   "start_position": archive.get_start_position(recording_id),
                   "recorded_position": archive.get_max_recorded_position(recording_id),
                   "head": ledger.head, "tail": ledger.tail, "length": ledger.length}
    if args.json:
        print_json({**summary, "consumers": consumers})
        return
    print_fields(summary)
    if consumers:
        print()
        print_table(("CONSUMER", "POSITION", "LAG", "MARKS"),
                    [(c["name"], c["position"], c["lag"], ",".join(map(str, c["marks"])) or "-") for c in consumers])


def run_tail(args: argparse.Namespace) -> None:
    printed = {"count": 0}
    with connect_archive(args) as archive:
        ledger = _open_ledger(archive, args)
        start = ledger.head + 1 if args.start is None else args.start
        with Consumer(ledger, None, ConsumerConfig(start=start)) as consumer:
            def show() -> bool:
                try:
                    entry = consumer.entries.get(timeout=0.05)
                except _stdlib_queue.Empty:
                    return False
                consumer.mark(entry.sequence, cumulative=True)
                text = entry.payload.decode("utf-8", errors="backslashreplace")
                if args.json:
                    print_json({"sequence": entry.sequence, "length": len(entry.payload), "payload": text})
                else:
                    print(f"{entry.sequence}  {text}", flush=True)
                printed["count"] += 1
                return True

            try:  # without --count, follow until Ctrl-C
                wait_until(lambda: args.count is not None and printed["count"] >= args.count, show,
                           args.timeout if args.count is not None else math.inf,
                           f"waiting for {args.count} entries of {args.name}", progress=lambda: printed["count"])
            except KeyboardInterrupt:
                pass


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("queue", help="look into a durable queue kept by a running archive",
                                   description=__doc__)
    commands = parser.add_subparsers(dest="queue_command", metavar="COMMAND", required=True)
    common = archive_options()
    common.add_argument("--stream-id", type=int, default=DEFAULT_STREAM_ID,
                        help="the queue's recordings' stream id (default: %(default)s)")

    describe = commands.add_parser("describe", parents=[common], help="head, tail, length, each consumer's lag")
    describe.set_defaults(run=run_describe)
    describe.add_argument("name", help="the queue's prefix")

    tail = commands.add_parser("tail", parents=[common], help="print entries as they are recorded")
    tail.set_defaults(run=run_tail)
    tail.add_argument("name", help="the queue's prefix")
    tail.add_argument("--from", dest="start", type=int, metavar="SEQUENCE",
                      help="first sequence to print (default: the next one written)")
    tail.add_argument("--count", type=int, metavar="N", help="exit after N entries (exit 6 if they do not come "
                                                              "within --timeout)")
