"""``stat``, ``errors``, ``loss``: a running driver's CnC file, as Aeron's AeronStat,
ErrorStat and LossStat print it (aeron-samples), or as JSON."""

from __future__ import annotations

import argparse
import datetime
import re
import struct
import sys
import time
from typing import Any, Callable

from aeron_cffi._native import lib
from aeron_cffi.cli._common import (
    CliError,
    ExitCode,
    add_aeron_dir,
    add_json,
    add_watch,
    format_timestamp,
    open_cnc,
    print_json,
    watch,
)
from aeron_cffi.cnc import CncFile, driver_timeout_ms
from aeron_cffi.counters import CounterInfo

__all__ = ["LOSS_HEADER", "counter_fields", "register", "run_stat"]

# Driver counter key layouts (aeron_counters.h / Java's StreamCounter, ChannelEndpointStatus).
_STREAM_COUNTER_TYPES = frozenset({
    lib.AERON_COUNTER_PUBLISHER_LIMIT_TYPE_ID, lib.AERON_COUNTER_SENDER_POSITION_TYPE_ID,
    lib.AERON_COUNTER_RECEIVER_HWM_TYPE_ID, lib.AERON_COUNTER_SUBSCRIPTION_POSITION_TYPE_ID,
    lib.AERON_COUNTER_RECEIVER_POSITION_TYPE_ID, lib.AERON_COUNTER_SENDER_LIMIT_TYPE_ID,
    lib.AERON_COUNTER_PER_IMAGE_TYPE_ID, lib.AERON_COUNTER_PUBLISHER_POSITION_TYPE_ID,
})
_CHANNEL_STATUS_TYPES = frozenset({
    lib.AERON_COUNTER_SEND_CHANNEL_STATUS_TYPE_ID, lib.AERON_COUNTER_RECEIVE_CHANNEL_STATUS_TYPE_ID,
})
_STREAM_KEY = struct.Struct("<qii")  # registration id, session id, stream id; then the channel
_LENGTH = struct.Struct("<i")


def _ascii(key: bytes, offset: int) -> str:
    (length,) = _LENGTH.unpack_from(key, offset)
    start = offset + _LENGTH.size
    return key[start:start + max(0, min(length, len(key) - start))].decode("ascii", errors="replace")


def counter_fields(counter: CounterInfo) -> dict[str, str]:
    """What AeronStat's filters match a counter on: type, identity, session, stream, channel."""
    fields = {"type": str(counter.type_id)}
    if counter.type_id == lib.AERON_COUNTER_SYSTEM_COUNTER_TYPE_ID:
        fields["identity"] = str(_LENGTH.unpack_from(counter.key, 0)[0])
    elif counter.type_id in _STREAM_COUNTER_TYPES:
        registration_id, session_id, stream_id = _STREAM_KEY.unpack_from(counter.key, 0)
        fields.update(identity=str(registration_id), session=str(session_id), stream=str(stream_id),
                      channel=_ascii(counter.key, _STREAM_KEY.size))
    elif counter.type_id in _CHANNEL_STATUS_TYPES:
        fields["channel"] = _ascii(counter.key, 0)
    return fields


def _matches(counter: CounterInfo, filters: dict[str, re.Pattern[str]]) -> bool:
    """AeronStat's ``CounterFilter``: a filter on a field the counter has must match
    (``find``); the type filter applies to all counters, the others to counters
    that have the field."""
    fields = counter_fields(counter)
    return all(name not in fields or pattern.search(fields[name]) for name, pattern in filters.items())


def _semantic_version(version: int) -> str:
    return ".".join(str(f(version)) for f in (lib.aeron_semantic_version_major, lib.aeron_semantic_version_minor,
                                              lib.aeron_semantic_version_patch))


def _stat_snapshot(cnc: CncFile, filters: dict[str, re.Pattern[str]], driver_timeout: int) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    constants = cnc.constants
    reader = cnc.counters_reader()
    counters = [c for c in reader.counters() if _matches(c, filters)]
    heartbeat_age_ms = cnc.heartbeat_age_ms
    running = heartbeat_age_ms <= driver_timeout
    if not running:  # (the counters are the dead driver's last values)
        print(f"aeron-cffi stat: warning: the driver is not running (pid {constants.pid}, heartbeat "
              f"{heartbeat_age_ms} ms old): these are its last counters", file=sys.stderr)
    return {
        "timestamp": now_ms,
        "cnc_version": _semantic_version(constants.cnc_version),
        "pid": constants.pid,
        "heartbeat_age_ms": heartbeat_age_ms,
        "driver_running": running,
        "counters": [{"id": c.counter_id, "type_id": c.type_id, "value": c.value, "label": c.label}
                     for c in counters],
        "max_counter_id": reader.max_counter_id,
    }


def _print_stat(snapshot: dict[str, Any]) -> None:
    clock = datetime.datetime.fromtimestamp(snapshot["timestamp"] / 1000)
    print(f"{clock:%H:%M:%S} - Aeron Stat (CnC v{snapshot['cnc_version']}), pid {snapshot['pid']}, "
          f"heartbeat age {snapshot['heartbeat_age_ms']}ms")
    print("=" * 70)
    width = len(str(snapshot["max_counter_id"]))
    for counter in snapshot["counters"]:
        print(f"{counter['id']:>{width}}: {counter['value']:>26,} - {counter['label']}")
    print("--")


def _filter(name: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise CliError(ExitCode.USAGE, f"--{name}: invalid regular expression {pattern!r} ({error})") from None


def run_stat(args: argparse.Namespace) -> None:
    filters = {name: _filter(name, pattern) for name in ("type", "identity", "session", "stream", "channel")
               if (pattern := getattr(args, name)) is not None}
    driver_timeout = driver_timeout_ms()  # (read once: it makes a client context to read it)
    _run_watched(args, lambda cnc: _stat_snapshot(cnc, filters, driver_timeout), _print_stat)


def _errors_snapshot(cnc: CncFile) -> dict[str, Any]:
    errors = cnc.error_log_read()
    return {"distinct_errors": len(errors), "errors": errors}


def _print_errors(snapshot: dict[str, Any]) -> None:
    for entry in snapshot["errors"]:
        print("***")
        print(f"{entry.observation_count} observations from {format_timestamp(entry.first_observation_timestamp)} "
              f"to {format_timestamp(entry.last_observation_timestamp)} for:")
        print(f" {entry.error}")
    print(f"\n{snapshot['distinct_errors']} distinct errors observed.")


LOSS_HEADER = "#OBSERVATION_COUNT,TOTAL_BYTES_LOST,FIRST_OBSERVATION,LAST_OBSERVATION,SESSION_ID,STREAM_ID,CHANNEL,SOURCE"


def _loss_snapshot(cnc: CncFile) -> dict[str, Any]:
    entries = cnc.loss_reporter_read()
    return {"loss_entries": len(entries), "entries": entries}


def _print_loss(snapshot: dict[str, Any]) -> None:
    print(LOSS_HEADER)
    for e in snapshot["entries"]:
        print(f"{e.observation_count},{e.total_bytes_lost},{format_timestamp(e.first_observation_timestamp)},"
              f"{format_timestamp(e.last_observation_timestamp)},{e.session_id},{e.stream_id},{e.channel},{e.source}")
    print(f"{snapshot['loss_entries']} loss entries")


def _run_watched(args: argparse.Namespace, snapshot: Callable[[CncFile], dict[str, Any]], printer: Callable[[dict[str, Any]], None]) -> None:
    with open_cnc(args.aeron_dir, args.timeout_ms) as cnc:
        show = print_json if args.json else printer
        watch(lambda: show(snapshot(cnc)), args.watch, args.count,
              clear=not args.json and sys.stdout.isatty())


def register(subparsers: Any) -> None:
    stat = subparsers.add_parser("stat", help="the driver's counters (like AeronStat)",
                                 description="Print the counters of the driver in --aeron-dir, as AeronStat "
                                             "does; filters are regular expressions (AeronStat's type=, identity=, "
                                             "session=, stream=, channel=).")
    for name, what in (("type", "counter type id"), ("identity", "system counter id or registration id"),
                       ("session", "session id"), ("stream", "stream id"), ("channel", "channel")):
        stat.add_argument(f"--{name}", metavar="REGEX", help=f"only counters whose {what} matches")
    errors = subparsers.add_parser("errors", help="the driver's distinct error log (like ErrorStat)")
    loss = subparsers.add_parser("loss", help="the driver's loss report (like LossStat)")
    for parser, function in ((stat, run_stat),
                             (errors, lambda args: _run_watched(args, _errors_snapshot, _print_errors)),
                             (loss, lambda args: _run_watched(args, _loss_snapshot, _print_loss))):
        add_aeron_dir(parser)
        add_json(parser)
        add_watch(parser)
        parser.set_defaults(run=function)
