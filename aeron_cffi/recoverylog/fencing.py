"""Who may extend a recovery log: creating its recording, stopping an author, claiming it.

Aeron records one publication session per recording at a time, so the log needs no
register checks as Gazette's journals do: the author is whoever's session the archive
is recording. A handoff stops that recording (``stop_author``), which fences the old
author, then ``claim`` extends the recording from its stop position with a new
exclusive publication (same initial term id, term length and MTU, starting at the stop
position). Two claims at once both ask to extend the stopped recording; the archive
accepts the first image that joins and refuses the other ("cannot extend active
recording"), so exactly one claim wins and the other raises ``HandoffConflictError``.
"""

from __future__ import annotations

from aeron_cffi import _recordings
from aeron_cffi import _waiting as waiting
from aeron_cffi.archive import NULL_POSITION, AeronArchive, ArchiveError, recording_pos
from aeron_cffi.channel_uri import ChannelUri
from aeron_cffi.recoverylog.appender import COMMIT_TIMEOUT_S, LogAppender

__all__ = ["DEFAULT_CHANNEL", "HandoffConflictError", "claim", "create_log", "stop_author"]

#: A log on IPC: a term of 1 MiB, and an MTU that carries a 4 KiB page write (SQLite's
#: default page) and its op in one frame.
DEFAULT_CHANNEL = "aeron:ipc?term-length=1m|mtu=8k"


class HandoffConflictError(Exception):
    """Another author extended the log first: this handoff lost, and nothing it offered
    is in the log. Play the log again to take it over from the winner."""


def _own_counter(archive: AeronArchive, session_id: int, recording_id: int) -> int | None:
    """The archive's counter recording ``session_id`` into ``recording_id``, if any."""
    counter_id = recording_pos.find_counter_id_by_session_id(archive, session_id)
    if counter_id == recording_pos.NULL_COUNTER_ID:
        return None
    if recording_pos.get_recording_id(archive, counter_id) != recording_id:
        return None
    return counter_id


def _with_session(channel: str, session_id: int) -> str:
    with ChannelUri.parse(channel) as uri:
        uri["session-id"] = session_id
        return str(uri)


def stop_author(archive: AeronArchive, recording_id: int, timeout: float = COMMIT_TIMEOUT_S) -> int:
    """Stop whatever author records into ``recording_id`` (if one does) and return the
    recording's stop position, once the archive has settled it."""
    return _recordings.stop_recording(archive, recording_id, timeout)


def create_log(archive: AeronArchive, stream_id: int, channel: str = DEFAULT_CHANNEL,
               timeout: float = COMMIT_TIMEOUT_S) -> int:
    """A new, empty, stopped recording to hold a recovery log; returns its id. Its
    channel's term length and MTU stay the log's for every later author."""
    with archive.add_exclusive_publication(channel, stream_id) as publication:
        recorded = _with_session(channel, publication.session_id)
        archive.start_recording(recorded, stream_id, auto_stop=True)
        counter_id = _recordings.recording_counter(archive, publication.session_id, "the new log's recording",
                                                   timeout)
        recording_id = recording_pos.get_recording_id(archive, counter_id)
    stop_author(archive, recording_id, timeout)
    return recording_id


def claim(archive: AeronArchive, recording_id: int, position: int, timeout: float = COMMIT_TIMEOUT_S) -> LogAppender:
    """Extend the stopped ``recording_id`` from ``position`` (its stop position) with a
    new author's publication; ``HandoffConflictError`` if another author got there first."""
    descriptor = archive.list_recording(recording_id)
    if descriptor is None:
        raise ArchiveError(f"recovery log recording {recording_id} does not exist")
    if descriptor.stop_position != position:
        raise HandoffConflictError(f"recording {recording_id} is at {descriptor.stop_position} "
                                   f"(active: -1), not at {position}: another author extended it")
    publication = archive.add_exclusive_publication(_recordings.extension_channel(descriptor, position),
                                                    descriptor.stream_id)
    subscription_id = None
    try:
        try:
            subscription_id = archive.extend_recording(
                recording_id, _with_session(descriptor.original_channel, publication.session_id),
                descriptor.stream_id, auto_stop=True)
        except ArchiveError as error:
            raise HandoffConflictError(f"recording {recording_id} could not be extended: {error}") from error
        counter_id = _await_own_recording(archive, recording_id, position, publication.session_id, timeout)
        return LogAppender(archive, recording_id, publication, counter_id)
    except BaseException:
        if subscription_id is not None:
            archive.try_stop_recording_subscription(subscription_id)
        publication.close()
        raise


def _await_own_recording(archive: AeronArchive, recording_id: int, position: int, session_id: int,
                         timeout: float) -> int:
    """Our recording counter once the archive records our session; a conflict if it
    records another session, or the recording moved on from ``position``."""
    def own_counter() -> list[int] | None:  # a list: counter id 0 is an id too
        # The recording's counter first: if ours appears in between, the second look finds it.
        active = recording_pos.find_counter_id_by_recording_id(archive, recording_id)
        own = _own_counter(archive, session_id, recording_id)
        if own is not None:
            return [own]
        if active != recording_pos.NULL_COUNTER_ID:
            raise HandoffConflictError(f"recording {recording_id} is being extended by another author")
        stop = archive.get_stop_position(recording_id)
        if stop != position and stop != NULL_POSITION:
            raise HandoffConflictError(f"recording {recording_id} moved on to {stop} from {position}")
        return None

    try:
        return waiting.until(own_counter, f"the archive to record the claim of recording {recording_id}",
                             timeout, pause=0.001)[0]
    except TimeoutError as error:
        raise HandoffConflictError(str(error)) from error
