"""Long runs do not grow memory (issue #7 part 3).

Each scenario runs in a child interpreter (``load_support``), warms up with a tenth of
its run (a twentieth for messages), snapshots, runs, snapshots again; the table of
both snapshots is printed (``pytest -s``). What the figures are: ``load_support``.

* messages: 10,000,000 IPC messages with the per-message API (``Publication.offer``
  of a new ``bytes`` each, ``Subscription.poll`` into a Python handler) and then
  10,000,000 more with the batch API (``offer_batch``/``BatchPoller``), through an
  embedded driver in the child; every message is checked in order by its sequence
  number. No tracemalloc here: it slows the loops tenfold.
* resources: 10,000 create/close cycles on one client: publications, exclusive
  publications, subscriptions with and without image handlers, and adds cancelled
  before they complete.
* archive connects: 1,000 ``AeronArchive.connect`` + ``list_recordings`` + close
  against a Java archive, alternately on a shared client and on one of their own.

The last two run against an ``aeronmd`` process, so the child's figures are the
client's alone.

Bounds (growth from the baseline to the end of the run), each far above what was
measured here (2 cores, other tests running; the worst of several runs, for
messages / resources / archive connects):

========  ======================  ==========================================
figure    bound                   measured
========  ======================  ==========================================
objects   < 100                   +0 all three
handles   0 (back exactly)        0
held      0                       0
retired   0                       0
anon      < 3 MiB                 +0.03 / +0.46 / +0.04 MiB
traced    < 1 MiB                 - / +0.00 / +0.05 MiB
rss       < 32 MiB                +0.03 / +2.3 / +4.0 MiB
========  ======================  ==========================================

``anon`` (private memory: heap, C allocations) is where a leak shows; a leak of a
byte a message, 400 bytes a cycle or 4 KiB a connect would fail it. ``rss`` also counts
the shared memory of the driver's files the client touched (``shmem``), which grows
without a leak as counter ids move through the counters buffer, up to that file's
size (here it followed the highest counter id in use, about 6,000 of 65,536): its
bound is the looser one.
"""

from __future__ import annotations

import pytest

from load_support import MIB, growth, run_scenario

pytestmark = pytest.mark.long

CHILD_TIMEOUT = 900.0
MESSAGES = 10_000_000
CYCLES = 10_000
CONNECTS = 1_000
MAX_OBJECTS = 100
MAX_ANON = 3 * MIB  # 400 B x 10,000 cycles or 4 KiB x 1,000 connects is 3.8 MiB: caught
MAX_TRACED = 1 * MIB
MAX_RSS = 32 * MIB


def assert_bounded(report: dict) -> None:
    delta = growth(report)
    assert delta["objects"] < MAX_OBJECTS, delta
    assert delta["handles"] == delta["held"] == delta["retired"] == 0, delta
    assert delta["anon"] < MAX_ANON, delta
    assert delta["rss"] < MAX_RSS, delta
    if delta["traced"] is not None:
        assert delta["traced"] < MAX_TRACED, delta


def test_ten_million_messages_each_way(aeron_testbed):
    report = run_scenario("messages", CHILD_TIMEOUT, aeron_dir=str(aeron_testbed.shm_dir / "embedded-driver"),
                          count=MESSAGES)
    assert report["messages"] == 2 * (MESSAGES + MESSAGES // 20)  # each API, warm-up included
    assert_bounded(report)


def test_ten_thousand_create_close_cycles(aeron_testbed):
    driver = aeron_testbed.driver("process")
    report = run_scenario("resources", CHILD_TIMEOUT, aeron_dir=str(driver.dir), cycles=CYCLES, tracemalloc=True)
    # one image per subscription with handlers (every fifth cycle, warm-up included),
    # made unavailable by its close
    assert report["images_available"] == report["images_unavailable"] == (CYCLES + CYCLES // 10) // 5
    assert_bounded(report)


def test_thousand_archive_connects(aeron_testbed):
    archive = aeron_testbed.java_archive(aeron_testbed.driver("process"))
    report = run_scenario("archive_connects", CHILD_TIMEOUT, aeron_dir=str(archive.aeron_dir),
                          control_request_channel=archive.control_request_channel,
                          control_response_channel=archive.control_response_channel,
                          connects=CONNECTS, tracemalloc=True)
    assert report["control_sessions"] == CONNECTS + CONNECTS // 10  # warm-up included
    assert_bounded(report)
