"""``FSM``: the state machine that decides which recorded ops make up a file system.

It applies ``RecordedOp`` in order and checks each against what came before: the
author the hints expect next, the sequence number, the checksum chain, and the links
and properties the op touches (Gazette's ``FSM``, with its errors in its order of
checks). Recorders run it before they record an op, players on every op they read.
"""

from __future__ import annotations

import dataclasses
import secrets

from aeron_cffi.recoverylog.hints import FnodeSegments, FSMHints, HintsError
from aeron_cffi.recoverylog.ops import RecordedOp, next_checksum
from aeron_cffi.recoverylog.segments import Segment

__all__ = [
    "MAX_AUTHOR",
    "ChecksumMismatchError",
    "ExpectedHintedFnodeError",
    "FSM",
    "FSMError",
    "FnodeNotTrackedError",
    "FnodeState",
    "LinkExistsError",
    "NoSuchLinkError",
    "NotHintedAuthorError",
    "PropertyExistsError",
    "WrongSeqNoError",
    "new_random_author",
]

MAX_AUTHOR = 0xFFFFFFFF


def new_random_author() -> int:
    """A random author id in ``[1, 2**32 - 1]`` (0 means "no author")."""
    return secrets.randbelow(MAX_AUTHOR) + 1


class FSMError(Exception):
    """An op that is not consistent with the ops applied before it or with the hints."""


class NotHintedAuthorError(FSMError):
    """The op's author is not the author the next hinted segment names (Gazette's
    ``ErrNotHintedAuthor``): a branch of the log the hints do not follow."""


class WrongSeqNoError(FSMError):
    """The op's sequence number is not the next one (``ErrWrongSeqNo``)."""


class ChecksumMismatchError(FSMError):
    """The op's checksum is not the chain's current value (``ErrChecksumMismatch``)."""


class LinkExistsError(FSMError):
    """The op creates or links a path that is already linked (``ErrLinkExists``)."""


class NoSuchLinkError(FSMError):
    """The op unlinks a path the fnode does not have (``ErrNoSuchLink``)."""


class FnodeNotTrackedError(FSMError):
    """The op names an fnode that is not live, or a create the hints say is dead by their
    point in time (``ErrFnodeNotTracked``). Unlike the others, the FSM has advanced
    past the op: a player skips its file action only."""


class ExpectedHintedFnodeError(FSMError):
    """The hints say this sequence number creates a live fnode, but the op is not a
    create (``ErrExpectedHintedFnode``)."""


class PropertyExistsError(FSMError):
    """The op creates, links or changes a property path (``ErrPropertyExists``)."""


@dataclasses.dataclass
class FnodeState:
    """A live fnode: its current links (hard-link paths) and the log segments holding its ops."""

    links: set[str]
    segments: list[Segment]


class FSM:
    """Applies ops in order (``apply``), starting from ``hints`` (``FSMHints()`` for a
    log read from its start)."""

    def __init__(self, hints: FSMHints) -> None:
        if hints.log is None:
            raise HintsError("hints name no log")
        fnodes, segments = hints.live_log_segments()
        self.log: int = hints.log
        self.next_seq_no = 1
        self.next_checksum = 0
        self.properties: dict[str, str] = dict(hints.properties)
        self.live_nodes: dict[int, FnodeState] = {}
        self.links: dict[str, int] = {}
        self._hinted_segments: list[Segment] = list(segments)
        self._hinted_fnodes: list[int] = fnodes
        if self._hinted_segments:
            self.next_seq_no = self._hinted_segments[0].first_seq_no
            self.next_checksum = self._hinted_segments[0].first_checksum

    @property
    def hinted_segments(self) -> tuple[Segment, ...]:
        """The hinted segments not applied yet, in order."""
        return tuple(self._hinted_segments)

    def has_remaining_hints(self) -> bool:
        return bool(self._hinted_segments or self._hinted_fnodes)

    def apply(self, op: RecordedOp, encoded: bytes | memoryview) -> None:
        """Apply ``op``, whose encoded message (its frame without the header) is
        ``encoded``. Raises an ``FSMError`` and changes nothing when the op does not fit,
        except ``FnodeNotTrackedError``, raised after the FSM advanced past the op."""
        if self._hinted_segments and self._hinted_segments[0].author != op.author:
            raise NotHintedAuthorError(f"op {op.seq_no} of author {op.author:#x}, hints expect "
                                       f"{self._hinted_segments[0].author:#x}")
        if op.seq_no != self.next_seq_no:
            raise WrongSeqNoError(f"op seq_no {op.seq_no}, expected {self.next_seq_no}")
        if op.checksum != self.next_checksum:
            raise ChecksumMismatchError(f"op {op.seq_no} checksum {op.checksum:#010x}, "
                                        f"expected {self.next_checksum:#010x}")
        not_tracked: FnodeNotTrackedError | None = None
        try:
            if op.HasField("create"):
                self._apply_create(op)
            elif self._hinted_fnodes and self._hinted_fnodes[0] == op.seq_no:
                raise ExpectedHintedFnodeError(f"op {op.seq_no} is not the create of hinted fnode {op.seq_no}")
            elif op.HasField("link"):
                self._apply_link(op)
            elif op.HasField("unlink"):
                self._apply_unlink(op)
            elif op.HasField("write"):
                self._apply_write(op)
            elif op.HasField("property"):
                self._apply_property(op)
        except FnodeNotTrackedError as error:
            not_tracked = error
        self._step(encoded)
        if not_tracked is not None:
            raise not_tracked

    def _step(self, encoded: bytes | memoryview) -> None:
        self.next_seq_no += 1
        self.next_checksum = next_checksum(self.next_checksum, encoded)
        hinted = self._hinted_segments
        if hinted and hinted[0].last_seq_no < self.next_seq_no:
            hinted.pop(0)
            if hinted:  # the next hinted segment may be further on: jump the chain there
                self.next_seq_no = hinted[0].first_seq_no
                self.next_checksum = hinted[0].first_checksum

    def _check_free(self, path: str) -> None:
        if path in self.links:
            raise LinkExistsError(f"path {path!r} is already linked to fnode {self.links[path]}")
        if path in self.properties:
            raise PropertyExistsError(f"path {path!r} is a property")

    def _node(self, fnode: int) -> FnodeState:
        node = self.live_nodes.get(fnode)
        if node is None:
            raise FnodeNotTrackedError(f"fnode {fnode} is not live")
        return node

    def _apply_create(self, op: RecordedOp) -> None:
        path = op.create.path
        self._check_free(path)
        fnode = op.seq_no
        if self._hinted_fnodes:
            if self._hinted_fnodes[0] != fnode:
                raise FnodeNotTrackedError(f"created fnode {fnode} is not live in the hints")
            self._hinted_fnodes.pop(0)
        self.live_nodes[fnode] = FnodeState({path}, self._extend([], op))
        self.links[path] = fnode

    def _apply_link(self, op: RecordedOp) -> None:
        self._check_free(op.link.path)
        node = self._node(op.link.fnode)
        node.links.add(op.link.path)
        self.links[op.link.path] = op.link.fnode
        self._extend(node.segments, op)

    def _apply_unlink(self, op: RecordedOp) -> None:
        node = self._node(op.unlink.fnode)
        if op.unlink.path not in node.links:
            raise NoSuchLinkError(f"fnode {op.unlink.fnode} has no link {op.unlink.path!r}")
        del self.links[op.unlink.path]
        node.links.discard(op.unlink.path)
        self._extend(node.segments, op)
        if not node.links:
            del self.live_nodes[op.unlink.fnode]

    def _apply_write(self, op: RecordedOp) -> None:
        self._extend(self._node(op.write.fnode).segments, op)

    def _apply_property(self, op: RecordedOp) -> None:
        path, content = op.property.path, op.property.content
        if path in self.links:
            raise LinkExistsError(f"property path {path!r} is linked to fnode {self.links[path]}")
        if self.properties.get(path, content) != content:
            raise PropertyExistsError(f"property {path!r} exists with other content")
        self.properties[path] = content

    @staticmethod
    def _extend(segments: list[Segment], op: RecordedOp) -> list[Segment]:
        """Track ``op`` in an fnode's segments: it continues the last one if that is of
        the same author, else it starts a new one."""
        if segments and segments[-1].author == op.author:
            last = segments[-1]  # built directly: dataclasses.replace costs a third of a write's playback
            segments[-1] = Segment(last.author, last.first_seq_no, last.first_offset, last.first_checksum, op.seq_no,
                                   op.last_offset)
        else:
            segments.append(Segment(op.author, op.seq_no, op.first_offset, op.checksum, op.seq_no, op.last_offset))
        return segments

    def build_hints(self) -> FSMHints:
        """Hints from which a new FSM (and a player) rebuilds this FSM's state."""
        nodes = tuple(FnodeSegments(fnode, tuple(state.segments)) for fnode, state in sorted(self.live_nodes.items()))
        return FSMHints(self.log, nodes, tuple(sorted(self.properties.items())))
