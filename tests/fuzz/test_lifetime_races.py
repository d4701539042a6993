"""Issue #17, threads: calls that a close from another thread raced (claims, getters, the fast
paths waiting in C) and offers on one publication from two threads with reserved value
suppliers. Each scenario runs in a child interpreter that must exit 0, print no "Exception
ignored", and print what happened: every call either worked or raised ``ResourceClosedError``,
and every C close ran once (``lifetime_child``).
"""

from __future__ import annotations

import re

from fuzz_support import run_script

PRELUDE = """
import random, struct, sys, threading, time
from aeron_cffi import *
from aeron_cffi.fast import BatchPoller, CopyingPoller, MessageBatch, offer_batch
from lifetime_child import *
driver = start_driver()
client = Aeron(dir=driver.dir)
sys.setswitchinterval(1e-4)  # threads take turns 50 times as often: more interleavings, and spinning ones yield sooner

def until_closed(call, started):
    '''call() until it raises ResourceClosedError (which ends the thread normally); how many
    calls worked. Anything else it raises fails the thread.'''
    worked = 0
    try:
        while True:
            call()
            worked += 1
            started.set()
            if worked % 64 == 0:
                time.sleep(0)  # let the closer in: a thread that spins can keep the GIL for long
    except ResourceClosedError:
        return worked

def close_soon(resource, started, spread=0.002):
    started.wait(10)
    time.sleep(random.uniform(0, spread))
    resource.close()
"""


def test_two_threads_offering_with_their_own_suppliers(tmp_path):
    # The publication had one supplier slot: 761 to 1,100 of 40,000 messages carried the
    # other thread's reserved value, and an offer raised TypeError ('NoneType' object is not
    # callable) when the other thread's offer cleared the slot.
    result = run_script(PRELUDE.replace("start_driver()", "start_driver(term_length=1 << 20)") + """
THREADS, MESSAGES = 2, 20_000
publication, subscription = connected(client, client, 1)
def writer(t):
    supplier = lambda frame_length: 1000 + t
    for i in range(MESSAGES):
        data = struct.pack("<ii", t, i)
        if i % 2:
            offer_hot(lambda: publication.offer(data, supplier))
        else:
            offer_hot(lambda: publication.offerv([data[:4], data[4:]], supplier))
received, wrong = [0] * THREADS, []
def check(data, header):
    t, i = struct.unpack("<ii", data)
    received[t] += 1
    if header.reserved_value != 1000 + t:
        wrong.append((t, i, header.reserved_value))
writers = threading.Thread(target=lambda: print("writers", run_threads(*(lambda t=t: writer(t) for t in range(THREADS)))))
writers.start()
wait_until(lambda: sum(received) == THREADS * MESSAGES, "every message", lambda: subscription.poll(check, 256))
writers.join(30)
assert not writers.is_alive()
print("received", received, "with the other thread's reserved value", len(wrong), wrong[:5])
client.close()
assert_c_closed(client, publication, subscription)
""", tmp_path)
    assert "writers [None, None]" in result.stdout, result.stdout
    assert "received [20000, 20000] with the other thread's reserved value 0 []" in result.stdout, result.stdout


def test_a_raising_supplier_sends_nothing(tmp_path):
    # The supplier ran inside C's offer: when it raised, C still sent the frame (reserved
    # value 0) and offer raised, so a caller that retried sent the message twice. The
    # supplier is now asked first, once per frame with the frame lengths C's offer uses.
    result = run_script(PRELUDE + """
publication, subscription = connected(client, client, 2)
fragments = []
def collect(data, header):
    fragments.append((data, header.values().frame_length, header.reserved_value))
def supplier(raise_on_call, calls):
    def supply(frame_length):
        calls.append(frame_length)
        if len(calls) == raise_on_call:
            raise KeyError(f"frame {len(calls)}")
        return 100 + len(calls)
    return supply
sends = {"offer": lambda data, s: publication.offer(data, s),
         "offerv": lambda data, s: publication.offerv([data[:10], data[10:]], s)}
for method, send in sends.items():
    for size, raise_on in ((100, 1), (3000, 2)):
        calls = []
        before = publication.position
        try:
            send(message(size, size), supplier(raise_on, calls))
        except KeyError as exc:
            print(method, size, "raised", exc, "after frames", calls, "moved", publication.position - before)
# what did go out: nothing of the above; a fragmented message carries each frame's own value
calls = []
offer_hot(lambda: publication.offer(message(7, 3000), supplier(0, calls)))
print("frame lengths asked", calls)
wait_until(lambda: len(fragments) >= 3, "the last message", lambda: subscription.poll(collect, 10))
time.sleep(0.2)  # anything sent before it has arrived by now; nothing more may come
subscription.poll(collect, 10)
print("fragments", [(length, value) for data, length, value in fragments])
assert b"".join(data for data, length, value in fragments) == message(7, 3000)
client.close()
assert_c_closed(client, publication, subscription)
""", tmp_path)
    for method in ("offer", "offerv"):
        assert f"{method} 100 raised 'frame 1' after frames [132] moved 0" in result.stdout, result.stdout
        assert f"{method} 3000 raised 'frame 2' after frames [1408, 1408] moved 0" in result.stdout, result.stdout
    assert "frame lengths asked [1408, 1408, 280]" in result.stdout, result.stdout
    assert "fragments [(1408, 101), (1408, 102), (280, 103)]" in result.stdout, result.stdout


def test_claim_put_and_get_racing_a_close_of_the_publication(tmp_path):
    # put/get checked that the publication was open and then copied a few bytecodes later:
    # a close in another thread in between unmapped the term buffer under the copy.
    result = run_script(PRELUDE + """
ROUNDS, AT_ONCE = 30, 4
subscription = client.add_subscription("aeron:ipc", 3)
worked = []
for round_ in range(ROUNDS):
    publications = [p.wait() for p in [client.async_add_exclusive_publication("aeron:ipc", 3) for _ in range(AT_ONCE)]]
    wait_until(lambda: all(p.is_connected for p in publications), "connected")
    claims = [BufferClaim() for _ in publications]
    for publication, claim in zip(publications, claims):
        offer_hot(lambda: publication.try_claim(64, claim))
    starts = [threading.Event() for _ in publications]
    uses = [(lambda claim=claim: claim.put(b"x" * 8, 8)) if k % 2 else claim.get for k, claim in enumerate(claims)]
    outcomes = run_threads(*(lambda k=k: worked.append(until_closed(uses[k], starts[k])) for k in range(AT_ONCE)),
                           *(lambda k=k: close_soon(publications[k], starts[k]) for k in range(AT_ONCE)))
    assert outcomes == [None] * len(outcomes), outcomes
    assert_c_closed(*publications)
subscription.close()
print("races", len(worked), "calls that worked", min(worked) > 0)  # every race had a call that worked first
client.close()
""", tmp_path)
    assert "races 120 calls that worked True" in result.stdout, result.stdout


def test_getters_racing_a_close(tmp_path):
    # Getters checked "open" and then called C outside the in-flight count: a close from
    # another thread in between freed the object the C getter then read.
    result = run_script(PRELUDE + """
ROUNDS = 15
GETTERS = {
    "publication": lambda p, s, i, c: (p.position, p.position_limit, p.is_connected, p.channel_status),
    "image": lambda p, s, i, c: (i.position, i.is_end_of_stream),
    "counter": lambda p, s, i, c: c.value,
    "subscription": lambda p, s, i, c: (s.is_connected, s.image_count),
}
for round_ in range(ROUNDS):
    publication, subscription = connected(client, client, 100 + round_, exclusive=True)
    image, counter = subscription.image_at_index(0), client.add_counter(1001, b"", "raced")
    objects = {"publication": publication, "image": image, "counter": counter, "subscription": subscription}
    starts = {name: threading.Event() for name in GETTERS}
    worked = {}
    def reader(name):
        read = GETTERS[name]
        worked[name] = until_closed(lambda: read(publication, subscription, image, counter), starts[name])
    # the image closes with its subscription half of the time, by itself otherwise
    victims = [(name, objects[name]) for name in GETTERS if not (name == "image" and round_ % 2)]
    closers = [lambda name=name, victim=victim: close_soon(victim, starts[name]) for name, victim in victims]
    outcomes = run_threads(*(lambda name=name: reader(name) for name in GETTERS), *closers)
    assert outcomes == [None] * len(outcomes), outcomes
    # each close raced getters that had worked (its closer waits for the first): not a close of an idle object
    assert all(worked[name] > 0 for name, _ in victims), worked
    assert_c_closed(*objects.values())
print("rounds", ROUNDS)
client.close()
assert_c_closed(client)
""", tmp_path)
    assert "rounds 15" in result.stdout, result.stdout


def test_fast_paths_waiting_in_c_while_another_thread_closes(tmp_path):
    # BatchPoller.poll(max_wait), offer_batch(max_wait) and CopyingPoller.poll ran their C
    # call outside the in-flight count: a close from another thread freed the subscription
    # or publication the C loop went on reading.
    result = run_script(PRELUDE + """
WAIT = 0.5
stream = iter(range(10, 100))
for path in ("BatchPoller.poll", "offer_batch", "CopyingPoller.poll"):
    for victim in ("resource", "client"):
        owner = Aeron(dir=driver.dir)
        s = next(stream)
        publication = owner.add_exclusive_publication("aeron:ipc", s)
        subscription = owner.add_subscription("aeron:ipc", s)
        if path == "BatchPoller.poll":  # nothing to poll: it waits in C for max_wait
            resource = subscription
            poller = BatchPoller(subscription, 16, 4096)
            call = lambda: poller.poll(max_wait=WAIT)
        elif path == "offer_batch":  # no subscriber: it retries NOT_CONNECTED in C for max_wait
            subscription.close()
            resource = publication
            batch = MessageBatch.of([b"m" * 32] * 4)
            call = lambda: offer_batch(publication, batch, max_wait=WAIT)
        else:  # a stream that keeps coming, copied a poll at a time
            resource = subscription
            wait_until(lambda: publication.is_connected, "connected")
            poller = CopyingPoller(subscription)
            call = lambda: (publication.offer(b"m" * 64), poller.poll(lambda data, header: None, 64))
        victim_object = owner if victim == "client" else resource
        started, returned = threading.Event(), []
        def run():
            started.set()
            while True:
                try:
                    returned.append(call())
                except ResourceClosedError:
                    return
        ran_during_call = []
        def close():
            started.wait(10)
            time.sleep(0.1)  # well inside a wait in C, for the two that wait
            victim_object.close()
            ran_during_call.append(c_closes(resource))
        outcomes = run_threads(run, close)
        assert outcomes == [None, None], outcomes
        assert_c_closed(resource, owner if victim == "client" else resource)
        print(path, victim, "closed in C during the call:", ran_during_call != [[]])
        owner.close()
        assert_c_closed(owner, publication, subscription)
client.close()
""", tmp_path)
    for path in ("BatchPoller.poll", "offer_batch"):  # these wait in C: the close had to wait for them
        assert re.search(rf"{path} resource closed in C during the call: False", result.stdout), result.stdout
        assert re.search(rf"{path} client closed in C during the call: False", result.stdout), result.stdout
    assert result.stdout.count("CopyingPoller.poll") == 2, result.stdout


def test_a_parent_closed_while_a_child_closes_in_another_thread_waits_for_it(tmp_path):
    # The CI run found a child's C close that never ran: the child's close, in one thread,
    # decided whether to call C (are its ancestors open?) only after closing its own
    # children, and its parent's close, in another thread, came in between; the parent
    # waited only for children whose C close was already pending. Here the child's close
    # is held in its grandchild's C close while the parent closes: the parent must wait,
    # and the C closes run from the bottom up, each once.
    result = run_script(PRELUDE + """
from aeron_cffi._lifetime import Resource
closes = []
class Logged(Resource):
    def __init__(self, name, parent=None):
        self.name = name
        super().__init__(parent)
    def _close_native(self):
        closes.append(self.name)
held, release = threading.Event(), threading.Event()
class Held(Logged):
    def _close_native(self):  # the grandchild's C close takes a while
        held.set()
        release.wait(10)
        super()._close_native()
parent = Logged("parent")
child = Logged("child", parent)
grandchild = Held("grandchild", child)
closing_child = threading.Thread(target=child.close)
closing_child.start()
held.wait(10)
parent.close()  # the child's close is under way in the other thread
print("while the child closes", closes, parent.is_closed)
release.set()
closing_child.join(10)
print("after", closes)
client.close(); driver.close()
""", tmp_path)
    assert "while the child closes [] True" in result.stdout, result.stdout
    assert "after ['grandchild', 'child', 'parent']" in result.stdout, result.stdout
