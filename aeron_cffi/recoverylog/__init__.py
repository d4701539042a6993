"""A recovery log on an Aeron archive recording, after Gazette's ``recoverylog``.

A store (SQLite, LMDB, plain files) writes its files through a ``RecordedFS`` (or an
APSW VFS, ``aeron_cffi.recoverylog.sqlite_vfs``); every file operation becomes a
``RecordedOp`` in an archive recording. A ``Player`` plays the log back into an empty
directory anywhere, and ``inject_handoff`` fences the old author so that only one
writes. See ``docs/recoverylog.md``.

    recording_id = create_log(archive, stream_id=1)
    player = Player()
    player.inject_handoff(author := new_random_author())
    player.play(FSMHints(log=recording_id), directory, archive)
    recorder = Recorder(player.fsm, author, directory, player.appender)
    fs = RecordedFS(recorder)
"""

from aeron_cffi.recoverylog.appender import Fenced, LogAppender, RecoveryLogClosedError
from aeron_cffi.recoverylog.fencing import DEFAULT_CHANNEL, HandoffConflictError, claim, create_log, stop_author
from aeron_cffi.recoverylog.fsm import (
    FSM,
    ChecksumMismatchError,
    ExpectedHintedFnodeError,
    FnodeNotTrackedError,
    FSMError,
    LinkExistsError,
    NoSuchLinkError,
    NotHintedAuthorError,
    PropertyExistsError,
    WrongSeqNoError,
    new_random_author,
)
from aeron_cffi.recoverylog.hints import FnodeSegments, FSMHints, HintsError
from aeron_cffi.recoverylog.ops import FrameError, Property, RecordedOp, decode_message, encode_frame
from aeron_cffi.recoverylog.player import DataLossError, Player
from aeron_cffi.recoverylog.recorded_fs import RecordedFile, RecordedFS
from aeron_cffi.recoverylog.recorder import FileRecorder, Recorder, RecorderMisuseError
from aeron_cffi.recoverylog.segments import Segment, SegmentError, SegmentSet

__all__ = [
    "DEFAULT_CHANNEL",
    "FSM",
    "ChecksumMismatchError",
    "DataLossError",
    "ExpectedHintedFnodeError",
    "FSMError",
    "FSMHints",
    "Fenced",
    "FileRecorder",
    "FnodeNotTrackedError",
    "FnodeSegments",
    "FrameError",
    "HandoffConflictError",
    "HintsError",
    "LinkExistsError",
    "LogAppender",
    "NoSuchLinkError",
    "NotHintedAuthorError",
    "Player",
    "Property",
    "PropertyExistsError",
    "RecordedFS",
    "RecordedFile",
    "RecordedOp",
    "Recorder",
    "RecorderMisuseError",
    "RecoveryLogClosedError",
    "Segment",
    "SegmentError",
    "SegmentSet",
    "WrongSeqNoError",
    "claim",
    "create_log",
    "decode_message",
    "encode_frame",
    "new_random_author",
    "stop_author",
]
