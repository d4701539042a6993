"""``RecordedFS``: the file system an application writes its files through, so that
every change is recorded (Gazette's ``RecordedAferoFS``).

Each method checks with the recorder first (so misuse raises before anything happens),
does the operation on the local file system, then records it. Reads are not recorded.
"""

from __future__ import annotations

import io
import os
import pathlib

from aeron_cffi.recoverylog.recorder import FileRecorder, Recorder, RecorderMisuseError

__all__ = ["RecordedFS", "RecordedFile"]


class RecordedFile:
    """A file opened through ``RecordedFS``: ``write``/``pwrite`` are recorded, ``sync``
    waits until they are in the log. Read-only files record nothing."""

    def __init__(self, fd: int, path: str, recorder: FileRecorder | None) -> None:
        self._fd = fd
        self.path = path
        self._recorder = recorder

    @property
    def fnode(self) -> int | None:
        return None if self._recorder is None else self._recorder.fnode

    def _open_fd(self) -> int:
        if self._fd < 0:
            raise ValueError(f"I/O operation on closed file {self.path!r}")
        return self._fd

    def _writer(self) -> FileRecorder:
        self._open_fd()
        if self._recorder is None:
            raise io.UnsupportedOperation(f"{self.path!r} is open read-only")
        return self._recorder

    def pwrite(self, data: bytes | memoryview, offset: int) -> int:
        """Write ``data`` at ``offset`` and record it; returns the bytes written."""
        writer = self._writer()
        view = memoryview(data).cast("B")
        written = 0
        while written < len(view):
            written += os.pwrite(self._fd, view[written:], offset + written)
        writer.record_write_at(view, offset)
        return written

    def record_write_at(self, data: bytes | memoryview, offset: int) -> None:
        """Record a write of ``data`` at ``offset`` made through another handle of the file."""
        self._writer().record_write_at(data, offset)

    def write(self, data: bytes | memoryview) -> int:
        """Write at the file's offset (as ``os.write``) and record it."""
        offset = os.lseek(self._open_fd(), 0, os.SEEK_CUR)
        written = self.pwrite(data, offset)
        os.lseek(self._fd, offset + written, os.SEEK_SET)
        return written

    def pread(self, length: int, offset: int) -> bytes:
        return os.pread(self._open_fd(), length, offset)

    def read(self, length: int = -1) -> bytes:
        fd = self._open_fd()
        if length < 0:
            length = max(os.fstat(fd).st_size - os.lseek(fd, 0, os.SEEK_CUR), 0)
        return os.read(fd, length)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return os.lseek(self._open_fd(), offset, whence)

    def tell(self) -> int:
        return self.seek(0, os.SEEK_CUR)

    def size(self) -> int:
        return os.fstat(self._open_fd()).st_size

    def truncate(self, size: int) -> None:
        """Truncate (or extend) the file to ``size`` bytes, and record it."""
        current = self.size()
        self.check_truncate(current, size)
        os.ftruncate(self._fd, size)
        self.record_truncate(current, size)

    def check_truncate(self, old_size: int, new_size: int) -> None:
        """``RecorderMisuseError`` if this truncation could not be recorded."""
        writer = self._writer()
        writer.recorder.check_truncate(writer.fnode, old_size, new_size)

    def record_truncate(self, old_size: int, new_size: int) -> None:
        """Record a truncation from ``old_size`` to ``new_size`` made through another
        handle. A shrink gives the file a new fnode (see ``Recorder.record_truncate``):
        other handles open on the old one can no longer record writes."""
        writer = self._writer()
        writer.fnode = writer.recorder.record_truncate(
            writer.fnode, old_size, new_size, lambda offset, length: os.pread(self._fd, length, offset))

    def sync(self) -> None:
        """fsync the local file and wait until everything recorded is in the log."""
        os.fsync(self._open_fd())
        if self._recorder is not None:
            self._recorder.recorder.barrier()

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def __enter__(self) -> "RecordedFile":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class RecordedFS:
    """Files under ``recorder.dir``, with every change recorded by ``recorder``. Paths
    are absolute or relative to that directory."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def path(self, path: str | os.PathLike[str]) -> str:
        """The local path of ``path`` (``RecorderMisuseError`` if outside the directory)."""
        return os.path.join(self.recorder.dir, self.recorder.normalize_path(path).lstrip("/"))

    def open(self, path: str | os.PathLike[str], flags: int = os.O_RDWR | os.O_CREAT,
             mode: int = 0o644) -> RecordedFile:
        """``os.open`` ``path``; opening for writing is recorded (O_TRUNC included)."""
        local = self.path(path)
        if flags & os.O_ACCMODE == os.O_RDONLY:
            return RecordedFile(os.open(local, flags), local, None)
        recorder = self.recorder
        with recorder.lock:
            normalized, ops = recorder.plan_open_file(path, flags)
            if normalized not in recorder.fsm.links and not flags & os.O_TRUNC and os.path.exists(local):
                # Its content is in no op: the log would play it back empty.
                raise RecorderMisuseError(f"{normalized!r} exists, but the log does not know it: open it with "
                                          f"O_TRUNC or create it through this file system")
            os.makedirs(os.path.dirname(local), exist_ok=True)
            fd = os.open(local, flags, mode)
            try:
                recorder.record(ops)
            except BaseException:
                os.close(fd)
                raise
            return RecordedFile(fd, local, FileRecorder(recorder, recorder.fsm.links[normalized]))

    def create(self, path: str | os.PathLike[str]) -> RecordedFile:
        """Create or truncate ``path`` for reading and writing."""
        return self.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC)

    def remove(self, path: str | os.PathLike[str]) -> None:
        with self.recorder.lock:
            ops = self.recorder.plan_remove(path)
            os.remove(self.path(path))
            self.recorder.record(ops)

    def link(self, src: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        """A hard link of ``src`` at ``target``."""
        with self.recorder.lock:
            ops = self.recorder.plan_link(src, target)
            local = self.path(target)
            os.makedirs(os.path.dirname(local), exist_ok=True)
            os.link(self.path(src), local)
            self.recorder.record(ops)

    def rename(self, src: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        """Rename ``src`` to ``target``, replacing it if it exists."""
        with self.recorder.lock:
            local_src = self.path(src)
            ops = self.recorder.plan_rename(src, target, pathlib.Path(local_src).read_bytes)
            local = self.path(target)
            os.makedirs(os.path.dirname(local), exist_ok=True)
            os.replace(local_src, local)
            self.recorder.record(ops)

    def exists(self, path: str | os.PathLike[str]) -> bool:
        return os.path.exists(self.path(path))

    def sync(self) -> None:
        """Wait until everything recorded is in the log."""
        self.recorder.barrier()
