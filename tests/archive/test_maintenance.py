"""Truncate, purge, segment operations and channel updates change what the catalogue
and replays report. Recordings here span several 128 KiB segment files."""

from __future__ import annotations

from aeron_cffi.archive import RecordingSignalCode, SourceLocation

from archive_support import (
    SEGMENT_FILE_LENGTH,
    TERM_LENGTH,
    payload,
    publish,
    record,
    recording_counter,
    replay_all,
    wait_recorded,
)

FRAME = 160  # a 100-byte payload with its header, aligned
PER_TERM = TERM_LENGTH // FRAME  # 409 frames, then 96 bytes of padding
MESSAGES = 4 * PER_TERM + 100  # into the third 128 KiB segment
REPLAY = "aeron:ipc"


def _messages(start: int = 0, count: int = MESSAGES) -> list[bytes]:
    return [payload(i) for i in range(start, start + count)]


def _replay(archive, recording_id: int, count: int, **params) -> list[bytes]:
    with archive.replay(recording_id, REPLAY, 9100, **params) as subscription:
        return replay_all(subscription, count)[:count]


def test_truncate_cuts_the_recording(archive, signals, stream_id):
    messages = _messages()
    recording_id, _ = record(archive, signals, stream_id, messages)
    deleted = archive.truncate_recording(recording_id, PER_TERM * FRAME)
    assert deleted == 2  # the two segment files after the one holding the cut
    assert archive.get_stop_position(recording_id) == PER_TERM * FRAME
    assert archive.list_recording(recording_id).stop_position == PER_TERM * FRAME
    assert _replay(archive, recording_id, PER_TERM) == messages[:PER_TERM]


def test_detach_attach_delete_and_purge_segments(archive, signals, stream_id):
    messages = _messages()
    recording_id, stop = record(archive, signals, stream_id, messages)
    first_segment_messages = 2 * PER_TERM  # a segment is two terms

    archive.detach_segments(recording_id, SEGMENT_FILE_LENGTH)
    assert archive.get_start_position(recording_id) == SEGMENT_FILE_LENGTH
    assert _replay(archive, recording_id, MESSAGES - first_segment_messages, position=SEGMENT_FILE_LENGTH) == (
        messages[first_segment_messages:]
    )
    assert archive.attach_segments(recording_id) == 1
    assert archive.get_start_position(recording_id) == 0
    assert _replay(archive, recording_id, MESSAGES) == messages

    archive.detach_segments(recording_id, SEGMENT_FILE_LENGTH)
    assert archive.delete_detached_segments(recording_id) == 1
    assert archive.attach_segments(recording_id) == 0  # nothing left to attach
    assert archive.get_start_position(recording_id) == SEGMENT_FILE_LENGTH

    assert archive.purge_segments(recording_id, 2 * SEGMENT_FILE_LENGTH) == 1
    descriptor = archive.list_recording(recording_id)
    assert (descriptor.start_position, descriptor.stop_position) == (2 * SEGMENT_FILE_LENGTH, stop)
    assert _replay(archive, recording_id, 100, position=2 * SEGMENT_FILE_LENGTH) == messages[-100:]


def test_purge_recording_removes_it(archive, signals, stream_id):
    recording_id, _ = record(archive, signals, stream_id, _messages())
    assert archive.purge_recording(recording_id) == 3
    assert archive.list_recording(recording_id) is None
    signals.wait_for(archive, recording_id, RecordingSignalCode.DELETE)


def test_update_channel_renames_the_recording(archive, signals, stream_id):
    recording_id, _ = record(archive, signals, stream_id, _messages(count=3))
    archive.update_channel(recording_id, "aeron:ipc?alias=renamed")
    assert archive.list_recording(recording_id).original_channel == "aeron:ipc?alias=renamed"


def _fill_terms(terms: int) -> list[bytes]:
    """Messages that end exactly on a term boundary ``terms`` terms in: each term holds
    PER_TERM frames plus one frame that fills its 96-byte tail."""
    messages = []
    for term in range(terms):
        messages += [payload(term * 1000 + i) for i in range(PER_TERM)] + [payload(term * 1000 + PER_TERM, 64)]
    return messages


def test_migrate_segments_moves_a_prefix_onto_the_next_recording(archive, signals, stream_id):
    head = _fill_terms(2)  # exactly one segment file
    src_id, src_stop = record(archive, signals, stream_id, head, exclusive=True)
    assert src_stop == SEGMENT_FILE_LENGTH
    src = archive.list_recording(src_id)

    # The destination continues the source's stream at its stop position.
    channel = (f"aeron:ipc?term-length=64k|init-term-id={src.initial_term_id}"
               f"|term-id={src.initial_term_id + 2}|term-offset=0")
    subscription_id = archive.start_recording(channel, stream_id, SourceLocation.LOCAL)
    tail = _messages(5000, 50)
    with archive.add_exclusive_publication(channel, stream_id) as publication:
        counter_id = recording_counter(archive, publication.session_id)
        dst_id = archive.find_last_matching_recording("aeron:ipc", stream_id, publication.session_id)
        wait_recorded(archive, counter_id, publish(publication, tail))
        archive.stop_recording_subscription(subscription_id)
    assert archive.get_start_position(dst_id) == SEGMENT_FILE_LENGTH

    assert archive.migrate_segments(src_id, dst_id) == 1
    assert archive.get_start_position(dst_id) == 0
    assert _replay(archive, dst_id, len(head) + len(tail)) == head + tail
