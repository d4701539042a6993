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
from typing import TYPE_CHECKING

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
    """The fragment assembler and the queue of messages polled but not handed out yet."""

    __slots__ = ("pending", "assembler")

    def __init__(self, subscription: Subscription) -> None:
        self.pending: collections.deque[Message] = collections.deque()
        self.assembler = FragmentAssembler(self._on_message)
        # The assembler's C memory is the subscription's to free: closing the
        # subscription (or its client) closes it as a child.
        subscription._children.add(self.assembler)

    def _on_message(self, data: bytes, header: Header) -> None:
        values = header.values()
        self.pending.append(Message(data, values.session_id, values.stream_id, header.position,
                                    values.reserved_value))
