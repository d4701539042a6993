"""SQLite through the recording VFS: an unmodified workload recorded, played back
elsewhere as the same database; a writer killed with SIGKILL mid-transaction loses
nothing it reported committed and keeps nothing else."""

import signal
import subprocess
import sys
import threading

import apsw
from recoverylog_support import new_log, new_recorded_fs, play, take_over
from recoverylog_workload import SCHEMA, contents, transaction

from aeron_cffi.recoverylog import FSMHints, RecordedFS
from aeron_cffi.recoverylog.sqlite_vfs import RecordingVFS

TRANSACTIONS = 2000
WRITER_DEADLINE_S = 240


def reference(transactions: int) -> list[tuple]:
    """The workload's contents after ``transactions``, on an in-memory database."""
    db = apsw.Connection(":memory:")
    with db:
        db.execute(SCHEMA)
    for i in range(1, transactions + 1):
        with db:
            transaction(db, i)
    return contents(db)


def test_a_recorded_database_plays_back_as_the_same_database(log_archive, tmp_path):
    fs = new_recorded_fs(log_archive, tmp_path / "source")
    vfs = RecordingVFS("recorded-same", fs)
    db = apsw.Connection(str(tmp_path / "source" / "store.db"), vfs=vfs.name)
    with db:
        db.execute(SCHEMA)
    for i in range(1, 301):
        with db:
            transaction(db, i)
    original = contents(db)
    db.close()
    hints = fs.recorder.build_hints()
    fs.recorder.close()
    vfs.unregister()

    play(log_archive, hints, tmp_path / "played")
    copy = apsw.Connection(str(tmp_path / "played" / "store.db"))
    assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert contents(copy) == original == reference(300)


def test_a_truncating_journal_mode_plays_back(log_archive, tmp_path):
    # journal_mode=TRUNCATE ends each transaction by shrinking the journal to 0 bytes.
    fs = new_recorded_fs(log_archive, tmp_path / "source")
    vfs = RecordingVFS("recorded-truncate", fs)
    db = apsw.Connection(str(tmp_path / "source" / "store.db"), vfs=vfs.name)
    db.execute("PRAGMA journal_mode = TRUNCATE")
    with db:
        db.execute(SCHEMA)
    for i in range(1, 51):
        with db:
            transaction(db, i)
    db.close()
    hints = fs.recorder.build_hints()
    fs.recorder.close()
    vfs.unregister()
    play(log_archive, hints, tmp_path / "played")
    assert (tmp_path / "played" / "store.db-journal").stat().st_size == 0
    assert contents(apsw.Connection(str(tmp_path / "played" / "store.db"))) == reference(50)


def test_kill_9_mid_transaction_keeps_exactly_the_reported_commits(log_archive, log_archive_process, tmp_path):
    recording_id = new_log(log_archive)
    writer = subprocess.Popen(
        [sys.executable, "sqlite_writer.py", str(log_archive_process.aeron_dir),
         log_archive_process.control_request_channel, str(recording_id), str(tmp_path / "writer"),
         str(TRANSACTIONS)],
        cwd=__file__.rsplit("/", 1)[0], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    reported = 0
    watchdog = threading.Timer(WRITER_DEADLINE_S, writer.kill)  # a stuck writer ends the loop below
    watchdog.start()
    try:
        for line in writer.stdout:
            if line.startswith("committed "):
                reported = int(line.split()[1])
            elif line.startswith("mid-transaction"):
                break
        writer.send_signal(signal.SIGKILL)
    finally:
        watchdog.cancel()
        writer.kill()
        writer.wait(timeout=30)
    assert reported == TRANSACTIONS and writer.returncode == -signal.SIGKILL

    played = play(log_archive, FSMHints(log=recording_id), tmp_path / "played")
    assert sorted(played.fsm.links) == ["/store.db", "/store.db-journal"]  # a hot journal: SQLite rolls back
    assert (tmp_path / "played" / "store.db-journal").stat().st_size > 64 * 512  # pages spilled before the kill
    db = apsw.Connection(str(tmp_path / "played" / "store.db"))
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    expected = reference(reported)
    assert contents(db) == expected
    db.close()

    # A new host takes over and opens the database through the VFS: SQLite rolls the hot
    # journal back, and that is recorded too.
    recorder = take_over(log_archive, played.fsm.build_hints(), tmp_path / "new-host")
    vfs = RecordingVFS("recorded-new-host", RecordedFS(recorder))
    db = apsw.Connection(str(tmp_path / "new-host" / "store.db"), vfs=vfs.name)
    assert contents(db) == expected
    db.close()
    hints = recorder.build_hints()
    recorder.close()
    vfs.unregister()
    assert sorted(play(log_archive, hints, tmp_path / "again").fsm.links) == ["/store.db"]
