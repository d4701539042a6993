"""``Recorder``: records the file operations of a directory into a recovery log.

Gazette's ``Recorder``: each operation that already happened locally becomes one or
more ``RecordedOp`` (a rename is: unlink of the target if it exists, link or property
of the target, unlink of the source), applied to the recorder's FSM and appended to the
log as one Aeron message each, with a write's data in the same message. Writes longer
than one message can carry are split into several write ops.

What Gazette treats as fatal (a path outside the directory, removing or renaming a
path the log does not know, opening a property path, writing to an fnode that is not
live) raises ``RecorderMisuseError`` before anything is recorded. ``Fenced`` means
another author took the log over; nothing further is recorded.
"""

from __future__ import annotations

import os
import pathlib
import threading
from typing import Callable, Iterable

from aeron_cffi.recoverylog.appender import LogAppender, RecoveryLogClosedError, message_start
from aeron_cffi.recoverylog.fsm import FSM
from aeron_cffi.recoverylog.hints import FSMHints
from aeron_cffi.recoverylog.ops import FRAME_HEADER_LENGTH, FRAME_WORD, RecordedOp

__all__ = ["DEFAULT_PROPERTY_PATHS", "FileRecorder", "Recorder", "RecorderMisuseError"]

#: RocksDB's identity file, Gazette's one property path.
DEFAULT_PROPERTY_PATHS = frozenset({"/IDENTITY"})
# The largest write op frame: header, then tags and varints of seq_no, checksum,
# author and the write's fnode, offset and length at their widest.
_WRITE_FRAME_BOUND = FRAME_HEADER_LENGTH + 11 + 5 + 5 + 2 + 3 * 11
_ZEROS = bytes(1 << 16)
_REWRITE_CHUNK = 1 << 20


class RecorderMisuseError(ValueError):
    """An operation the recorder cannot record as asked (Gazette panics on these);
    nothing was recorded."""


class Recorder:
    """Records the operations on files under ``dir`` (an absolute, normalised path)
    into the log that ``appender`` extends, starting from ``fsm`` (a player's, after a
    handoff to ``author``). ``property_paths`` are small files recorded whole when they
    are renamed into place (paths relative to ``dir``, starting with ``/``)."""

    def __init__(self, fsm: FSM, author: int, dir: str | os.PathLike[str], appender: LogAppender,
                 property_paths: Iterable[str] = DEFAULT_PROPERTY_PATHS) -> None:
        dir = os.fspath(dir)
        if not os.path.isabs(dir) or os.path.normpath(dir) != dir:
            raise RecorderMisuseError(f"recorder directory must be an absolute, normalised path: {dir!r}")
        self.fsm = fsm
        self.author = author
        self.dir = dir
        self.appender = appender
        self.property_paths = frozenset(property_paths)
        self.lock = threading.RLock()
        self._max_write = appender.max_payload_length - _WRITE_FRAME_BOUND
        self._closed = False

    # -- paths -------------------------------------------------------------------------

    def normalize_path(self, path: str | os.PathLike[str]) -> str:
        """``path`` (absolute, or relative to the directory) as the log names it: relative
        to the directory, starting with ``/``. ``RecorderMisuseError`` if outside it."""
        full = os.path.normpath(os.path.join(self.dir, os.fspath(path)))
        relative = os.path.relpath(full, self.dir)
        if relative == os.curdir or relative == os.pardir or relative.startswith(os.pardir + os.sep):
            raise RecorderMisuseError(f"path {os.fspath(path)!r} is not a file under {self.dir}")
        return "/" + relative.replace(os.sep, "/")

    def _fnode(self, path: str, what: str) -> int:
        fnode = self.fsm.links.get(path)
        if fnode is None:
            raise RecorderMisuseError(f"{what} of {path!r}, a path the log does not know")
        return fnode

    def _not_property(self, path: str, what: str) -> None:
        if path in self.property_paths:
            raise RecorderMisuseError(f"{what} of property path {path!r}: properties are only renamed into place")

    # -- planning: the ops of an operation, or a RecorderMisuseError -------------------

    def plan_open_file(self, path: str | os.PathLike[str], flags: int) -> tuple[str, list[RecordedOp]]:
        """The normalised path and the ops that record opening ``path`` with ``os.open``
        ``flags`` for writing (truncation: an unlink then a create)."""
        path = self.normalize_path(path)
        self._not_property(path, "open")
        if flags & os.O_ACCMODE == os.O_RDONLY:
            raise RecorderMisuseError(f"read-only open of {path!r}: nothing to record")
        fnode = self.fsm.links.get(path)
        if fnode is None and not flags & os.O_CREAT:
            raise RecorderMisuseError(f"open of {path!r}, unknown to the log, without O_CREAT")
        if fnode is not None and flags & os.O_EXCL:
            raise RecorderMisuseError(f"open of {path!r}, known to the log, with O_EXCL")
        ops = []
        if fnode is not None and flags & os.O_TRUNC:
            ops.append(_op(unlink=(fnode, path)))
            fnode = None
        if fnode is None:
            ops.append(_op(create=path))
        return path, ops

    def plan_remove(self, path: str | os.PathLike[str]) -> list[RecordedOp]:
        path = self.normalize_path(path)
        self._not_property(path, "remove")
        return [_op(unlink=(self._fnode(path, "remove"), path))]

    def plan_link(self, src: str | os.PathLike[str], target: str | os.PathLike[str]) -> list[RecordedOp]:
        src, target = self.normalize_path(src), self.normalize_path(target)
        self._not_property(target, "link")
        if target in self.fsm.links:
            raise RecorderMisuseError(f"link to {target!r}, which exists")
        return [_op(link=(self._fnode(src, "link"), target))]

    def plan_rename(self, src: str | os.PathLike[str], target: str | os.PathLike[str],
                    read_content: Callable[[], bytes]) -> list[RecordedOp]:
        """The ops of renaming ``src`` over ``target``; ``read_content()`` gives the file's
        bytes when ``target`` is a property path."""
        src, target = self.normalize_path(src), self.normalize_path(target)
        self._not_property(src, "rename")
        fnode = self._fnode(src, "rename")
        if src == target:
            return []
        ops = []
        previous = self.fsm.links.get(target)
        if previous is not None:
            ops.append(_op(unlink=(previous, target)))
        if target in self.property_paths:
            try:
                content = read_content().decode()
            except UnicodeDecodeError as error:
                raise RecorderMisuseError(f"property {target!r} must be UTF-8 text: {error}") from error
            if self.fsm.properties.get(target, content) != content:
                raise RecorderMisuseError(f"property {target!r} exists with other content: a property is written once")
            ops.append(_op(property=(target, content)))
        else:
            ops.append(_op(link=(fnode, target)))
        ops.append(_op(unlink=(fnode, src)))
        return ops

    # -- recording -----------------------------------------------------------------------

    def record(self, ops: list[RecordedOp]) -> None:
        """Record planned ops, in order."""
        with self.lock:
            for op in ops:
                self._process(op, b"")

    def _process(self, op: RecordedOp, data: bytes | memoryview) -> None:
        if self._closed:
            raise RecoveryLogClosedError("the recorder is closed")
        op.author = self.author
        op.seq_no = self.fsm.next_seq_no
        op.checksum = self.fsm.next_checksum
        encoded = op.SerializeToString(deterministic=True)
        message = b"".join((FRAME_WORD, len(encoded).to_bytes(4, "little"), encoded, data))
        end = self.appender.append(message)
        op.first_offset = message_start(end, len(message))
        op.last_offset = end
        self.fsm.apply(op, encoded)  # planned against this FSM: it cannot refuse

    def record_create(self, path: str | os.PathLike[str]) -> int:
        """Record the creation (or truncation) of ``path``; returns its fnode."""
        return self.record_open_file(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC)

    def record_open_file(self, path: str | os.PathLike[str], flags: int) -> int:
        """Record opening ``path`` for writing with ``os.open`` ``flags``; returns its fnode."""
        with self.lock:
            path, ops = self.plan_open_file(path, flags)
            self.record(ops)
            return self.fsm.links[path]

    def record_write_at(self, fnode: int, data: bytes | memoryview, offset: int) -> None:
        """Record ``data`` written at ``offset`` of ``fnode``, in as many ops as it needs."""
        if offset < 0:
            raise RecorderMisuseError(f"write at negative offset {offset}")
        view = memoryview(data).cast("B")
        with self.lock:
            if fnode not in self.fsm.live_nodes:
                raise RecorderMisuseError(f"write to fnode {fnode}, which is not live")
            for start in range(0, len(view), self._max_write) if len(view) else ():
                chunk = view[start:start + self._max_write]
                self._process(_op(write=(fnode, offset + start, len(chunk))), chunk)

    def check_truncate(self, fnode: int, old_size: int, new_size: int) -> None:
        """``RecorderMisuseError`` if ``record_truncate`` could not record this truncation."""
        node = self.fsm.live_nodes.get(fnode)
        if node is None:
            raise RecorderMisuseError(f"truncate of fnode {fnode}, which is not live")
        if new_size < old_size and len(node.links) != 1:
            raise RecorderMisuseError(f"cannot record shrinking fnode {fnode}, linked at {sorted(node.links)}: "
                                      f"its new fnode could not keep every link")

    def record_truncate(self, fnode: int, old_size: int, new_size: int,
                        read_at: Callable[[int, int], bytes]) -> int:
        """Record that ``fnode`` (one link) was truncated from ``old_size`` to ``new_size``;
        returns the fnode that now holds the file. The ops cannot shrink a file, so a
        shrink is recorded as a truncating reopen of its path and a rewrite of the bytes
        kept (``read_at(offset, length)`` reads them from the local file); growing is a
        write of zeros."""
        with self.lock:
            self.check_truncate(fnode, old_size, new_size)
            if new_size >= old_size:
                for start in range(old_size, new_size, len(_ZEROS)):
                    self.record_write_at(fnode, _ZEROS[:min(len(_ZEROS), new_size - start)], start)
                return fnode
            (path,) = self.fsm.live_nodes[fnode].links
            self.record([_op(unlink=(fnode, path)), _op(create=path)])
            renewed = self.fsm.links[path]
            for start in range(0, new_size, _REWRITE_CHUNK):
                self.record_write_at(renewed, read_at(start, min(_REWRITE_CHUNK, new_size - start)), start)
            return renewed

    def record_remove(self, path: str | os.PathLike[str]) -> None:
        """Record the removal of ``path``."""
        with self.lock:
            self.record(self.plan_remove(path))

    def record_link(self, src: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        """Record a hard link of ``src`` at ``target``."""
        with self.lock:
            self.record(self.plan_link(src, target))

    def record_rename(self, src: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        """Record the rename of ``src`` to ``target`` (done already: a property's content
        is read from ``target``)."""
        with self.lock:
            full_target = pathlib.Path(self.dir, self.normalize_path(target).lstrip("/"))
            self.record(self.plan_rename(src, target, full_target.read_bytes))

    def barrier(self) -> None:
        """Wait until everything recorded so far is in the log (committed). ``Fenced`` if
        this author lost the log first."""
        with self.lock:
            if self._closed:
                raise RecoveryLogClosedError("the recorder is closed")
            self.appender.sync()

    sync = barrier

    def build_hints(self) -> FSMHints:
        """Hints to rebuild the files as recorded so far, returned once all of it is committed."""
        with self.lock:
            self.barrier()
            return self.fsm.build_hints()

    def close(self) -> None:
        """Stop recording: the log's recording stops with this author's publication."""
        with self.lock:
            if not self._closed:
                self._closed = True
                self.appender.close()

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class FileRecorder:
    """An fnode with its recorder and the offset its next ``record_write`` goes to."""

    def __init__(self, recorder: Recorder, fnode: int, offset: int = 0) -> None:
        self.recorder = recorder
        self.fnode = fnode
        self.offset = offset

    def record_write(self, data: bytes | memoryview) -> None:
        """Record ``data`` at the current offset, then move the offset past it."""
        self.recorder.record_write_at(self.fnode, data, self.offset)
        self.offset += len(memoryview(data).cast("B"))

    def record_write_at(self, data: bytes | memoryview, offset: int) -> None:
        """Record ``data`` at ``offset``; the current offset is unchanged."""
        self.recorder.record_write_at(self.fnode, data, offset)


def _op(*, create: str | None = None, link: tuple[int, str] | None = None, unlink: tuple[int, str] | None = None,
        write: tuple[int, int, int] | None = None, property: tuple[str, str] | None = None) -> RecordedOp:
    """A ``RecordedOp`` with one operation, not yet sequenced."""
    op = RecordedOp()
    if create is not None:
        op.create.path = create
    elif link is not None:
        op.link.fnode, op.link.path = link
    elif unlink is not None:
        op.unlink.fnode, op.unlink.path = unlink
    elif write is not None:
        op.write.fnode, op.write.offset, op.write.length = write
    elif property is not None:
        op.property.path, op.property.content = property
    return op
