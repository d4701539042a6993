"""An SQLite database that survives the loss of its host, through a recovery log.

Host A records its database into a log (an Aeron archive recording) through the
recording VFS. Host B, with nothing but the log and A's hints, plays the log back into
an empty directory, opens the same database and takes the log over; A, still running,
is fenced: its next transaction fails and reaches neither the log nor B.

Everything is real and local, in a temporary directory removed at the end: the C media
driver embedded in this process, a Java archive on it, the recovery log on the archive.

    python examples/recovered_sqlite.py [--transactions N]
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile

import apsw

from aeron_cffi import MediaDriver
from aeron_cffi.archive import AeronArchive
from aeron_cffi.recoverylog import (
    Fenced,
    FSMHints,
    Player,
    RecordedFS,
    Recorder,
    create_log,
    new_random_author,
)
from aeron_cffi.recoverylog.sqlite_vfs import RecordingVFS
from aeron_cffi.testing import JavaArchive

LOG_STREAM_ID = 2001


def take_over(archive: AeronArchive, hints: FSMHints, directory: pathlib.Path, vfs_name: str) -> RecordingVFS:
    """Play the log into ``directory`` and become its author, through a recording VFS."""
    author = new_random_author()
    player = Player()
    player.inject_handoff(author)
    player.play(hints, directory, archive)
    return RecordingVFS(vfs_name, RecordedFS(Recorder(player.fsm, author, str(directory), player.appender)))


def main(transactions: int) -> None:
    with tempfile.TemporaryDirectory(prefix="aeron-cffi-recoverylog-") as tmp:
        root = pathlib.Path(tmp)
        with MediaDriver(dir=str(root / "driver"), threading_mode="SHARED",
                         dir_delete_on_start=True, dir_delete_on_shutdown=True), \
                JavaArchive(root / "driver", archive_dir=root / "archive") as java_archive, \
                AeronArchive.connect(aeron_directory_name=str(root / "driver"),
                                     control_request_channel=java_archive.control_request_channel,
                                     control_response_channel=java_archive.control_response_channel) as archive:
            log = create_log(archive, LOG_STREAM_ID)
            print(f"recovery log: recording {log}")

            host_a = take_over(archive, FSMHints(log=log), root / "host-a", "host-a")
            db_a = apsw.Connection(str(root / "host-a" / "accounts.db"), vfs=host_a.name)
            with db_a:
                db_a.execute("CREATE TABLE accounts(id INTEGER PRIMARY KEY, owner TEXT, balance INTEGER)")
            for i in range(transactions):
                with db_a:
                    db_a.execute("INSERT INTO accounts(owner, balance) VALUES(?, ?)", (f"owner {i}", 100 * i))
            hints = host_a.fs.recorder.build_hints()
            print(f"host A committed {transactions} transactions; hints: {len(hints.dumps())} bytes of JSON")

            host_b = take_over(archive, FSMHints.loads(hints.dumps()), root / "host-b", "host-b")
            db_b = apsw.Connection(str(root / "host-b" / "accounts.db"), vfs=host_b.name)
            count, total = db_b.execute("SELECT count(*), sum(balance) FROM accounts").fetchone()
            print(f"host B played the log back: {count} accounts, balance {total}, "
                  f"integrity {db_b.execute('PRAGMA integrity_check').fetchone()[0]}")

            try:
                with db_a:
                    db_a.execute("INSERT INTO accounts(owner, balance) VALUES('zombie', 1)")
                print("host A wrote after the handoff: NOT fenced")
            except (Fenced, apsw.Error) as error:  # Fenced itself, or SQLite's I/O error caused by it
                print(f"host A is fenced: {type(error).__name__}")
            with db_b:
                db_b.execute("UPDATE accounts SET balance = balance + 1")
            count, total = db_b.execute("SELECT count(*), sum(balance) FROM accounts").fetchone()
            print(f"host B carries on: {count} accounts, balance {total}")
            for db, vfs in ((db_a, host_a), (db_b, host_b)):
                db.close()
                vfs.fs.recorder.close()
                vfs.unregister()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=100, help="host A's transactions (default 100)")
    main(parser.parse_args().transactions)
