"""recoverylog: inspect a recovery log's hints, play a log back into a directory.

``describe HINTS`` reads hints only (no archive); ``play HINTS DIR`` connects an archive
client through the media driver in --aeron-dir to the archive on --control-channel, as
the ``archive`` commands do, and shows a progress bar when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from aeron_cffi.cli._common import CliError, ExitCode, add_json, print_fields, print_json
from aeron_cffi.cli.archive import archive_options, connect_archive

if TYPE_CHECKING:
    from aeron_cffi.recoverylog import FSMHints

# The recovery log's own dependencies (protobuf, google-crc32c, tqdm: the package's
# "recoverylog" extra) are imported when one of its commands runs, so that the other
# commands work without them.


def _hints(path: str) -> FSMHints:
    from aeron_cffi.recoverylog import FSMHints, HintsError

    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
        return FSMHints.loads(text)
    except HintsError as error:
        raise CliError(ExitCode.FAILURE, f"{path}: {error}") from None


def describe(hints: FSMHints) -> dict[str, Any]:
    """The authors, segments and extent of the log that ``hints`` describe."""
    fnodes, segments = hints.live_log_segments()
    first = min((s.first_offset for s in segments), default=0)
    last = max((s.last_offset for s in segments), default=0)
    return {
        "log": hints.log,
        "live_fnodes": len(fnodes),
        "segments": len(segments),
        "authors": sorted({s.author for s in segments}),
        "first_offset": first,
        "last_offset": last,
        "hinted_bytes": last - first,
        "properties": [path for path, _ in hints.properties],
    }


def run_describe(args: argparse.Namespace) -> None:
    from aeron_cffi.recoverylog import HintsError

    try:
        summary = describe(_hints(args.hints))
    except HintsError as error:
        raise CliError(ExitCode.FAILURE, f"{args.hints}: {error}") from None
    if args.json:
        print_json(summary)
    else:
        print_fields({**summary, "authors": " ".join(f"{a:#010x}" for a in summary["authors"]) or "-",
                      "properties": " ".join(summary["properties"]) or "-"})


def run_play(args: argparse.Namespace) -> None:
    from tqdm import tqdm  # type: ignore[import-untyped]  # tqdm ships no type information

    from aeron_cffi.recoverylog import DataLossError, HintsError, Player

    hints = _hints(args.hints)
    if hints.log is None:
        raise CliError(ExitCode.FAILURE, f"{args.hints}: the hints name no log")
    player = Player()
    player.finish_at_write_head()
    with connect_archive(args) as archive, tqdm(total=0, unit="B", unit_scale=True, desc=f"play log {hints.log}",
                                         disable=not sys.stderr.isatty()) as bar:
        def progress(position: int, end: int) -> None:
            bar.total = end
            bar.update(position - bar.n)

        try:
            player.play(hints, args.dir, archive, progress=progress, timeout=args.timeout)
        except (DataLossError, HintsError) as error:
            raise CliError(ExitCode.FAILURE, f"{args.hints}: {error}") from None
        except TimeoutError as error:
            raise CliError(ExitCode.TIMEOUT, str(error)) from None
    assert player.fsm is not None  # play() sets it, or raised
    if args.json:
        print_json({"dir": player.dir, "links": len(player.fsm.links), "properties": len(player.fsm.properties),
                    "next_seq_no": player.fsm.next_seq_no})


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("recoverylog", help="a recovery log's hints and its playback",
                                   description=__doc__)
    commands = parser.add_subparsers(dest="recoverylog_command", metavar="COMMAND", required=True)
    common = archive_options()
    describe_parser = commands.add_parser("describe", help="authors, segments and size of a log from its hints")
    add_json(describe_parser)
    describe_parser.add_argument("hints", help="a hints JSON file, - for standard input")
    describe_parser.set_defaults(run=run_describe)
    play = commands.add_parser("play", help="play a log back into a new directory", parents=[common])
    play.add_argument("hints", help="a hints JSON file, - for standard input")
    play.add_argument("dir", help="the directory to play into (its content is replaced)")
    play.set_defaults(run=run_play)
