"""``Player``: plays a recovery log back into a directory (Gazette's ``Player``).

Playback reads the log's recording with bounded archive replays, from the first hinted
segment (or the recording's start) up to the recording's end, jumping over long dead
stretches between hinted segments, and feeds every op to an FSM built from the hints. Files are staged as ``<dir>/.fnodes/<fnode>``; writes of
fnodes the hints say are dead later are skipped; ops the FSM refuses (a wrong sequence
number or checksum, a dead branch of another author) are ignored. At the end the staged
files are hard-linked to each of their paths and the property files written; on any
failure the directory is removed.

``finish_at_write_head()`` ends playback at the log's end; ``inject_handoff(author)``
takes the log over: it stops the current author, plays to the stop position, extends
the recording as ``author`` and records a no-op there (see ``fencing``).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from typing import Callable, cast

from aeron_cffi import _waiting as waiting
from aeron_cffi.archive import AeronArchive
from aeron_cffi.errors import AeronTimeoutError
from aeron_cffi.header import Header
from aeron_cffi.image import Image
from aeron_cffi.recoverylog import fencing
from aeron_cffi.recoverylog.appender import COMMIT_TIMEOUT_S, Fenced, LogAppender, message_start
from aeron_cffi.recoverylog.fsm import FSM, FnodeNotTrackedError, FSMError, NotHintedAuthorError, WrongSeqNoError
from aeron_cffi.recoverylog.hints import FSMHints
from aeron_cffi.recoverylog.ops import FRAME_HEADER_LENGTH, FrameError, RecordedOp, decode_message, encode_frame
from aeron_cffi.subscription import Subscription

__all__ = ["FNODE_STAGING_DIR", "DataLossError", "Player"]

FNODE_STAGING_DIR = ".fnodes"
_log = logging.getLogger(__name__)
# A replay runs at most a term's half ahead of its reader: an idle reader pauses briefly.
_PAUSE_S = 0.0001
_FRAGMENT_LIMIT = 256
# A gap before the next hinted segment worth a new replay (a replay costs an archive
# round trip; reading a few hundred KiB costs about as much).
_SKIP_AHEAD = 256 * 1024
_FINISH_AT_HEAD = 0  # the handoff "author" that means: finish at the write head


class DataLossError(Exception):
    """The log no longer holds ops the hints need (a hinted segment is beyond the log's
    end, or below its start after segments were purged): possible data loss."""


class Player:
    """Plays back a log once: call ``finish_at_write_head()`` or ``inject_handoff(author)``
    (before ``play`` or from another thread while it tails the log), then ``play``.
    After a successful ``play``: ``fsm``, ``dir`` and, after a handoff, ``appender``
    (the new author's end of the log, for a ``Recorder``)."""

    def __init__(self) -> None:
        self.fsm: FSM | None = None
        self.dir: str | None = None
        self.appender: LogAppender | None = None
        self.tailing = threading.Event()
        self.done = threading.Event()
        self._handoff: int | None = None
        self._signalled = threading.Event()

    def finish_at_write_head(self) -> None:
        """Finish playback at the log's current end."""
        self._signal(_FINISH_AT_HEAD)

    def inject_handoff(self, author: int) -> None:
        """Finish playback by taking the log over as ``author`` (non-zero)."""
        if not isinstance(author, int) or not 0 < author <= 0xFFFFFFFF:
            raise ValueError(f"handoff author must be in [1, 2**32 - 1], not {author!r}")
        self._signal(author)

    def _signal(self, author: int) -> None:
        if self._signalled.is_set():
            raise RuntimeError("finish_at_write_head or inject_handoff was already called on this Player")
        self._handoff = author
        self._signalled.set()

    def play(self, hints: FSMHints, dir: str | os.PathLike[str], archive: AeronArchive, *,
             replay_channel: str = "aeron:ipc", replay_stream_id: int | None = None,
             progress: Callable[[int, int], object] | None = None, timeout: float = COMMIT_TIMEOUT_S) -> None:
        """Play ``hints``' log into ``dir`` (emptied first) through ``archive``.
        ``progress(position, end)`` is called as the log is read."""
        dir = os.path.abspath(os.fspath(dir))
        playback = _Playback(hints, dir, archive, replay_channel, replay_stream_id, progress, timeout)
        try:
            self.appender = playback.run(self._signalled, self.tailing, lambda: self._handoff)
            self.fsm, self.dir = playback.fsm, dir
        finally:
            self.done.set()


def _replay_image(subscription: Subscription, timeout: float) -> Image:
    """The one image of a replay subscription (``replay`` returns it connected)."""
    return waiting.until(lambda: subscription.image_at_index(0), "the replay's image", timeout)


class _Playback:
    def __init__(self, hints: FSMHints, dir: str, archive: AeronArchive, replay_channel: str,
                 replay_stream_id: int | None, progress: Callable[[int, int], object] | None, timeout: float) -> None:
        self.fsm = FSM(hints)
        self.log = self.fsm.log
        self.dir = dir
        self.archive = archive
        self.replay_channel = replay_channel
        self.replay_stream_id = replay_stream_id
        self.progress = progress
        self.timeout = timeout
        self.files: dict[int, int] = {}  # live fnode -> fd of its staged file
        self.offset = 0

    def run(self, signalled: threading.Event, tailing: threading.Event,
            handoff: Callable[[], int | None]) -> LogAppender | None:
        try:
            self._prepare()
            head = self._check_hints()
            self.offset = self._first_offset()
            while True:
                self._read_to(head)
                if signalled.is_set():
                    break
                tailing.set()
                signalled.wait(0.05)
                head = self.archive.get_max_recorded_position(self.log)
            author = handoff()
            self._read_to(self.archive.get_max_recorded_position(self.log))
            appender = None
            if author != _FINISH_AT_HEAD:
                stop = fencing.stop_author(self.archive, self.log, self.timeout)
                self._read_to(stop)
                self._require_hints_played()
                appender = fencing.claim(self.archive, self.log, stop, self.timeout)
                try:
                    self._record_handoff(appender, cast(int, author))  # set before ``signalled``
                except Fenced as error:
                    appender.close()
                    raise fencing.HandoffConflictError(f"another handoff took recording {self.log} over before "
                                                       f"this one's no-op was recorded") from error
                except BaseException:
                    appender.close()
                    raise
            self._require_hints_played()
            self._make_live()
            return appender
        except BaseException:
            self._abort()
            raise

    # -- set-up and checks ---------------------------------------------------------------

    def _prepare(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(os.path.join(self.dir, FNODE_STAGING_DIR))

    def _check_hints(self) -> int:
        """The log's current end, once every hinted segment is known to be inside the log."""
        descriptor = self.archive.list_recording(self.log)
        if descriptor is None:
            raise DataLossError(f"recording {self.log} of the hinted log does not exist; possible data loss")
        start = descriptor.start_position
        head = self.archive.get_max_recorded_position(self.log)
        if not self.fsm.hinted_segments and start > 0:
            raise DataLossError(f"the hints name no segment, so the log must be read from its first op, but its "
                                f"start was purged to {start}; possible data loss")
        for segment in self.fsm.hinted_segments:
            if segment.first_offset < start:
                raise DataLossError(f"hinted segment {segment} starts below the log's start {start} "
                                    f"(purged); possible data loss")
            if segment.first_offset >= head or segment.last_offset > head:
                raise DataLossError(f"hinted segment {segment} ends beyond the log's end {head}; possible data loss")
        return head

    def _first_offset(self) -> int:
        segments = self.fsm.hinted_segments
        if segments:
            return segments[0].first_offset  # skip what comes before the first live op
        return self.archive.get_start_position(self.log)

    def _require_hints_played(self) -> None:
        if self.fsm.has_remaining_hints():
            raise DataLossError(f"read the log to {self.offset}, but hinted segments remain unplayed "
                                f"({self.fsm.hinted_segments[:1]}); possible data loss")

    # -- reading -------------------------------------------------------------------------

    def _read_to(self, end: int) -> None:
        """Read and play the ops in ``[offset, end)``, with bounded replays: one, or a
        new one from the next hinted segment when it starts far ahead (the ops in
        between are of fnodes the hints say are dead)."""
        stream_id = self.replay_stream_id
        if stream_id is None:
            descriptor = self.archive.list_recording(self.log)
            assert descriptor is not None, f"recovery log recording {self.log} does not exist"
            stream_id = descriptor.stream_id
        while self.offset < end:
            self._replay(stream_id, end)

    def _skip_to(self) -> int | None:
        """The next hinted segment's first offset, if it is worth a new replay to jump there."""
        segments = self.fsm.hinted_segments
        if segments and segments[0].first_offset >= self.offset + _SKIP_AHEAD:
            return segments[0].first_offset
        return None

    def _replay(self, stream_id: int, end: int) -> None:
        with self.archive.replay(self.log, self.replay_channel, stream_id, position=self.offset,
                                 length=end - self.offset) as subscription:
            with _replay_image(subscription, self.timeout) as image:
                deadline = time.monotonic() + self.timeout
                while self.offset < end:
                    fragments = image.poll(self._on_message, _FRAGMENT_LIMIT)
                    # The image's position also counts the padding at a term's end, never delivered.
                    self.offset = max(self.offset, image.position)
                    if fragments:
                        deadline = time.monotonic() + self.timeout
                        if self.progress is not None:
                            self.progress(self.offset, end)
                        if (skip := self._skip_to()) is not None:
                            self.offset = skip
                            return
                    elif time.monotonic() > deadline:
                        raise AeronTimeoutError(f"replay of recording {self.log} stalled at {self.offset} before {end}")
                    else:
                        time.sleep(_PAUSE_S)

    def _on_message(self, data: bytes, header: Header) -> None:
        end = header.position
        first = message_start(end, len(data))
        self.offset = end
        try:
            op, encoded, payload = decode_message(data)
        except FrameError as error:
            _log.warning("recovery log %s at %d: %s; skipped", self.log, first, error)
            return
        if op.HasField("write") and op.write.length != len(payload):
            _log.warning("recovery log %s at %d: write of %d bytes carries %d; skipped",
                         self.log, first, op.write.length, len(payload))
            return
        op.first_offset, op.last_offset = first, end
        if self._apply(op, encoded):
            self._reenact(op, payload)

    def _apply(self, op: RecordedOp, encoded: memoryview) -> bool:
        """Apply ``op`` to the FSM; whether its file action should be played."""
        try:
            self.fsm.apply(op, encoded)
            return True
        except FnodeNotTrackedError:
            return False  # dead by the hints' point in time: the FSM moved on, the file is skipped
        except NotHintedAuthorError:
            return False  # a branch of the log the hints do not follow
        except WrongSeqNoError:
            if op.seq_no >= self.fsm.next_seq_no:
                _log.info("recovery log %s: op %d out of sequence (expected %d); ignored",
                          self.log, op.seq_no, self.fsm.next_seq_no)
            return False
        except FSMError as error:
            _log.info("recovery log %s: op %d not applied: %s", self.log, op.seq_no, error)
            return False

    def _reenact(self, op: RecordedOp, payload: memoryview) -> None:
        if op.HasField("create"):
            self.files[op.seq_no] = os.open(self._staged(op.seq_no), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        elif op.HasField("unlink") and op.unlink.fnode not in self.fsm.live_nodes:
            os.close(self.files.pop(op.unlink.fnode))
            os.remove(self._staged(op.unlink.fnode))
        elif op.HasField("write"):
            fd = self.files[op.write.fnode]
            written = 0
            while written < len(payload):
                written += os.pwrite(fd, payload[written:], op.write.offset + written)

    def _staged(self, fnode: int) -> str:
        return os.path.join(self.dir, FNODE_STAGING_DIR, str(fnode))

    # -- the end -------------------------------------------------------------------------

    def _record_handoff(self, appender: LogAppender, author: int) -> None:
        """Record the no-op that sequences ``author`` after the ops played, and apply it."""
        op = RecordedOp(seq_no=self.fsm.next_seq_no, checksum=self.fsm.next_checksum, author=author)
        frame = encode_frame(op)
        end = appender.append(frame)
        appender.sync(end)
        op.first_offset, op.last_offset = message_start(end, len(frame)), end  # meta-fields, not in the frame
        self.fsm.apply(op, frame[FRAME_HEADER_LENGTH:])
        self.offset = end

    def _make_live(self) -> None:
        for fnode, node in self.fsm.live_nodes.items():
            staged = self._staged(fnode)
            for link in node.links:
                target = self._local(link)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.link(staged, target)
            os.close(self.files.pop(fnode))
            os.remove(staged)
        if self.files:
            raise AssertionError(f"staged fnodes {sorted(self.files)} are not live in the FSM")
        os.rmdir(os.path.join(self.dir, FNODE_STAGING_DIR))
        for path, content in self.fsm.properties.items():
            target = self._local(path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "x", encoding="utf-8") as file:
                file.write(content)

    def _local(self, path: str) -> str:
        """Where a path of the log goes under the directory; a log that names a path
        outside it (written by something other than a Recorder) is refused."""
        target = os.path.normpath(os.path.join(self.dir, path.lstrip("/")))
        if not target.startswith(self.dir + os.sep):
            raise ValueError(f"the log names path {path!r}, outside the directory {self.dir}")
        return target

    def _abort(self) -> None:
        for fd in self.files.values():
            os.close(fd)
        self.files.clear()
        shutil.rmtree(self.dir, ignore_errors=True)
