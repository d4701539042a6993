"""The recovery log's costs, as ratios: ``python -m benchmarks.recoverylog``
(``benchmarks/run recoverylog``).

* SQLite transactions per second through the recording VFS beside plain SQLite on local
  disk, both with SQLite's defaults (rollback journal, ``synchronous=FULL``), and beside
  plain SQLite with ``synchronous=OFF`` (what the VFS does on the local disk: it syncs
  the log instead). Each transaction inserts a row and updates another of an indexed table.
* Playback MB/s (``Player.play`` into a new directory) beside a raw archive replay of
  the same recording (messages copied out in batches and dropped), both from the page cache.

The C media driver (aeronmd) and the Java archive run with their defaults (archive file
sync level 0) in ``SHARED`` threading modes. Figures are medians over repetitions.

    .venv/bin/python -m benchmarks.recoverylog [--quick] [--repetitions N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time

import apsw

from aeron_cffi.archive import REPLAY_ALL_AND_STOP, AeronArchive
from aeron_cffi.driver_process import DriverProcess
from aeron_cffi.recoverylog import FSMHints, Player, RecordedFS, Recorder, create_log, new_random_author
from aeron_cffi.recoverylog.sqlite_vfs import RecordingVFS
from aeron_cffi.testing import JavaArchive

SCHEMA = "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT); CREATE INDEX t_k ON t(k)"
PLAYBACK_WRITE = 4096


def sqlite_rate(db: apsw.Connection, transactions: int) -> float:
    """Transactions per second of the small OLTP workload on ``db``."""
    with db:
        db.execute(SCHEMA)
    started = time.perf_counter()
    for i in range(transactions):
        with db:
            db.execute("INSERT INTO t(k, v) VALUES(?, ?)", (i * 7919 % 10007, "x" * 100))
            db.execute("UPDATE t SET v = ? WHERE id = ?", ("y" * 100, i // 2 + 1))
    return transactions / (time.perf_counter() - started)


class Bench:
    def __init__(self, archive: AeronArchive, work: pathlib.Path) -> None:
        self.archive = archive
        self.work = work
        self.stream_ids = iter(range(5001, 6000))
        self.count = 0

    def directory(self, name: str) -> pathlib.Path:
        self.count += 1
        return self.work / f"{name}-{self.count}"

    def recorder(self) -> Recorder:
        """A new log, taken over into a new directory."""
        log = create_log(self.archive, next(self.stream_ids))
        author = new_random_author()
        player = Player()
        player.inject_handoff(author)
        directory = self.directory("recorded")
        player.play(FSMHints(log=log), directory, self.archive)
        return Recorder(player.fsm, author, str(directory), player.appender)

    def plain(self, transactions: int, synchronous: str) -> float:
        directory = self.directory("plain")
        directory.mkdir()
        db = apsw.Connection(str(directory / "bench.db"))
        db.execute(f"PRAGMA synchronous = {synchronous}")
        try:
            return sqlite_rate(db, transactions)
        finally:
            db.close()

    def recorded(self, transactions: int) -> tuple[float, float]:
        """Transactions per second through the VFS, and the share of that time spent
        waiting for the archive to record (barriers)."""
        recorder = self.recorder()
        waited = [0.0]
        barrier = recorder.barrier

        def timed_barrier() -> None:
            started = time.perf_counter()
            barrier()
            waited[0] += time.perf_counter() - started

        recorder.barrier = timed_barrier  # measured from outside: the barrier is the suspect
        vfs = RecordingVFS(f"bench-{self.count}", RecordedFS(recorder))
        db = apsw.Connection(os.path.join(recorder.dir, "bench.db"), vfs=vfs.name)
        started = time.perf_counter()
        try:
            rate = sqlite_rate(db, transactions)
            return rate, waited[0] / (time.perf_counter() - started)
        finally:
            db.close()
            recorder.close()
            vfs.unregister()

    def playback(self, megabytes: int) -> tuple[float, float]:
        """MB/s of ``Player.play`` and of a raw replay of the same log."""
        recorder = self.recorder()
        fs = RecordedFS(recorder)
        block = os.urandom(PLAYBACK_WRITE)
        count = megabytes * (1 << 20) // PLAYBACK_WRITE
        with fs.create("data.bin") as file:
            for i in range(count):
                file.pwrite(block, i * PLAYBACK_WRITE)
        hints = recorder.build_hints()
        recorder.close()
        size = self.archive.get_max_recorded_position(hints.log)
        self.raw_replay(hints.log, size)  # once untimed: both timed reads find the recording in the page cache

        player = Player()
        player.finish_at_write_head()
        started = time.perf_counter()
        player.play(hints, self.directory("played"), self.archive)
        played = size / (time.perf_counter() - started) / 1e6
        started = time.perf_counter()
        self.raw_replay(hints.log, size)
        raw = size / (time.perf_counter() - started) / 1e6
        return played, raw

    def raw_replay(self, recording_id: int, size: int) -> None:
        """Replay the recording and drop its messages, copied out in batches (no
        Python call per message): the fastest a Python reader of it can be."""
        stream_id = self.archive.list_recording(recording_id).stream_id
        with self.archive.replay(recording_id, "aeron:ipc", stream_id, position=0, length=REPLAY_ALL_AND_STOP) as replay:
            while (image := replay.image_at_index(0)) is None:
                time.sleep(0.0001)
            with image:
                while image.position < size:
                    if not len(replay.poll_batch()):
                        time.sleep(0.0001)


def argument_parser() -> argparse.ArgumentParser:
    """The command line of ``benchmarks/run recoverylog`` (``python -m benchmarks.recoverylog``)."""
    parser = argparse.ArgumentParser(prog="benchmarks/run recoverylog", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, 1 repetition (for the test)")
    parser.add_argument("--repetitions", type=int, help="(default 3, 1 with --quick)")
    parser.add_argument("--json", type=pathlib.Path, help="also write the figures here")
    return parser


def main() -> None:
    args = argument_parser().parse_args()
    repetitions = args.repetitions or (1 if args.quick else 3)
    transactions, megabytes = (100, 2) if args.quick else (1000, 32)

    runs: dict[str, list[float]] = {name: [] for name in (
        "plain_full_tps", "plain_off_tps", "recorded_tps", "barrier_share", "playback_mbps", "raw_replay_mbps")}
    with tempfile.TemporaryDirectory(prefix="aeron-bench-recoverylog-") as tmp:
        work = pathlib.Path(tmp)
        with DriverProcess(work / "driver", threading_mode="SHARED", dir_delete_on_shutdown=True), \
                JavaArchive(work / "driver", archive_dir=work / "archive") as java_archive:  # (started)
            with AeronArchive.connect(aeron_directory_name=str(work / "driver"),
                                      control_request_channel=java_archive.control_request_channel,
                                      control_response_channel=java_archive.control_response_channel) as archive:
                bench = Bench(archive, work)
                for repetition in range(repetitions):
                    print(f"[{repetition + 1}/{repetitions}] recoverylog", file=sys.stderr, flush=True)
                    runs["plain_full_tps"].append(bench.plain(transactions, "FULL"))
                    runs["plain_off_tps"].append(bench.plain(transactions, "OFF"))
                    rate, share = bench.recorded(transactions)
                    runs["recorded_tps"].append(rate)
                    runs["barrier_share"].append(share)
                    played, raw = bench.playback(megabytes)
                    runs["playback_mbps"].append(played)
                    runs["raw_replay_mbps"].append(raw)

    median = {name: statistics.median(values) for name, values in runs.items()}
    ratios = {
        "recorded_vs_plain_full": median["recorded_tps"] / median["plain_full_tps"],
        "recorded_vs_plain_off": median["recorded_tps"] / median["plain_off_tps"],
        "playback_vs_raw_replay": median["playback_mbps"] / median["raw_replay_mbps"],
    }
    print(f"SQLite, {transactions} transactions of an insert and an update (median of {repetitions}):")
    print(f"  plain, synchronous=FULL   {median['plain_full_tps']:10.0f} tx/s")
    print(f"  plain, synchronous=OFF    {median['plain_off_tps']:10.0f} tx/s")
    print(f"  recording VFS             {median['recorded_tps']:10.0f} tx/s   "
          f"÷ FULL {ratios['recorded_vs_plain_full']:.2f}   ÷ OFF {ratios['recorded_vs_plain_off']:.2f}   "
          f"({median['barrier_share']:.0%} of it waiting for the archive)")
    print(f"playback of a {megabytes} MiB log of {PLAYBACK_WRITE} B writes:")
    print(f"  raw archive replay        {median['raw_replay_mbps']:10.1f} MB/s")
    print(f"  Player.play               {median['playback_mbps']:10.1f} MB/s   "
          f"÷ raw {ratios['playback_vs_raw_replay']:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"quick": args.quick, "repetitions": repetitions, "transactions": transactions,
                                         "megabytes": megabytes, "runs": runs, "median": median, "ratios": ratios},
                                        indent=2))


if __name__ == "__main__":
    main()
