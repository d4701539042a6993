"""FSM: every error of Gazette's FSM, in its order of checks; the checksum chain op by
op; hints as Gazette writes them; authors."""

import json

import google_crc32c
import pytest

from aeron_cffi.recoverylog import (
    FSM,
    ChecksumMismatchError,
    ExpectedHintedFnodeError,
    FnodeNotTrackedError,
    FnodeSegments,
    FSMHints,
    HintsError,
    LinkExistsError,
    NoSuchLinkError,
    NotHintedAuthorError,
    PropertyExistsError,
    RecordedOp,
    Segment,
    WrongSeqNoError,
    new_random_author,
)

A, B = 0xA, 0xB


class Log:
    """Builds a consistent op sequence the way a recorder does, applying it to ``fsm``."""

    def __init__(self, fsm: FSM, author: int = A) -> None:
        self.fsm = fsm
        self.author = author
        self.offset = 0
        self.applied: list[RecordedOp] = []

    def op(self, **fields) -> RecordedOp:
        op = RecordedOp(seq_no=self.fsm.next_seq_no, checksum=self.fsm.next_checksum, author=self.author, **fields)
        op.first_offset, op.last_offset = self.offset, self.offset + 64
        self.offset += 64
        return op

    def apply(self, **fields) -> RecordedOp:
        op = self.op(**fields)
        self.fsm.apply(op, encoded(op))
        self.applied.append(op)
        return op


def encoded(op: RecordedOp) -> bytes:
    return op.SerializeToString(deterministic=True)


def fresh() -> Log:
    return Log(FSM(FSMHints(log=1)))


def test_checksum_chain_is_verified_op_by_op():
    log = fresh()
    expected = 0
    for op_fields in (dict(create=dict(path="/a")), dict(write=dict(fnode=1, offset=0, length=3)),
                      dict(link=dict(fnode=1, path="/b")), dict(unlink=dict(fnode=1, path="/a")), {}):
        op = log.apply(**op_fields)
        assert op.checksum == expected
        expected = google_crc32c.extend(expected, encoded(op))
        assert log.fsm.next_checksum == expected and log.fsm.next_seq_no == op.seq_no + 1
    stale = log.op()
    stale.checksum ^= 1
    with pytest.raises(ChecksumMismatchError):
        log.fsm.apply(stale, encoded(stale))
    assert log.fsm.next_checksum == expected  # no transition


def test_wrong_seq_no_is_checked_before_checksum():
    log = fresh()
    op = log.op(create=dict(path="/a"))
    op.seq_no, op.checksum = 2, 99
    with pytest.raises(WrongSeqNoError):
        log.fsm.apply(op, encoded(op))
    assert log.fsm.next_seq_no == 1


def test_not_hinted_author_is_checked_first():
    hints = FSMHints(log=1, live_nodes=(FnodeSegments(1, (Segment(B, 1, 0, 0, 1),)),))
    fsm = FSM(hints)
    op = RecordedOp(seq_no=5, checksum=7, author=A)  # also a wrong seq_no and checksum
    with pytest.raises(NotHintedAuthorError):
        fsm.apply(op, encoded(op))


def test_link_exists_for_create_and_link():
    log = fresh()
    log.apply(create=dict(path="/a"))
    log.apply(create=dict(path="/b"))
    for fields in (dict(create=dict(path="/a")), dict(link=dict(fnode=1, path="/b"))):
        op = log.op(**fields)
        with pytest.raises(LinkExistsError):
            log.fsm.apply(op, encoded(op))
    op = log.op(property=dict(path="/a", content="x"))
    with pytest.raises(LinkExistsError):
        log.fsm.apply(op, encoded(op))


def test_no_such_link():
    log = fresh()
    log.apply(create=dict(path="/a"))
    op = log.op(unlink=dict(fnode=1, path="/elsewhere"))
    with pytest.raises(NoSuchLinkError):
        log.fsm.apply(op, encoded(op))
    assert log.fsm.links == {"/a": 1}


def test_fnode_not_tracked_advances_the_fsm():
    log = fresh()
    for fields in (dict(write=dict(fnode=42, length=1)), dict(link=dict(fnode=42, path="/x")),
                   dict(unlink=dict(fnode=42, path="/x"))):
        op = log.op(**fields)
        with pytest.raises(FnodeNotTrackedError):
            log.fsm.apply(op, encoded(op))
        assert log.fsm.next_seq_no == op.seq_no + 1  # the transition happened
    assert log.fsm.live_nodes == {}


def test_create_of_an_fnode_the_hints_say_is_dead_is_not_tracked():
    # Hinted: fnode 1 (ops 1..3) and fnode 4 (op 4), one merged segment 1..4; the create
    # at seq_no 2 made a file that is gone by the hints' point in time.
    hints = FSMHints(log=1, live_nodes=(FnodeSegments(1, (Segment(A, 1, 0, 0, 3),)),
                                        FnodeSegments(4, (Segment(A, 4, 192, 0, 4),))))
    log = Log(FSM(hints))
    log.apply(create=dict(path="/a"))
    op = log.op(create=dict(path="/dead"))
    with pytest.raises(FnodeNotTrackedError):
        log.fsm.apply(op, encoded(op))
    assert log.fsm.next_seq_no == 3
    log.apply(write=dict(fnode=1, length=1))
    log.apply(create=dict(path="/b"))
    assert log.fsm.links == {"/a": 1, "/b": 4} and not log.fsm.has_remaining_hints()


def test_expected_hinted_fnode():
    hints = FSMHints(log=1, live_nodes=(FnodeSegments(1, (Segment(A, 1, 0, 0, 1),)),))
    fsm = FSM(hints)
    op = RecordedOp(seq_no=1, checksum=0, author=A, write=dict(fnode=1, length=1))
    with pytest.raises(ExpectedHintedFnodeError):
        fsm.apply(op, encoded(op))


def test_property_exists():
    log = fresh()
    log.apply(property=dict(path="/IDENTITY", content="one"))
    log.apply(property=dict(path="/IDENTITY", content="one"))  # the same content again is fine
    for fields in (dict(property=dict(path="/IDENTITY", content="two")), dict(create=dict(path="/IDENTITY"))):
        op = log.op(**fields)
        with pytest.raises(PropertyExistsError):
            log.fsm.apply(op, encoded(op))
    log.apply(create=dict(path="/a"))
    op = log.op(link=dict(fnode=log.fsm.links["/a"], path="/IDENTITY"))
    with pytest.raises(PropertyExistsError):
        log.fsm.apply(op, encoded(op))
    assert log.fsm.properties == {"/IDENTITY": "one"}


def test_hints_rebuild_the_state_and_skip_dead_fnodes():
    log = fresh()
    log.apply(create=dict(path="/dead"))
    log.apply(write=dict(fnode=1, length=4))
    log.apply(create=dict(path="/live"))
    log.apply(unlink=dict(fnode=1, path="/dead"))
    log.apply(link=dict(fnode=3, path="/hard"))
    log.apply(property=dict(path="/IDENTITY", content="id"))
    hints = log.fsm.build_hints()
    assert [node.fnode for node in hints.live_nodes] == [3]
    assert hints.live_nodes[0].segments == (Segment(A, 3, 128, hints.live_nodes[0].segments[0].first_checksum, 5, 320),)

    replayed = FSM(FSMHints.loads(hints.dumps()))
    assert replayed.next_seq_no == 3
    for op in log.applied:
        try:
            replayed.apply(op, encoded(op))
        except WrongSeqNoError:
            assert op.seq_no < 3  # before the first hinted segment
        except FnodeNotTrackedError:
            assert op.unlink.fnode == 1  # the removal of the dead fnode: applied, nothing to do
    assert (replayed.links, replayed.properties) == ({"/live": 3, "/hard": 3}, {"/IDENTITY": "id"})
    assert replayed.next_checksum == log.fsm.next_checksum and replayed.build_hints() == hints


def test_hints_json_is_gazettes_shape():
    hints = FSMHints(log=7, live_nodes=(FnodeSegments(3, (Segment(A, 3, 128, 5, 4),)),),
                     properties=(("/IDENTITY", "id"),))
    assert json.loads(hints.dumps()) == {
        "log": 7,
        "live_nodes": [{"fnode": 3, "segments": [
            {"author": A, "first_seq_no": 3, "first_offset": 128, "first_checksum": 5, "last_seq_no": 4}]}],
        "properties": [{"path": "/IDENTITY", "content": "id"}],
    }
    assert FSMHints.loads(hints.dumps()) == hints


@pytest.mark.parametrize("text, match", [
    ("not json", "not JSON"),
    ('{"log": "x"}', "recording id"),
    ('{"log": 1, "live_nodes": [{"fnode": 2, "segments": [{"author": 1, "first_seq_no": 1, "last_seq_no": 1}]}]}',
     "first seq_no"),
    ('{"log": 1, "live_nodes": [{"fnode": 2, "segments": []}]}', "first seq_no"),
    ('{"log": 1, "live_nodes": ['
     '{"fnode": 2, "segments": [{"author": 1, "first_seq_no": 2, "last_seq_no": 2}]},'
     '{"fnode": 1, "segments": [{"author": 1, "first_seq_no": 1, "last_seq_no": 1}]}]}', "increasing order"),
    ('{"log": 1, "live_nodes": [{"fnode": 1, "segments": [{"author": 1, "first_seq_no": 1, "last_seq_no": 3}]},'
     '{"fnode": 2, "segments": [{"author": 2, "first_seq_no": 2, "last_seq_no": 2}]}]}', "contradict"),
    ('{"log": 1, "live_nodes": [{"fnode": 1, "segments": [{"bogus": 1}]}]}', "malformed"),
])
def test_bad_hints_raise_hints_error(text, match):
    with pytest.raises(HintsError, match=match):
        FSM(FSMHints.loads(text))


def test_hints_must_name_a_log():
    with pytest.raises(HintsError):
        FSM(FSMHints())


def test_new_random_author_is_never_zero():
    authors = {new_random_author() for _ in range(1000)}
    assert all(1 <= author <= 0xFFFFFFFF for author in authors) and len(authors) > 990
