"""Long runs that must not grow memory, run in a child interpreter of their own.

The child (``python load_support.py <scenario> <settings as JSON>``) builds what the
scenario needs, warms up (so allocator arenas, caches, mapped log buffers and the
client's lingering resources reach their steady state), takes a ``snapshot()``, runs
the scenario, takes another, and prints both with the scenario's own counts as one
JSON line. The parent (``run_scenario``) starts it, prints the figures as a table and
hands them to the test, which asserts the bounds.

A snapshot, each after ``gc.collect()`` and glibc's ``malloc_trim(0)`` (which hands
the heap's free pages back to the system, so the resident figures count memory in
use rather than what the allocator keeps for later):

* ``objects``: ``len(gc.get_objects())``, the Python objects the collector tracks;
* ``rss``: resident set size in bytes (``/proc/self/statm``), all of the process;
* ``anon``: its private part (``RssAnon`` of ``/proc/self/status``): the Python heap,
  cffi and C allocations, thread stacks. A leak grows this one;
* ``shmem``: its shared-memory part (``RssShmem``): pages of the driver's CnC file and
  of log buffers that this process touched through its mappings. It grows, without
  any leak, as the driver hands out counter ids further into the counters buffer and
  as the client reads further into the driver's broadcast buffer, up to the size of
  those files;
* ``traced``: bytes Python allocated and still holds (``tracemalloc``, started before
  anything else when the scenario's settings ask for it: it slows the message loops
  down about tenfold, so ``messages`` goes without and reports None);
* ``handles``: live ``ffi.new_handle`` objects (cffi's owning handle cdata, found
  among the collector's objects): what C may still call back into;
* ``held``: handles kept by open wrappers (``Resource._handles``);
* ``retired``: closes the client has not yet seen complete (``Aeron._retired``), each
  keeping the closed resource's handles until C confirms.
"""

from __future__ import annotations

import collections
import ctypes
import gc
import json
import os
import struct
import subprocess
import sys
import time
import tracemalloc
from array import array
from typing import Any, Callable

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
MIB = 1 << 20
FIGURES = ("objects", "rss", "anon", "shmem", "traced", "handles", "held", "retired")
BYTE_FIGURES = ("rss", "anon", "shmem", "traced")
SETTLE_TIMEOUT = 60.0
# The C client's conductor sleeps 16 ms between duty cycles by default, so every
# add waits ~32 ms; Aeron reads this variable when a client context is created
# (including the clients the archive client starts for itself).
CHILD_ENV = {"AERON_CLIENT_IDLE_SLEEP_DURATION": "100us"}


# -- the child: measurements --------------------------------------------------------
# The child imports aeron_cffi inside its functions: after ``main`` started tracemalloc.


_malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc only


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


def status_bytes(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # kB
    raise LookupError(field)


def snapshot() -> dict[str, int]:
    from aeron_cffi._lifetime import Resource
    from aeron_cffi._native import ffi
    from aeron_cffi.client import Aeron

    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)
    objects = gc.get_objects()
    handle_type = type(ffi.new_handle(None))
    void_p = ffi.typeof("void *")
    figures = {
        "objects": len(objects),
        "rss": rss_bytes(),
        "anon": status_bytes("RssAnon"),
        "shmem": status_bytes("RssShmem"),
        "traced": tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else None,
        "handles": sum(1 for o in objects if type(o) is handle_type and ffi.typeof(o) == void_p),
        "held": sum(len(o._handles) for o in objects if isinstance(o, Resource)),
        "retired": sum(len(o._retired) for o in objects if isinstance(o, Aeron)),
    }
    del objects
    return figures


def measured(run: Callable[[int], object], count: int, warm_up: int) -> dict:
    """``run(warm_up)``, a snapshot, ``run(count)`` timed, a snapshot."""
    run(warm_up)
    snapshot()  # the first one leaves a few objects of its own (caches of its isinstance checks)
    before = snapshot()
    started = time.monotonic()
    run(count)
    seconds = time.monotonic() - started
    return {"before": before, "after": snapshot(), "seconds": seconds}


def settle(client: Any) -> None:
    """Until the client saw every close complete (its retired handles released)."""
    wait_until(lambda: not client._retired, "closes to complete")


def wait_until(condition: Callable[[], object], what: str, timeout: float = SETTLE_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.0005)


# -- the child: scenarios --------------------------------------------------------------

# A message: its sequence number and the number's complement (a torn or misplaced
# message cannot pass as another).
MESSAGE = struct.Struct("<qq")


def sequence_words(first: int, count: int) -> array:
    """``count`` messages from ``first``, back to back, as int64 words."""
    words = array("q", bytes(MESSAGE.size * count))
    words[0::2] = array("q", range(first, first + count))
    words[1::2] = array("q", range(~first, ~first - count, -1))
    return words


class Stream:
    """One IPC publication and its subscription on one client, checked in order."""

    BATCH = 4000

    def __init__(self, client: Any, stream_id: int) -> None:
        from aeron_cffi.fast import BatchPoller, MessageBatch

        self.publication = client.add_publication("aeron:ipc", stream_id)
        self.subscription = client.add_subscription("aeron:ipc", stream_id)
        wait_until(lambda: self.publication.is_connected and self.subscription.is_connected, "the IPC stream")
        self.sent = self.received = 0
        self.batch = MessageBatch.of(MESSAGE.pack(0, ~0) for _ in range(self.BATCH))
        self.poller = BatchPoller(self.subscription, max_fragments=self.BATCH, capacity=self.BATCH * MESSAGE.size)
        self.expected_offsets = array("q", range(0, (self.BATCH + 1) * MESSAGE.size, MESSAGE.size)).tobytes()

    def per_message(self, count: int) -> None:
        """``Publication.offer`` of each message and ``Subscription.poll`` into a Python
        handler that checks each one."""
        end = self.sent + count
        offer, pack = self.publication.offer, MESSAGE.pack

        def handler(data: bytes, header: Any) -> None:
            sequence, check = MESSAGE.unpack(data)
            if sequence != self.received or check != ~sequence:
                raise AssertionError(f"message {self.received}: got ({sequence}, {check})")
            self.received = sequence + 1

        while self.received < end:
            while self.sent < end and offer(pack(self.sent, ~self.sent)) > 0:
                self.sent += 1
            self.subscription.poll(handler, 1000)

    def batched(self, count: int) -> None:
        """``offer_batch`` of ``BATCH`` messages per C call, ``BatchPoller.poll`` of up
        to ``BATCH`` per C call, checked a batch at a time."""
        from aeron_cffi._native import ffi
        from aeron_cffi.fast import offer_batch

        if count % self.BATCH:
            raise ValueError(f"batched count must be a multiple of {self.BATCH}")
        end = self.sent + count
        start = self.BATCH  # index of the next message of self.batch to offer
        poller = self.poller
        while self.received < end:
            if start == self.BATCH and self.sent < end:
                self.batch.data[:] = sequence_words(self.sent, self.BATCH).tobytes()
                start = 0
            if start < self.BATCH:
                offered = offer_batch(self.publication, self.batch, start)
                start += offered
                self.sent += offered
            n = poller.poll()
            if n:
                size = (n + 1) * 8
                if ffi.buffer(poller.offsets, size)[:] != self.expected_offsets[:size]:
                    raise AssertionError(f"fragments after message {self.received} are not all {MESSAGE.size} bytes")
                if poller.data[:n * MESSAGE.size] != sequence_words(self.received, n).tobytes():
                    raise AssertionError(f"messages {self.received}..{self.received + n - 1} out of order or torn")
                self.received += n

    def check_end(self) -> None:
        [image] = self.subscription.images()
        with image:
            if image.position != self.publication.position:
                raise AssertionError("subscription position differs from publication position")


def messages(settings: dict) -> dict:
    """IPC messages through an embedded driver: ``count`` with the per-message API,
    then ``count`` with the batch API; warm-up is 1/20 of that."""
    from aeron_cffi import Aeron, MediaDriver

    driver = MediaDriver(dir=settings["aeron_dir"], threading_mode="SHARED", ipc_term_buffer_length=MIB,
                         dir_delete_on_start=True, dir_delete_on_shutdown=True)
    with driver, Aeron(dir=driver.dir) as client:
        stream = Stream(client, 1)
        seconds: dict[str, float] = {}

        def run(count: int) -> None:
            for api in (stream.per_message, stream.batched):
                started = time.monotonic()
                api(count)
                seconds[f"{api.__name__}_s"] = time.monotonic() - started
            stream.check_end()

        report = measured(run, settings["count"], settings["count"] // 20)
        return {**report, **seconds, "messages": stream.received}


def resources(settings: dict) -> dict:
    """Create/close cycles on one client, in turn: a publication on a stream a
    long-lived publication shares, an exclusive publication, a subscription without
    handlers, a subscription with image handlers (closed once its image arrived), and
    an ``async_add_subscription`` with handlers cancelled before it completes."""
    from aeron_cffi import Aeron

    with Aeron(dir=settings["aeron_dir"]) as client:
        shared = client.add_publication("aeron:ipc", 7)
        # image events by session id; counts, not lists, so the run's own figures stay flat
        available: collections.Counter[int] = collections.Counter()
        unavailable: collections.Counter[int] = collections.Counter()

        def on_available(image: Any) -> None:
            available[image.session_id] += 1

        def on_unavailable(image: Any) -> None:
            unavailable[image.session_id] += 1

        def with_image():
            seen = available.total()
            subscription = client.add_subscription("aeron:ipc", 7, on_available_image=on_available,
                                                   on_unavailable_image=on_unavailable)
            wait_until(lambda: available.total() > seen, "on_available_image")
            return subscription

        def cancelled():
            return client.async_add_subscription("aeron:ipc", 10, lambda image: None, lambda image: None)

        kinds = (lambda: client.add_publication("aeron:ipc", 7),
                 lambda: client.add_exclusive_publication("aeron:ipc", 8),
                 lambda: client.add_subscription("aeron:ipc", 9),
                 with_image,
                 cancelled)

        def cycles(count: int) -> None:
            for i in range(count):
                kinds[i % len(kinds)]().close()
            settle(client)

        report = measured(cycles, settings["cycles"], settings["cycles"] // 10)
        if set(available) | set(unavailable) != {shared.session_id}:
            raise AssertionError(f"images of unexpected sessions: {available}, {unavailable}")
        return {**report, "images_available": available.total(), "images_unavailable": unavailable.total()}


def archive_connects(settings: dict) -> dict:
    """``AeronArchive.connect`` + one control request (``list_recordings``) + close,
    alternately on a shared ``Aeron`` (``aeron=``) and on one the archive client
    starts and closes itself (``aeron_directory_name=``)."""
    from aeron_cffi import Aeron
    from aeron_cffi.archive import AeronArchive

    with Aeron(dir=settings["aeron_dir"]) as shared:
        ids = set()

        def connects(count: int) -> None:
            for i in range(count):
                where = {"aeron": shared} if i % 2 else {"aeron_directory_name": settings["aeron_dir"]}
                with AeronArchive.connect(control_request_channel=settings["control_request_channel"],
                                          control_response_channel=settings["control_response_channel"],
                                          **where) as archive:
                    if archive.list_recordings() != []:
                        raise AssertionError("the archive has recordings")
                    ids.add(archive.control_session_id)
            settle(shared)

        report = measured(connects, settings["connects"], settings["connects"] // 10)
        return {**report, "control_sessions": len(ids)}


SCENARIOS = {"messages": messages, "resources": resources, "archive_connects": archive_connects}


# -- the parent -----------------------------------------------------------------------


def run_scenario(name: str, timeout: float, **settings: Any) -> dict:
    """Run scenario ``name`` in a child interpreter; its report, with the table printed."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, __file__, name, json.dumps(settings)], capture_output=True, text=True,
                            timeout=timeout, env={**os.environ, **CHILD_ENV})
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:{result.stdout}\nstderr:{result.stderr}"
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["wall_s"] = time.monotonic() - started
    print(f"\n{name}: {table(report)}")
    return report


def table(report: dict) -> str:
    before, after = report["before"], report["after"]
    rows = [f"{'figure':<8} {'before':>14} {'after':>14} {'delta':>12}"]
    for figure in FIGURES:
        b, a = before[figure], after[figure]
        if b is None:
            rows.append(f"{figure:<8} {'-':>14} {'-':>14} {'-':>12}")
        elif figure in BYTE_FIGURES:
            rows.append(f"{figure:<8} {b / MIB:>10.1f} MiB {a / MIB:>10.1f} MiB {(a - b) / MIB:>+8.2f} MiB")
        else:
            rows.append(f"{figure:<8} {b:>14} {a:>14} {a - b:>+12}")
    counts = ", ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                       for k, v in report.items() if k not in ("before", "after"))
    return "\n".join([counts, *rows])


def growth(report: dict) -> dict[str, int | None]:
    before, after = report["before"], report["after"]
    return {figure: None if before[figure] is None else after[figure] - before[figure] for figure in FIGURES}


def main() -> None:
    name, settings = sys.argv[1], json.loads(sys.argv[2])
    if settings.get("tracemalloc"):
        tracemalloc.start()
    print(json.dumps(SCENARIOS[name](settings)), flush=True)


if __name__ == "__main__":
    main()
