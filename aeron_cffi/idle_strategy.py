"""Idle strategies for Python duty-cycle loops (``idle(work_count)`` after each cycle).

Aeron's C idle strategies are internal to the client (``aeron_idle_strategy.h`` is
not a public header), so these are written in Python with the same behaviour and
names as Aeron's Java/C ones: busy spin, yield, sleep, backoff, no-op.
"""

from __future__ import annotations

import os
import time

__all__ = ["BackoffIdleStrategy", "BusySpinIdleStrategy", "IdleStrategy", "NoOpIdleStrategy", "SleepingIdleStrategy",
           "YieldingIdleStrategy"]


class IdleStrategy:
    """``idle(work_count)``: do nothing if work was done, otherwise back off. ``reset()`` restarts."""

    def idle(self, work_count: int = 0) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget the backoff state (after work was found elsewhere)."""


class NoOpIdleStrategy(IdleStrategy):
    """Never idles."""

    def idle(self, work_count: int = 0) -> None:
        return None


class BusySpinIdleStrategy(IdleStrategy):
    """Spins: returns at once (Python has no CPU pause hint); lowest latency, one core busy."""

    def idle(self, work_count: int = 0) -> None:
        return None


class YieldingIdleStrategy(IdleStrategy):
    """Yields the CPU (``sched_yield``) when there was no work."""

    def idle(self, work_count: int = 0) -> None:
        if work_count <= 0:
            os.sched_yield()


class SleepingIdleStrategy(IdleStrategy):
    """Sleeps ``sleep_period_ns`` when there was no work."""

    def __init__(self, sleep_period_ns: int = 1_000_000) -> None:
        if sleep_period_ns < 0:
            raise ValueError("sleep_period_ns must not be negative")
        self.sleep_period_s = sleep_period_ns / 1e9

    def idle(self, work_count: int = 0) -> None:
        if work_count <= 0:
            time.sleep(self.sleep_period_s)


class BackoffIdleStrategy(IdleStrategy):
    """Spin ``max_spins`` times, yield ``max_yields`` times, then sleep from ``min_park_period_ns``
    doubling up to ``max_park_period_ns``; any work resets it."""

    def __init__(self, max_spins: int = 10, max_yields: int = 20, min_park_period_ns: int = 1_000,
                 max_park_period_ns: int = 1_000_000) -> None:
        if min(max_spins, max_yields, min_park_period_ns) < 0 or max_park_period_ns < min_park_period_ns:
            raise ValueError("backoff limits must be non-negative and min_park <= max_park")
        self.max_spins = max_spins
        self.max_yields = max_yields
        self.min_park_period_ns = min_park_period_ns
        self.max_park_period_ns = max_park_period_ns
        self.reset()

    def reset(self) -> None:
        self.spins = 0
        self.yields = 0
        self.park_period_ns = self.min_park_period_ns

    def idle(self, work_count: int = 0) -> None:
        if work_count > 0:
            self.reset()
        elif self.spins < self.max_spins:
            self.spins += 1
        elif self.yields < self.max_yields:
            self.yields += 1
            os.sched_yield()
        else:
            time.sleep(self.park_period_ns / 1e9)
            self.park_period_ns = min(self.park_period_ns * 2, self.max_park_period_ns)
