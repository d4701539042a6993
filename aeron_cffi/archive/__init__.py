"""The Aeron archive client (``aeron_archive.h``), made Pythonic.

``AeronArchive.connect(control_request_channel=..., ...)`` gives a connected client
whose methods are the ``aeron_archive_*`` functions; see ``docs/archive-api.md``
for the full map from C names to Python names.
"""

from aeron_cffi.archive.archive import (
    NULL_POSITION,
    NULL_VALUE,
    REPLAY_ALL_AND_FOLLOW,
    REPLAY_ALL_AND_STOP,
    AeronArchive,
    AsyncConnect,
    add_session_id_to_channel,
    replay_session_id_to_session_id,
)
from aeron_cffi.archive.context import ArchiveContext, CredentialsSupplier
from aeron_cffi.archive.descriptors import (
    RecordingDescriptor,
    RecordingSignal,
    RecordingSignalCode,
    RecordingSubscriptionDescriptor,
    SourceLocation,
)
from aeron_cffi.archive.errors import ArchiveError, ArchiveErrorCode
from aeron_cffi.archive import recording_pos
from aeron_cffi.archive.persistent_subscription import FROM_LIVE, FROM_START, PersistentSubscription
from aeron_cffi.archive.recording_events import (
    RecordingEventsAdapter,
    RecordingProgress,
    RecordingStarted,
    RecordingStopped,
)
from aeron_cffi.archive.replay_merge import ReplayMerge

__all__ = [
    "FROM_LIVE",
    "FROM_START",
    "PersistentSubscription",
    "RecordingEventsAdapter",
    "RecordingProgress",
    "RecordingStarted",
    "RecordingStopped",
    "ReplayMerge",
    "recording_pos",
    "AeronArchive",
    "ArchiveContext",
    "ArchiveError",
    "ArchiveErrorCode",
    "AsyncConnect",
    "CredentialsSupplier",
    "NULL_POSITION",
    "NULL_VALUE",
    "REPLAY_ALL_AND_FOLLOW",
    "REPLAY_ALL_AND_STOP",
    "RecordingDescriptor",
    "RecordingSignal",
    "RecordingSignalCode",
    "RecordingSubscriptionDescriptor",
    "SourceLocation",
    "add_session_id_to_channel",
    "replay_session_id_to_session_id",
]
