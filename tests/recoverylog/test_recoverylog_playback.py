"""Record files through RecordedFS into a real archive, play them back elsewhere."""

import json
import os
import random
import threading

import pytest
from recoverylog_support import archive_options, cli, new_log, new_recorded_fs, play, take_over, tree

from aeron_cffi.errors import ResourceClosedError
from aeron_cffi.recoverylog import (
    DataLossError,
    FileRecorder,
    FSMHints,
    Player,
    RecordedOp,
    RecorderMisuseError,
    RecoveryLogClosedError,
    encode_frame,
)
from aeron_cffi.recoverylog.player import FNODE_STAGING_DIR


def record_a_bit_of_everything(fs, rng: random.Random) -> None:
    with fs.create("data/a.bin") as a:
        a.write(rng.randbytes(20_000))
        a.pwrite(b"patched", 100)
        a.pwrite(b"beyond the end", 30_000)  # leaves a hole of zeros
    with fs.create("b.txt") as b:
        b.write(b"a longer first version of b")
    fs.link("data/a.bin", "data/a-link.bin")
    with fs.create("c.txt") as c:
        c.write(b"old c")
    with fs.create("c.tmp") as tmp:
        tmp.write(b"new c, renamed over the old one")
    fs.rename("c.tmp", "c.txt")
    with fs.create("gone.txt") as gone:
        gone.write(b"removed later")
    fs.remove("gone.txt")
    with fs.create("IDENTITY.tmp") as identity:
        identity.write(b"db-identity-1234\n")
    fs.rename("IDENTITY.tmp", "IDENTITY")
    with fs.open("b.txt", os.O_RDWR | os.O_CREAT | os.O_TRUNC) as b:
        b.write(b"short b")


def test_played_back_in_a_new_process_equals_the_original(log_archive, log_archive_process, tmp_path):
    source = tmp_path / "source"
    fs = new_recorded_fs(log_archive, source)
    record_a_bit_of_everything(fs, random.Random(1))
    hints = fs.recorder.build_hints()
    (tmp_path / "hints.json").write_text(hints.dumps())

    played = tmp_path / "played"
    result = cli("recoverylog", "play", str(tmp_path / "hints.json"), str(played), "--json",
                 *archive_options(log_archive_process))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["links"] == 4 and json.loads(result.stdout)["properties"] == 1

    original, copy = tree(source), tree(played)
    assert {path: sha for path, (sha, _) in copy.items()} == {path: sha for path, (sha, _) in original.items()}
    assert sorted(copy) == ["IDENTITY", "b.txt", "c.txt", "data/a-link.bin", "data/a.bin"]
    assert copy["data/a.bin"][1] == copy["data/a-link.bin"][1]  # one inode, two links
    assert copy["b.txt"][1] != copy["c.txt"][1]
    assert not (played / FNODE_STAGING_DIR).exists()
    fs.recorder.close()

    described = cli("recoverylog", "describe", str(tmp_path / "hints.json"), "--json")
    summary = json.loads(described.stdout)
    assert summary["log"] == hints.log and summary["authors"] == [fs.recorder.author]
    assert summary["live_fnodes"] == 3 and summary["properties"] == ["/IDENTITY"]


def test_injected_bad_ops_are_ignored(log_archive, tmp_path):
    fs = new_recorded_fs(log_archive, tmp_path / "source")
    recorder = fs.recorder
    with fs.create("kept.txt") as kept:
        kept.write(b"first")
        fsm = recorder.fsm
        bad = [
            RecordedOp(seq_no=fsm.next_seq_no + 5, checksum=fsm.next_checksum, author=recorder.author,
                       create={"path": "/wrong-seq-no"}),
            RecordedOp(seq_no=fsm.next_seq_no, checksum=fsm.next_checksum ^ 0xFF, author=recorder.author,
                       create={"path": "/wrong-checksum"}),
        ]
        for op in bad:
            recorder.appender.append(encode_frame(op))
        recorder.appender.append(b"not a frame at all")
        kept.write(b" and second")
    fs.create("after.txt").close()
    hints = recorder.build_hints()
    recorder.close()

    played = play(log_archive, hints, tmp_path / "played")
    assert (tmp_path / "played" / "kept.txt").read_bytes() == b"first and second"
    assert sorted(os.listdir(tmp_path / "played")) == ["after.txt", "kept.txt"]
    assert played.fsm.next_checksum == recorder.fsm.next_checksum


def test_a_purged_hinted_segment_is_data_loss_and_removes_the_directory(log_archive, tmp_path):
    fs = new_recorded_fs(log_archive, tmp_path / "source")
    with fs.create("big.bin") as big:
        big.write(random.Random(2).randbytes(300_000))  # beyond two 128 KiB segment files
    hints = fs.recorder.build_hints()
    fs.recorder.close()
    log_archive.purge_segments(hints.log, 128 * 1024)

    target = tmp_path / "played"
    with pytest.raises(DataLossError, match="below the log's start"):
        play(log_archive, hints, target)
    assert not target.exists()
    with pytest.raises(DataLossError, match="must be read from its first op"):
        play(log_archive, FSMHints(log=hints.log), target)
    assert not target.exists()


def test_hints_beyond_the_log_are_data_loss(log_archive, tmp_path):
    fs = new_recorded_fs(log_archive, tmp_path / "source")
    fs.create("a").close()
    hints = fs.recorder.build_hints()
    fs.recorder.close()
    node = hints.live_nodes[0]
    segment = node.segments[0]
    beyond = type(segment)(segment.author, segment.first_seq_no, segment.first_offset + 10**9,
                           segment.first_checksum, segment.last_seq_no)
    far = FSMHints(hints.log, (type(node)(node.fnode, (beyond,)),))
    with pytest.raises(DataLossError):
        play(log_archive, far, tmp_path / "played")
    with pytest.raises(DataLossError, match="does not exist"):
        play(log_archive, FSMHints(log=10**6), tmp_path / "played")
    assert not (tmp_path / "played").exists()


def test_misuse_raises_and_records_nothing(log_archive, tmp_path):
    source = tmp_path / "source"
    fs = new_recorded_fs(log_archive, source)
    recorder = fs.recorder
    (source / "unrecorded.txt").write_bytes(b"made behind the recorder's back")
    before = recorder.fsm.next_seq_no
    for misuse in (lambda: fs.create("../outside.txt"), lambda: fs.create(tmp_path / "elsewhere"),
                   lambda: fs.remove("unrecorded.txt"), lambda: fs.rename("unrecorded.txt", "x"),
                   lambda: fs.link("unrecorded.txt", "y"), lambda: fs.create("IDENTITY"),
                   lambda: recorder.record_write_at(12345, b"data", 0),
                   lambda: fs.open("never-created", os.O_RDWR), lambda: fs.open("unrecorded.txt")):
        with pytest.raises(RecorderMisuseError):
            misuse()
    assert recorder.fsm.next_seq_no == before
    assert (source / "unrecorded.txt").exists() and not (tmp_path / "outside.txt").exists()

    with fs.create("IDENTITY.tmp") as identity:
        identity.write(b"first identity")
    fs.rename("IDENTITY.tmp", "IDENTITY")
    with fs.create("IDENTITY.tmp") as identity:
        identity.write(b"another identity")
    before = recorder.fsm.next_seq_no
    with pytest.raises(RecorderMisuseError, match="other content"):  # a property is written once
        fs.rename("IDENTITY.tmp", "IDENTITY")
    assert recorder.fsm.next_seq_no == before
    assert (source / "IDENTITY.tmp").exists() and (source / "IDENTITY").read_bytes() == b"first identity"
    fs.remove("IDENTITY.tmp")
    before = recorder.fsm.next_seq_no

    large = random.Random(3).randbytes(100_000)  # about 12 messages of an 8 KiB MTU
    with fs.create("large.bin") as file:
        file.write(large)
        assert recorder.fsm.next_seq_no - before > 100_000 // recorder.appender.max_payload_length
        file.close()
        with pytest.raises(ValueError, match="closed file"):
            file.write(b"after close")
    hints = recorder.build_hints()
    recorder.close()
    with pytest.raises(RecoveryLogClosedError):
        fs.create("after-close")
    with pytest.raises(RecoveryLogClosedError) as closed:
        recorder.barrier()
    assert isinstance(closed.value, ResourceClosedError)  # the library's error for use after close
    play(log_archive, hints, tmp_path / "played")
    assert (tmp_path / "played" / "large.bin").read_bytes() == large
    assert sorted(os.listdir(tmp_path / "played")) == ["IDENTITY", "large.bin"]


def test_a_log_is_played_from_its_hints_and_taken_over_again(log_archive, tmp_path):
    fs = new_recorded_fs(log_archive, tmp_path / "first")
    with fs.create("counter") as file:
        file.write(b"1")
    hints = fs.recorder.build_hints()
    fs.recorder.close()  # the first host goes away

    second = take_over(log_archive, hints, tmp_path / "second")
    assert (tmp_path / "second" / "counter").read_bytes() == b"1"
    fnode = second.fsm.links["/counter"]
    second.record_write_at(fnode, b"2", 1)
    with open(tmp_path / "second" / "counter", "r+b") as file:
        file.write(b"12")
    hints = second.build_hints()
    second.close()
    play(log_archive, hints, tmp_path / "third")
    assert (tmp_path / "third" / "counter").read_bytes() == b"12"
    assert new_log(log_archive) != hints.log


def test_cli_play_fails_in_one_line_on_data_loss(log_archive_process, tmp_path):
    (tmp_path / "hints.json").write_text(FSMHints(log=10**6).dumps())
    result = cli("recoverylog", "play", str(tmp_path / "hints.json"), str(tmp_path / "played"),
                 *archive_options(log_archive_process))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "possible data loss" in result.stderr
    assert not (tmp_path / "played").exists()
    (tmp_path / "bad.json").write_text('{"log": 1, "live_nodes": [{"fnode": 1}]}')
    described = cli("recoverylog", "describe", str(tmp_path / "bad.json"))
    assert described.returncode == 1 and "first seq_no" in described.stderr


def test_a_player_tails_the_log_until_told_to_finish(log_archive, tmp_path):
    fs = new_recorded_fs(log_archive, tmp_path / "source")
    with fs.create("log.txt") as file:
        file.write(b"before;")
        hints = fs.recorder.build_hints()
        player = Player()
        follower = threading.Thread(target=player.play, args=(hints, tmp_path / "follower", log_archive))
        follower.start()
        try:
            assert player.tailing.wait(30)
            file.write(b"while tailing;")
            fs.sync()
        finally:
            player.finish_at_write_head()
            follower.join(timeout=30)
    assert player.done.is_set() and player.fsm is not None
    assert (tmp_path / "follower" / "log.txt").read_bytes() == b"before;while tailing;"
    fs.recorder.close()


def test_playback_jumps_over_a_long_dead_stretch_between_hinted_segments(log_archive, tmp_path):
    fs = new_recorded_fs(log_archive, tmp_path / "source")
    with fs.create("first") as first:
        first.write(b"live before the gap")
    with fs.create("dead.bin") as dead:
        dead.write(random.Random(4).randbytes(600_000))  # more than the player's skip-ahead gap
    fs.remove("dead.bin")
    with fs.create("second") as second:
        second.write(b"live after the gap")
    hints = fs.recorder.build_hints()
    fs.recorder.close()
    assert [len(node.segments) for node in hints.live_nodes] == [1, 1]
    assert hints.live_nodes[1].segments[0].first_offset - hints.live_nodes[0].segments[0].last_offset > 600_000

    played = play(log_archive, hints, tmp_path / "played")
    assert (tmp_path / "played" / "first").read_bytes() == b"live before the gap"
    assert (tmp_path / "played" / "second").read_bytes() == b"live after the gap"
    assert sorted(os.listdir(tmp_path / "played")) == ["first", "second"]
    assert played.fsm.next_checksum == fs.recorder.fsm.next_checksum


def test_truncates_and_file_recorder_writes_play_back(log_archive, tmp_path):
    fs = new_recorded_fs(log_archive, tmp_path / "source")
    with fs.create("shrunk") as file:
        file.write(random.Random(5).randbytes(50_000))
        old_fnode = file.fnode
        file.truncate(20_000)  # a new fnode, rewritten with the bytes kept
        assert file.fnode != old_fnode and file.size() == 20_000
        file.write(b"after the shrink")
    with fs.create("grown") as file:
        file.write(b"head")
        file.truncate(100_000)  # recorded as writes of zeros
        assert file.size() == 100_000
        writer = FileRecorder(fs.recorder, file.fnode, offset=100_000)
    fs.link("shrunk", "shrunk-link")
    with fs.open("shrunk") as file, pytest.raises(RecorderMisuseError, match="could not keep every link"):
        file.truncate(10)  # two links: a new fnode would leave one behind
    with open(tmp_path / "source" / "grown", "ab") as local:
        local.write(b"tail-1tail-2")
    writer.record_write(b"tail-1")
    writer.record_write(b"tail-2")
    hints = fs.recorder.build_hints()
    fs.recorder.close()
    play(log_archive, hints, tmp_path / "played")
    for name in ("grown", "shrunk", "shrunk-link"):
        assert (tmp_path / "played" / name).read_bytes() == (tmp_path / "source" / name).read_bytes()
    assert writer.offset == 100_012
