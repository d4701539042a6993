"""SegmentSet: each of Gazette's rules, and Segment validation."""

import pytest

from aeron_cffi.recoverylog import Segment, SegmentError, SegmentSet

A, B = 0xA, 0xB


def seg(author, first, last, first_offset=0, last_offset=0, checksum=0):
    return Segment(author, first, first_offset, checksum, last, last_offset)


@pytest.mark.parametrize("segment, match", [
    (seg(0, 1, 1), "author is zero"),
    (seg(A, 0, 1), "first_seq_no <= 0"),
    (seg(A, 1, 1, first_offset=-1), "first_offset < 0"),
    (seg(A, 3, 2), "last_seq_no < first_seq_no"),
    (seg(A, 1, 2, first_offset=100, last_offset=100), "last_offset <= first_offset"),
])
def test_invalid_segments_are_refused(segment, match):
    with pytest.raises(SegmentError, match=match):
        SegmentSet().add(segment)


def test_disjoint_segments_stay_apart_in_order():
    s = SegmentSet([seg(A, 10, 12, 500, 600), seg(A, 1, 3, 0, 100)])
    assert list(s) == [seg(A, 1, 3, 0, 100), seg(A, 10, 12, 500, 600)]


def test_adjacent_segments_of_one_author_merge():
    s = SegmentSet([seg(A, 1, 3, 0, 100), seg(A, 4, 6, 100, 200)])
    assert list(s) == [seg(A, 1, 6, 0, 200)]


def test_adjacent_segments_of_two_authors_stay_apart():
    s = SegmentSet([seg(A, 1, 3, 0, 100), seg(B, 4, 6, 100, 200)])
    assert len(s) == 2


def test_overlapping_and_covered_segments_of_one_author_reduce():
    s = SegmentSet([seg(A, 1, 5, 0, 300), seg(A, 3, 8, 100, 500), seg(A, 2, 4, 50, 200)])
    assert list(s) == [seg(A, 1, 8, 0, 500)]


def test_a_segment_bridging_two_reduces_all_three():
    s = SegmentSet([seg(A, 1, 2, 0, 100), seg(A, 5, 6, 300, 400)])
    s.add(seg(A, 3, 4, 100, 300))
    assert list(s) == [seg(A, 1, 6, 0, 400)]


def test_equal_first_seq_no_keeps_the_tighter_first_offset_and_a_known_last_offset():
    s = SegmentSet([seg(A, 1, 4, 0, 0), seg(A, 1, 4, 40, 200)])
    assert list(s) == [seg(A, 1, 4, 40, 200)]


def test_overlap_of_two_authors_is_an_error():
    s = SegmentSet([seg(A, 1, 5)])
    with pytest.raises(SegmentError, match="two authors"):
        s.add(seg(B, 3, 7))
    assert list(s) == [seg(A, 1, 5)]  # unchanged


def test_first_offset_must_grow_with_seq_no():
    s = SegmentSet([seg(A, 5, 6, 500, 600)])
    with pytest.raises(SegmentError, match="first_offset must grow"):
        s.add(seg(B, 1, 2, 700, 800))


def test_last_offset_must_grow_with_seq_no():
    s = SegmentSet([seg(A, 1, 2, 0, 500)])
    with pytest.raises(SegmentError, match="last_offset must grow"):
        s.add(seg(B, 3, 4, 100, 400))


def test_only_a_suffix_may_have_an_unknown_last_offset():
    s = SegmentSet([seg(A, 1, 2, 0, 0)])
    with pytest.raises(SegmentError, match="needs one too"):
        s.add(seg(B, 3, 4, 100, 400))
    s.add(seg(B, 3, 4, 100, 0))  # a suffix of unknown last offsets is fine
    assert len(s) == 2


def test_segments_starting_at_one_seq_no_agree_on_its_checksum():
    s = SegmentSet([seg(A, 1, 2, checksum=7)])
    with pytest.raises(SegmentError, match="checksum"):
        s.add(seg(A, 1, 3, checksum=8))


def test_intersect_returns_the_segments_overlapping_a_range():
    s = SegmentSet([seg(A, 1, 2, 0, 100), seg(B, 3, 4, 100, 200), seg(A, 5, 6, 300, 0)])
    assert s.intersect(0, 50) == [s[0]]
    assert s.intersect(150, 350) == [s[1], s[2]]
    assert s.intersect(200, 300) == []  # between them: [200, 300) ends where the last starts
    assert s.intersect(200, 301) == [s[2]]
    assert s.intersect(1000, 2000) == [s[2]]
    with pytest.raises(ValueError):
        s.intersect(10, 5)
