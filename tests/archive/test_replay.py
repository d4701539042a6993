"""Replays from the Java archive: whole, partial, bounded, stopped, and merged with live."""

from __future__ import annotations

import pytest

from aeron_cffi.archive import (
    REPLAY_ALL_AND_FOLLOW,
    SourceLocation,
    add_session_id_to_channel,
    recording_pos,
    replay_session_id_to_session_id,
)
from aeron_cffi.archive.replay_merge import ReplayMerge
from aeron_cffi.subscription import Subscription
from aeron_cffi.testing import free_udp_port

from archive_support import payload, record, publish, recording_counter, replay_all, wait_for, wait_recorded

IPC = "aeron:ipc?term-length=64k"
REPLAY_CHANNEL = "aeron:ipc"
REPLAY_STREAM = 9001
MESSAGES = 200
FRAME = 160  # a 100-byte payload plus the 32-byte header, aligned to 32


@pytest.fixture(scope="module")
def recorded(archive, signals):
    """A stopped recording of ``MESSAGES`` messages: (recording id, messages, stop position)."""
    messages = [payload(i) for i in range(MESSAGES)]
    recording_id, position = record(archive, signals, 7001, messages)
    return recording_id, messages, position


def test_replay_returns_every_recorded_byte(archive, recorded):
    recording_id, messages, _ = recorded
    with archive.replay(recording_id, REPLAY_CHANNEL, REPLAY_STREAM) as subscription:
        assert isinstance(subscription, Subscription)
        assert replay_all(subscription, MESSAGES) == messages


def test_start_replay_of_a_range(archive, recorded):
    recording_id, messages, _ = recorded
    first, count = 50, 20
    replay_session_id = archive.start_replay(
        recording_id, REPLAY_CHANNEL, REPLAY_STREAM,
        position=first * FRAME, length=count * FRAME, file_io_max_length=4096,
    )
    channel = add_session_id_to_channel(REPLAY_CHANNEL, replay_session_id_to_session_id(replay_session_id))
    with archive.add_subscription(channel, REPLAY_STREAM) as subscription:
        received = replay_all(subscription, count)
        # the replay ends after `length` bytes: the image goes, nothing more arrives
        wait_for(lambda: subscription.image_count == 0,
                 poll=lambda: subscription.poll(lambda data, header: received.append(bytes(data)), 10))
        assert received == messages[first:first + count]


def test_bounded_replay_stops_at_its_limit(archive, recorded):
    recording_id, messages, position = recorded
    limit = archive.aeron.add_counter(type_id=1001, label="replay limit")
    limit.value = 30 * FRAME
    with archive.replay(
        recording_id, REPLAY_CHANNEL, REPLAY_STREAM, length=REPLAY_ALL_AND_FOLLOW, bounding_limit_counter=limit
    ) as subscription:
        received = replay_all(subscription, 30)
        image = subscription.image_at_index(0)
        for _ in range(200):  # the archive holds the replay at the limit
            subscription.poll(lambda data, header: received.append(bytes(data)), 10)
        assert received == messages[:30]
        assert image.position == 30 * FRAME
        limit.value = position
        received += replay_all(subscription, MESSAGES - 30)[: MESSAGES - 30]
        assert received == messages


def test_stop_replay_and_stop_all_replays_end_the_image(archive, recorded):
    recording_id, _, _ = recorded
    limit = archive.aeron.add_counter(type_id=1001, label="hold")
    limit.value = 0  # both replays wait at position 0 until stopped

    def replay_session() -> int:
        return archive.start_replay(
            recording_id, REPLAY_CHANNEL, REPLAY_STREAM, length=REPLAY_ALL_AND_FOLLOW, bounding_limit_counter=limit
        )

    for stop in (archive.stop_replay, lambda _: archive.stop_all_replays(recording_id)):
        replay_session_id = replay_session()
        channel = add_session_id_to_channel(REPLAY_CHANNEL, replay_session_id_to_session_id(replay_session_id))
        with archive.add_subscription(channel, REPLAY_STREAM) as subscription:
            wait_for(lambda: subscription.is_connected)
            stop(replay_session_id)
            wait_for(lambda: subscription.image_count == 0, poll=lambda: subscription.poll(lambda *_: None))


def test_replay_merge_joins_live_without_loss(archive, signals):
    control_port = free_udp_port()
    stream_id = 7002
    # ssc: the archive's spy counts as a subscriber, so the live stream flows before anyone joins
    live_channel = f"aeron:udp?control=localhost:{control_port}|control-mode=dynamic|term-length=64k|ssc=true"
    total, before = 400, 150
    messages = [payload(i) for i in range(total)]
    archive.start_recording(live_channel, stream_id, SourceLocation.LOCAL)
    with archive.add_exclusive_publication(live_channel, stream_id) as publication:
        counter_id = recording_counter(archive, publication.session_id)
        recording_id = recording_pos.get_recording_id(archive, counter_id)
        wait_recorded(archive, counter_id, publish(publication, messages[:before]))

        received: list[bytes] = []
        subscription = archive.add_subscription("aeron:udp?control-mode=manual", stream_id)
        merge = ReplayMerge(
            subscription, archive,
            replay_channel=f"aeron:udp?session-id={publication.session_id}",
            replay_destination="aeron:udp?endpoint=localhost:0",
            live_destination=f"aeron:udp?endpoint=localhost:0|control=localhost:{control_port}",
            recording_id=recording_id,
            start_position=0,
        )
        with subscription, merge:
            assert not merge.is_merged
            assert repr(merge).startswith("<ReplayMerge open merged=False ")
            sent = before
            while not merge.is_merged:  # live keeps publishing while the replay catches up
                assert not merge.has_failed
                merge.poll(lambda data, header: received.append(bytes(data)), 10)
                if sent < total:
                    publish(publication, [messages[sent]])
                    sent += 1
            assert merge.is_live_added
            image = merge.image
            assert image is not None and image.session_id == publication.session_id
            image.close()
            publish(publication, messages[sent:])
            wait_for(lambda: len(received) >= total, poll=lambda: merge.poll(
                lambda data, header: received.append(bytes(data)), 10))
        assert merge.is_closed
        assert repr(merge) == "<ReplayMerge closed>"
        assert received == messages
    archive.stop_recording_channel_and_stream(live_channel, stream_id)
