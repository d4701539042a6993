"""An SQLite VFS (through APSW) that records the database's files in a recovery log.

``RecordingVFS(name, fs)`` registers a VFS that does all I/O through SQLite's default
VFS and records every change to a file under the ``RecordedFS``'s directory: opening
for writing, each ``xWrite``, ``xTruncate`` (a shrink, e.g. rolling a hot journal back,
is recorded as a rewrite of the bytes kept: the log's ops cannot shrink a file), and
``xDelete`` (the rollback journal's end). An unmodified SQL workload on
``apsw.Connection(path, vfs=name)`` is recorded; a played-back directory opens as the
same database with any SQLite.

Durability: ``xSync`` and ``xDelete`` wait until the log has everything recorded, so a
transaction SQLite reports committed (with the default rollback journal, the journal's
deletion) is in the log. The log keeps the order of the writes, so any prefix of it is
the files as they were at one instant: what SQLite recovers from after a crash. WAL mode
is not supported (its shared memory is not recorded); the rollback journal modes are.
"""

from __future__ import annotations

import os

import apsw

from aeron_cffi.recoverylog.recorded_fs import RecordedFile, RecordedFS

__all__ = ["RecordingVFS", "RecordingVFSFile"]


class RecordingVFSFile(apsw.VFSFile):
    """A file of the default VFS whose changes are recorded through ``file``."""

    def __init__(self, base: str, name: str | apsw.URIFilename | None, flags: list[int], file: RecordedFile,
                 fs: RecordedFS, local_sync: bool) -> None:
        super().__init__(base, name, flags)
        self._file = file
        self._fs = fs
        self._local_sync = local_sync

    def xWrite(self, data: bytes, offset: int) -> None:
        super().xWrite(data, offset)
        self._file.record_write_at(data, offset)

    def xTruncate(self, newsize: int) -> None:
        size = self.xFileSize()
        self._file.check_truncate(size, newsize)
        super().xTruncate(newsize)
        self._file.record_truncate(size, newsize)

    def xSync(self, flags: int) -> None:
        if self._local_sync:
            super().xSync(flags)
        self._fs.sync()

    def xClose(self) -> None:
        super().xClose()
        self._file.close()


class RecordingVFS(apsw.VFS):
    """A VFS named ``name`` recording the files under ``fs``'s directory (others, and
    SQLite's temporary files, pass through unrecorded). With ``local_sync`` False (the
    default) ``xSync`` waits for the log only and skips the local fsync: the log is the
    durable copy, and a host recovers its directory by playing the log back."""

    def __init__(self, name: str, fs: RecordedFS, base: str = "", local_sync: bool = False) -> None:
        self.name = name
        self.fs = fs
        self._base = base
        self._local_sync = local_sync
        super().__init__(name, base)

    def _recorded_path(self, name: str | apsw.URIFilename | None) -> str | None:
        if name is None:
            return None  # a temporary file
        path = name.filename() if isinstance(name, apsw.URIFilename) else name
        directory = self.fs.recorder.dir
        return path if os.path.commonpath([directory, os.path.abspath(path)]) == directory else None

    def xOpen(self, name: str | apsw.URIFilename | None, flags: list[int]) -> apsw.VFSFile:
        path = self._recorded_path(name)
        wanted = flags[0]
        if path is None or not wanted & apsw.SQLITE_OPEN_READWRITE or wanted & apsw.SQLITE_OPEN_DELETEONCLOSE:
            return apsw.VFSFile(self._base, name, flags)
        os_flags = os.O_RDWR
        if wanted & apsw.SQLITE_OPEN_CREATE:
            os_flags |= os.O_CREAT
        if wanted & apsw.SQLITE_OPEN_EXCLUSIVE:
            os_flags |= os.O_EXCL
        # Opened (and its creation recorded) through the RecordedFS; SQLite then does its
        # I/O on a file of the default VFS, and each change is recorded on this one's fnode.
        recorded = self.fs.open(path, os_flags)
        try:
            return RecordingVFSFile(self._base, name, flags, recorded, self.fs, self._local_sync)
        except BaseException:
            recorded.close()
            raise

    def xDelete(self, filename: str, syncdir: bool) -> None:
        path = self._recorded_path(filename)
        if path is None or self.fs.recorder.fsm.links.get(self.fs.recorder.normalize_path(path)) is None:
            super().xDelete(filename, syncdir)
            return
        self.fs.remove(path)
        self.fs.sync()  # the journal's deletion commits a transaction: wait until it is in the log
