"""``Segment`` and ``SegmentSet``: which stretches of a recovery log an author wrote.

A segment is a contiguous run of sequence numbers written by one author, with the
recording positions it spans. Offsets here are Aeron recording positions: a Recorder
knows them exactly (an offer returns the position its message ends at), so unlike
Gazette's they are not only lower bounds. ``last_offset`` 0 still means "not known",
as in Gazette, so hints written elsewhere keep their meaning.
"""

from __future__ import annotations

import bisect
import dataclasses
from typing import Any, Iterator

__all__ = ["Segment", "SegmentError", "SegmentSet"]


class SegmentError(ValueError):
    """A segment that is inconsistent in itself or with the segments of a set."""


@dataclasses.dataclass(frozen=True)
class Segment:
    author: int
    first_seq_no: int
    first_offset: int
    first_checksum: int
    last_seq_no: int
    last_offset: int = 0

    def validate(self) -> None:
        """Raise ``SegmentError`` if the segment is inconsistent in itself."""
        if self.author == 0:
            raise SegmentError(f"author is zero: {self}")
        if self.first_seq_no <= 0:
            raise SegmentError(f"first_seq_no <= 0: {self}")
        if self.first_offset < 0:
            raise SegmentError(f"first_offset < 0: {self}")
        if self.last_seq_no < self.first_seq_no:
            raise SegmentError(f"last_seq_no < first_seq_no: {self}")
        if self.last_offset != 0 and self.last_offset <= self.first_offset:
            raise SegmentError(f"last_offset <= first_offset: {self}")

    def to_json(self) -> dict[str, int]:
        """Gazette's JSON: zero fields are left out (``omitempty``)."""
        return {name: value for name, value in dataclasses.asdict(self).items() if value}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> "Segment":
        fields = {field.name for field in dataclasses.fields(cls)}
        unknown = set(value) - fields
        if unknown:
            raise SegmentError(f"unknown segment fields {sorted(unknown)}")
        return cls(**{name: int(value.get(name, 0)) for name in fields})


class _NotReducible(Exception):
    """Two segments that stay apart in a set (disjoint, or adjacent of two authors)."""


def _later_than(a: int, b: int) -> bool:
    """``a`` is a known offset (non-zero) below ``b``."""
    return a != 0 and a < b


def _reduce(a: Segment, b: Segment) -> Segment:
    """The one segment covering ``a`` and ``b``; ``_NotReducible`` if they stay apart;
    ``SegmentError`` if together they break a rule of the set."""
    if a.first_seq_no > b.first_seq_no or (a.first_seq_no == b.first_seq_no and a.last_seq_no < b.last_seq_no):
        a, b = b, a
    # Now a starts first (or at the same seq_no and covers at least as far).
    if a.first_seq_no < b.first_seq_no and a.first_offset > b.first_offset:
        raise SegmentError(f"first_offset must grow with seq_no: {a} vs {b}")
    if a.first_seq_no < b.first_seq_no and a.last_offset == 0 and b.last_offset != 0:
        raise SegmentError(f"a segment before one with a last_offset needs one too: {a} vs {b}")
    if (a.last_seq_no <= b.last_seq_no and _later_than(b.last_offset, a.last_offset)) or \
            (a.last_seq_no >= b.last_seq_no and _later_than(a.last_offset, b.last_offset)):
        raise SegmentError(f"last_offset must grow with seq_no: {a} vs {b}")
    if a.first_seq_no == b.first_seq_no and a.first_checksum != b.first_checksum:
        raise SegmentError(f"segments starting at one seq_no must agree on its checksum: {a} vs {b}")
    if a.last_seq_no + 1 < b.first_seq_no:
        raise _NotReducible
    if a.last_seq_no + 1 == b.first_seq_no and a.author != b.author:
        raise _NotReducible
    if a.author != b.author:
        raise SegmentError(f"overlapping segments of two authors: {a} vs {b}")
    first_offset, last_seq_no, last_offset = a.first_offset, a.last_seq_no, a.last_offset
    if a.first_seq_no == b.first_seq_no:
        first_offset = max(first_offset, b.first_offset)  # both are lower bounds: keep the tighter
    if a.last_seq_no == b.last_seq_no and last_offset == 0:
        last_offset = b.last_offset
    if a.last_seq_no < b.last_seq_no:  # overlapping or adjacent: extend a
        last_seq_no, last_offset = b.last_seq_no, b.last_offset
    return dataclasses.replace(a, first_offset=first_offset, last_seq_no=last_seq_no, last_offset=last_offset)


class SegmentSet:
    """Segments in order of sequence number, with Gazette's rules:

    * they do not overlap (so one author per sequence number), and adjacent segments
      of one author are merged;
    * ``first_offset`` grows with the sequence number;
    * ``last_offset`` grows too, but a suffix of the set may have ``last_offset`` 0
      (not known, so unbounded).
    """

    def __init__(self, segments: list[Segment] | None = None) -> None:
        self._segments: list[Segment] = []
        for segment in segments or ():
            self.add(segment)

    def add(self, segment: Segment) -> None:
        """Add ``segment``, merging it with the segments it overlaps or continues;
        ``SegmentError`` (and the set unchanged) if that would break a rule."""
        segment.validate()
        segments = self._segments
        begin = bisect.bisect_left([s.first_seq_no for s in segments], segment.first_seq_no)
        if begin > 0:
            try:
                segment, begin = _reduce(segments[begin - 1], segment), begin - 1
            except _NotReducible:
                pass
        end = begin
        while end < len(segments):
            try:
                segment = _reduce(segments[end], segment)
            except _NotReducible:
                break
            end += 1
        segments[begin:end] = [segment]

    def intersect(self, first_offset: int, last_offset: int) -> list[Segment]:
        """The segments overlapping the offsets ``[first_offset, last_offset)``."""
        if last_offset < first_offset:
            raise ValueError(f"invalid range [{first_offset}, {last_offset})")
        segments = self._segments
        end = bisect.bisect_left([s.first_offset for s in segments], last_offset)
        begin = end
        while begin > 0 and (segments[begin - 1].last_offset == 0 or segments[begin - 1].last_offset > first_offset):
            begin -= 1
        return segments[begin:end]

    def __iter__(self) -> Iterator[Segment]:
        return iter(self._segments)

    def __len__(self) -> int:
        return len(self._segments)

    def __getitem__(self, index: int) -> Segment:
        return self._segments[index]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SegmentSet) and self._segments == other._segments

    def __repr__(self) -> str:
        return f"SegmentSet({self._segments!r})"
