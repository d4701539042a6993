"""Fencing on the archive: one author extends the log; a handoff fences the old one."""

import threading
import time

import pytest
from recoverylog_support import new_recorded_fs, play, take_over

from aeron_cffi.archive import REPLAY_ALL_AND_STOP
from aeron_cffi.recoverylog import Fenced, HandoffConflictError, claim, decode_message, stop_author
from aeron_cffi.testing import wait_until


def recorded_authors(archive, recording_id: int) -> list[int]:
    """The author of every op in the recording, in log order (a raw replay of it all)."""
    end = archive.get_max_recorded_position(recording_id)
    stream_id = archive.list_recording(recording_id).stream_id
    authors: list[int] = []

    def on_message(data, header):
        authors.append(decode_message(data)[0].author)

    with archive.replay(recording_id, "aeron:ipc", stream_id, position=0, length=REPLAY_ALL_AND_STOP) as replay:
        image = wait_until(lambda: replay.image_at_index(0), "the replay's image")
        with image:
            wait_until(lambda: image.position >= end, "the replay of the whole log", lambda: image.poll(on_message, 100))
    return authors


def test_a_handoff_fences_the_old_author_and_none_of_its_later_bytes_reach_the_log(log_archive, tmp_path):
    old = new_recorded_fs(log_archive, tmp_path / "old")
    file = old.create("busy.bin")
    file.write(b"committed before the handoff")
    hints = old.recorder.build_hints()
    fenced = threading.Event()
    writes = []

    def keep_writing():  # the old host goes on writing while another takes over
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                file.pwrite(b"x" * 100, len(writes) * 100)
                writes.append(len(writes))
        except Fenced:
            fenced.set()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    wait_until(lambda: len(writes) > 20, "the old author to be writing")
    new = take_over(log_archive, hints, tmp_path / "new")
    writer.join(timeout=30)
    assert fenced.is_set() and not writer.is_alive()
    with pytest.raises(Fenced):
        file.pwrite(b"late", 0)
    with pytest.raises(Fenced):
        old.recorder.barrier()

    new.record_create(tmp_path / "new" / "after-handoff")
    hints = new.build_hints()
    authors = recorded_authors(log_archive, hints.log)
    handoff = authors.index(new.author)
    assert set(authors[handoff:]) == {new.author}  # nothing of the old author after the handoff
    assert old.recorder.author in authors[:handoff]
    new.close()
    old.recorder.close()
    file.close()
    played = play(log_archive, hints, tmp_path / "played")
    assert sorted(played.fsm.links) == ["/after-handoff", "/busy.bin"]


def test_of_two_concurrent_claims_exactly_one_wins(log_archive, tmp_path):
    fs = new_recorded_fs(log_archive, tmp_path / "source")
    fs.create("a").close()
    recording_id = fs.recorder.build_hints().log
    for _ in range(3):
        position = stop_author(log_archive, recording_id)
        start = threading.Barrier(2)
        outcomes: list[object] = []

        def contend():
            start.wait()
            try:
                outcomes.append(claim(log_archive, recording_id, position))
            except HandoffConflictError as error:
                outcomes.append(error)

        threads = [threading.Thread(target=contend) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        winners = [o for o in outcomes if not isinstance(o, HandoffConflictError)]
        assert len(outcomes) == 2 and len(winners) == 1, outcomes
        winner = winners[0]
        winner.sync(winner.append(b"the winner's message"))  # the log is the winner's
        winner.close()
    fs.recorder.close()


def test_a_claim_at_a_stale_position_loses(log_archive, tmp_path):
    fs = new_recorded_fs(log_archive, tmp_path / "source")
    fs.create("a").close()
    hints = fs.recorder.build_hints()
    position = stop_author(log_archive, hints.log)
    with pytest.raises(HandoffConflictError, match="not at"):
        claim(log_archive, hints.log, position - 64)
    fs.recorder.close()


def test_of_two_concurrent_handoffs_exactly_one_author_ends_up_writing(log_archive, tmp_path):
    fs = new_recorded_fs(log_archive, tmp_path / "source")
    fs.create("a").close()
    hints = fs.recorder.build_hints()
    for round_ in range(3):
        start = threading.Barrier(2)
        outcomes: dict[int, str] = {}

        def hand_off(index: int) -> None:
            directory = tmp_path / f"round-{round_}-player-{index}"
            start.wait()
            try:
                recorder = take_over(log_archive, hints, directory)
            except HandoffConflictError:
                outcomes[index] = "lost the handoff"
                return
            try:
                recorder.record_create(directory / f"written-by-{index}")
                recorder.barrier()
            except Fenced:  # it won, then the other handoff (a little later) took the log over
                outcomes[index] = "fenced"
                recorder.close()
                return
            outcomes[index] = "writes"
            winners.append(recorder)

        winners: list = []
        threads = [threading.Thread(target=hand_off, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes.values()) in (["fenced", "writes"], ["lost the handoff", "writes"]), outcomes
        winner = winners[0]
        hints = winner.build_hints()
        winner.close()
    fs.recorder.close()
