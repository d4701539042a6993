"""``Cleaner``: deletes what the ledger no longer needs, as the seed's cleaner.

Each round keeps the newest ``retention`` entries and never deletes an entry a named
consumer of the ``tables`` has not passed (its saved cumulative mark), unless the
ledger holds more than ``threshold`` entries: then it deletes down to ``threshold``
whatever the consumers, stopping the replays that still read the purged segments (the
consumers start again and report ``EntriesSkipped``). Errors go to ``errors`` and the
round is tried again at the next ``interval``.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Callable

from aeron_cffi.queue._callbacks import call_user
from aeron_cffi.queue.errors import InvalidEntry
from aeron_cffi.queue.ledger import Ledger
from aeron_cffi.queue.table import Table

__all__ = ["Cleaner", "CleanerConfig"]


@dataclasses.dataclass
class CleanerConfig:
    """The seed's ``CleanerConfig``; ``interval`` in seconds (0: no periodic rounds, call ``clean()``)."""

    #: How many of the newest entries to keep.
    retention: int = 0
    #: The most entries to keep, consumers or not (0: no such limit).
    threshold: int = 0
    interval: float = 1.0
    tables: list[Table] = dataclasses.field(default_factory=list)
    errors: Callable[[Exception], object] | None = None

    def __post_init__(self) -> None:
        if self.retention < 0 or self.threshold < 0 or self.interval < 0:
            raise InvalidEntry("retention, threshold and interval must not be negative")


class Cleaner:
    """Clean ``ledger`` (opened for writing) every ``interval`` in a thread; ``close()`` stops it."""

    def __init__(self, ledger: Ledger, config: CleanerConfig | None = None) -> None:
        self.ledger = ledger
        self.config = config or CleanerConfig()
        self._stop = threading.Event()
        self._thread = None
        if self.config.interval:
            self._thread = threading.Thread(target=self._run, name=f"cleaner {ledger.alias}", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.config.interval):
            try:
                self.clean()
            except Exception as error:  # noqa: BLE001  (to the callback; the next round tries again)
                call_user(self.config.errors, error)

    def clean(self) -> int:
        """One round; returns how many entries it deleted."""
        ledger, retention, threshold = self.ledger, self.config.retention, self.config.threshold
        length = ledger.length
        if length <= retention:
            return 0
        target, _ = ledger.index(-(retention + 1))  # deleting through it leaves `retention`
        marks = [m.sequences[0] for table in self.config.tables for m in table.all().values() if m.sequences]
        if marks:
            target = min(target, min(marks))
        forced = False
        if threshold and length > threshold:
            limit, _ = ledger.index(-(threshold + 1))
            if limit > target:
                target, forced = limit, True
        deleted = ledger.delete(target) if target > ledger.tail else 0
        if forced:
            ledger.purge(stop_replays=True)
        return deleted

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and threading.current_thread() is not self._thread:  # errors may close it
            self._thread.join()
