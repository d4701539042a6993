"""A writer process for the kill test: takes a recovery log over, runs the workload's
transactions on an SQLite database through the recording VFS, prints ``committed N``
after each COMMIT returns, then stops mid-way through one more transaction (with pages
spilled to the database file) and waits to be killed.

usage: sqlite_writer.py AERON_DIR CONTROL_CHANNEL RECORDING_ID DIR TRANSACTIONS
"""

import sys

import apsw
from recoverylog_workload import SCHEMA, transaction

from aeron_cffi.archive import AeronArchive
from aeron_cffi.recoverylog import FSMHints, Player, RecordedFS, Recorder, new_random_author
from aeron_cffi.recoverylog.sqlite_vfs import RecordingVFS


def main(aeron_dir: str, control_channel: str, recording_id: str, directory: str, transactions: str) -> None:
    archive = AeronArchive.connect(aeron_directory_name=aeron_dir, control_request_channel=control_channel,
                                   control_response_channel="aeron:udp?endpoint=localhost:0")
    author = new_random_author()
    player = Player()
    player.inject_handoff(author)
    player.play(FSMHints(log=int(recording_id)), directory, archive)
    vfs = RecordingVFS("recorded", RecordedFS(Recorder(player.fsm, author, directory, player.appender)))
    db = apsw.Connection(f"{directory}/store.db", vfs=vfs.name)
    # Small pages keep the log small; a small cache makes big transactions spill pages before COMMIT.
    db.execute("PRAGMA page_size = 512; PRAGMA cache_size = -32")
    with db:
        db.execute(SCHEMA)
    for i in range(1, int(transactions) + 1):
        with db:
            transaction(db, i)
        print(f"committed {i}", flush=True)
    db.execute("BEGIN")
    for i in range(int(transactions) + 1, int(transactions) + 200):
        transaction(db, i)
    db.execute("INSERT INTO items(k, v) SELECT k, v FROM items")  # doubles the table: spills to the file
    print("mid-transaction", flush=True)
    sys.stdin.readline()  # killed here


if __name__ == "__main__":
    main(*sys.argv[1:])
