"""asyncio for aeron-cffi: awaitable receives, offers, archive requests and replays.

* ``async for message in subscription`` (``Subscription.__aiter__``), or
  ``AsyncSubscription(subscription)`` for ``receive(timeout)`` and ``messages(timeout)``;
* ``await AsyncPublication(publication).offer(data)``: waits out back pressure;
* ``AsyncArchive`` (``await AsyncArchive.connect(...)``): archive requests in a worker
  thread, replays iterated with ``replay_messages``;
* ``AsyncCluster`` (``await AsyncCluster.connect(...)``): a cluster client session, an
  awaited ``offer`` and ``async for`` over the egress's messages.

Nothing here busy-loops the event loop thread: how polling is scheduled, and what it
costs in latency and CPU, is in ``aeron_cffi.aio.polling`` and docs/asyncio.md.

Extension point: anything else that is polled gets its asyncio form from ``poll_until``
and ``PollSchedule``: give ``poll_until`` a non-blocking attempt that polls once and
returns the next message or ``None``, as ``AsyncSubscription`` and ``AsyncCluster`` do;
an offer of its own gets ``offer_until`` (what ``AsyncPublication`` and ``AsyncCluster`` use).
"""

from aeron_cffi.aio.archive import AsyncArchive
from aeron_cffi.aio.cluster import AsyncCluster, EgressMessage
from aeron_cffi.aio.polling import PollSchedule, offer_until, poll_until
from aeron_cffi.aio.publication import AsyncPublication
from aeron_cffi.aio.subscription import AsyncSubscription

__all__ = ["AsyncArchive", "AsyncCluster", "AsyncPublication", "AsyncSubscription", "EgressMessage", "PollSchedule",
           "offer_until", "poll_until"]
