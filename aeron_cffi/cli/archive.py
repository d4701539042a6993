"""archive: recording operations against a running Aeron archive.

Every subcommand connects an archive client through the media driver in
--aeron-dir to the archive listening on --control-channel.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import struct
import sys
import time
from typing import Any, BinaryIO, Iterator

from aeron_cffi.archive import (
    NULL_POSITION,
    AeronArchive,
    RecordingDescriptor,
    RecordingSignal,
    RecordingSignalCode,
    SourceLocation,
)
from aeron_cffi.archive.context import DEFAULT_CONTROL_RESPONSE_CHANNEL
from aeron_cffi.archive.errors import ArchiveError, ArchiveErrorCode
from aeron_cffi.archive.recording_events import RecordingEvent, RecordingEventsAdapter
from aeron_cffi.cli._common import (
    CliError,
    ExitCode,
    Progress,
    add_aeron_dir,
    add_json,
    format_timestamp,
    latest_driver_error,
    print_fields,
    print_json,
    print_table,
    require_driver,
    wait_until,
)
from aeron_cffi.client import Aeron
from aeron_cffi.errors import AeronTimeoutError, DriverTimeoutError
from aeron_cffi.fragment_assembler import FragmentAssembler
from aeron_cffi.testing.ports import free_udp_port

__all__ = ["CONTROL_STREAM_ID", "DEFAULT_CONTROL_CHANNEL", "DEFAULT_EVENTS_CHANNEL", "EVENTS_STREAM_ID",
           "MAINTENANCE", "archive_options", "connect_archive", "register", "run_describe", "run_list",
           "run_maintenance", "run_record", "run_replay", "run_replicate", "run_signals", "run_stop"]

DEFAULT_CONTROL_CHANNEL = "aeron:udp?endpoint=localhost:8010"
CONTROL_STREAM_ID = 10
DEFAULT_EVENTS_CHANNEL = "aeron:udp?control-mode=dynamic|control=localhost:8030"
EVENTS_STREAM_ID = 30
_LENGTH_PREFIX = struct.Struct("<I")


# -- connecting ----------------------------------------------------------------------


def connect_archive(args: argparse.Namespace, control_channel: str | None = None, control_stream_id: int | None = None,
             **settings: Any) -> AeronArchive:
    """An archive client, or ``NO_DRIVER`` / ``ARCHIVE_UNREACHABLE`` as one line."""
    require_driver(args.aeron_dir, int(args.timeout * 1000))
    channel = control_channel or args.control_channel
    try:
        return AeronArchive.connect(
            aeron_directory_name=args.aeron_dir,
            control_request_channel=channel,
            control_request_stream_id=control_stream_id or args.control_stream_id,
            control_response_channel=args.response_channel,
            message_timeout_ns=int(args.timeout * 1e9),
            **settings,
        )
    except DriverTimeoutError as error:  # (the driver went between require_driver and the connect)
        raise CliError(ExitCode.NO_DRIVER, error.errmsg) from None
    except AeronTimeoutError:
        raise CliError(ExitCode.ARCHIVE_UNREACHABLE,
                       f"no archive answered on {channel} within {args.timeout:g}s") from None


def _with_driver_cause(run: Any) -> Any:
    """``run(args)``, with the driver's own cause added to a generic archive error.

    When the driver refuses what the archive asked of it (e.g. a channel with a port
    out of range), the archive relays only the first line of the driver's error,
    "(22) Invalid argument"; the cause is in the driver's error log. So it is read
    from there: the newest error the driver logged since this command started."""
    def run_explained(args: argparse.Namespace) -> Any:
        started_ms = int(time.time() * 1000)
        try:
            return run(args)
        except ArchiveError as error:
            if error.archive_code != ArchiveErrorCode.GENERIC:
                raise
            cause = latest_driver_error(args.aeron_dir, started_ms)
            if cause is None:
                raise
            raise ArchiveError(error.errmsg, error.errcode, archive_code=error.archive_code,
                               archive_message=f"{cause} (the driver's error; the archive said: "
                                               f"{error.archive_message})",
                               correlation_id=error.correlation_id) from error

    return run_explained


def _descriptor(archive: AeronArchive, recording_id: int) -> RecordingDescriptor:
    descriptor = archive.list_recording(recording_id)
    if descriptor is None:
        raise CliError(ExitCode.ARCHIVE_ERROR, f"unknown recording id {recording_id}")
    return descriptor


def _report(args: argparse.Namespace, result: dict[str, Any], text: str) -> None:
    if args.json:
        print_json(result)
    else:
        print(text)


# -- catalogue -------------------------------------------------------------------------


def run_list(args: argparse.Namespace) -> None:
    count = max(args.to - args.from_id + 1, 0) if args.to is not None else 0x7FFFFFFF
    with connect_archive(args) as archive:
        if args.stream is not None:
            found = archive.list_recordings_for_uri(args.channel or "", args.stream, args.from_id, count)
        else:
            found = archive.list_recordings(args.from_id, count)
    found = [d for d in found if (args.to is None or d.recording_id <= args.to)
             and (args.channel is None or args.channel in d.stripped_channel)]
    if args.json:
        print_json(found)
        return
    print_table(
        ("ID", "START", "STOP", "STREAM", "SESSION", "STARTED", "CHANNEL"),
        [(d.recording_id, d.start_position, "active" if d.stop_position == NULL_POSITION else d.stop_position,
          d.stream_id, d.session_id, format_timestamp(d.start_timestamp), d.stripped_channel) for d in found])


def run_describe(args: argparse.Namespace) -> None:
    with connect_archive(args) as archive:
        descriptor = _descriptor(archive, args.recording_id)
        fields = {**dataclasses.asdict(descriptor), "active": descriptor.stop_position == NULL_POSITION,
                  "max_recorded_position": archive.get_max_recorded_position(args.recording_id)}
    if args.json:
        print_json(fields)
    else:
        print_fields(fields)


# -- recording -------------------------------------------------------------------------


def run_record(args: argparse.Namespace) -> None:
    location = SourceLocation.REMOTE if args.remote else SourceLocation.LOCAL
    with connect_archive(args) as archive:
        subscription_id = archive.start_recording(args.channel, args.stream, location, args.auto_stop)
    _report(args, {"subscription_id": subscription_id, "channel": args.channel, "stream_id": args.stream},
            f"recording {args.channel} stream {args.stream}: subscription id {subscription_id}")


def run_stop(args: argparse.Namespace) -> None:
    if args.channel is not None and args.stream is None:
        raise CliError(ExitCode.USAGE, "stop --channel needs --stream")
    with connect_archive(args) as archive:
        if args.subscription_id is not None:
            archive.stop_recording_subscription(args.subscription_id)
            what = f"subscription {args.subscription_id}"
        elif args.recording_id is not None:
            if not archive.try_stop_recording_by_identity(args.recording_id):
                raise CliError(ExitCode.ARCHIVE_ERROR, f"recording {args.recording_id} is not active")
            what = f"recording {args.recording_id}"
        else:
            archive.stop_recording_channel_and_stream(args.channel, args.stream)
            what = f"{args.channel} stream {args.stream}"
    _report(args, {"stopped": what}, f"stopped recording {what}")


# -- replay ------------------------------------------------------------------------------


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[BinaryIO]:
    if path is None or path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    try:
        out = open(path, "wb")
    except OSError as error:
        raise CliError(ExitCode.IO_ERROR, f"cannot write {path}: {error.strerror}") from None
    with out:
        yield out


def run_replay(args: argparse.Namespace) -> None:
    with connect_archive(args) as archive:
        descriptor = _descriptor(archive, args.recording_id)
        start = descriptor.start_position if args.position is None else args.position
        if descriptor.stop_position != NULL_POSITION:
            recorded_end = descriptor.stop_position
        else:
            recorded_end = archive.get_recording_position(args.recording_id)
        if not descriptor.start_position <= start <= recorded_end:
            _outside_recording(args, descriptor, start, recorded_end)
        end = recorded_end if args.length is None else start + args.length
        channel = args.replay_channel or f"aeron:udp?endpoint=localhost:{free_udp_port()}"
        state = {"position": start, "messages": 0, "bytes": 0}
        with _output(args.output) as out:
            if end > start:
                _replay_into(archive, args, channel, start, end, out, state)
    summary = {"recording_id": args.recording_id, "start_position": start, "end_position": state["position"],
               "messages": state["messages"], "bytes": state["bytes"]}
    if args.output not in (None, "-"):
        _report(args, summary, f"replayed {state['messages']} messages ({state['bytes']} bytes) "
                               f"of recording {args.recording_id} into {args.output}")


def _outside_recording(args: argparse.Namespace, descriptor: RecordingDescriptor, position: int, end: int) -> None:
    """A replay from a position the recording does not hold: say so (and, with --json,
    print the summary a replay prints), exit ``ARCHIVE_ERROR``."""
    message = (f"position {position} is outside recording {args.recording_id}, which holds positions "
               f"{descriptor.start_position} to {end}: nothing to replay")
    if args.json:
        print_json({"recording_id": args.recording_id, "start_position": position, "end_position": position,
                    "messages": 0, "bytes": 0, "recording_start_position": descriptor.start_position,
                    "recording_end_position": end, "error": message})
    raise CliError(ExitCode.ARCHIVE_ERROR, message)


def _replay_into(archive: AeronArchive, args: argparse.Namespace, channel: str, start: int, end: int, out: BinaryIO,
                 state: dict[str, int]) -> None:
    prefixed = args.format == "length-prefixed"
    progress = Progress(f"replay {args.recording_id}", end - start)

    def on_message(data: Any, header: Any) -> None:
        if prefixed:
            out.write(_LENGTH_PREFIX.pack(len(data)))
        out.write(data)
        state["messages"] += 1
        state["bytes"] += len(data)
        state["position"] = header.position

    def poll() -> int:
        fragments = subscription.poll(assembler, 256)
        if fragments:
            out.flush()  # a reader following the output sees each batch as it arrives
            progress.update(state["position"] - start)
        return int(fragments)

    with archive.replay(args.recording_id, channel, args.replay_stream_id, position=start,
                        length=end - start) as subscription, FragmentAssembler(on_message) as assembler:
        try:
            wait_until(lambda: state["position"] >= end, poll, args.timeout, f"replay of recording {args.recording_id}",
                       progress=lambda: state["position"])
        finally:
            progress.finish()


# -- maintenance -----------------------------------------------------------------------

#: subcommand: (AeronArchive method, extra positional arguments, result name, help)
MAINTENANCE = {
    "truncate": ("truncate_recording", ("position",), "deleted_segments",
                 "cut a stopped recording at POSITION (a frame boundary)"),
    "purge": ("purge_recording", (), "deleted_segments", "delete a stopped recording and its files"),
    "detach": ("detach_segments", ("position",), None,
               "move the recording's start to POSITION (a segment boundary), keeping the files"),
    "attach": ("attach_segments", (), "attached_segments", "re-attach detached segment files still on disk"),
    "delete-segments": ("delete_detached_segments", (), "deleted_segments", "delete detached segment files"),
    "migrate": ("migrate_segments", ("dst_recording_id",), "migrated_segments",
                "move RECORDING_ID's segments to the front of DST_RECORDING_ID"),
}


def run_maintenance(args: argparse.Namespace) -> None:
    method, extra, result_name, _ = MAINTENANCE[args.operation]
    with connect_archive(args) as archive:
        result = getattr(archive, method)(args.recording_id, *(getattr(args, name) for name in extra))
    report = {"operation": args.operation, "recording_id": args.recording_id,
              **{name: getattr(args, name) for name in extra}}
    text = f"{args.operation} recording {args.recording_id}: done"
    if result_name is not None:
        report[result_name] = result
        text = f"{args.operation} recording {args.recording_id}: {result} {result_name.replace('_', ' ')}"
    _report(args, report, text)


# -- replication -----------------------------------------------------------------------


def run_replicate(args: argparse.Namespace) -> None:
    with connect_archive(args) as source:
        descriptor = _descriptor(source, args.recording_id)
        end = args.stop_position if args.stop_position is not None else source.get_max_recorded_position(
            args.recording_id)
    signals: list[RecordingSignal] = []
    with connect_archive(args, args.dst_control_channel, args.dst_control_stream_id,
                  recording_signal_consumer=signals.append) as destination:
        params = {"stop_position": args.stop_position, "dst_recording_id": args.dst_recording_id}
        replication_id = destination.replicate(args.recording_id, args.control_channel, args.control_stream_id,
                                               **{k: v for k, v in params.items() if v is not None})
        progress = Progress(f"replicate {args.recording_id}", end - descriptor.start_position)

        def position() -> int:
            return max((s.position for s in signals), default=descriptor.start_position)

        def work() -> int:
            polled = destination.poll_for_recording_signals()
            progress.update(position() - descriptor.start_position)
            return int(polled)

        try:
            wait_until(lambda: any(s.signal == RecordingSignalCode.REPLICATE_END for s in signals), work,
                       args.timeout, f"replication of recording {args.recording_id}", progress=lambda: len(signals))
        finally:
            progress.finish()
    dst_recording_id = signals[-1].recording_id
    _report(args, {"src_recording_id": args.recording_id, "dst_recording_id": dst_recording_id,
                   "replication_id": replication_id, "position": position(),
                   "signals": [getattr(s.signal, "name", s.signal) for s in signals]},
            f"replicated recording {args.recording_id} to recording {dst_recording_id} "
            f"(position {position()}) on {args.dst_control_channel}")


# -- recording events ------------------------------------------------------------------


def run_signals(args: argparse.Namespace) -> None:
    require_driver(args.aeron_dir, int(args.timeout * 1000))
    seen = {"count": 0}

    def show(event: RecordingEvent) -> None:
        seen["count"] += 1
        fields = dataclasses.asdict(event)
        if args.json:
            print_json({"event": type(event).__name__, **fields})
        else:
            print(f"{type(event).__name__:17} " + " ".join(f"{k}={v}" for k, v in fields.items()), flush=True)

    with Aeron(dir=args.aeron_dir) as aeron, RecordingEventsAdapter(
            aeron.add_subscription(args.events_channel, args.events_stream_id),
            on_started=show, on_progress=show, on_stopped=show) as events:
        try:  # without --count, follow until Ctrl-C
            wait_until(lambda: args.count is not None and seen["count"] >= args.count, lambda: events.poll(100),
                       args.timeout if args.count is not None else math.inf,
                       f"waiting for {args.count} recording events", progress=lambda: seen["count"])
        except KeyboardInterrupt:
            pass


# -- the command line --------------------------------------------------------------------


def archive_options() -> Any:
    """The options of every command that talks to an archive (the queue and recovery log
    commands too): a parent parser for ``add_parser(parents=[...])``."""
    common = argparse.ArgumentParser(add_help=False)
    add_aeron_dir(common)
    common.add_argument("--control-channel", default=DEFAULT_CONTROL_CHANNEL,
                        help="the archive's control request channel (default: %(default)s)")
    common.add_argument("--control-stream-id", type=int, default=CONTROL_STREAM_ID,
                        help="(default: %(default)s)")
    common.add_argument("--response-channel", default=DEFAULT_CONTROL_RESPONSE_CHANNEL,
                        help="this client's control response channel (default: %(default)s)")
    common.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                        help="for the archive to answer, and for a replay or replication to make progress "
                             "(default: %(default)s)")
    add_json(common)
    return common


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("archive", help="recording operations against a running archive",
                                   description=__doc__)
    commands = parser.add_subparsers(dest="archive_command", metavar="COMMAND", required=True)
    common = archive_options()

    def command(name: str, run: Any, help: str) -> Any:
        sub = commands.add_parser(name, parents=[common], help=help, description=help)
        sub.set_defaults(run=_with_driver_cause(run))
        return sub

    listing = command("list", run_list, "list recordings, optionally filtered")
    listing.add_argument("--channel", help="only recordings whose channel contains this text")
    listing.add_argument("--stream", type=int, help="only recordings of this stream id")
    listing.add_argument("--from", dest="from_id", type=int, default=0, metavar="ID",
                         help="first recording id (default: 0)")
    listing.add_argument("--to", type=int, metavar="ID", help="last recording id")

    command("describe", run_describe, "one recording's descriptor and positions").add_argument(
        "recording_id", type=int)

    record = command("record", run_record, "start recording a channel and stream")
    record.add_argument("--channel", required=True)
    record.add_argument("--stream", type=int, required=True)
    record.add_argument("--remote", action="store_true",
                        help="subscribe over the network instead of spying on a local publication")
    record.add_argument("--auto-stop", action="store_true", help="stop when the recorded image goes away")

    stop = command("stop", run_stop, "stop a recording (by subscription, recording id, or channel and stream)")
    which = stop.add_mutually_exclusive_group(required=True)
    which.add_argument("--subscription-id", type=int, help="as printed by record")
    which.add_argument("--recording-id", type=int)
    which.add_argument("--channel", help="with --stream")
    stop.add_argument("--stream", type=int)

    replay = command("replay", run_replay, "replay a recording's messages to stdout or a file")
    replay.add_argument("recording_id", type=int)
    replay.add_argument("--position", type=int, help="where to start (default: the recording's start)")
    replay.add_argument("--length", type=int, help="bytes of stream to replay (default: to the recorded end)")
    replay.add_argument("--output", "-o", help="file to write (default: stdout)")
    replay.add_argument("--format", choices=("raw", "length-prefixed"), default="raw",
                        help="raw: payloads back to back; length-prefixed: each after its length as "
                             "uint32 little-endian (default: raw)")
    replay.add_argument("--replay-channel", help="default: UDP on a free localhost port")
    replay.add_argument("--replay-stream-id", type=int, default=9999, help="(default: %(default)s)")

    for name, (_, extra, _, help) in MAINTENANCE.items():
        sub = command(name, run_maintenance, help)
        sub.set_defaults(operation=name)
        sub.add_argument("recording_id", type=int)
        for argument in extra:
            sub.add_argument(argument, type=int)

    replicate = command("replicate", run_replicate,
                        "copy a recording of this archive into a second archive, waiting for the end")
    replicate.add_argument("recording_id", type=int)
    replicate.add_argument("--dst-control-channel", required=True, help="the destination archive's control channel")
    replicate.add_argument("--dst-control-stream-id", type=int, default=CONTROL_STREAM_ID,
                           help="(default: %(default)s)")
    replicate.add_argument("--dst-recording-id", type=int, help="extend this destination recording")
    replicate.add_argument("--stop-position", type=int, help="replicate up to this position")

    signals = command("signals", run_signals,
                      "follow the archive's recording events (started, progress, stopped) until Ctrl-C")
    signals.add_argument("--events-channel", default=DEFAULT_EVENTS_CHANNEL,
                         help="the archive's recording events channel (default: %(default)s)")
    signals.add_argument("--events-stream-id", type=int, default=EVENTS_STREAM_ID, help="(default: %(default)s)")
    signals.add_argument("--count", type=int, metavar="N",
                         help="exit after N events (exit 6 if they do not come within --timeout)")
