"""Lifetimes (DESIGN.md section 6): every scenario runs in a subprocess that must exit 0, not by a
signal, print no "Exception ignored", and account for every C close (``tests/fuzz/lifetime_child.py``
counts them: each ran once)."""

from __future__ import annotations

import pathlib

import pytest

from helpers import run_python

FUZZ_DIR = pathlib.Path(__file__).parents[1] / "fuzz"
PRELUDE = f"""
import atexit, gc, random, sys, tempfile, time
AT_EXIT = []  # run after the library's exit hook, which is registered later (atexit runs the last first)
atexit.register(lambda: [hook() for hook in AT_EXIT])
sys.path.insert(0, {str(FUZZ_DIR)!r})
from lifetime_child import C_CLOSE_LOG, assert_c_closed, offer, wait_until
from aeron_cffi import *
""" + """
tmp = tempfile.mkdtemp()
driver = MediaDriver(dir=tmp + "/d", threading_mode="SHARED", term_buffer_length=65536,
                     ipc_term_buffer_length=65536, dir_delete_on_start=True, dir_delete_on_shutdown=True)
# the C closes of what world() makes, by the class whose _close_native ran (an exclusive
# publication's runs its base's too; "Image" also counts the images the image handlers borrowed)
WORLD_CLOSES = {"Subscription": 1, "PublicationBase": 2, "ExclusivePublication": 1, "Counter": 1, "Image": 1}
def world(client):
    sub = client.add_subscription("aeron:ipc", 1, on_available_image=lambda i: None,
                                  on_unavailable_image=lambda i: None)
    pub = client.add_publication("aeron:ipc", 1)
    ex = client.add_exclusive_publication("aeron:ipc", 2)
    counter = client.add_counter(1001, b"k", "c")
    wait_until(lambda: pub.is_connected, "the publication connected")
    offer(pub, b"m")
    wait_until(lambda: sub.image_count >= 1, "the image")
    image = sub.image_at_index(0)
    reader = client.counters_reader()
    pending = client.async_add_subscription("aeron:ipc", 3, lambda i: None)
    return [sub, pub, ex, counter, image, reader, pending]
def assert_world_closed(worlds, by_aeron_close=False):
    # every C close ran once; by_aeron_close: the clients went first (a collected cycle clears
    # their weak references to their children first) and their aeron_close freed the children
    for name, count in {**WORLD_CLOSES, "Aeron": 1}.items():
        closes, expected = C_CLOSE_LOG.count(name), (0 if by_aeron_close and name != "Aeron" else count * worlds)
        assert closes >= expected if name == "Image" else closes == expected, (name, C_CLOSE_LOG)
"""


def run(body: str) -> str:
    result = run_python(PRELUDE + body)
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:{result.stdout}\nstderr:{result.stderr}"
    assert "Exception ignored" not in result.stderr, result.stderr
    return result.stdout


def test_closing_parent_closes_children_first_and_every_method_raises_after():
    run("""
client = Aeron(dir=driver.dir)
objects = world(client)
client.close()
client.close()  # idempotent
assert_c_closed(client, *objects)
checked = 0
for obj in objects + [client]:
    assert obj.is_closed, obj
    for name in dir(type(obj)):
        # constants (channel, session_id, ...) raise too; only these stay usable
        if name.startswith("_") or name in ("close", "cancel", "is_closed", "client", "context", "description",
                                            "ASYNC_KIND", "C_PREFIX"):
            continue
        attr = getattr(type(obj), name)
        try:
            value = getattr(obj, name)
            if callable(value):
                value(*([None] * (value.__code__.co_argcount - 1 if hasattr(value, "__code__") else 0)))
        except ResourceClosedError:
            checked += 1
        else:
            raise AssertionError(f"{type(obj).__name__}.{name} did not raise after close")
assert checked > 60, checked
driver.close()
""")


@pytest.mark.parametrize("seed", range(4))
def test_dropping_everything_in_random_order(seed):
    run(f"""
random.seed({seed})
for round in range(3):
    client = Aeron(dir=driver.dir)
    objects = world(client) + [client]
    del client  # only the list holds it: it may go first
    random.shuffle(objects)
    while objects:
        obj = objects.pop()
        if random.random() < 0.5:
            obj.close()
        del obj
        gc.collect()
    gc.collect()
    assert_world_closed(round + 1)  # every C close ran once, whichever way the object went
driver.close()
""")


def test_children_close_after_parent_then_gc_cycles():
    run("""
client = Aeron(dir=driver.dir)
objects = world(client)
cycle = {"client": client, "objects": objects}
cycle["self"] = cycle
objects.append(cycle)
del client, objects, cycle
gc.collect()
assert_world_closed(1, by_aeron_close=True)
# the driver (a root) still closes at exit via atexit
""")


def test_exit_with_everything_open():
    out = run("""
client = Aeron(dir=driver.dir)
objects = world(client)
AT_EXIT.append(lambda: print("closed at exit", sorted(set(C_CLOSE_LOG) & {"Aeron", "MediaDriver", *WORLD_CLOSES})))
sys.exit(0)
""")
    assert "closed at exit ['Aeron', 'Counter', 'ExclusivePublication', 'Image', 'MediaDriver', " \
           "'PublicationBase', 'Subscription']" in out, out


def test_raising_in_every_callback_kind():
    run("""
errors = []
def boom(*args):
    raise RuntimeError("boom")
client = Aeron(dir=driver.dir, error_handler=errors.append, on_new_publication=boom,
               on_new_subscription=boom, on_available_counter=boom, on_close_client=boom)
sub = client.add_subscription("aeron:ipc", 1, on_available_image=boom, on_unavailable_image=boom)
pub = client.add_publication("aeron:ipc", 1)
wait_until(lambda: pub.is_connected, "the publication connected")
for i in range(5):
    offer(pub, bytes([i]))
wait_until(lambda: sub.image_count >= 1, "the image")
caught = 0
calls = []
def failing(data, header):
    calls.append(data)
    raise ValueError("in poll")
try:
    wait_until(lambda: calls, "the failing handler called", lambda: sub.poll(failing, 2))
except ValueError:
    caught += 1
assert caught == 1 and len(calls) == 2, calls   # the batch finished, first error re-raised
try:
    sub.controlled_poll(failing)
except ValueError:
    caught += 1
try:
    pub.offer(b"x", reserved_value_supplier=boom)
except RuntimeError:
    caught += 1
try:
    sub.block_poll(boom, 65536)
except RuntimeError:
    caught += 1
for call in (lambda: list(client.counters_reader()) and client.counters_reader().counters(),
             lambda: sub.for_each_image(boom), lambda: client.print_counters(boom)):
    try:
        call()
    except RuntimeError:
        caught += 1
assert caught == 6, caught
assembler = FragmentAssembler(boom)
offer(pub, b"y")
try:
    wait_until(lambda: False, "the assembler's handler raising", lambda: sub.poll(assembler))
except RuntimeError:
    caught += 1
assert caught == 7
client.add_counter(1001, b"", "c")
wait_until(lambda: len(errors) >= 3, "the conductor callbacks' errors")
pub.close(); sub.close()
client.close()
assert_c_closed(pub, sub, client)
assert all(isinstance(e, RuntimeError) for e in errors), errors
driver.close()
""")


def test_client_closed_by_its_conductor_then_everything_closed_and_collected():
    run("""
errors = []
timed_out = MediaDriver(dir=tmp + "/t", threading_mode="SHARED", client_liveness_timeout_ns=2_000_000_000,
                        timer_interval_ns=10_000_000, dir_delete_on_start=True, dir_delete_on_shutdown=True)
client = Aeron(dir=timed_out.dir, use_conductor_agent_invoker=True, error_handler=errors.append,
               keepalive_interval_ns=3_600_000_000_000)
objects = world(client)
pending = client.async_add_publication("aeron:ipc", 9)
wait_until(lambda: errors, "the client timed out", client.do_work)
assert isinstance(errors[0], ClientTimeoutError), errors
try:
    pending.wait(5)
except ClientTimeoutError:
    pass
else:
    raise AssertionError("wait on a client its conductor closed did not raise")
random.seed(7)
random.shuffle(objects)
for obj in objects[:4]:
    obj.close()
del obj, objects, pending
gc.collect()
client.close()
assert_c_closed(client)  # aeron_close still ran, once, on a client its conductor had closed
timed_out.close()
driver.close()
""")


def test_a_close_that_failed_in_a_child_can_be_retried():
    from aeron_cffi._lifetime import Resource

    closed_in_c = []

    class Child(Resource):
        def _close_native(self):
            raise RuntimeError("the child's C close failed")

    class Parent(Resource):
        def _close_native(self):
            closed_in_c.append(self)

    parent = Parent()
    child = Child(parent)  # (children are held weakly)
    with pytest.raises(RuntimeError, match="child's C close failed"):
        parent.close()
    parent.close()  # the failed attempt left nothing half-closed: this one completes
    assert parent.is_closed and child.is_closed and closed_in_c == [parent]
