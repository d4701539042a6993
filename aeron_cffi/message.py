"""Whole messages received one at a time: ``Message`` and the ``Inbox`` a subscription
keeps them in between a poll and the ``receive``/``messages`` call that hands them out.

``Subscription.receive`` / ``Subscription.messages`` (and their asyncio counterparts in
``aeron_cffi.aio``) poll through one C fragment assembler per subscription, so a
message above the MTU comes out reassembled, and a poll that delivered more than one
message keeps the rest here for the next call. The assembler and the queue belong to
the subscription: use either these calls or ``poll``/``poll_batch`` on one
subscription, not both (each would see only part of a fragmented message).
"""

from __future__ import annotations

import collections
import dataclasses
from typing import TYPE_CHECKING, Iterator

from aeron_cffi.errors import ResourceClosedError
from aeron_cffi.fragment_assembler import FragmentAssembler
from aeron_cffi.header import Header

if TYPE_CHECKING:
    from aeron_cffi.subscription import Subscription

__all__ = ["Inbox", "Message"]


@dataclasses.dataclass(frozen=True, slots=True)
class Message:
    """One whole message (reassembled if it was fragmented) and its header fields.

    ``position`` is the stream position just after the message; ``reserved_value`` is
    the one of its last frame (the value a reserved value supplier gave it)."""

    data: bytes
    session_id: int
    stream_id: int
    position: int
    reserved_value: int


class Inbox:
    """The fragment assembler and the queue of messages polled but not handed out yet:
    what ``Subscription.receive``/``messages`` and ``aeron_cffi.aio`` share (they differ
    only in how they wait between empty polls)."""

    __slots__ = ("pending", "assembler")

    def __init__(self, subscription: Subscription) -> None:
        self.pending: collections.deque[Message] = collections.deque()
        self.assembler = FragmentAssembler(self._on_message)
        # The assembler's C memory is the subscription's to free: closing the
        # subscription (or its client) closes it as a child.
        subscription._children.add(self.assembler)

    def take(self) -> Message | None:
        """The oldest message polled and not handed out yet, or None."""
        return self.pending.popleft() if self.pending else None

    def poll(self, subscription: Subscription, fragment_limit: int) -> int:
        """One poll of ``subscription`` into the queue: the fragments read. Raises
        ``ResourceClosedError`` once the subscription is closed, here or by C (its client
        closed itself, e.g. after a driver timeout: then polls just find nothing)."""
        fragments = subscription.poll(self.assembler, fragment_limit)
        if fragments == 0 and subscription.is_closed:
            raise ResourceClosedError("Subscription is closed")
        return fragments

    def next(self, subscription: Subscription, fragment_limit: int) -> Message | None:
        """A message without waiting: a queued one, else one a single poll brought."""
        if not self.pending:
            self.poll(subscription, fragment_limit)
        return self.take()

    def drain(self) -> Iterator[Message]:
        """The messages still queued (what a closed subscription had polled)."""
        while self.pending:
            yield self.pending.popleft()

    def _on_message(self, data: bytes, header: Header) -> None:
        values = header.values()
        self.pending.append(Message(data, values.session_id, values.stream_id, header.position,
                                    values.reserved_value))
