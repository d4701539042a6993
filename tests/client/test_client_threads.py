"""Threads (issue #7, concurrency): several threads offering to one publication and
polling their own subscriptions, a handler that raises in one thread, and ``close()``
from another thread, or from a handler, while a poll or an offer runs.

The defined behaviour (``aeron_cffi._lifetime``): ``close()`` makes every later call
raise ``ResourceClosedError`` at once, and the C close runs when the call in flight
returns, so C never frees what a running poll or offer reads. Each scenario runs in a
subprocess that must exit 0 (a crash would be a signal, not a failed assert) and print no
"Exception ignored"; the C closes are counted (``tests/fuzz/lifetime_child.py``): each ran once.
"""

from __future__ import annotations

import pathlib

from helpers import run_python

FUZZ_DIR = pathlib.Path(__file__).parents[1] / "fuzz"
PRELUDE = f"""
import random, struct, sys, tempfile, threading, time
sys.path.insert(0, {str(FUZZ_DIR)!r})
from lifetime_child import assert_c_closed, c_closes
from aeron_cffi import *""" + """
tmp = tempfile.mkdtemp()
driver = MediaDriver(dir=tmp + "/d", threading_mode="SHARED", term_buffer_length=1 << 20,
                     ipc_term_buffer_length=1 << 20, dir_delete_on_start=True, dir_delete_on_shutdown=True)
client = Aeron(dir=driver.dir)

def wait(condition, what):
    end = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < end, what
        time.sleep(0.001)

def offer(publication, message):
    end = time.monotonic() + 30
    while publication.offer(message) < 0:
        assert time.monotonic() < end, "offer stuck"
        time.sleep(0)

def run_threads(*targets):
    '''Run each target in its own thread; return what each raised (None if nothing).'''
    outcomes = [None] * len(targets)
    def call(i, target):
        try:
            target()
        except BaseException as exc:
            outcomes[i] = exc
    threads = [threading.Thread(target=call, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
        assert not t.is_alive(), "a thread hung"
    return outcomes
"""


def run(body: str) -> str:
    result = run_python(PRELUDE + body, timeout=300)
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:{result.stdout}\nstderr:{result.stderr}"
    assert "Exception ignored" not in result.stderr, result.stderr
    return result.stdout


def test_threads_offer_to_one_publication_and_poll_their_own_subscriptions():
    out = run("""
WRITERS, MESSAGES = 4, 20_000
publication = client.add_publication("aeron:ipc", 10)  # a concurrent publication: offer is thread-safe
subscriptions = [client.add_subscription("aeron:ipc", 10) for _ in range(2)]
wait(lambda: publication.is_connected and all(s.image_count for s in subscriptions), "connected")
received = [[] for _ in subscriptions]

def writer(w):
    for i in range(MESSAGES):
        offer(publication, struct.pack("<ii", w, i))

def reader(k):
    got = received[k]
    handler = lambda data, header: got.append(struct.unpack("<ii", data))
    end = time.monotonic() + 120
    while len(got) < WRITERS * MESSAGES:
        assert time.monotonic() < end, f"reader {k} has {len(got)}"
        subscriptions[k].poll(handler, 100)

outcomes = run_threads(*(lambda w=w: writer(w) for w in range(WRITERS)),
                       *(lambda k=k: reader(k) for k in range(len(subscriptions))))
assert outcomes == [None] * (WRITERS + len(subscriptions)), outcomes
for got in received:
    assert len(got) == WRITERS * MESSAGES
    for w in range(WRITERS):  # each writer's messages arrive complete and in its order
        assert [i for (x, i) in got if x == w] == list(range(MESSAGES))
print("checked", sum(len(got) for got in received))
client.close(); driver.close()
assert_c_closed(client, publication, *subscriptions, driver)
""")
    assert "checked 160000" in out


def test_a_raising_handler_fails_only_its_own_threads_poll():
    out = run("""
publication = client.add_publication("aeron:ipc", 11)
quiet, raising = client.add_subscription("aeron:ipc", 11), client.add_subscription("aeron:ipc", 11)
wait(lambda: quiet.image_count and raising.image_count, "connected")
for i in range(1000):
    offer(publication, struct.pack("<i", i))
got = []

def poll_quietly():
    end = time.monotonic() + 30
    while len(got) < 1000:
        assert time.monotonic() < end
        quiet.poll(lambda data, header: got.append(struct.unpack("<i", data)[0]), 10)

def poll_raising():
    def handler(data, header):
        if struct.unpack("<i", data)[0] == 500:
            raise KeyError("message 500")
    end = time.monotonic() + 30
    while True:
        assert time.monotonic() < end
        raising.poll(handler, 10)

quiet_outcome, raising_outcome = run_threads(poll_quietly, poll_raising)
assert quiet_outcome is None and got == list(range(1000))
assert isinstance(raising_outcome, KeyError) and "message 500" in str(raising_outcome), repr(raising_outcome)
after = []  # the subscription goes on after the exception, to the last message
wait(lambda: raising.poll(lambda data, header: after.append(struct.unpack("<i", data)[0]), 10) >= 0
     and after and after[-1] == 999, "the rest after the exception")
assert after == sorted(after) and after[0] > 500
print("ok")
client.close(); driver.close()
assert_c_closed(client, publication, quiet, raising)
""")
    assert "ok" in out


def test_close_from_another_thread_while_polls_and_offers_run():
    out = run("""
ROUNDS = 60
deferred = {"subscription": 0, "publication": 0, "client": 0}
for round_ in range(ROUNDS):
    what = ("subscription", "publication", "client")[round_ % 3]
    owner = Aeron(dir=driver.dir) if what == "client" else client
    publication = owner.add_exclusive_publication("aeron:ipc", 100 + round_)
    subscription = owner.add_subscription("aeron:ipc", 100 + round_)
    wait(lambda: publication.is_connected and subscription.image_count, "connected")
    started, closed = threading.Event(), threading.Event()

    def keep_offering():  # until the offer raises, or the subscription round's close
        while not (what == "subscription" and closed.is_set()):
            publication.offer(b"x" * 64)
            started.set()

    def keep_polling():
        def slow(data, header):
            time.sleep(0.00002)  # keeps the poll in C (and in flight) most of the time
        end = None
        while end is None or time.monotonic() < end:
            subscription.poll(slow, 50)
            if end is None and closed.is_set():
                end = time.monotonic() + 0.05

    def close_soon():
        started.wait(10)
        time.sleep(random.uniform(0, 0.005))
        target = {"subscription": subscription, "publication": publication, "client": owner}[what]
        target.close()
        deferred[what] += target._close_pending  # a call was in flight: its thread closes in C
        closed.set()

    offering, polling, closing = run_threads(keep_offering, keep_polling, close_soon)
    assert closing is None, repr(closing)
    if what in ("publication", "client"):
        assert isinstance(offering, ResourceClosedError), repr(offering)
    if what in ("subscription", "client"):
        assert isinstance(polling, ResourceClosedError), repr(polling)
    for resource in (publication, subscription):
        if not resource.is_closed:
            resource.close()
    assert_c_closed(publication, subscription, *([owner] if what == "client" else []))
print("deferred", deferred)
assert sum(deferred.values()) > 0  # the race was really run: some closes met a call in flight
# ...but never an offer: one of bytes runs in C holding the GIL from its open check to its
# return (aeron_cffi._hot), so no close can run in between and it counts no call in flight
assert deferred["publication"] == 0, deferred
client.close(); driver.close()
""")
    assert "deferred" in out


def test_close_from_inside_a_handler_waits_for_the_poll_to_return():
    out = run("""
for what in ("subscription", "client"):
    owner = Aeron(dir=driver.dir) if what == "client" else client
    publication = client.add_publication("aeron:ipc", 200)
    subscription = owner.add_subscription("aeron:ipc", 200)
    wait(lambda: publication.is_connected and subscription.image_count, "connected")
    for i in range(20):
        offer(publication, struct.pack("<i", i))
    seen = []

    def handler(data, header):
        seen.append(struct.unpack("<i", data)[0])
        if len(seen) == 3:
            (subscription if what == "subscription" else owner).close()
            assert subscription.is_closed and not c_closes(subscription)  # C close waits for the poll

    count = subscription.poll(handler, 20)
    assert count >= 3 and seen[:3] == [0, 1, 2], (count, seen)
    assert_c_closed(subscription)  # the poll's return ran the C close
    try:
        subscription.poll(handler, 20)
        raise AssertionError("poll after close did not raise")
    except ResourceClosedError:
        pass
    # the driver saw the subscription go: the publication loses its only subscriber
    wait(lambda: not publication.is_connected, "publication disconnected after the close")
    publication.close()
print("ok")
client.close(); driver.close()
""")
    assert "ok" in out


def test_ctrl_c_anywhere_in_a_poll_or_offer_loop_leaves_no_call_counted():
    # KeyboardInterrupt is raised at the first check after C returns, which may fall
    # between any two bytecodes of the bookkeeping around a call: it must never leave a
    # call counted, or a later close would wait for it forever.
    out = run("""
import _thread
publication = client.add_exclusive_publication("aeron:ipc", 300)
subscription = client.add_subscription("aeron:ipc", 300)
wait(lambda: publication.is_connected and subscription.image_count, "connected")
interrupted = 0
for round_ in range(300):
    timer = threading.Timer(random.uniform(0, 0.002), _thread.interrupt_main)
    try:
        timer.start()  # (a short delay can fire before start() returns)
        while True:
            publication.offer(b"x" * 32)
            subscription.poll(lambda data, header: None, 10)
    except KeyboardInterrupt:
        interrupted += 1
    timer.join()
    assert not publication._calls and not subscription._calls, round_
client.close()
assert_c_closed(client, publication, subscription)
print("interrupted", interrupted)
driver.close()
""")
    assert "interrupted 300" in out
