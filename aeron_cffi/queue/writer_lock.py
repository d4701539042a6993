"""One writer per recording: a lock made of a counter on the media driver.

A writer adds a counter of type ``WRITER_LOCK_TYPE_ID`` keyed by the recording's name.
The driver records which client added it (the counter's owner), and every client has
a heartbeat counter the driver keeps while the client lives. So a lock is held while
its owner's heartbeat is fresh: a second writer is refused at once, and a writer that
was killed (whose heartbeat stopped) is taken over after ``liveness_timeout`` without
waiting for the driver to time the dead client out. Two writers that race to lock
settle on the older counter (the lower registration id).
"""

from __future__ import annotations

import struct
import time

from aeron_cffi.client import Aeron
from aeron_cffi.counters import MAX_KEY_LENGTH, NULL_COUNTER_ID, CountersReader
from aeron_cffi.errors import InvalidArgumentError
from aeron_cffi.queue.errors import WriterConflict

__all__ = ["CLIENT_HEARTBEAT_TYPE_ID", "WRITER_LOCK_TYPE_ID", "WriterLock"]

#: Counter type of queue writer locks ("QW" in the high bytes; any unused type id works).
WRITER_LOCK_TYPE_ID = 0x5157_0001
#: Aeron's client heartbeat timestamp counter (AeronCounters.CLIENT_HEARTBEAT_TIMESTAMP_TYPE_ID):
#: registration id = the client id, value = the client's last keepalive in epoch ms.
CLIENT_HEARTBEAT_TYPE_ID = 11
_KEY_LENGTH = struct.Struct("<i")


def _key(name: str) -> bytes:
    encoded = name.encode()
    if len(encoded) > MAX_KEY_LENGTH - _KEY_LENGTH.size:
        raise InvalidArgumentError(f"name {name!r} is longer than a counter key allows")
    return (_KEY_LENGTH.pack(len(encoded)) + encoded).ljust(MAX_KEY_LENGTH, b"\0")


class WriterLock:
    """Hold the write lock of ``name`` on ``aeron``'s driver; ``WriterConflict`` if a live
    writer holds it. ``close()`` releases it (so does the death of this process)."""

    def __init__(self, aeron: Aeron, name: str, liveness_timeout: float) -> None:
        self.name = name
        self._key = _key(name)
        self._liveness_ms = liveness_timeout * 1000
        self._counter = aeron.add_counter(WRITER_LOCK_TYPE_ID, self._key, f"queue writer: {name}"[:100])
        try:
            holder = self._older_live_holder(aeron)
            if holder is not None:
                raise WriterConflict(f"{name} already has a live writer (Aeron client {holder}); "
                                     "one writer at a time")
        except BaseException:
            self._counter.close()
            raise

    def _older_live_holder(self, aeron: Aeron) -> int | None:
        """The client id of a live writer whose lock is older than ours, if any."""
        reader = aeron.counters_reader()
        mine = self._counter.registration_id
        now_ms = time.time() * 1000
        for info in reader.counters():
            if info.type_id != WRITER_LOCK_TYPE_ID or info.counter_id == self._counter.counter_id:
                continue
            if reader.key(info.counter_id) != self._key:
                continue
            owner = reader.owner_id(info.counter_id)
            if reader.registration_id(info.counter_id) < mine and self._alive(reader, owner, now_ms):
                return owner
        return None

    def _alive(self, reader: CountersReader, client_id: int, now_ms: float) -> bool:
        heartbeat = reader.find_by_type_id_and_registration_id(CLIENT_HEARTBEAT_TYPE_ID, client_id)
        return heartbeat != NULL_COUNTER_ID and now_ms - reader.value(heartbeat) <= self._liveness_ms

    def close(self) -> None:
        self._counter.close()
