"""A service's snapshots in the archive (Java's ``ServiceSnapshotTaker`` and
``ServiceSnapshotLoader``, and the agent's take/load steps around them).

A snapshot is a local recording of an exclusive IPC publication: a BEGIN
``SnapshotMarker``, one ``ClientSession`` per open session, an END marker, then
whatever the service writes in ``on_take_snapshot``. It counts only once the archive
has recorded all of it, so ``take_snapshot`` waits for the recording position to reach
the publication's before it returns the recording id (which the agent then acks).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterable

from aeron_cffi.archive import AeronArchive, SourceLocation, recording_pos
from aeron_cffi.cluster import codecs
from aeron_cffi.cluster.errors import ClusterError
from aeron_cffi.cluster.service_adapter import check_schema
from aeron_cffi.counters import NULL_COUNTER_ID
from aeron_cffi.exclusive_publication import ExclusivePublication
from aeron_cffi.fragment_assembler import ControlledPollAction, ImageControlledFragmentAssembler
from aeron_cffi.header import Header
from aeron_cffi.image import Image

__all__ = ["SNAPSHOT_TYPE_ID", "SnapshotSession", "load_snapshot_sessions", "take_snapshot"]

#: ``ClusteredServiceContainer.SNAPSHOT_TYPE_ID``: the type of a service's snapshot markers.
SNAPSHOT_TYPE_ID = 2
_LOAD_FRAGMENT_LIMIT = 10


@dataclasses.dataclass(frozen=True)
class SnapshotSession:
    """A client session as a snapshot keeps it."""

    cluster_session_id: int
    response_stream_id: int
    response_channel: str
    encoded_principal: bytes


def _offer(publication: ExclusivePublication, data: bytes, idle: Callable[[], None]) -> None:
    while True:
        result = publication.offer(data)
        if result > 0:
            return
        idle()


def _marker(mark: codecs.SnapshotMark, log_position: int, leadership_term_id: int,
            time_unit: codecs.ClusterTimeUnit, app_version: int) -> bytes:
    return codecs.SNAPSHOT_MARKER.encode(codecs.SnapshotMarker(
        SNAPSHOT_TYPE_ID, log_position, leadership_term_id, 0, mark, time_unit, app_version))


def take_snapshot(archive: AeronArchive, publication: ExclusivePublication, *, log_position: int,
                  leadership_term_id: int, time_unit: codecs.ClusterTimeUnit, app_version: int,
                  sessions: Iterable[SnapshotSession], write_state: Callable[[ExclusivePublication], None],
                  idle: Callable[[], None]) -> int:
    """Record a snapshot on ``publication`` (an exclusive publication on the snapshot
    channel) through ``archive``: markers and sessions, then ``write_state``; returns
    the recording id once the archive has recorded everything written."""
    channel = f"{publication.channel}{'|' if '?' in publication.channel else '?'}session-id={publication.session_id}"
    archive.start_recording(channel, publication.stream_id, SourceLocation.LOCAL, auto_stop=True)
    counter_id = NULL_COUNTER_ID
    while counter_id == NULL_COUNTER_ID:
        archive.check_for_error_response()
        counter_id = recording_pos.find_counter_id_by_session_id(archive, publication.session_id)
        if counter_id == NULL_COUNTER_ID:
            idle()
    recording_id = recording_pos.get_recording_id(archive, counter_id)

    _offer(publication, _marker(codecs.SnapshotMark.BEGIN, log_position, leadership_term_id, time_unit,
                                app_version), idle)
    for session in sessions:
        _offer(publication, codecs.CLIENT_SESSION.encode(codecs.ClientSession(
            session.cluster_session_id, session.response_stream_id, session.response_channel,
            session.encoded_principal)), idle)
    _offer(publication, _marker(codecs.SnapshotMark.END, log_position, leadership_term_id, time_unit,
                                app_version), idle)
    write_state(publication)

    position = publication.position
    counters = archive.aeron.counters_reader()
    while counters.value(counter_id) < position:
        archive.check_for_error_response()
        if not recording_pos.is_active(archive, counter_id, recording_id):
            raise ClusterError(f"snapshot recording {recording_id} stopped before position {position}")
        idle()
    return recording_id


class _SnapshotSessionsLoader:
    """Reads the service's part of a snapshot image up to its END marker."""

    def __init__(self) -> None:
        self.sessions: list[SnapshotSession] = []
        self.in_snapshot = False
        self.done = False
        self.time_unit = codecs.ClusterTimeUnit.MILLIS
        self.app_version = 0

    def __call__(self, data: bytes, header: Header) -> ControlledPollAction:
        message_header = codecs.decode_header(data)
        check_schema(message_header, "snapshot")
        if message_header.template_id == codecs.SNAPSHOT_MARKER.template_id:
            marker = codecs.SNAPSHOT_MARKER.decode(data)
            if marker.type_id != SNAPSHOT_TYPE_ID:
                raise ClusterError(f"unexpected snapshot type {marker.type_id}, expected {SNAPSHOT_TYPE_ID}")
            if marker.mark == codecs.SnapshotMark.BEGIN:
                if self.in_snapshot:
                    raise ClusterError("snapshot has two BEGIN markers")
                self.in_snapshot = True
                self.time_unit, self.app_version = marker.time_unit, marker.app_version
            elif marker.mark == codecs.SnapshotMark.END:
                if not self.in_snapshot:
                    raise ClusterError("snapshot END marker without BEGIN")
                self.done = True
                return ControlledPollAction.BREAK
        elif message_header.template_id == codecs.CLIENT_SESSION.template_id:
            session = codecs.CLIENT_SESSION.decode(data)
            self.sessions.append(SnapshotSession(session.cluster_session_id, session.response_stream_id,
                                                 session.response_channel, session.encoded_principal))
        return ControlledPollAction.CONTINUE


def load_snapshot_sessions(image: Image, archive: AeronArchive,
                           idle: Callable[[int], None]) -> tuple[list[SnapshotSession], codecs.ClusterTimeUnit, int]:
    """Read the container's part of a snapshot replayed on ``image``: its sessions,
    time unit and app version. The image is left just after the END marker, where the
    service's own state begins."""
    loader = _SnapshotSessionsLoader()
    with ImageControlledFragmentAssembler(loader) as assembler:
        while not loader.done:
            fragments = image.controlled_poll(assembler, _LOAD_FRAGMENT_LIMIT)
            if fragments == 0:
                archive.check_for_error_response()
                if image.is_closed or image.is_end_of_stream:
                    raise ClusterError(f"snapshot ended before its END marker (image session {image.session_id})")
            idle(fragments)
    return loader.sessions, loader.time_unit, loader.app_version
