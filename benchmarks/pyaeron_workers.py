"""pyaeron's side of the IPC and ping-pong scenarios: ``benchmarks.workers``'s per-message
programs with pyaeron in place of aeron-cffi.

    .venv-peers/bin/python -m benchmarks.pyaeron_workers <program> --dir DIR [options]

Runs on the peers' interpreter (``benchmarks.peers``: CPython 3.12, where pyaeron's wheels
are). The loops are ``benchmarks.loops``'s, the ones our workers run, so both libraries
are driven by the same Python code; the same options and output as ``benchmarks.workers``:

* ``ipc-pub`` / ``ipc-sub``: an exclusive publication offering ``bytes``; a subscription
  polled with a Python handler, up to 256 fragments a poll;
* ``ping`` / ``pong``: round trips of timestamped messages, one in flight.

``poll`` is given ``assemble=False``: pyaeron's default puts a fragment assembler in
front of the handler, aeron-cffi's ``poll`` delivers the fragments as they are, and the
messages here are never fragmented.
"""

from __future__ import annotations

import argparse
import functools

import pyaeron

from benchmarks import loops
from benchmarks.loops import Poll, wait_connected


def _poll(subscription: pyaeron.Subscription) -> Poll:
    return functools.partial(subscription.poll, assemble=False)


def ipc_pub(args: argparse.Namespace) -> None:
    with pyaeron.Aeron(dir=args.dir) as aeron:
        publication = aeron.add_exclusive_publication(args.channel, args.stream_id)
        wait_connected(publication)
        loops.publish(publication.offer, args.length)


def ipc_sub(args: argparse.Namespace) -> None:
    with pyaeron.Aeron(dir=args.dir) as aeron:
        loops.count(_poll(aeron.add_subscription(args.channel, args.stream_id)))


def pong(args: argparse.Namespace) -> None:
    with pyaeron.Aeron(dir=args.dir) as aeron:
        subscription = aeron.add_subscription(args.ping_channel, args.ping_stream_id)
        publication = aeron.add_exclusive_publication(args.pong_channel, args.pong_stream_id)
        loops.pong(publication.offer, _poll(subscription))


def ping(args: argparse.Namespace) -> None:
    with pyaeron.Aeron(dir=args.dir) as aeron:
        subscription = aeron.add_subscription(args.pong_channel, args.pong_stream_id)
        publication = aeron.add_exclusive_publication(args.ping_channel, args.ping_stream_id)
        wait_connected(subscription, publication)
        loops.ping(publication.offer, _poll(subscription), args.messages, args.warmup, args.length)


PROGRAMS = {"ipc-pub": ipc_pub, "ipc-sub": ipc_sub, "ping": ping, "pong": pong}


def main(argv: list[str] | None = None) -> None:
    args = loops.argument_parser("python -m benchmarks.pyaeron_workers", list(PROGRAMS)).parse_args(argv)
    PROGRAMS[args.program](args)


if __name__ == "__main__":
    main()
