"""``python -m benchmarks.waiting`` measures every way of waiting for a message (no
timing thresholds: a loaded machine moves them; only that each produced its figures)."""

from __future__ import annotations

from aeron_cffi import Aeron

from benchmarks.waiting import measure


def test_every_way_of_waiting_receives_every_message_and_reports_its_cost(aeronmd_dir):
    with Aeron(dir=str(aeronmd_dir)) as aeron:
        results = measure(aeron, messages=5, gap=0.005)
    assert [result.name for result in results] == ["receive, backoff", "receive, busy spin", "aio, timer polling"]
    for result in results:
        assert len(result.latencies_us) == 5 and all(latency > 0 for latency in result.latencies_us)
        assert 0 < result.cpu_share <= 1.5  # (thread CPU time per wall second)

