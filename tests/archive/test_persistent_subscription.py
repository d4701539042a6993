"""A persistent subscription replays a recording, then follows it live."""

from __future__ import annotations

import pytest

from aeron_cffi.archive import ArchiveContext, SourceLocation, recording_pos
from aeron_cffi.archive.persistent_subscription import FROM_START, PersistentSubscription
from aeron_cffi.errors import InvalidArgumentError, ResourceClosedError

from archive_support import payload, publish, recording_counter, wait_for, wait_recorded

LIVE = "aeron:ipc?term-length=64k"


def _context(archive, archive_process) -> ArchiveContext:
    return ArchiveContext(
        aeron=archive.aeron,
        control_request_channel=archive_process.control_request_channel,
        control_response_channel=archive_process.control_response_channel,
    )


def test_replay_then_live_without_loss_or_duplicates(archive, archive_process, stream_id):
    total, before = 600, 200
    messages = [payload(i) for i in range(total)]
    archive.start_recording(LIVE, stream_id, SourceLocation.LOCAL)
    joined: list[bool] = []
    left: list[bool] = []
    errors: list[Exception] = []
    with _context(archive, archive_process) as context, \
            archive.add_exclusive_publication(LIVE, stream_id) as publication:
        counter_id = recording_counter(archive, publication.session_id)
        recording_id = recording_pos.get_recording_id(archive, counter_id)
        wait_recorded(archive, counter_id, publish(publication, messages[:before]))
        state = archive.aeron.add_counter(type_id=1002, label="persistent subscription state")

        subscription = PersistentSubscription(
            context,
            recording_id=recording_id,
            live_channel=LIVE, live_stream_id=stream_id,
            replay_channel="aeron:ipc", replay_stream_id=stream_id + 5000,
            start_position=FROM_START,
            on_live_joined=lambda: joined.append(True),
            on_live_left=lambda: left.append(True),
            on_error=errors.append,
            state_counter=state,
        )
        assert (subscription.recording_id, subscription.live_channel, subscription.live_stream_id) == (
            recording_id, LIVE, stream_id)
        assert subscription.replay_stream_id == stream_id + 5000
        assert "rejoin=false" in subscription.replay_channel
        assert subscription.start_position == FROM_START
        assert subscription.counter_id("state_counter") == state.counter_id
        assert subscription.counter_id("live_left_counter") not in (None, state.counter_id)

        received: list[bytes] = []
        states: set[str] = set()
        sent = before

        def step() -> None:
            nonlocal sent
            subscription.poll(lambda data, header: received.append(bytes(data)), 10)
            states.add("live" if subscription.is_live else "replaying" if subscription.is_replaying else "other")
            if sent < total and sent - len(received) < 100:  # live keeps moving, within the term window
                publish(publication, [messages[sent]])
                sent += 1

        with subscription:
            wait_for(lambda: subscription.is_live, poll=step)
            wait_for(lambda: len(received) >= total, poll=step)
            assert not subscription.has_failed and subscription.failure_reason is None
        assert received == messages
        assert "replaying" in states and "live" in states
        assert joined == [True] and left == [] and errors == []
        assert state.value != 0  # the subscription wrote its state there
        assert not state.is_closed  # still ours
        state.close()
    with pytest.raises(ResourceClosedError):
        subscription.poll(lambda data, header: None)
    archive.stop_recording_channel_and_stream(LIVE, stream_id)


def test_an_unknown_recording_fails_the_subscription(archive, archive_process, stream_id):
    errors: list[Exception] = []
    with _context(archive, archive_process) as context:
        with PersistentSubscription(
            context, recording_id=987654, live_channel=LIVE, live_stream_id=stream_id,
            replay_channel="aeron:ipc", replay_stream_id=stream_id + 5000, on_error=errors.append,
        ) as subscription:
            wait_for(lambda: subscription.has_failed, poll=lambda: subscription.poll(lambda data, header: None))
            reason = subscription.failure_reason
            assert reason is not None and "987654" in str(reason)
            assert errors and "987654" in str(errors[0])
            assert repr(subscription) == (f"<PersistentSubscription open recording_id=987654 live_channel={LIVE!r} "
                                          f"live_stream_id={stream_id} live=False replaying=False failed=True>")
        assert repr(subscription) == "<PersistentSubscription closed>"


def test_missing_settings_are_rejected(archive, archive_process):
    with _context(archive, archive_process) as context, pytest.raises(InvalidArgumentError):
        PersistentSubscription(context, recording_id=-5, live_channel=LIVE, live_stream_id=1,
                               replay_channel="aeron:ipc", replay_stream_id=2)
